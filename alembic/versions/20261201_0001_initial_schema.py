"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-12-01 23:03:38.331869
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tenants',
    sa.Column('subdomain', sa.String(length=63), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('active', 'suspended', name='tenantstatus', native_enum=False, length=16), nullable=False),
    sa.Column('require_sso', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenants')),
    sa.UniqueConstraint('subdomain', name=op.f('uq_tenants_subdomain'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=400), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=400), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_audit_events_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_tenant_at', ['tenant_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('groups',
    sa.Column('display_name', sa.String(length=400), nullable=False),
    sa.Column('display_name_key', sa.String(length=400), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('scim_resource', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('scim_provider', sa.String(length=64), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_groups_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups')),
    sa.UniqueConstraint('tenant_id', 'display_name_key', name=op.f('uq_groups_tenant_id_display_name_key')),
    sa.UniqueConstraint('tenant_id', 'external_id', name=op.f('uq_groups_tenant_id_external_id'))
    )
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_groups_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('email_key', sa.String(length=320), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_login_failures_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_login_failures_account', ['tenant_id', 'email_key', 'at'], unique=False)
        batch_op.create_index('ix_login_failures_address', ['tenant_id', 'address', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failures_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=400), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_mail_outbox_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox'))
    )
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_mail_outbox_pending', ['sent_at', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_outbox_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('provider_connections',
    sa.Column('provider', sa.String(length=64), nullable=False),
    sa.Column('settings', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('client_secret_encrypted', sa.Text(), nullable=True),
    sa.Column('client_secret_suffix', sa.String(length=8), nullable=True),
    sa.Column('client_secret_set_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sso_enabled', sa.Boolean(), nullable=False),
    sa.Column('sso_create_accounts', sa.Boolean(), nullable=False),
    sa.Column('scim_enabled', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_provider_connections_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_connections')),
    sa.UniqueConstraint('tenant_id', 'provider', name=op.f('uq_provider_connections_tenant_id_provider'))
    )
    with op.batch_alter_table('provider_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_connections_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('provisioning_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('provider', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(length=400), nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('resource_type', sa.String(length=32), nullable=True),
    sa.Column('resource_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('error_detail', sa.Text(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_provisioning_log_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provisioning_log'))
    )
    with op.batch_alter_table('provisioning_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provisioning_log_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_provisioning_log_tenant_id_id', ['tenant_id', 'id'], unique=False)

    op.create_table('users',
    sa.Column('user_name', sa.String(length=320), nullable=False),
    sa.Column('user_name_key', sa.String(length=320), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('given_name', sa.String(length=200), nullable=True),
    sa.Column('family_name', sa.String(length=200), nullable=True),
    sa.Column('display_name', sa.String(length=400), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('email_key', sa.String(length=320), nullable=True),
    sa.Column('job_title', sa.String(length=200), nullable=True),
    sa.Column('department', sa.String(length=200), nullable=True),
    sa.Column('employee_number', sa.String(length=100), nullable=True),
    sa.Column('manager_id', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('scim_resource', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('source', sa.Enum('scim', 'manual', 'sso', name='usersource', native_enum=False, length=16), nullable=False),
    sa.Column('scim_provider', sa.String(length=64), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('auth_epoch', sa.Integer(), nullable=False),
    sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_users_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('tenant_id', 'external_id', name=op.f('uq_users_tenant_id_external_id')),
    sa.UniqueConstraint('tenant_id', 'user_name_key', name=op.f('uq_users_tenant_id_user_name_key'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index('ix_users_tenant_display_name', ['tenant_id', 'display_name'], unique=False)
        batch_op.create_index('ix_users_tenant_email_key', ['tenant_id', 'email_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_users_tenant_updated_at', ['tenant_id', 'updated_at'], unique=False)

    op.create_table('group_members',
    sa.Column('group_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_members_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_group_members_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_group_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_group_members'))
    )
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_members_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_group_members_user_id', ['user_id'], unique=False)

    op.create_table('password_tokens',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_password_tokens_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_tokens_token_hash'))
    )
    with op.batch_alter_table('password_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_tokens_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_password_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('scim_tokens',
    sa.Column('connection_id', sa.String(length=36), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('suffix', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['provider_connections.id'], name=op.f('fk_scim_tokens_connection_id_provider_connections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_scim_tokens_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_scim_tokens_token_hash'))
    )
    with op.batch_alter_table('scim_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_tokens_connection_id'), ['connection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scim_tokens_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sso_identities',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('provider', sa.String(length=64), nullable=False),
    sa.Column('issuer_tenant', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sso_identities_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sso_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_identities')),
    sa.UniqueConstraint('tenant_id', 'provider', 'issuer_tenant', 'subject', name=op.f('uq_sso_identities_tenant_id_provider_issuer_tenant_subject'))
    )
    with op.batch_alter_table('sso_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_identities_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sso_identities_user_id'), ['user_id'], unique=False)

    op.create_table('user_emails',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('value', sa.String(length=320), nullable=False),
    sa.Column('value_key', sa.String(length=320), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=True),
    sa.Column('primary', sa.Boolean(), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_user_emails_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_emails_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_emails'))
    )
    with op.batch_alter_table('user_emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_emails_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_user_emails_tenant_value_key', ['tenant_id', 'value_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_emails_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('user_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_emails_user_id'))
        batch_op.drop_index('ix_user_emails_tenant_value_key')
        batch_op.drop_index(batch_op.f('ix_user_emails_tenant_id'))

    op.drop_table('user_emails')
    with op.batch_alter_table('sso_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_identities_user_id'))
        batch_op.drop_index(batch_op.f('ix_sso_identities_tenant_id'))

    op.drop_table('sso_identities')
    with op.batch_alter_table('scim_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_tokens_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_scim_tokens_connection_id'))

    op.drop_table('scim_tokens')
    with op.batch_alter_table('password_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_tokens_user_id'))
        batch_op.drop_index(batch_op.f('ix_password_tokens_tenant_id'))

    op.drop_table('password_tokens')
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.drop_index('ix_group_members_user_id')
        batch_op.drop_index(batch_op.f('ix_group_members_tenant_id'))

    op.drop_table('group_members')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_tenant_updated_at')
        batch_op.drop_index(batch_op.f('ix_users_tenant_id'))
        batch_op.drop_index('ix_users_tenant_email_key')
        batch_op.drop_index('ix_users_tenant_display_name')

    op.drop_table('users')
    with op.batch_alter_table('provisioning_log', schema=None) as batch_op:
        batch_op.drop_index('ix_provisioning_log_tenant_id_id')
        batch_op.drop_index(batch_op.f('ix_provisioning_log_tenant_id'))

    op.drop_table('provisioning_log')
    with op.batch_alter_table('provider_connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_connections_tenant_id'))

    op.drop_table('provider_connections')
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_outbox_tenant_id'))
        batch_op.drop_index('ix_mail_outbox_pending')

    op.drop_table('mail_outbox')
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failures_tenant_id'))
        batch_op.drop_index('ix_login_failures_address')
        batch_op.drop_index('ix_login_failures_account')

    op.drop_table('login_failures')
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_groups_tenant_id'))

    op.drop_table('groups')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_tenant_id'))
        batch_op.drop_index('ix_audit_events_tenant_at')

    op.drop_table('audit_events')
    op.drop_table('tenants')
