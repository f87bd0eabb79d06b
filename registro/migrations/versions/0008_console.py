"""console: utenti e sessioni lato server

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('utente_console',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nome', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('ruolo', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('attivo', sa.Boolean(), nullable=False),
    sa.Column('creato_il', sa.DateTime(), nullable=False),
    sa.Column('password_cambiata_il', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('nome')
    )
    op.create_table('sessione_console',
    sa.Column('id_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('utente_id', sa.Integer(), nullable=True),
    sa.Column('csrf', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('creata_il', sa.DateTime(), nullable=False),
    sa.Column('vista_il', sa.DateTime(), nullable=False),
    sa.Column('revocata_il', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['utente_id'], ['utente_console.id'], ),
    sa.PrimaryKeyConstraint('id_hash')
    )
    with op.batch_alter_table('sessione_console', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sessione_console_utente_id'), ['utente_id'],
                              unique=False)
    # The failed logins of a name in the last minute are counted from the audit.
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.create_index('ix_audit_azione_rif', ['azione', 'riferimento', 'quando'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_azione_rif')
    with op.batch_alter_table('sessione_console', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sessione_console_utente_id'))
    op.drop_table('sessione_console')
    op.drop_table('utente_console')
