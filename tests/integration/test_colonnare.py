"""The columnar mirror: used only when it matches the database, rebuilt otherwise, and the
statistics it gives equal those read from the database."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from helpers import riga, scrivi_export
from sqlalchemy import Engine, text

from cup.ingest import ingest
from registro import colonnare
from registro.catalogo import catalogo_nazionale, importa_catalogo
from registro.check import check, leggi_prenotazioni
from registro.periodo import Periodo
from registro.settings import Settings
from registro.standards import carica_profilo
from reports.stats import tabella_prestazioni


@pytest.fixture
def registro(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    ingest(scrivi_export(tmp_path / "a.csv", [
        riga("P1"), riga("P2", data_appuntamento="2026-03-20T09:00"),
        riga("P3", codice_prestazione="90.62.2", data_appuntamento="2026-03-03T09:00"),
    ]), engine=engine, settings=settings)
    check(engine=engine, settings=settings, oggi=date(2026, 12, 31))
    return engine


def _ordinate(df: pl.DataFrame) -> pl.DataFrame:
    return df.sort("id_prenotazione")


def test_check_writes_a_mirror_equal_to_the_database(registro: Engine,
                                                      settings: Settings) -> None:
    path = colonnare.percorso(settings)
    assert path.is_file()
    assert (pl.read_parquet_metadata(path)[colonnare.CHIAVE_METADATI]
            == colonnare.impronta(registro))
    dal_db = _ordinate(leggi_prenotazioni(registro))
    assert _ordinate(pl.read_parquet(path)).equals(dal_db)
    profilo = carica_profilo("carta1995", None)
    periodo = Periodo.parse("2026")
    assert tabella_prestazioni(colonnare.prenotazioni(registro, settings), profilo=profilo,
                               periodo=periodo).equals(
        tabella_prestazioni(dal_db.lazy(), profilo=profilo, periodo=periodo))


def test_a_new_ingest_makes_the_mirror_stale(registro: Engine, settings: Settings,
                                            tmp_path: Path) -> None:
    prima = os.stat(colonnare.percorso(settings)).st_mtime_ns
    ingest(scrivi_export(tmp_path / "b.csv", [riga("P4")]), engine=registro,
           settings=settings)
    letti = colonnare.prenotazioni(registro, settings).collect()
    assert sorted(letti["id_prenotazione"]) == ["P1", "P2", "P3", "P4"]
    # rebuilt, and now current: a second read uses it as it is
    assert os.stat(colonnare.percorso(settings)).st_mtime_ns != prima
    assert isinstance(colonnare.prenotazioni(registro, settings), pl.LazyFrame)
    assert (pl.read_parquet_metadata(colonnare.percorso(settings))[colonnare.CHIAVE_METADATI]
            == colonnare.impronta(registro))


def test_a_catalog_change_makes_the_mirror_stale(registro: Engine, settings: Settings) -> None:
    with registro.begin() as conn:
        conn.execute(text("UPDATE prestazione SET tipo = 'laboratorio' WHERE codice = '89.7'"))
    letti = colonnare.prenotazioni(registro, settings).collect()
    assert set(letti.filter(pl.col("codice_prestazione") == "89.7")["tipo"]) == {"laboratorio"}


def test_a_mirror_of_another_register_is_not_used(registro: Engine, settings: Settings) -> None:
    """What a restored backup looks like: a mirror whose impronta is not this database's."""
    falso = pl.read_parquet(colonnare.percorso(settings)).head(1)
    colonnare.scrivi(falso, settings, "un-altro-registro")
    assert colonnare.prenotazioni(registro, settings).collect().height == 3


def test_a_damaged_mirror_is_ignored_and_rebuilt(registro: Engine, settings: Settings) -> None:
    colonnare.percorso(settings).write_bytes(b"non parquet")
    assert colonnare.prenotazioni(registro, settings).collect().height == 3
    assert pl.read_parquet(colonnare.percorso(settings)).height == 3


def test_an_unwritable_mirror_path_costs_only_speed(registro: Engine, settings: Settings,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """A directory where the file should be: the write fails, the read still answers."""
    path = colonnare.percorso(settings)
    path.unlink()
    path.mkdir()
    (path / "x").write_text("occupato")
    assert colonnare.prenotazioni(registro, settings).collect().height == 3
    assert "copia colonnare non scritta" in caplog.text
