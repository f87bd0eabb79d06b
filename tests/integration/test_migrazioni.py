"""The Alembic migrations build exactly the schema the models declare, on both databases:
a model changed without its migration fails here, not in production."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel

import registro.models  # noqa: F401  (registers the tables)
from registro.db import migrate


def test_migrations_match_models(engine: Engine) -> None:
    migrate(engine)  # idempotent on an up-to-date register
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
