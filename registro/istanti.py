"""Date-times of the bookings as integer microseconds since the epoch, on SQLite.

Why: every booking carries about five date-times; as SQLAlchemy's ISO text they take 26
bytes each on SQLite (≈ 132 B of a booking's ≈ 400 B at 1 M bookings), as integers at most 8.
Issue #16 asks for ≤ 300 B per booking on disk: this is most of the way there (migration
`0018` converts an existing register).

**The rule.** In the tables `TABELLE` (`prenotazione`, `prenotazione_storia`) the columns
`COLONNE` hold, on SQLite, the naive date-time as an INTEGER: microseconds from
1970-01-01 00:00:00 of the same wall clock the code uses (no time zone is applied: the value
read back is exactly the `datetime` written, to the microsecond). On PostgreSQL they stay
the native `timestamp without time zone`: nothing changes there. Calendar dates
(`data_prescrizione`, `data_ritiro_referto`) and every other table (the admissions, the
sanctions, the runs) keep ISO text on SQLite.

Who converts:
- the ORM, through `IstanteIntero` (the column type of those fields): bound parameters and
  results, comparisons in `where()` included;
- the bulk writes, `registro.db.write_frame(..., come=)`: a frame bound for one of those
  tables, or for a staging table whose rows are compared with or copied into them (the
  ingest's, the check's), has its `pl.Datetime` columns turned into `Int64` (`a_interi`);
- the bulk reads, `registro.db.read_frame`/`decode_frame`: an integer column declared
  `pl.Datetime` is cast to microseconds, a text one parsed as before;
- raw SQL: a literal compared with or assigned to one of those columns must be written with
  `letterale` (an integer on SQLite, quoted ISO text on PostgreSQL). A text literal compared
  with an integer column is not an error in SQLite: it is silently false or true for every
  row (SQLite orders every INTEGER before every TEXT). Likewise SQL date functions
  (`date()`, `strftime()`) on these columns need `'unixepoch'` and the seconds: do the date
  arithmetic in polars after reading instead.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

if TYPE_CHECKING:  # the models import this module: polars only where frames are converted
    import polars as pl

TABELLE = frozenset({"prenotazione", "prenotazione_storia"})
"""The tables whose date-times are integers on SQLite."""
COLONNE = ("data_prenotazione", "data_appuntamento", "data_disdetta", "aggiornato_il",
           "versione_il", "verificata_il")
"""Their date-time columns (`verificata_il` only in `prenotazione`)."""

EPOCA = datetime(1970, 1, 1)
_UN_MICROSECONDO = timedelta(microseconds=1)


def micro(valore: datetime) -> int:
    """Microseconds from the epoch of a naive date-time (exact: integer arithmetic)."""
    if valore.tzinfo is not None:
        raise ValueError(f"data-ora con fuso orario non ammessa nel registro: {valore!r}")
    return (valore - EPOCA) // _UN_MICROSECONDO


def da_micro(valore: int) -> datetime:
    """The naive date-time of `micro`'s integer."""
    return EPOCA + timedelta(microseconds=int(valore))


def interi(tabella: str | None) -> bool:
    """Does `tabella` (a register table) keep its date-times as integers on SQLite?"""
    return tabella in TABELLE


def letterale(valore: datetime, *, sqlite: bool, tabella: str = "prenotazione") -> str:
    """An SQL literal of `valore` comparable with (or assignable to) a date-time column of
    `tabella`: the integer on SQLite for the tables in `TABELLE`, quoted ISO text otherwise
    (the layout SQLAlchemy writes, so text comparisons order correctly)."""
    if sqlite and interi(tabella):
        return str(micro(valore))
    return valore.strftime("'%Y-%m-%d %H:%M:%S.%f'")


def a_interi(df: pl.DataFrame) -> pl.DataFrame:
    """Every `pl.Datetime` column of `df` as `Int64` microseconds (whatever its unit)."""
    import polars as pl

    colonne = [c for c, t in df.schema.items() if isinstance(t, pl.Datetime)]
    if not colonne:
        return df
    return df.with_columns(pl.col(c).dt.cast_time_unit("us").dt.replace_time_zone(None)
                           .cast(pl.Int64) for c in colonne)


class IstanteIntero(TypeDecorator[datetime]):
    """A naive `datetime` column: INTEGER microseconds on SQLite, `TIMESTAMP` elsewhere.

    The Python value is the same on both databases (see the module's docstring). A `date`
    bound to it (a filter on a day) is taken as its midnight."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        if isinstance(value, datetime):
            return micro(value)
        if isinstance(value, date):
            return micro(datetime(value.year, value.month, value.day))
        if isinstance(value, str):  # an ISO string given by a caller (pydantic parses later)
            return micro(datetime.fromisoformat(value))
        return int(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        if isinstance(value, str):  # a register not yet migrated, read by a downgrade test
            return datetime.fromisoformat(value)
        return da_micro(value)
