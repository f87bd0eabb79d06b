"""istanti interi nelle prenotazioni

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 02:30:00.000000

On SQLite the date-times of `prenotazione` and `prenotazione_storia` become INTEGER
microseconds since 1970-01-01 of the same wall clock (`registro.istanti`): ≈ 5 date-times
per booking of 26 ISO characters each were a third of the register on disk (issue #16:
≤ 300 B per booking). Each table is rebuilt (SQLite cannot change a column's declared type)
with the values converted in SQL, exactly: seconds by `strftime('%s')` of the first 19
characters, the fraction padded to six digits. Its indexes are created again from their own
statements (names, partial conditions). The old pages stay free in the file, for later loads
to reuse; `VACUUM` gives them back to the file system.

On PostgreSQL nothing changes: the columns stay `timestamp without time zone`.
The downgrade rebuilds the tables with ISO text (`YYYY-MM-DD HH:MM:SS.ffffff`, SQLAlchemy's
layout) again.
"""

import re
from collections.abc import Callable, Sequence

from alembic import op
from sqlalchemy import text

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABELLE = {
    "prenotazione": ("data_prenotazione", "data_appuntamento", "data_disdetta",
                     "aggiornato_il", "versione_il", "verificata_il"),
    "prenotazione_storia": ("data_prenotazione", "data_appuntamento", "data_disdetta",
                            "aggiornato_il", "versione_il"),
}


def _a_intero(c: str) -> str:
    """ISO text → microseconds (an integer already there is kept)."""
    return (f"CASE WHEN typeof({c}) = 'text' THEN "
            f"CAST(strftime('%s', substr({c}, 1, 19)) AS INTEGER) * 1000000 "
            f"+ CAST(substr({c} || '000000', 21, 6) AS INTEGER) ELSE {c} END")


def _a_testo(c: str) -> str:
    """Microseconds → SQLAlchemy's ISO text (floor division: dates before 1970 too)."""
    frazione = f"(({c} % 1000000) + 1000000) % 1000000"
    return (f"CASE WHEN typeof({c}) = 'integer' THEN "
            f"strftime('%Y-%m-%d %H:%M:%S', ({c} - {frazione}) / 1000000, 'unixepoch') "
            f"|| '.' || printf('%06d', {frazione}) ELSE {c} END")


def _ricostruisci(tabella: str, colonne: Sequence[str], tipo: str,
                  valore: Callable[[str], str]) -> None:
    conn = op.get_bind()
    crea = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' "
                             "AND name = :t"), {"t": tabella}).scalar_one()
    indici = [r[0] for r in conn.execute(text(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
        "AND sql IS NOT NULL ORDER BY name"), {"t": tabella})]
    nuova = f"_nuova_{tabella}"
    ddl = re.sub(rf'CREATE TABLE\s+"?{tabella}"?', f'CREATE TABLE "{nuova}"', crea, count=1)
    for c in colonne:
        ddl, n = re.subn(rf'(\n\s*"?{c}"?\s+)[A-Z]+', rf"\g<1>{tipo}", ddl, count=1)
        assert n == 1, (tabella, c)
    tutte = [r[1] for r in conn.execute(text(f'PRAGMA table_info("{tabella}")'))]
    elenco = ", ".join(tutte)
    scelte = ", ".join(valore(c) if c in colonne else c for c in tutte)
    conn.execute(text(ddl))
    conn.execute(text(f'INSERT INTO "{nuova}" ({elenco}) SELECT {scelte} FROM "{tabella}" '
                      f"ORDER BY rowid"))
    conn.execute(text(f'DROP TABLE "{tabella}"'))
    conn.execute(text(f'ALTER TABLE "{nuova}" RENAME TO "{tabella}"'))
    for sql in indici:
        conn.execute(text(sql))


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for tabella, colonne in _TABELLE.items():
        _ricostruisci(tabella, colonne, "BIGINT", _a_intero)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for tabella, colonne in _TABELLE.items():
        _ricostruisci(tabella, colonne, "DATETIME", _a_testo)
