"""impostazioni del registro: l'impronta della chiave dei pseudonimi

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 10:00:00.000000

The register records what must stay the same for its whole life, first of all the
fingerprint of the pseudonym key: a command run with another key would give the same
codice fiscale a second pseudonym. (Written beside 0008_console: at merge the chain is
re-linked 0007 -> 0008 -> 0009.)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'impostazione_registro',
        sa.Column('nome', sa.String(length=40), nullable=False),
        sa.Column('valore', sa.String(length=200), nullable=False),
        sa.Column('registrata_il', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('nome'),
    )


def downgrade() -> None:
    op.drop_table('impostazione_registro')
