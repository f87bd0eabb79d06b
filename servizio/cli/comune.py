"""What every sub-command shares: the settings and the register of the invocation, the
schema made ready, a spinner for long steps, the operator's name, the consoles, and how a
lost database connection is told from a bug. Public names: the sub-command modules import
them from here, never from each other."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console

from registro.settings import Settings, load_settings

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def leggi_impostazioni(ctx: typer.Context, **extra: Any) -> Settings:
    obj = ctx.obj or {}
    return load_settings(obj.get("config"), db_url=obj.get("db"), **extra)


def apri_registro(settings: Settings) -> Any:
    """The register's engine (the database is imported only by the commands that use it)."""
    from registro.db import make_engine

    return make_engine(settings.db_url)


@contextmanager
def passo(msg: str) -> Iterator[None]:
    """A spinner on a terminal; nothing when output goes to a file or a pipe."""
    if err.is_terminal:
        with err.status(msg):
            yield
    else:
        yield


def schema_pronto(engine: Any) -> None:
    """Upgrade if needed and load the national catalog on first use; plain SQL for the checks
    so that a command on a ready register does not import the models."""
    from sqlalchemy import text

    from registro.db import migrate, schema_aggiornato

    if not schema_aggiornato(engine):
        migrate(engine)
    with engine.connect() as conn:
        vuoto = conn.execute(text("SELECT 1 FROM prestazione LIMIT 1")).first() is None
    if vuoto:
        from cup.catalogo import catalogo_nazionale, importa_catalogo

        importa_catalogo(catalogo_nazionale(), engine=engine)


def operatore() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "cli"


def errore_database(exc: BaseException) -> bool:
    """A database that went away (restart, network): not a bug, and nothing half-written,
    because every bulk write is one transaction."""
    import adbc_driver_manager
    import sqlalchemy.exc

    return isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError
                      | adbc_driver_manager.OperationalError | adbc_driver_manager.InternalError
                      | adbc_driver_manager.IntegrityError | ConnectionError) or (
        type(exc).__module__.startswith("psycopg") and "Operational" in type(exc).__name__)
