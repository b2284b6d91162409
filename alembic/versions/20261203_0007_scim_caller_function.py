"""one SCIM caller function: the token and its connection in one call, its plan kept

Revision ID: 0007_scim_caller_function
Revises: 0006_outbox_without_tokens
Create Date: 2026-12-03 07:00:00

On PostgreSQL only (SQLite has no roles; nothing changes there). Every SCIM request
finds the presented token, and its connection, by the token's SHA-256 before its
tenant is known. Revision 0005 did that with two SQL functions; a SECURITY DEFINER
SQL function is never inlined, and PostgreSQL plans its query again on every call, so
the lookup cost the server about 240 µs of CPU per request. One PL/pgSQL function,
``trainmeuk_scim_caller``, returns both in one row; PL/pgSQL keeps its query's plan
for the connection's lifetime, and the lookup costs about 80 µs.

The function returns only a live (not revoked) token with that hash and its
connection, as the columns a request needs; like the functions it replaces, it is
SECURITY DEFINER with a fixed ``search_path``, executable by the app's role only.
"""

from __future__ import annotations

from alembic import op

revision = '0007_scim_caller_function'
down_revision = '0006_outbox_without_tokens'
branch_labels = None
depends_on = None

APP_ROLE = "trainmeuk_app"
CALLER = "trainmeuk_scim_caller"

# Frozen at this revision: the columns scim/security.py reads of a caller.
CALLER_COLUMNS = (
    "token_id varchar, token_tenant_id varchar, token_token_hash varchar, "
    "token_last_used_at timestamptz, connection_id varchar, connection_tenant_id varchar, "
    "connection_provider varchar, connection_scim_enabled boolean"
)
CALLER_BODY = """
BEGIN
    RETURN QUERY
        SELECT t.id, t.tenant_id, t.token_hash, t.last_used_at,
               c.id, c.tenant_id, c.provider, c.scim_enabled
        FROM {schema}.scim_tokens t
        LEFT JOIN {schema}.provider_connections c
            ON c.id = t.connection_id AND c.tenant_id = t.tenant_id
        WHERE t.token_hash = presented_hash AND t.revoked_at IS NULL;
END
"""

# Frozen from revision 0005, for the downgrade.
OLD_FUNCTIONS = {
    "trainmeuk_scim_token": ("scim_tokens", "SELECT t.* FROM {schema}.scim_tokens t "
                             "WHERE t.token_hash = $1"),
    "trainmeuk_scim_token_connection": (
        "provider_connections",
        "SELECT c.* FROM {schema}.provider_connections c JOIN {schema}.scim_tokens t "
        "ON t.connection_id = c.id AND t.tenant_id = c.tenant_id WHERE t.token_hash = $1"),
}


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _schema() -> str:
    return op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar_one()


def _grant_to_app_only(signature: str) -> None:
    op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE}")


def upgrade() -> None:
    if not _postgresql():
        return
    schema = _schema()
    op.execute(
        f"CREATE FUNCTION {CALLER}(presented_hash text) RETURNS TABLE ({CALLER_COLUMNS}) "
        f"LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp "
        f"AS $fn${CALLER_BODY.format(schema=schema)}$fn$")
    _grant_to_app_only(f"{CALLER}(text)")
    for name in OLD_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}(text)")


def downgrade() -> None:
    if not _postgresql():
        return
    schema = _schema()
    for name, (returns, body) in OLD_FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}(token_hash text) RETURNS SETOF {schema}.{returns} "
            f"LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp "
            f"AS $fn$ {body.format(schema=schema)} $fn$")
        _grant_to_app_only(f"{name}(text)")
    op.execute(f"DROP FUNCTION IF EXISTS {CALLER}(text)")
