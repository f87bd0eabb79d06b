"""Engine, sessions, migrations and the bulk paths (ADBC writes, ConnectorX reads).

Bulk work never goes row by row through the ORM: frames move as Arrow in and out. SQLite
keeps dates as ISO text in the layout SQLAlchemy reads back, so the ORM and the bulk path
agree on every value.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from registro.errors import ErroreUtente

if TYPE_CHECKING:  # sqlmodel is imported when a session is opened, not by every command
    from sqlmodel import Session

_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%6f"
_SQLITE_DATE = "%Y-%m-%d"


def make_engine(db_url: str) -> Engine:
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # No pooling: bulk writes go through ADBC on their own connection, and a pooled
        # pysqlite connection can keep an old WAL snapshot open and read stale rows.
        engine = create_engine(db_url, connect_args={"timeout": 600}, poolclass=NullPool)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=600000")
            cur.close()

        return engine
    return create_engine(db_url, pool_pre_ping=True)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextlib.contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        yield session


_REVISIONE = re.compile(r"^(down_)?revision\b[^=]*=\s*['\"]?([\w]+)", re.MULTILINE)


def revisione_finale() -> str:
    """The head of the migration chain, read from the scripts' text: knowing it costs
    no Alembic import (a quarter of a second at every command's start)."""
    revisioni: set[str] = set()
    precedenti: set[str] = set()
    for script in (Path(__file__).parent / "migrations" / "versions").glob("*.py"):
        for down, valore in _REVISIONE.findall(script.read_text(encoding="utf-8")):
            (precedenti if down else revisioni).add(valore)
    finali = revisioni - precedenti
    if len(finali) != 1:
        raise RuntimeError(f"catena delle migrazioni non lineare: {sorted(finali)}")
    return finali.pop()


def schema_aggiornato(engine: Engine) -> bool:
    """Is the database at the head revision already? (False when it has no schema.)"""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as conn:
            versione = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return False
    return versione == revisione_finale()


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the latest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    # configparser interpolates %: a URL-encoded path or password must be escaped.
    cfg.set_main_option("sqlalchemy.url",
                        engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


# --- bulk paths -----------------------------------------------------------------------------

CACHE_BULK_KIB = 256 * 1024


def _adbc_uri(engine: Engine) -> str:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.contextmanager
def adbc_connection(engine: Engine) -> Iterator[Any]:
    """A raw ADBC connection to the same database (autocommit off: the caller commits)."""
    if is_sqlite(engine):
        import adbc_driver_sqlite.dbapi as driver
        conn = driver.connect(_adbc_uri(engine))
        cur = conn.cursor()
        cur.execute("PRAGMA busy_timeout=600000")
        # A page cache sized for bulk merges: inserting a million keys into a table with
        # three indexes took 11.8 s with SQLite's default 2 MB cache, 8.8 s with this.
        cur.execute(f"PRAGMA cache_size=-{CACHE_BULK_KIB}")
        cur.close()
    else:
        import adbc_driver_postgresql.dbapi as driver  # type: ignore[no-redef]
        conn = driver.connect(_adbc_uri(engine))
    try:
        yield conn
    finally:
        conn.close()


def to_db_frame(df: pl.DataFrame, engine: Engine, table: str | None = None) -> pl.DataFrame:
    """Frame as the database stores it: on SQLite, temporal values as SQLAlchemy's ISO text;
    on PostgreSQL, integers as wide as the table's columns (COPY is binary and strict)."""
    if not is_sqlite(engine):
        from sqlalchemy import BigInteger, Integer
        from sqlmodel import SQLModel

        import registro.models  # noqa: F401  (puts the tables in SQLModel.metadata)

        sa_table = SQLModel.metadata.tables.get(table or "")
        if sa_table is None:
            return df
        narrow = [c.name for c in sa_table.columns
                  if isinstance(c.type, Integer) and not isinstance(c.type, BigInteger)
                  and c.name in df.columns]
        return df.with_columns(pl.col(narrow).cast(pl.Int32)) if narrow else df
    exprs = []
    for name, dtype in df.schema.items():
        if dtype == pl.Datetime:
            exprs.append(pl.col(name).dt.strftime(_SQLITE_DATETIME))
        elif dtype == pl.Date:
            exprs.append(pl.col(name).dt.strftime(_SQLITE_DATE))
        elif dtype == pl.Boolean:
            exprs.append(pl.col(name).cast(pl.Int64))
    return df.with_columns(exprs) if exprs else df


def write_frame(conn: Any, table: str, df: pl.DataFrame, engine: Engine,
                mode: str = "append") -> int:
    """Bulk-insert a frame through ADBC (COPY on PostgreSQL); the caller commits."""
    if df.height == 0 and mode == "append":
        return 0
    cur = conn.cursor()
    try:
        cur.adbc_ingest(table, to_db_frame(df, engine, table).to_arrow(), mode=mode)
    finally:
        cur.close()
    return df.height


def execute(conn: Any, sql: str, params: tuple[Any, ...] | None = None) -> int:
    """Run one statement on an ADBC connection; returns the affected row count."""
    cur = conn.cursor()
    try:
        cur.execute(sql, params) if params else cur.execute(sql)
        return int(cur.rowcount or 0)
    finally:
        cur.close()


def read_frame(engine: Engine, sql: str, schema: dict[str, Any]) -> pl.DataFrame:
    """Run a query and return a frame with exactly `schema` (names and dtypes).

    ConnectorX reads both databases without Python rows; the declared schema then decides
    the dtypes, so an all-null column or SQLite's text dates come back as they should.
    """
    import connectorx as cx

    url = engine.url
    if is_sqlite(engine):
        uri = f"sqlite://{Path(url.database or '').resolve()}"
    else:
        uri = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        df = pl.from_arrow(cx.read_sql(uri, sql, return_type="arrow"))
    except Exception as exc:  # connectorx raises bare RuntimeErrors
        raise ErroreUtente(f"lettura dal database non riuscita: {exc}") from exc
    assert isinstance(df, pl.DataFrame)
    return decode_frame(df, schema)


def decode_frame(df: pl.DataFrame, schema: dict[str, Any]) -> pl.DataFrame:
    exprs = []
    for name, dtype in schema.items():
        col = pl.col(name)
        have = df.schema[name]
        if have == dtype:
            exprs.append(col)
        elif dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
            if have == pl.String:
                exprs.append(col.str.to_datetime(_SQLITE_DATETIME, strict=False,
                                                 time_unit="us").alias(name))
            else:
                exprs.append(col.cast(pl.Datetime("us")).alias(name))
        elif dtype == pl.Date and have == pl.String:
            exprs.append(col.str.slice(0, 10).str.to_date(_SQLITE_DATE, strict=False))
        else:
            exprs.append(col.cast(dtype))
    return df.select(exprs)
