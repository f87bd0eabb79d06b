"""referti non ritirati (data_ritiro_referto, ritiro_referto_tracciato) ed esami periodici

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('prestazione', schema=None) as batch_op:
        batch_op.add_column(sa.Column('periodica', sa.Boolean(), nullable=False,
                                      server_default=sa.text('false')))
    for tabella in ('prenotazione', 'prenotazione_storia'):
        with op.batch_alter_table(tabella, schema=None) as batch_op:
            batch_op.add_column(sa.Column('data_ritiro_referto', sa.Date(), nullable=True))
            # Versions already in the register came from exports without the column.
            batch_op.add_column(sa.Column('ritiro_referto_tracciato', sa.Boolean(),
                                          nullable=False, server_default=sa.text('false')))


def downgrade() -> None:
    for tabella in ('prenotazione_storia', 'prenotazione'):
        with op.batch_alter_table(tabella, schema=None) as batch_op:
            batch_op.drop_column('ritiro_referto_tracciato')
            batch_op.drop_column('data_ritiro_referto')
    with op.batch_alter_table('prestazione', schema=None) as batch_op:
        batch_op.drop_column('periodica')
