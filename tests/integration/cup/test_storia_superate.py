"""The history keeps only superseded versions (the current one is the register's row), the
secondary indexes are rebuilt after a load into an empty table, and every version ever
received stays readable where the API and the console read it — on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text
from supporto.prenotazioni import riga, scrivi_export

import registro.db
from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest
from registro.db import IndiciSecondari, adbc_connection, is_sqlite, session_scope
from registro.schede import dettaglio_prenotazione
from registro.settings import Settings


def _versioni(engine: Engine, id_: str) -> list[tuple[str, str | None]]:
    with session_scope(engine) as s:
        storia = dettaglio_prenotazione(session=s, id_prenotazione=id_)["storia"]
    return [(v["stato"], v["aggiornato_il"] and v["aggiornato_il"].isoformat()) for v in storia]


def _conta(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def _indici(engine: Engine) -> list[tuple[str, str]]:
    with adbc_connection(engine) as conn:
        indici = IndiciSecondari.leggi(conn, "prenotazione", is_sqlite(engine)).definizioni
        conn.rollback()
    return indici


def test_every_version_stays_readable_and_the_counts_do_not_change(
        engine: Engine, settings: Settings, tmp_path: Path) -> None:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    indici = _indici(engine)
    # the site's, and the incremental check's partial index (0016)
    assert sorted(nome for nome, _ in indici) == ["ix_prenotazione_da_verificare",
                                                  "ix_prenotazione_sede"]
    # first load into the empty table: the indexes are dropped and built again, the same
    a = ingest(scrivi_export(tmp_path / "a.csv", [
        riga("P1", stato="prenotata", aggiornato_il="2026-03-01T10:00"),
        riga("P2"), riga("P2")]), engine=engine, settings=settings)
    assert (a.nuove, a.duplicate) == (2, 1)
    assert _indici(engine) == indici
    assert _conta(engine, "SELECT COUNT(*) FROM prenotazione_storia") == 0
    # a newer version, with an older line of the same booking in the same file
    b = ingest(scrivi_export(tmp_path / "b.csv", [
        riga("P1", stato="erogata", aggiornato_il="2026-03-05T10:00"),
        riga("P1", stato="prenotata", aggiornato_il="2026-03-01T10:00")]),
        engine=engine, settings=settings)
    assert (b.aggiornate, b.duplicate, b.nuove) == (1, 1, 0)
    # a version older than every other, arriving last
    c = ingest(scrivi_export(tmp_path / "c.csv", [
        riga("P1", stato="prenotata", aggiornato_il="2026-02-20T10:00")]),
        engine=engine, settings=settings)
    assert c.obsolete == 1
    assert _versioni(engine, "P1") == [("prenotata", "2026-02-20T10:00:00"),
                                        ("prenotata", "2026-03-01T10:00:00"),
                                        ("erogata", "2026-03-05T10:00:00")]
    assert _versioni(engine, "P2") == [("erogata", None)]
    assert _conta(engine, "SELECT COUNT(*) FROM prenotazione_storia") == 2
    assert _indici(engine) == indici


def test_a_version_sent_again_without_aggiornato_il_is_listed_once(
        engine: Engine, settings: Settings, tmp_path: Path) -> None:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    for nome, stato in (("e", "prenotata"), ("f", "non_presentato"), ("g", "prenotata")):
        esito = ingest(scrivi_export(tmp_path / f"{nome}.csv", [riga("P3", stato=stato)]),
                       engine=engine, settings=settings)
    assert esito.aggiornate == 1
    # the current version is the first one again: one version per content, as before
    assert [s for s, _ in _versioni(engine, "P3")] == ["prenotata", "non_presentato"]


def _alembic(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location",
                        str(Path(registro.db.__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url",
                        engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def test_migration_0015_moves_the_current_versions_out_of_the_history_and_back(
        engine: Engine, settings: Settings, tmp_path: Path) -> None:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    ingest(scrivi_export(tmp_path / "a.csv", [riga("P1", stato="prenotata",
                                                   aggiornato_il="2026-03-01T10:00"),
                                              riga("P2")]),
           engine=engine, settings=settings)
    ingest(scrivi_export(tmp_path / "b.csv", [riga("P1", stato="erogata",
                                                   aggiornato_il="2026-03-05T10:00")]),
           engine=engine, settings=settings)
    prima = _versioni(engine, "P1")
    cfg = _alembic(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    # the layout before 0015: every version in the history, the current one too
    assert _conta(engine, "SELECT COUNT(*) FROM prenotazione_storia") == 3
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert _conta(engine, "SELECT COUNT(*) FROM prenotazione_storia") == 1
    assert _versioni(engine, "P1") == prima == [("prenotata", "2026-03-01T10:00:00"),
                                                ("erogata", "2026-03-05T10:00:00")]
