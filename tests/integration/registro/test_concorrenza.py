"""Two ingests of different files and one check, started together, end in the state of one
of the serial orders (the register-wide lock makes them take turns); nothing deadlocks and
no sanction is issued twice. On SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest
from cup.synthetic import genera_prenotazioni
from registro.check import check
from registro.db import make_engine, migrate, read_frame
from registro.settings import Settings

RIGHE = 15_000
AL = "2025-12-31"


def _stato(engine: Engine) -> tuple[pl.DataFrame, pl.DataFrame]:
    pren = read_frame(
        engine, "SELECT id_prenotazione, stato, attesa_giorni, superamento, "
        "CASE WHEN verificata_il IS NULL THEN 0 ELSE 1 END AS verificata FROM prenotazione",
        {"id_prenotazione": pl.String(), "stato": pl.String(), "attesa_giorni": pl.Int64(),
         "superamento": pl.Boolean(), "verificata": pl.Int64()}).sort("id_prenotazione")
    sanz = read_frame(
        engine, "SELECT id_prenotazione, tipo, importo_cent, stato FROM sanzione",
        {"id_prenotazione": pl.String(), "tipo": pl.String(), "importo_cent": pl.Int64(),
         "stato": pl.String()}).sort("id_prenotazione", "tipo")
    return pren, sanz


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("conc")
    tutti = genera_prenotazioni(2 * RIGHE, seed=5)
    a, b = d / "a.csv", d / "b.csv"
    tutti.head(RIGHE).write_csv(a)
    tutti.tail(RIGHE).write_csv(b)
    return a, b


def _riferimenti(settings: Settings, tmp_path: Path, a: Path, b: Path
                 ) -> list[tuple[pl.DataFrame, pl.DataFrame]]:
    """The register after each distinct serial order (the two ingests commute)."""
    ordini = {"check,A,B": "CAB", "A,check,B": "ACB", "B,check,A": "BCA", "A,B,check": "ABC"}
    out = []
    for ordine in ordini.values():
        s = settings.model_copy(update={
            "db_url": f"sqlite:///{tmp_path / (ordine + '.db')}", "data_dir": tmp_path / ordine})
        e = make_engine(s.db_url)
        migrate(e)
        importa_catalogo(catalogo_nazionale(), engine=e)
        for passo in ordine:
            if passo == "C":
                check(engine=e, settings=s, oggi=date.fromisoformat(AL))
            else:
                ingest(a if passo == "A" else b, engine=e, settings=s)
        out.append(_stato(e))
    return out


@pytest.mark.slow
def test_two_ingests_and_a_check_at_once(engine: Engine, settings: Settings,
                                         files: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = files
    importa_catalogo(catalogo_nazionale(), engine=engine)
    env = {"REGISTRO_DB_URL": settings.db_url, "REGISTRO_DATA_DIR": str(settings.data_dir),
           "REGISTRO_CHIAVE_PSEUDONIMI": "chiave", "PATH": "/usr/bin:/bin"}
    comandi = [["ingest", str(a)], ["check", "--al", AL], ["ingest", str(b)]]
    processi = [subprocess.Popen([sys.executable, "-m", "servizio.cli", *c], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                for c in comandi]
    for p in processi:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()

    pren, sanz = _stato(engine)
    assert pren.height == 2 * RIGHE
    doppie = sanz.filter(pl.col("stato") != "annullato").group_by(
        "id_prenotazione", "tipo").len().filter(pl.col("len") > 1)
    assert doppie.height == 0
    riferimenti = _riferimenti(settings, tmp_path, a, b)
    assert any(pren.equals(p) and sanz.equals(s) for p, s in riferimenti), \
        "lo stato finale non corrisponde a nessun ordine seriale"
