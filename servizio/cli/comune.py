"""What every sub-command shares: the settings and the register of the invocation, the
schema made ready, a spinner for long steps, the operator's name, the consoles, and how a
lost database connection is told from a bug. Public names: the sub-command modules import
them from here, never from each other."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from registro.errors import ErroreUtente
from registro.settings import Settings, file_del_registro, load_settings

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def leggi_impostazioni(ctx: typer.Context, **extra: Any) -> Settings:
    obj = ctx.obj or {}
    settings = load_settings(obj.get("config"), db_url=obj.get("db"), **extra)
    controlla_url(settings.db_url)
    return settings


_FORME = "un file SQLite (percorso) o un URL sqlite:///… o postgresql+psycopg://…"


def url_del_registro(valore: str) -> str:
    """`--db` as given: a path is a SQLite file, a URL is used as it is (a bare
    `postgresql://` gets the driver installed, psycopg). Refuses, with one line, a URL that
    does not parse, a database other than SQLite and PostgreSQL, and a path that is a folder
    or a file that is not a SQLite database."""
    if "://" not in valore:
        if not valore.strip():
            raise ErroreUtente(f"--db vuoto: indicare {_FORME}")
        valore = f"sqlite:///{Path(valore).expanduser().absolute()}"
    elif valore.startswith("postgresql://"):
        valore = "postgresql+psycopg://" + valore.removeprefix("postgresql://")
    controlla_url(valore)
    return valore


def controlla_url(valore: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(valore)
    except (ArgumentError, ValueError):
        raise ErroreUtente(f"indirizzo del registro non valido: {valore!r} ({_FORME})"
                           ) from None
    if url.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise ErroreUtente(f"database non supportato: {url.drivername} ({_FORME})")
    file = file_del_registro(valore)
    if file is None:
        return
    if file.is_dir():
        raise ErroreUtente(f"registro non valido: {file} è una cartella, non un file SQLite")
    if file.exists():
        if not os.access(file, os.R_OK):
            raise ErroreUtente(f"registro non leggibile: {file} (permessi del file)")
        with open(file, "rb") as fh:
            intestazione = fh.read(16)
        if intestazione and intestazione != b"SQLite format 3\x00":
            raise ErroreUtente(f"registro non valido: {file} non è un database SQLite")


def apri_registro(settings: Settings, *, crea: bool = False, verifica: bool = True) -> Any:
    """The register's engine (the database is imported only by the commands that use it).

    Only `init` (`crea=True`) makes a register: on a missing one every other command stops
    with "registro non trovato" instead of making an empty one and answering "0 righe".
    A PostgreSQL database without the register's schema counts as missing. The pseudonym
    key, when the command has one, must be the register's (cup.pseudonimi); `restore` opens
    without that check (`verifica=False`): it replaces the register, fingerprint included."""
    from registro.db import make_engine

    controlla_url(settings.db_url)
    file = file_del_registro(settings.db_url)
    if file is not None and not crea and not file.exists():
        raise ErroreUtente(f"registro non trovato: {file} (si crea con `registro init`)")
    engine = make_engine(settings.db_url)
    if file is None and not crea:
        _schema_presente(engine)
    if verifica:
        from cup.pseudonimi import verifica_chiave

        verifica_chiave(settings, engine)
    return engine


def _schema_presente(engine: Any) -> None:
    from sqlalchemy import inspect
    from sqlalchemy.exc import OperationalError

    nome = engine.url.render_as_string(hide_password=True)
    try:
        presente = inspect(engine).has_table("alembic_version")
    except OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
        engine.dispose()
        raise ErroreUtente(f"registro non trovato: {nome} (il database non esiste)") from None
    if not presente:
        engine.dispose()
        raise ErroreUtente(f"registro non trovato: {nome} (il database non ha lo schema del "
                           "registro: si crea con `registro init`)")


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
