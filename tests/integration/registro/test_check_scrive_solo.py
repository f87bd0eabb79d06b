"""The nightly check writes back only what changed: a second check on an unchanged register
rewrites no booking, and after a CUP delta it stamps the delta's bookings (whose fields the
ingest reset) and leaves every other row as it was, fields and `verificata_il` alike."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest
from cup.synthetic import genera_prenotazioni
from registro import db
from registro.check import DERIVATI, check
from registro.settings import Settings

AL = date(2025, 12, 31)


def _righe(engine: Engine) -> pl.DataFrame:
    return db.read_frame(
        engine, f"SELECT id_prenotazione, {', '.join(DERIVATI)}, verificata_il, profilo "
                "FROM prenotazione",
        {"id_prenotazione": pl.String(), **dict.fromkeys(DERIVATI, pl.String()),
         "verificata_il": pl.String(), "profilo": pl.String()}).sort("id_prenotazione")


def test_check_rewrites_only_the_rows_that_changed(engine: Engine, settings: Settings,
                                                    tmp_path: Path) -> None:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    export = genera_prenotazioni(2000, seed=5)
    export.write_csv(tmp_path / "anno.csv", null_value="")
    ingest(tmp_path / "anno.csv", engine=engine, settings=settings)
    check(engine=engine, settings=settings, oggi=AL)
    primo = _righe(engine)
    assert primo["verificata_il"].null_count() == 0

    check(engine=engine, settings=settings, oggi=AL)
    assert _righe(engine).equals(primo)  # nothing changed, nothing written

    # the delta: 20 bookings whose appointment (and report collection) moved by 30 days
    cambiate = export.head(20).with_columns(
        data_appuntamento=(pl.col("data_appuntamento").str.to_datetime()
                           + pl.duration(days=30)).dt.strftime("%Y-%m-%dT%H:%M"),
        data_ritiro_referto=(pl.col("data_ritiro_referto").str.to_date()
                             + pl.duration(days=30)).dt.strftime("%Y-%m-%d"),
        aggiornato_il=pl.lit("2026-01-02T08:00"))
    cambiate.write_csv(tmp_path / "delta.csv", null_value="")
    esito = ingest(tmp_path / "delta.csv", engine=engine, settings=settings)
    assert esito.aggiornate == 20, esito
    check(engine=engine, settings=settings, oggi=AL)
    dopo = _righe(engine)

    ids = set(cambiate["id_prenotazione"])
    confronto = primo.join(dopo, on="id_prenotazione", suffix="_dopo")
    restamped = confronto.filter(pl.col("verificata_il") != pl.col("verificata_il_dopo"))
    assert ids <= set(restamped["id_prenotazione"])
    # every other restamped row is one whose derived fields changed (its agenda's order)
    altri = restamped.filter(~pl.col("id_prenotazione").is_in(list(ids)))
    for riga in altri.iter_rows(named=True):
        assert any(riga[c] != riga[f"{c}_dopo"] for c in DERIVATI), riga
    invariati = confronto.filter(~pl.col("id_prenotazione").is_in(restamped["id_prenotazione"]
                                                                  .implode()))
    assert invariati.height > 1500
    for c in [*DERIVATI, "profilo"]:
        assert invariati[c].equals(invariati[f"{c}_dopo"], null_equal=True), c
    assert (dopo.filter(pl.col("id_prenotazione").is_in(list(ids)))["attesa_giorni"].cast(int)
            .to_list() == [a + 30 for a in primo.filter(pl.col("id_prenotazione")
                                                        .is_in(list(ids)))["attesa_giorni"]
                           .cast(int).to_list()])


def test_the_checks_staging_tables_stay_out_of_the_register(
        engine: Engine, settings: Settings, tmp_path: Path) -> None:
    """The staging tables are TEMP: a dropped table of the register's own file left its
    pages free in it (≈ 16–21 B per booking after a full check on SQLite)."""
    importa_catalogo(catalogo_nazionale(), engine=engine)
    genera_prenotazioni(2000, seed=5).write_csv(tmp_path / "anno.csv", null_value="")
    ingest(tmp_path / "anno.csv", engine=engine, settings=settings)
    esito = check(engine=engine, settings=settings, oggi=AL)
    assert esito.prenotazioni == 2000
    if db.is_sqlite(engine):
        tabelle = "SELECT name FROM sqlite_master WHERE type = 'table'"
        libere = db.read_frame(engine, "SELECT freelist_count AS n FROM pragma_freelist_count",
                               {"n": pl.Int64()})["n"].item()
        assert libere == 0
    else:
        tabelle = "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
    nomi = db.read_frame(engine, tabelle, {"name": pl.String()})["name"].to_list()
    assert "prenotazione" in nomi
    assert not [n for n in nomi if n.startswith("stage_")]
