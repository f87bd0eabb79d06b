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
