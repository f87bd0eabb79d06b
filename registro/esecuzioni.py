"""The task log: every check, statistics or report run leaves a row (start, end, outcome).

Written with SQLAlchemy Core, not the ORM: `registro stats` and the other quick commands log
their run, and importing the models costs a third of a second before any work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, insert, update

_TABELLA = Table(  # the columns of `registro.models.Esecuzione` this module writes
    "esecuzione", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("attivita", String(40)),
    Column("periodo", String),
    Column("iniziata_il", DateTime),
    Column("finita_il", DateTime),
    Column("stato", String(12)),
    Column("dettaglio", String),
)


class Attivita(StrEnum):
    """The names runs are recorded under: one list, so that whoever reads the log (`/health`,
    the console) asks for a name that a writer actually uses. The values are those already
    in registers' logs."""

    CHECK = "check"
    STATS = "stats"
    MONITORING = "monitoring"
    SITO = "site build"
    REPORT_CONFERENZA = "report_conferenza"
    REPORT_OSSERVATORIO = "report_osservatorio"
    REPORT_DIREZIONE = "report_direzione"

    @classmethod
    def report(cls, tipo: str) -> Attivita:
        return cls(f"report_{tipo}")


@dataclass
class Corsa:
    """The running task: the caller may set `dettaglio`, recorded when the run ends."""

    id: int
    dettaglio: str | None = None


@contextmanager
def esecuzione(engine: Engine, attivita: Attivita, periodo: str | None = None
               ) -> Iterator[Corsa]:
    """Record the run; a failure is recorded with its error and re-raised. A name outside
    `Attivita` is refused (ValueError): readers look runs up by these names."""
    with engine.begin() as conn:
        nuovo = conn.execute(insert(_TABELLA).values(
            attivita=Attivita(attivita).value, periodo=periodo, iniziata_il=datetime.now(),
            stato="in_corso"))
        assert nuovo.inserted_primary_key is not None
        run = Corsa(id=int(nuovo.inserted_primary_key[0]))
    try:
        yield run
    except BaseException as exc:
        _chiudi(engine, run, "fallita", f"{type(exc).__name__}: {exc}"[:2000])
        raise
    _chiudi(engine, run, "completata", run.dettaglio)


def _chiudi(engine: Engine, run: Corsa, stato: str, dettaglio: str | None) -> None:
    with engine.begin() as conn:
        conn.execute(update(_TABELLA).where(_TABELLA.c.id == run.id).values(
            finita_il=datetime.now(), stato=stato, dettaglio=dettaglio))
