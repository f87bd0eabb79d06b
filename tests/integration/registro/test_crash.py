"""SIGKILL at random points: the register is never half-written, and the rerun gives the
same register as a clean single run (ingest all-or-nothing, check without half-issued
sanctions)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from cup.synthetic import scrivi_csv
from registro.db import make_engine, migrate, read_frame
from registro.settings import Settings

RIGHE = 60_000
UCCISIONI = 3
CONFRONTO = ["id_prenotazione", "stato", "data_appuntamento", "importo_ticket_cent",
             "versione_il", "attesa_giorni", "superamento"]


def _env(settings: Settings) -> dict[str, str]:
    return {"REGISTRO_DB_URL": settings.db_url, "REGISTRO_DATA_DIR": str(settings.data_dir),
            "REGISTRO_CHIAVE_PSEUDONIMI": "chiave", "PATH": "/usr/bin:/bin"}


def _avvia(settings: Settings, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "servizio.cli", *args], env=_env(settings),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _esegui(settings: Settings, *args: str) -> None:
    p = _avvia(settings, *args)
    _, err = p.communicate(timeout=600)
    assert p.returncode == 0, err.decode()


def _conta(engine: Engine, tabella: str) -> int:
    df = read_frame(engine, f"SELECT COUNT(*) AS n FROM {tabella}", {"n": pl.Int64()})
    return int(df["n"][0])


def _registro(engine: Engine) -> pl.DataFrame:
    # typed, so that two databases compare by value (a boolean is `true` on PostgreSQL and
    # `1` in a SQLite file; a timestamp is text in SQLite)
    tipi = {"data_appuntamento": pl.Datetime("us"), "versione_il": pl.Datetime("us"),
            "importo_ticket_cent": pl.Int64(), "attesa_giorni": pl.Int64(),
            "superamento": pl.Boolean()}
    schema = {c: tipi.get(c, pl.String()) for c in CONFRONTO}
    return read_frame(engine, f"SELECT {', '.join(CONFRONTO)} FROM prenotazione",
                      schema).sort("id_prenotazione")


def _sanzioni(engine: Engine) -> pl.DataFrame:
    return read_frame(engine, "SELECT id_prenotazione, tipo, importo_cent, stato FROM sanzione",
                      {"id_prenotazione": pl.String(), "tipo": pl.String(),
                       "importo_cent": pl.Int64(), "stato": pl.String()}
                      ).sort("id_prenotazione", "tipo")


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scrivi_csv(tmp_path_factory.mktemp("crash") / "cup.csv", rows=RIGHE, seed=11)


def _uccidi_a_caso(settings: Settings, rng: random.Random, *args: str) -> float:
    p = _avvia(settings, *args)
    attesa = rng.uniform(0.8, 5.0)
    time.sleep(attesa)
    if p.poll() is None:
        os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=60)
    return attesa


@pytest.mark.slow
def test_sigkill_during_ingest_and_check(engine: Engine, settings: Settings, export: Path,
                                         tmp_path: Path) -> None:
    rng = random.Random(20261123)
    _esegui(settings, "init")
    stati = set()
    for _ in range(UCCISIONI):
        _uccidi_a_caso(settings, rng, "ingest", str(export))
        n = _conta(engine, "prenotazione")
        assert n in (0, RIGHE), f"ingest interrotto a metà: {n} prenotazioni"
        stati.add((n, _conta(engine, "prenotazione_storia")))
    _esegui(settings, "ingest", str(export))
    assert _conta(engine, "prenotazione") == RIGHE
    # the history (superseded versions only) is either empty or whole, like the register
    assert stati <= {(0, 0), (RIGHE, _conta(engine, "prenotazione_storia"))}, stati

    for _ in range(UCCISIONI):
        _uccidi_a_caso(settings, rng, "check", "--al", "2025-12-31")
        sanzioni = _conta(engine, "sanzione")
        verificate = read_frame(engine, "SELECT COUNT(*) AS n FROM prenotazione "
                                        "WHERE verificata_il IS NOT NULL", {"n": pl.Int64()})
        assert int(verificate["n"][0]) in (0, RIGHE)
        assert (sanzioni == 0) == (int(verificate["n"][0]) == 0)
    _esegui(settings, "check", "--al", "2025-12-31")

    # The same work done once, cleanly, in a separate register of the same kind.
    pulito = settings.model_copy(update={
        "db_url": f"sqlite:///{tmp_path / 'pulito.db'}", "data_dir": tmp_path / "pulito"})
    motore = make_engine(pulito.db_url)
    migrate(motore)
    _esegui(pulito, "init")
    _esegui(pulito, "ingest", str(export))
    _esegui(pulito, "check", "--al", "2025-12-31")
    assert _registro(engine).equals(_registro(motore))
    assert _sanzioni(engine).equals(_sanzioni(motore))
