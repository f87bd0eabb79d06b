"""One writer at a time: the register-wide write lock taken by every ingest and check.

A check reads the bookings, computes, then writes derived fields and sanctions; an ingest
landing in between would leave derived fields computed from an older version. Both take
this lock first, in the transaction that writes: an UPDATE of the single row of
`blocco_registro`, which is a row lock on PostgreSQL and the database write lock on SQLite,
held until commit or rollback (a killed process releases it). Concurrent runs therefore
behave as if run one after the other, in some order; nothing deadlocks, nothing is issued
twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from registro import db


def prendi(conn: Any, chi: str) -> None:
    """Take the lock inside `conn`'s current transaction (waits for the holder)."""
    quando = datetime.now().strftime("'%Y-%m-%d %H:%M:%S.%f'")
    chi = chi.replace("'", "")[:60]
    db.execute(conn, f"UPDATE blocco_registro SET preso_il = {quando}, da = '{chi}' "
                     "WHERE id = 1")
