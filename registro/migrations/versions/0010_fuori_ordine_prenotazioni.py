"""fuori_ordine delle prenotazioni (Carta §5.1); pubblica tutela: presentata_da, urgente,
Commissione Mista Conciliativa

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 13:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('prenotazione', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fuori_ordine', sa.Integer(), nullable=True))
    with op.batch_alter_table('segnalazione', schema=None) as batch_op:
        batch_op.add_column(sa.Column('presentata_da', sa.String(length=12), nullable=False,
                                      server_default=sa.text("'utente'")))
        batch_op.add_column(sa.Column('urgente', sa.Boolean(), nullable=False,
                                      server_default=sa.text('false')))
        batch_op.add_column(sa.Column('esito_commissione', sa.String(length=24),
                                      nullable=True))
        batch_op.add_column(sa.Column('commissione_il', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('commissione_conclusa_il', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('segnalazione', schema=None) as batch_op:
        for colonna in ('commissione_conclusa_il', 'commissione_il', 'esito_commissione',
                        'urgente', 'presentata_da'):
            batch_op.drop_column(colonna)
    with op.batch_alter_table('prenotazione', schema=None) as batch_op:
        batch_op.drop_column('fuori_ordine')
