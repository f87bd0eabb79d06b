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
