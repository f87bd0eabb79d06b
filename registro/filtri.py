"""The listings' filters, one rule for every listing (API, Pubblica tutela, console): an
equality per given value, and a date range as [from, to) on the column."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import col


def giorno_dopo(giorno: date | None) -> date | None:
    """An inclusive last day as the exclusive bound `filtra` takes."""
    return None if giorno is None else giorno + timedelta(days=1)


def mezzanotte(giorno: date) -> datetime:
    return datetime.combine(giorno, datetime.min.time())


def filtra(q: Any, *uguali: tuple[Any, Any], tra: tuple[Any, Any, Any] | None = None) -> Any:
    """The listings' filters, one rule for all: each (column, value) an equality when the
    value is given; `tra` = (column, from, to) bounds when given (`>=` from, `<` to)."""
    for colonna, valore in uguali:
        if valore is not None:
            q = q.where(colonna == valore)
    if tra is not None:
        colonna, da, a = tra
        if da is not None:
            q = q.where(col(colonna) >= da)
        if a is not None:
            q = q.where(col(colonna) < a)
    return q
