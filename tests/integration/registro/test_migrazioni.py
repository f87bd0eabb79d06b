"""The Alembic migrations build exactly the schema the models declare, on both databases:
a model changed without its migration fails here, not in production."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlmodel import SQLModel

import registro.db
import registro.models  # registers the tables
from registro.db import make_engine, migrate, revisione_finale, schema_aggiornato


def test_migrations_match_models(engine: Engine) -> None:
    migrate(engine)  # idempotent on an up-to-date register
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_the_head_read_from_the_scripts_is_alembics(engine: Engine, tmp_path: Path) -> None:
    """Commands skip `migrate` when the register is at `revisione_finale()`: it must be the
    head Alembic itself would upgrade to, and a database without a schema is not at it."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(registro.db.__file__).parent / "migrations"))
    assert revisione_finale() == ScriptDirectory.from_config(cfg).get_current_head()
    assert schema_aggiornato(engine)
    vuoto = make_engine(f"sqlite:///{tmp_path / 'vuoto.db'}")
    assert not schema_aggiornato(vuoto)
    migrate(vuoto)
    assert schema_aggiornato(vuoto)
    vuoto.dispose()


def _indici_prenotazione(engine: Engine) -> list[str]:
    from sqlalchemy import inspect
    return sorted(i["name"] for i in inspect(engine).get_indexes("prenotazione")
                  if i["name"])


def test_migration_0017_drops_two_booking_indexes_and_the_downgrade_builds_them(
        engine: Engine) -> None:
    """The period and service filters of `GET /prenotazioni` read the table from 0017 on;
    the site's index stays (its pages and the console's sanction list by site), and the
    incremental check's partial index (0016)."""
    from alembic import command

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(registro.db.__file__).parent / "migrations"))
    dopo = ["ix_prenotazione_da_verificare", "ix_prenotazione_sede"]
    assert _indici_prenotazione(engine) == dopo
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0016")
    assert _indici_prenotazione(engine) == [
        "ix_prenotazione_da_verificare", "ix_prenotazione_data_prenotazione",
        "ix_prenotazione_prestazione_sede", "ix_prenotazione_sede"]
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert _indici_prenotazione(engine) == dopo
    assert schema_aggiornato(engine)


_ISO = ["2025-03-01 00:00:00.000000", "2025-03-31 23:59:59.999999",
        "1969-12-31 23:59:59.999999", "2026-12-01 02:29:54.222168"]
"""Date-times as a register before 0018 held them on SQLite (SQLAlchemy's ISO layout)."""


def test_migration_0018_turns_a_register_of_0017_into_integer_instants_exactly(
        tmp_path: Path) -> None:
    """A register built at 0017, with bookings and history written as text, comes out of
    0018 with integer microseconds that the ORM reads as the same datetimes; the indexes
    (the partial one included) are kept, and the downgrade gives back the very text."""
    from datetime import datetime

    from alembic import command
    from sqlalchemy import text
    from sqlmodel import select

    from registro import istanti
    from registro.db import session_scope
    from registro.models import Prenotazione, PrenotazioneStoria

    engine = make_engine(f"sqlite:///{tmp_path / 'vecchio.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(registro.db.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0017")
    comuni = ("codice_prestazione, codice_sede, tipo_accesso, scelta_utente, stato, "
              "forza_maggiore, id_assistito, ingest_run_id, ritiro_referto_tracciato")
    valori = "'89.7', 'S001', 'primo', 0, 'prenotata', 0, 'A0000001', 1, 0"
    with engine.begin() as conn:
        for i, iso in enumerate(_ISO):
            disdetta = "NULL" if i % 2 else f"'{iso}'"
            conn.execute(text(
                f"INSERT INTO prenotazione (id_prenotazione, data_prenotazione, "
                f"data_appuntamento, data_disdetta, aggiornato_il, versione_il, verificata_il, "
                f"{comuni}) VALUES ('P{i}', '{iso}', '{iso}', {disdetta}, '{iso}', '{iso}', "
                f"{'NULL' if i == 0 else repr(iso)}, {valori})"))
            conn.execute(text(
                f"INSERT INTO prenotazione_storia (id_prenotazione, data_prenotazione, "
                f"data_appuntamento, data_disdetta, aggiornato_il, versione_il, {comuni}) "
                f"VALUES ('P{i}', '{iso}', '{iso}', NULL, NULL, '{iso}', {valori})"))
        indici_prima = sorted(conn.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name LIKE 'prenotazione%'")).all())
    migrate(engine)
    assert schema_aggiornato(engine)
    attesi = [datetime.fromisoformat(iso) for iso in _ISO]
    with engine.connect() as conn:
        grezzi = conn.execute(text(
            "SELECT versione_il, typeof(versione_il), typeof(data_disdetta), "
            "typeof(verificata_il) FROM prenotazione ORDER BY id_prenotazione")).all()
        storia = conn.execute(text("SELECT versione_il FROM prenotazione_storia "
                                   "ORDER BY id_prenotazione")).scalars().all()
        indici_dopo = sorted(conn.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name LIKE 'prenotazione%'")).all())
    assert [r[0] for r in grezzi] == storia == [istanti.micro(d) for d in attesi]
    assert {r[1] for r in grezzi} == {"integer"}
    assert [r[2] for r in grezzi] == ["integer", "null", "integer", "null"]
    assert [r[3] for r in grezzi] == ["null", "integer", "integer", "integer"]
    assert indici_dopo == indici_prima
    with session_scope(engine) as s:
        p = s.exec(select(Prenotazione).order_by(Prenotazione.id_prenotazione)).all()
        h = s.exec(select(PrenotazioneStoria).order_by(
            PrenotazioneStoria.id_prenotazione)).all()
    assert [x.data_appuntamento for x in p] == [x.versione_il for x in h] == attesi
    assert [x.data_disdetta for x in p] == [attesi[0], None, attesi[2], None]
    assert [x.verificata_il for x in p] == [None, *attesi[1:]]
    with engine.connect() as conn:
        assert "BIGINT" in conn.execute(text(
            "SELECT sql FROM sqlite_master WHERE name = 'prenotazione'")).scalar_one()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0017")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT data_appuntamento FROM prenotazione "
                                 "ORDER BY id_prenotazione")).scalars().all() == _ISO
        assert conn.execute(text("SELECT versione_il FROM prenotazione_storia "
                                 "ORDER BY id_prenotazione")).scalars().all() == _ISO
    engine.dispose()


def test_migration_0018_leaves_postgresql_timestamps(engine: Engine) -> None:
    """On PostgreSQL the columns stay the native timestamp (on SQLite: BIGINT)."""
    from sqlalchemy import inspect

    tipi = {c["name"]: str(c["type"]) for c in inspect(engine).get_columns("prenotazione")}
    atteso = "BIGINT" if engine.dialect.name == "sqlite" else "TIMESTAMP"
    assert {tipi[c] for c in ("data_prenotazione", "versione_il", "verificata_il")} == {atteso}
    assert tipi["data_prescrizione"] == "DATE"
