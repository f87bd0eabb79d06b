"""prenotazioni da verificare: a partial index on the bookings no check has derived yet

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 23:30:00.000000

The incremental check (registro.check_incrementale) starts from the bookings an ingest wrote
since the last check, `verificata_il IS NULL`: without an index that is a scan of the whole
table (≈ 0.3 s of a 3 s nightly check at 1 M bookings, a tenth of it). The index holds only
those rows (every check stamps what it derives), so it stays as small as the delta.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOVE = sa.text("verificata_il IS NULL")


def upgrade() -> None:
    with op.batch_alter_table('prenotazione', schema=None) as batch_op:
        batch_op.create_index('ix_prenotazione_da_verificare', ['verificata_il'],
                              sqlite_where=_DOVE, postgresql_where=_DOVE)


def downgrade() -> None:
    with op.batch_alter_table('prenotazione', schema=None) as batch_op:
        batch_op.drop_index('ix_prenotazione_da_verificare', sqlite_where=_DOVE,
                            postgresql_where=_DOVE)
