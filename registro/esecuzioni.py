"""The task log: every check, statistics or report run leaves a row (start, end, outcome)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Engine

from registro.db import session_scope
from registro.models import Esecuzione


@contextmanager
def esecuzione(engine: Engine, attivita: str, periodo: str | None = None
               ) -> Iterator[Esecuzione]:
    """Record the run; a failure is recorded with its error and re-raised."""
    with session_scope(engine) as s:
        run = Esecuzione(attivita=attivita, periodo=periodo, iniziata_il=datetime.now())
        s.add(run)
        s.commit()
        s.refresh(run)
    try:
        yield run
    except BaseException as exc:
        _chiudi(engine, run, "fallita", f"{type(exc).__name__}: {exc}"[:2000])
        raise
    _chiudi(engine, run, "completata", run.dettaglio)


def _chiudi(engine: Engine, run: Esecuzione, stato: str, dettaglio: str | None) -> None:
    with session_scope(engine) as s:
        row = s.get(Esecuzione, run.id)
        assert row is not None
        row.finita_il, row.stato, row.dettaglio = datetime.now(), stato, dettaglio
        s.commit()
