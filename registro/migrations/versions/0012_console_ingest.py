"""console ingest: uploads ingested in the background (caricamento_console)

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-30 15:50:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'caricamento_console',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('registro', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('file', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('utente', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('processo', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('iniziato_il', sa.DateTime(), nullable=False),
        sa.Column('finito_il', sa.DateTime(), nullable=True),
        sa.Column('stato', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('ingest_run_id', sa.Integer(), nullable=True),
        sa.Column('errore', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('caricamento_console')
