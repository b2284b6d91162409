"""Isolation enforced by PostgreSQL itself (issue 8, item 3): row-level security.

Raw SQL that forgets the tenant filter sees only the transaction's tenant's rows, and
none when no tenant is set; the application's role cannot switch the policies off;
the pre-tenant lookups (tenant by subdomain, SCIM token by hash) and the explicit
cross-tenant path still work. On SQLite nothing of this exists and nothing changes.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from psycopg.pq import Trace
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from webtest import TestApp

from trainmeuk_identity.crypto import hash_token
from trainmeuk_identity.models import (
    APP_ROLE,
    CROSS_TENANT_ROLE,
    Tenant,
    TenantScope,
    User,
    bind_tenant,
    isolation,
    metadata,
)
from trainmeuk_identity.models.meta import TenantScoped
from trainmeuk_identity.scim import tokens

from ..support.app import running_app
from ..support.scim import enable_scim

# Not TenantScoped (its tenant is nullable) but holds people's addresses and links.
ALSO_PROTECTED = {"mail_outbox"}


def tenant_owned_tables() -> set[str]:
    from trainmeuk_identity.models import Base

    return {m.class_.__tablename__ for m in Base.registry.mappers
            if issubclass(m.class_, TenantScoped)} | ALSO_PROTECTED


@pytest.fixture
def postgresql(app):
    if app.registry["db_engine"].dialect.name != "postgresql":
        # Row-level security is PostgreSQL's; .ci/run's PostgreSQL pass runs these tests.
        pytest.skip("row-level security exists on PostgreSQL only (run by the PostgreSQL pass)")
    return app.registry["db_engine"]


@pytest.fixture
def two_tenants(factory, tenant, other_tenant):
    mine = factory.user(tenant, "ann@acme.example")
    theirs = factory.user(other_tenant, "bob@globex.example")
    return mine, theirs


def user_tenants(connection) -> set[str]:
    # Deliberately no WHERE: the query a forgetful developer would write.
    return set(connection.execute(text("SELECT tenant_id FROM users")).scalars())


def test_every_tenant_owned_table_has_row_level_security(postgresql):
    with postgresql.connect() as connection:
        protected = set(connection.execute(text(
            "SELECT relname FROM pg_class WHERE relrowsecurity AND relkind = 'r'")).scalars())
        policies = set(connection.execute(text(
            "SELECT tablename FROM pg_policies WHERE :role = ANY(roles)"), {"role": APP_ROLE}).scalars())
    assert tenant_owned_tables() <= protected
    assert tenant_owned_tables() <= policies
    assert tenant_owned_tables() <= set(metadata.tables)


def test_raw_sql_without_a_tenant_sees_no_tenants_rows(postgresql, two_tenants, tenant):
    with postgresql.connect() as connection:
        assert connection.scalar(text("SELECT current_user")) == APP_ROLE
        assert isolation.current_tenant(connection) is None
        assert user_tenants(connection) == set()
        for table in sorted(tenant_owned_tables()):
            assert connection.scalar(text(f"SELECT count(*) FROM {table}")) == 0, table
        # The tenants themselves stay readable: a request finds its tenant by subdomain
        # before any tenant is set.
        assert connection.scalar(text("SELECT count(*) FROM tenants WHERE id = :id"),
                                 {"id": tenant.id}) == 1


def test_raw_sql_with_a_tenant_sees_and_writes_only_that_tenants_rows(
        postgresql, two_tenants, tenant, other_tenant):
    mine, theirs = two_tenants
    with postgresql.connect() as connection:
        with connection.begin():
            isolation.set_tenant(connection, tenant.id)
            assert user_tenants(connection) == {tenant.id}
            assert connection.scalar(text("SELECT count(*) FROM users WHERE id = :id"),
                                     {"id": theirs.id}) == 0
            # Changing another tenant's rows changes nothing...
            changed = connection.execute(text("UPDATE users SET job_title = 'pwned'"))
            assert changed.rowcount == 1  # only this tenant's one account
            assert connection.execute(text("DELETE FROM users WHERE id = :id"),
                                      {"id": theirs.id}).rowcount == 0
        # ... and a row of another tenant cannot be written at all.
        with pytest.raises(DBAPIError, match="row-level security"):
            with connection.begin():
                isolation.set_tenant(connection, tenant.id)
                connection.execute(text("UPDATE users SET tenant_id = :other WHERE id = :id"),
                                   {"other": other_tenant.id, "id": mine.id})
        with connection.begin():  # SET LOCAL: the tenant ended with its transaction
            assert user_tenants(connection) == set()


def test_a_tenant_bound_session_sets_the_tenant_of_each_transaction(app, postgresql, two_tenants,
                                                                    tenant, other_tenant):
    with app.registry["dbsession_factory"]() as session:
        bind_tenant(session, tenant.id)
        assert user_tenants(session) == {tenant.id}
        session.commit()
        assert user_tenants(session) == {tenant.id}  # a new transaction, set again
        bind_tenant(session, other_tenant.id)  # rebinding mid-transaction switches at once
        assert user_tenants(session) == {other_tenant.id}


def test_the_apps_role_cannot_bypass_the_policies(postgresql, two_tenants):
    with postgresql.connect() as connection:
        role = connection.execute(text(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
        assert (role.rolsuper, role.rolbypassrls) == (False, False)
        owned = connection.scalar(text(
            "SELECT count(*) FROM pg_tables WHERE tableowner = current_user"))
        assert owned == 0
        assert connection.scalar(text("SELECT pg_has_role(current_user, :r, 'MEMBER')"),
                                 {"r": CROSS_TENANT_ROLE}) is False
        attempts = [
            "SET row_security = off; SELECT count(*) FROM users",
            "ALTER TABLE users DISABLE ROW LEVEL SECURITY",
            "ALTER TABLE users NO FORCE ROW LEVEL SECURITY",
            "DROP POLICY tenant_isolation ON users",
            "CREATE POLICY everything ON users USING (true)",
            "INSERT INTO tenants (id, subdomain, display_name, status, require_sso, created_at, "
            "updated_at) VALUES ('x', 'x', 'x', 'active', false, now(), now())",
            "DELETE FROM tenants",
        ]
    for statement in attempts:
        with postgresql.connect() as connection, pytest.raises(DBAPIError):
            for part in statement.split("; "):
                connection.execute(text(part))


def test_the_scim_caller_function_finds_only_the_live_token_presented(
        postgresql, tenant, other_tenant, session_factory):
    """Before its tenant is known, a SCIM request reaches a token only through
    ``trainmeuk_scim_caller``, by the SHA-256 of the token it presents: that token and
    its connection, nothing of any other token, and nothing of a revoked one."""
    with session_factory() as session, session.begin():
        _, old = tokens.enable_scim(TenantScope(session, tenant.id), "entra")
        new = tokens.rotate_token(TenantScope(session, tenant.id), "entra")
        _, theirs = tokens.enable_scim(TenantScope(session, other_tenant.id), "entra")
    call = text("SELECT * FROM trainmeuk_scim_caller(:digest)")
    with postgresql.connect() as connection:
        assert isolation.current_tenant(connection) is None
        assert connection.scalar(text("SELECT count(*) FROM scim_tokens")) == 0
        (row,) = connection.execute(call, {"digest": hash_token(new.value)}).mappings()
        assert (row["token_tenant_id"], row["connection_tenant_id"]) == (tenant.id, tenant.id)
        assert (row["token_token_hash"], row["connection_provider"]) == (hash_token(new.value), "entra")
        assert row["connection_scim_enabled"] is True
        assert set(row) == {f"token_{name}" for name in isolation.CALLER_TOKEN_COLUMNS} | {
            f"connection_{name}" for name in isolation.CALLER_CONNECTION_COLUMNS}
        (theirs_row,) = connection.execute(call, {"digest": hash_token(theirs.value)}).mappings()
        assert theirs_row["token_tenant_id"] == other_tenant.id
        for nothing in (hash_token(old.value), hash_token("not-a-token"), "", "%"):
            assert connection.execute(call, {"digest": nothing}).all() == [], nothing
        # Only the app's role may call it; PUBLIC may not.
        assert connection.scalar(text(
            "SELECT has_function_privilege('public', 'trainmeuk_scim_caller(text)', 'EXECUTE')")) is False


def test_the_app_updates_only_its_own_tenant(postgresql, tenant, other_tenant):
    with postgresql.connect() as connection, connection.begin():
        isolation.set_tenant(connection, tenant.id)
        changed = connection.execute(text("UPDATE tenants SET require_sso = require_sso"))
        assert changed.rowcount == 1
        connection.rollback()


def test_the_cross_tenant_path_sees_every_tenant(app, postgresql, two_tenants, tenant, other_tenant):
    engine = app.registry["cross_tenant_engine"]
    assert engine is not postgresql
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT current_user")) == CROSS_TENANT_ROLE
        assert {tenant.id, other_tenant.id} <= user_tenants(connection)
    with app.registry["cross_tenant_session_factory"]() as session:
        assert {u.tenant_id for u in session.query(User)} >= {tenant.id, other_tenant.id}


def test_the_background_writers_work_across_tenants(app, postgresql, tenant, other_tenant,
                                                    session_factory):
    """The provisioning-log writer puts entries of several tenants in one INSERT, and the
    mail worker claims the outbox of every tenant: both on the cross-tenant path."""
    from trainmeuk_identity import mail
    from trainmeuk_identity.models import OutboxMessage, ProvisioningLogEntry
    from trainmeuk_identity.scim.log import PendingEntry, row_of

    writer = app.registry["provisioning_log"]
    for t in (tenant, other_tenant):
        writer.add(row_of(PendingEntry(method="GET", path="/scim/entra/v2/Users", tenant_id=t.id),
                          200, None, "rls-test"))
    assert writer.flush() >= 2
    worker = app.registry["mail_worker"]
    assert worker.session_factory is app.registry["cross_tenant_session_factory"]
    with session_factory() as session, session.begin():
        for t in (tenant, other_tenant):
            mail.enqueue(session, recipient=f"x@{t.subdomain}.example", subject="s", body_text="b",
                         tenant_id=t.id)
    with worker.session_factory() as session:
        logged = {e.tenant_id for e in session.query(ProvisioningLogEntry)
                  .filter(ProvisioningLogEntry.request_id == "rls-test")}
        queued = {m.tenant_id for m in session.query(OutboxMessage)
                  .filter(OutboxMessage.tenant_id.in_([tenant.id, other_tenant.id]))}
    assert logged == queued == {tenant.id, other_tenant.id}


@dataclass
class OneConnection:
    """The app with a pool of one database connection: every request reuses the
    connection the last one used, with whatever that request left on it."""

    app: Any
    idle: Any = None  # the DBAPI connection, as it last went back to the pool

    def tenant_left(self) -> str | None:
        """The tenant set on the connection, looked at where it lies in the pool (not
        checked out: a checkout would reset it)."""
        value = self.idle.execute("SELECT current_setting('app.tenant_id', true)").fetchone()[0]
        self.idle.rollback()
        return value or None

    @contextmanager
    def wire(self) -> Iterator[list[tuple[str, str]]]:
        """What the connection sends PostgreSQL within the block, read from libpq's own
        trace of the protocol: (message type, fields) per message."""
        sent: list[tuple[str, str]] = []
        pgconn = self.idle.pgconn
        with tempfile.TemporaryFile() as trace:
            pgconn.trace(trace.fileno())
            pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
            try:
                yield sent
            finally:
                pgconn.untrace()
                trace.seek(0)
                # A message is a line "F|B <length> <type> <fields>"; SQL text may go on
                # over further lines.
                for message in re.split(r"\n(?=[FB]\t)", trace.read().decode().strip()):
                    if not message:
                        continue
                    direction, _, kind, *fields = message.split("\t")
                    if direction == "F":
                        sent.append((kind, " ".join(fields).strip()))


@pytest.fixture
def one_connection(postgresql, app_settings):
    with running_app({**app_settings, "sqlalchemy.pool_size": "1", "sqlalchemy.max_overflow": "0",
                      "trainmeuk.scim.rate_limit": "0"}) as application:
        pooled = OneConnection(application)

        @event.listens_for(application.registry["db_engine"], "checkin")
        def _checked_in(dbapi_connection, connection_record):
            pooled.idle = dbapi_connection

        yield pooled


def scim_get(client, tenant, token, path="/scim/entra/v2/Users", status=200):
    return client.get(path, headers={"Host": f"{tenant.subdomain}.localhost",
                                     "Authorization": f"Bearer {token}"}, status=status)


def test_scim_requests_overwrite_the_tenant_the_last_one_left(
        one_connection, two_tenants, tenant, other_tenant, session_factory):
    """SCIM reads run without a transaction, so their tenant is set for the connection
    and stays on it in the pool; the next SCIM request's first statement sets its own
    (no reset in between), and sees its own tenant's rows, never the last one's."""
    client = TestApp(one_connection.app)
    mine = enable_scim(session_factory, tenant)
    theirs = enable_scim(session_factory, other_tenant)
    scim_get(client, tenant, mine)
    assert one_connection.tenant_left() == tenant.id
    with one_connection.wire() as sent:
        assert [u["userName"] for u in scim_get(client, other_tenant, theirs).json["Resources"]] \
            == ["bob@globex.example"]
        created = client.post_json("/scim/entra/v2/Users", {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "cy@globex.example"},
            headers={"Host": f"{other_tenant.subdomain}.localhost", "Authorization": f"Bearer {theirs}",
                     "Content-Type": "application/scim+json"}, status=201).json
        scim_get(client, tenant, mine, f"/scim/entra/v2/Users/{created['id']}", status=404)
        assert [u["userName"] for u in scim_get(client, tenant, mine).json["Resources"]] \
            == ["ann@acme.example"]
    assert not [text_ for kind, text_ in sent if "RESET" in text_]
    assert one_connection.tenant_left() == tenant.id


def test_other_work_never_runs_under_the_tenant_a_scim_read_left(one_connection, two_tenants, tenant,
                                                                 session_factory):
    """Anything else that checks the connection out (a sign-in, an admin page, the
    rate-limit counts) gets it with no tenant set: reset once, at checkout."""
    scim_get(TestApp(one_connection.app), tenant, enable_scim(session_factory, tenant))
    with one_connection.wire() as sent, one_connection.app.registry["db_engine"].connect() as connection:
        assert connection.scalar(text("SELECT current_setting('app.tenant_id', true)")) in ("", None)
        assert user_tenants(connection) == set()
    assert [text_ for kind, text_ in sent if kind == "Query"] [:1] == [f'"RESET {isolation.TENANT_SETTING}"']


def test_a_connection_whose_tenant_cannot_be_reset_is_replaced(one_connection, two_tenants, tenant,
                                                                session_factory):
    """The server dropped the connection while it lay in the pool with a SCIM read's
    tenant (a restart, an idle timeout): the reset at checkout fails, so the pool opens
    a fresh connection instead, and the work goes on with no tenant set."""
    scim_get(TestApp(one_connection.app), tenant, enable_scim(session_factory, tenant))
    dropped = one_connection.idle.info.backend_pid
    with session_factory() as session:
        assert session.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": dropped})
    with one_connection.app.registry["db_engine"].connect() as connection:
        assert connection.connection.dbapi_connection.info.backend_pid != dropped
        assert connection.scalar(text("SELECT current_setting('app.tenant_id', true)")) in ("", None)
        assert user_tenants(connection) == set()


def test_a_scim_request_that_finds_no_tenant_leaves_none(one_connection, two_tenants, tenant,
                                                          session_factory):
    """An unknown subdomain: the caller's query sets no tenant, so the one the last
    request left is cleared before the request goes on (and the bare domain never
    reaches the database)."""
    client = TestApp(one_connection.app)
    token = enable_scim(session_factory, tenant)
    scim_get(client, tenant, token)
    with one_connection.wire() as sent:
        client.get("/scim/entra/v2/Users", headers={"Host": "localhost", "Authorization": f"Bearer {token}"},
                   status=404)
    assert sent == []
    client.get("/scim/entra/v2/Users", headers={"Host": "nowhere.localhost", "Authorization": f"Bearer {token}"},
               status=404)
    assert one_connection.tenant_left() is None


def test_sqlite_has_no_roles_and_one_engine(app, two_tenants):
    if app.registry["db_engine"].dialect.name != "sqlite":
        # The PostgreSQL side of this is every other test in this module.
        pytest.skip("SQLite only: on PostgreSQL the tests above cover the roles and engines")
    assert app.registry["cross_tenant_engine"] is app.registry["db_engine"]
    mine, theirs = two_tenants
    with app.registry["dbsession_factory"]() as session:
        assert isolation.tenant_setter(session, "x") is None
        # Nothing in the database filters by tenant here: only the ORM's tenant net does.
        assert {mine.tenant_id, theirs.tenant_id} <= user_tenants(session.connection())


def test_tenants_are_created_only_on_the_cross_tenant_path(app, postgresql):
    with app.registry["dbsession_factory"]() as session:
        session.add(Tenant(subdomain="rls-refused", display_name="Refused"))
        with pytest.raises(DBAPIError, match="permission denied"):
            session.flush()
