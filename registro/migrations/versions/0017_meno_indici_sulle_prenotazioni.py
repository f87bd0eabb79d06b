"""meno indici sulle prenotazioni

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 23:40:00.000000

`prenotazione` kept three secondary indexes; every ingest pays for each one (a B-tree entry
per new booking, a delete and an insert per updated one: ≈ 0,4 s each on a nightly delta at
1 M bookings) and each one costs bytes per booking on disk. The period reads (statistics,
site, reports, console lists) go through the columnar mirror (registro.colonnare), so two of
them now serve one API filter each:

- `ix_prenotazione_data_prenotazione` (35 B per booking on SQLite: the key is 26-character
  ISO text) only the filter `periodo` of `GET /prenotazioni`, which selects whole months at
  the least;
- `ix_prenotazione_prestazione_sede` (20 B) only the filter `prestazione` (and with `sede`
  the site's index serves the pair).

Without them those two filters read the table, as the filters on state, class and breach
always did. `ix_prenotazione_sede` stays: `GET /prenotazioni?sede=` pages by it (the load
benchmark's path) and the console's sanction list filters by site through it.
On SQLite the freed pages are reused by later loads; `VACUUM` gives them back to the file
system. The downgrade builds both indexes again.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDICI = (
    ("ix_prenotazione_data_prenotazione", ["data_prenotazione"]),
    ("ix_prenotazione_prestazione_sede", ["codice_prestazione", "codice_sede"]),
)


def upgrade() -> None:
    for nome, _ in _INDICI:
        op.drop_index(nome, table_name="prenotazione")


def downgrade() -> None:
    for nome, colonne in _INDICI:
        op.create_index(nome, "prenotazione", colonne, unique=False)
