"""verifica incrementale: what the last check was run against (reference date, settings and
catalog fingerprint, register impronta), so that the next one may re-derive only the delta

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-30 16:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'verifica',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('riferimento', sa.Date(), nullable=False),
        sa.Column('firma', sa.String(length=64), nullable=False),
        sa.Column('impronta', sa.String(length=64), nullable=False),
        sa.Column('copia_sha256', sa.String(length=64), nullable=True),
        sa.Column('completata_il', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('verifica')
