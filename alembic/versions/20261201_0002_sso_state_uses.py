"""sso state uses: one-time SSO state ids

Revision ID: 0002_sso_state
Revises: 0001
Create Date: 2026-12-01 23:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002_sso_state'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sso_state_uses',
    sa.Column('state_id', sa.String(length=64), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sso_state_uses_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('state_id', name=op.f('pk_sso_state_uses'))
    )
    with op.batch_alter_table('sso_state_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_state_uses_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sso_state_uses_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sso_state_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_state_uses_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sso_state_uses_expires_at'))
    op.drop_table('sso_state_uses')
