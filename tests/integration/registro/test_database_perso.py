"""PostgreSQL restarted during an ingest: one clear error, nothing half-written, and the
rerun succeeds."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from cup.synthetic import scrivi_csv
from registro.db import read_frame
from registro.settings import Settings

RIGHE = 20_000


def _riavvia_postgres() -> None:
    versione = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versione, "main", "restart",
                    "-m", "fast"], check=True, capture_output=True, timeout=120)
    for _ in range(60):
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0:
            return
        time.sleep(0.5)
    raise AssertionError("PostgreSQL non è ripartito")


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgres_restarted_during_ingest(engine: Engine, settings: Settings,
                                          tmp_path: Path) -> None:
    """Only PostgreSQL: a server can go away; SQLite is covered by the SIGKILL tests."""
    assert engine.dialect.name == "postgresql"
    export = scrivi_csv(tmp_path / "cup.csv", rows=RIGHE, seed=3)
    env = {"REGISTRO_DB_URL": settings.db_url, "REGISTRO_DATA_DIR": str(settings.data_dir),
           "REGISTRO_CHIAVE_PSEUDONIMI": "chiave", "PATH": "/usr/bin:/bin"}
    assert subprocess.run([sys.executable, "-m", "servizio.cli", "init"], env=env,
                          capture_output=True).returncode == 0
    # Restart while the ingest is inside its transaction, deterministically: this session
    # holds `sede` against writes, so the ingest stops at its INSERT INTO sede, after the
    # staging table and the register lock are written and before anything is committed.
    fermo = engine.connect()
    fermo.exec_driver_sql("LOCK TABLE sede IN EXCLUSIVE MODE")
    p = subprocess.Popen([sys.executable, "-m", "servizio.cli", "ingest", str(export)],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(3000):
        attende = read_frame(engine, "SELECT COUNT(*) AS n FROM pg_locks l "
                                     "JOIN pg_stat_activity a ON a.pid = l.pid "
                                     "WHERE NOT l.granted AND l.relation = 'sede'::regclass "
                                     "AND a.backend_xid IS NOT NULL",
                             {"n": pl.Int64()})
        if int(attende["n"][0]) or p.poll() is not None:
            break
        time.sleep(0.1)
    assert p.poll() is None, "the ingest ended before reaching its write of sede"
    _riavvia_postgres()  # the lock goes with the server: the ingest is cut off, not released
    fermo.invalidate()
    engine.dispose()
    _, stderr = p.communicate(timeout=300)
    assert p.returncode == 3, stderr
    assert "nessun dato parziale" in stderr and "Traceback" not in stderr
    conta = read_frame(engine, "SELECT COUNT(*) AS n FROM prenotazione", {"n": pl.Int64()})
    assert int(conta["n"][0]) == 0

    rerun = subprocess.run([sys.executable, "-m", "servizio.cli", "ingest", str(export),
                            "--json"], env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    conta = read_frame(engine, "SELECT COUNT(*) AS n FROM prenotazione", {"n": pl.Int64()})
    assert int(conta["n"][0]) == RIGHE
