"""row-level security: PostgreSQL itself keeps each tenant's rows to that tenant

Revision ID: 0005_row_level_security
Revises: 0004_staff_sessions
Create Date: 2026-12-02 10:00:00

On PostgreSQL only (SQLite has no roles or policies; nothing changes there):

- the roles ``trainmeuk_app`` (requests' tenant work) and ``trainmeuk_cross_tenant``
  (the explicit path for work across tenants), both NOLOGIN, no BYPASSRLS, owning
  nothing; created if missing and the migrating role may create roles (else the
  README's "Database roles" says what an operator runs first), and granted to the
  migrating role so the application can ``SET ROLE`` to them;
- table privileges for both (and nothing more: no DDL, no ownership);
- row-level security on every tenant-owned table and on ``mail_outbox``: the app's
  role sees and writes only rows of the transaction's tenant (``app.tenant_id``), none
  when no tenant is set; the cross-tenant role every row;
- ``tenants``: the app's role may read every tenant (the lookup by subdomain comes
  before the tenant is known) and update only the transaction's own; it may not insert
  or delete tenants;
- two SECURITY DEFINER functions that find a SCIM token, and its connection, by the
  SHA-256 of the presented token: the only way the app's role reaches a token before
  the tenant is set, and only for someone who holds the token.
"""

from __future__ import annotations

from alembic import op

revision = '0005_row_level_security'
down_revision = '0004_staff_sessions'
branch_labels = None
depends_on = None

APP_ROLE = "trainmeuk_app"
CROSS_TENANT_ROLE = "trainmeuk_cross_tenant"
ROLES = (APP_ROLE, CROSS_TENANT_ROLE)
TENANT = "current_setting('app.tenant_id', true)"

# Frozen at this revision: every table with a TenantScoped model, plus mail_outbox
# (its tenant_id is nullable: a message of no tenant is for the cross-tenant path only).
TENANT_TABLES = (
    "audit_events", "group_members", "groups", "login_failures", "password_tokens",
    "provider_connections", "provisioning_log", "scim_tokens", "sso_identities",
    "sso_state_uses", "staff_sessions", "user_emails", "users", "mail_outbox",
)
SHARED_TABLES = ("scim_rate_counts",)  # keyed by token hash: no tenant's data
FUNCTIONS = {
    "trainmeuk_scim_token": ("scim_tokens", "SELECT t.* FROM {schema}.scim_tokens t "
                             "WHERE t.token_hash = $1"),
    "trainmeuk_scim_token_connection": (
        "provider_connections",
        "SELECT c.* FROM {schema}.provider_connections c JOIN {schema}.scim_tokens t "
        "ON t.connection_id = c.id AND t.tenant_id = c.tenant_id WHERE t.token_hash = $1"),
}

CREATE_ROLES = """
DO $$
DECLARE
    wanted text;
BEGIN
    FOREACH wanted IN ARRAY ARRAY['trainmeuk_app', 'trainmeuk_cross_tenant'] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = wanted) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', wanted);
            EXCEPTION
                WHEN duplicate_object THEN NULL;  -- another database's migration made it
                WHEN insufficient_privilege THEN
                    RAISE EXCEPTION 'role % does not exist and % may not create roles', wanted, current_user
                        USING HINT = 'As a superuser run: CREATE ROLE trainmeuk_app NOLOGIN; '
                            'CREATE ROLE trainmeuk_cross_tenant NOLOGIN; GRANT trainmeuk_app, '
                            'trainmeuk_cross_tenant TO ' || quote_ident(current_user) || '; '
                            '(see the README, "Database roles"), then migrate again.';
            END;
        END IF;
        IF NOT pg_has_role(current_user, wanted, 'MEMBER') THEN
            EXECUTE format('GRANT %I TO %I', wanted, current_user);
        END IF;
    END LOOP;
END
$$
"""


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _schema() -> str:
    return op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar_one()


def upgrade() -> None:
    if not _postgresql():
        return
    schema = _schema()
    roles = ", ".join(ROLES)
    op.execute(CREATE_ROLES)
    for table in TENANT_TABLES + SHARED_TABLES:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {roles}")
    op.execute(f"GRANT SELECT, UPDATE ON tenants TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON tenants TO {CROSS_TENANT_ROLE}")
    op.execute(f"GRANT SELECT ON alembic_version TO {roles}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {roles}")

    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} TO {APP_ROLE} "
                   f"USING (tenant_id = {TENANT}) WITH CHECK (tenant_id = {TENANT})")
        op.execute(f"CREATE POLICY cross_tenant ON {table} TO {CROSS_TENANT_ROLE} "
                   "USING (true) WITH CHECK (true)")
    op.execute("ALTER TABLE tenants ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_lookup ON tenants FOR SELECT TO {APP_ROLE} USING (true)")
    op.execute(f"CREATE POLICY tenant_own_update ON tenants FOR UPDATE TO {APP_ROLE} "
               f"USING (id = {TENANT}) WITH CHECK (id = {TENANT})")
    op.execute(f"CREATE POLICY cross_tenant ON tenants TO {CROSS_TENANT_ROLE} "
               "USING (true) WITH CHECK (true)")

    for name, (returns, body) in FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}(token_hash text) RETURNS SETOF {schema}.{returns} "
            f"LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp "
            f"AS $fn$ {body.format(schema=schema)} $fn$")
        op.execute(f"REVOKE ALL ON FUNCTION {name}(text) FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {name}(text) TO {APP_ROLE}")


def downgrade() -> None:
    if not _postgresql():
        return
    schema = _schema()
    roles = ", ".join(ROLES)
    for name in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}(text)")
    for policy in ("tenant_lookup", "tenant_own_update", "cross_tenant"):
        op.execute(f"DROP POLICY IF EXISTS {policy} ON tenants")
    op.execute("ALTER TABLE tenants DISABLE ROW LEVEL SECURITY")
    for table in TENANT_TABLES:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(f"DROP POLICY IF EXISTS cross_tenant ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for table in (*TENANT_TABLES, *SHARED_TABLES, "tenants", "alembic_version"):
        op.execute(f"REVOKE ALL ON {table} FROM {roles}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {roles}")
    # The roles stay: other databases of the cluster may use them.
