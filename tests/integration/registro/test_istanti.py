"""The bookings' date-times as integer microseconds on SQLite (`registro.istanti`, migration
0018), the native timestamp on PostgreSQL: the same Python values back on both, and every
family of queries that compares or writes them (ORM filters, the ingest's merge, the check's
stamp, the bulk readers) compares like with like. A text compared with an integer column is
no error in SQLite, only a wrong answer: each test here fails that way."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, text
from sqlmodel import select
from supporto.prenotazioni import riga, scrivi_export

from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest
from registro import db, istanti
from registro.check import check
from registro.db import session_scope, transazione
from registro.letture import SCHEMA_LETTURA, leggi_prenotazioni
from registro.models import Prenotazione, PrenotazioneStoria
from registro.settings import Settings

DIFFICILI = [
    datetime(2025, 2, 28, 23, 59, 59, 999999),
    datetime(2025, 3, 1, 0, 0, 0),
    datetime(2025, 3, 31, 23, 59, 59, 999999),
    datetime(2025, 4, 1, 0, 0, 0),
    datetime(1969, 12, 31, 23, 59, 59, 999999),
    datetime(1900, 1, 1, 0, 0, 0, 1),
    datetime(9999, 12, 31, 23, 59, 59, 999999),
]
"""Month boundaries to the microsecond, one microsecond before the epoch, far dates."""


def _prenotazione(i: int, quando: datetime) -> Prenotazione:
    return Prenotazione(
        id_prenotazione=f"P{i}", data_prenotazione=quando, data_appuntamento=quando,
        codice_prestazione="89.7", codice_sede="S001", stato="prenotata",
        id_assistito="A0000001", versione_il=quando, aggiornato_il=quando,
        data_disdetta=None if i % 2 else quando, ingest_run_id=0)


def _tipi(engine: Engine, tabella: str, colonna: str) -> set[str]:
    with engine.connect() as c:
        return {r[0] for r in c.execute(text(f"SELECT DISTINCT typeof({colonna}) FROM "
                                             f"{tabella} WHERE {colonna} IS NOT NULL"))}


def test_orm_round_trip_exact_and_integers_on_sqlite(engine: Engine) -> None:
    with transazione(engine) as s:
        s.add_all(_prenotazione(i, q) for i, q in enumerate(DIFFICILI))
    with session_scope(engine) as s:
        letti = {p.id_prenotazione: p for p in s.exec(select(Prenotazione)).all()}
    for i, quando in enumerate(DIFFICILI):
        p = letti[f"P{i}"]
        assert (p.data_prenotazione, p.data_appuntamento, p.versione_il, p.aggiornato_il) == (
            quando, quando, quando, quando)
        assert p.data_disdetta == (None if i % 2 else quando)
    if db.is_sqlite(engine):
        assert _tipi(engine, "prenotazione", "data_prenotazione") == {"integer"}
        with engine.connect() as c:
            grezzo = dict(c.execute(text(
                "SELECT id_prenotazione, versione_il FROM prenotazione")).all())
        assert grezzo == {f"P{i}": istanti.micro(q) for i, q in enumerate(DIFFICILI)}


def test_orm_filter_by_period_compares_instants(engine: Engine) -> None:
    """`GET /prenotazioni?periodo=` binds datetimes through the column type: March is
    exactly the two bookings inside it, to the microsecond at both ends."""
    from servizio.api.service import elenco_prenotazioni

    with transazione(engine) as s:
        s.add_all(_prenotazione(i, q) for i, q in enumerate(DIFFICILI))
    with session_scope(engine) as s:
        totale, righe = elenco_prenotazioni(session=s, pagina=1, per_pagina=50,
                                            periodo="2025-03")
        prima = s.exec(select(Prenotazione.id_prenotazione).where(
            Prenotazione.data_appuntamento < datetime(1970, 1, 1))).all()
    assert totale == 2
    assert sorted(p.id_prenotazione for p in righe) == ["P1", "P2"]
    assert sorted(prima) == ["P4", "P5"]


def test_bulk_readers_give_the_orm_values(engine: Engine) -> None:
    """ADBC (integers) and, for a thread holding an ORM connection, `sqlite3` (the digits
    as text) decode to the same datetimes the ORM wrote."""
    with transazione(engine) as s:
        s.add_all(_prenotazione(i, q) for i, q in enumerate(DIFFICILI))
    sql = "SELECT id_prenotazione, data_appuntamento, data_disdetta FROM prenotazione"
    schema = {"id_prenotazione": pl.String(), "data_appuntamento": pl.Datetime("us"),
              "data_disdetta": pl.Datetime("us")}
    atteso = pl.DataFrame({
        "id_prenotazione": [f"P{i}" for i in range(len(DIFFICILI))],
        "data_appuntamento": DIFFICILI,
        "data_disdetta": [None if i % 2 else q for i, q in enumerate(DIFFICILI)],
    }, schema=schema)
    adbc = db.read_frame(engine, sql, schema).sort("id_prenotazione")
    assert adbc.equals(atteso)
    with engine.connect():  # the ORM's library holds the file: read through it
        orm = db.read_frame(engine, sql, schema).sort("id_prenotazione")
    assert orm.equals(atteso)


@pytest.fixture
def registro(engine: Engine) -> Engine:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    return engine


def test_ingest_merge_compares_versions_as_instants(registro: Engine, settings: Settings,
                                                    tmp_path: Path) -> None:
    """The merge compares the file's versions (staging table) with the register's: an older
    version is obsolete, a newer one updates and sends the old one to the history."""
    ingest(scrivi_export(tmp_path / "a.csv", [
        riga("V", aggiornato_il="2026-03-03T10:00"),
        riga("W", aggiornato_il="2026-03-03T10:00")]), engine=registro, settings=settings)
    esito = ingest(scrivi_export(tmp_path / "b.csv", [
        riga("V", aggiornato_il="2026-03-02T10:00", stato="non_presentato"),
        riga("W", aggiornato_il="2026-03-04T10:00", data_appuntamento="2026-03-07T09:30"),
        riga("N", aggiornato_il="2026-03-04T10:00")]), engine=registro, settings=settings)
    assert (esito.nuove, esito.aggiornate, esito.obsolete, esito.invariate) == (1, 1, 1, 0)
    with session_scope(registro) as s:
        p = {x.id_prenotazione: x for x in s.exec(select(Prenotazione)).all()}
        storia = s.exec(select(PrenotazioneStoria).order_by(
            PrenotazioneStoria.id_prenotazione, PrenotazioneStoria.versione_il)).all()
    assert (p["V"].stato, p["V"].versione_il) == ("erogata", datetime(2026, 3, 3, 10))
    assert (p["W"].data_appuntamento, p["W"].versione_il) == (
        datetime(2026, 3, 7, 9, 30), datetime(2026, 3, 4, 10))
    assert [(h.id_prenotazione, h.versione_il) for h in storia] == [
        ("V", datetime(2026, 3, 2, 10)), ("W", datetime(2026, 3, 3, 10))]
    if db.is_sqlite(registro):
        for tabella in ("prenotazione", "prenotazione_storia"):
            for colonna in ("data_prenotazione", "data_appuntamento", "versione_il"):
                assert _tipi(registro, tabella, colonna) == {"integer"}


def test_check_stamps_verificata_il_as_an_instant(registro: Engine, settings: Settings,
                                                  tmp_path: Path) -> None:
    """The check writes `verificata_il` through a literal in raw SQL; the incremental check
    finds its delta by it, and the readers and the ORM read it back."""
    ingest(scrivi_export(tmp_path / "a.csv", [riga("A"), riga("B")]), engine=registro,
           settings=settings)
    prima = datetime.now()
    check(engine=registro, settings=settings)
    with session_scope(registro) as s:
        stampe = {p.verificata_il for p in s.exec(select(Prenotazione)).all()}
    assert len(stampe) == 1
    (stampa,) = stampe
    assert stampa is not None and prima <= stampa <= datetime.now()
    if db.is_sqlite(registro):
        assert _tipi(registro, "prenotazione", "verificata_il") == {"integer"}
    assert leggi_prenotazioni(registro, "p.verificata_il IS NULL").height == 0
    letti = db.read_frame(registro, "SELECT verificata_il FROM prenotazione",
                          {"verificata_il": pl.Datetime("us")})
    assert letti["verificata_il"].to_list() == [stampa, stampa]
    ingest(scrivi_export(tmp_path / "b.csv", [riga("B", stato="non_presentato")]),
           engine=registro, settings=settings)
    assert leggi_prenotazioni(registro, "p.verificata_il IS NULL")[
        "id_prenotazione"].to_list() == ["B"]


def test_literal_compares_with_the_column(registro: Engine) -> None:
    """`istanti.letterale` is the only way to write such a value into raw SQL: a count by
    it matches the ORM's; the ISO text literal, on SQLite, would count every row."""
    with transazione(registro) as s:
        s.add_all(_prenotazione(i, q) for i, q in enumerate(DIFFICILI))
    soglia = datetime(2025, 3, 1)
    lit = istanti.letterale(soglia, sqlite=db.is_sqlite(registro))
    with registro.connect() as c:
        n = c.execute(text(f"SELECT COUNT(*) FROM prenotazione "
                           f"WHERE data_appuntamento < {lit}")).scalar_one()
        iso = c.execute(text("SELECT COUNT(*) FROM prenotazione WHERE data_appuntamento < "
                             + soglia.strftime("'%Y-%m-%d %H:%M:%S.%f'"))).scalar_one()
    assert n == sum(q < soglia for q in DIFFICILI) == 3
    if db.is_sqlite(registro):
        assert iso == len(DIFFICILI)  # why the rule exists


def test_schema_of_reads_is_unchanged(registro: Engine) -> None:
    with transazione(registro) as s:
        s.add(_prenotazione(0, DIFFICILI[0]))
    letti = db.read_frame(registro, "SELECT p.*, 'visita' AS tipo, FALSE AS periodica, "
                          "NULL AS tariffa_cent FROM prenotazione p",
                          SCHEMA_LETTURA)
    assert letti.schema == pl.Schema(SCHEMA_LETTURA)
    assert letti["data_prenotazione"].to_list() == [DIFFICILI[0]]
