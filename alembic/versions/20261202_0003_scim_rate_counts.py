"""scim rate counts: per-token SCIM request counts per window, shared by processes

Revision ID: 0003_scim_rate
Revises: 0002_sso_state
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_scim_rate'
down_revision = '0002_sso_state'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scim_rate_counts',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('window_start', sa.BigInteger(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', 'window_start', name=op.f('pk_scim_rate_counts'))
    )
    with op.batch_alter_table('scim_rate_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_rate_counts_window_start'), ['window_start'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('scim_rate_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_rate_counts_window_start'))
    op.drop_table('scim_rate_counts')
