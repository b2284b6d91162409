"""Tenant isolation enforced by PostgreSQL itself: row-level security.

The ORM already adds the tenant to every query of a tenant-bound session
(:mod:`.scoping`); this is the net under that net. On PostgreSQL every tenant-owned
table has row-level security (migration ``0005``), and its policy lets the
application's role see and write only rows whose ``tenant_id`` is the transaction's
tenant, the setting :data:`TENANT_SETTING`. A query with no tenant set sees no
tenant-owned row at all. Two roles, both without ``BYPASSRLS`` and owning no table:

- :data:`APP_ROLE` (``trainmeuk_app``): everything a request does for its tenant. The
  engine of requests switches to it when it opens a connection (``SET ROLE``), so the
  database URL may name any role that is a member of it, even a superuser.
- :data:`CROSS_TENANT_ROLE` (``trainmeuk_cross_tenant``): the explicit path for work
  that spans tenants (the console script, the mail worker, the provisioning-log writer,
  migrations' data fixes, tests' set-up). It has its own engine
  (``get_engine(..., cross_tenant=True)``), never used by a request's session.

The transaction's tenant is set by the app, folded into a statement it sends anyway
where it can (:func:`tenant_setter`: the query that loads the tenant by its subdomain
also sets it), else by one ``SELECT set_config(...)`` when a tenant-bound session
begins a transaction (:func:`set_tenant`). In a transaction the setting is local to it
(``set_config(..., true)``, i.e. ``SET LOCAL``); on a connection in AUTOCOMMIT (SCIM
reads, which send no BEGIN) it is set for the session and stays on the connection when
it goes back to the pool. The next checkout resets it before anything runs
(:func:`_reset_stale_tenant`), unless the one checking out declares that its first
statement sets the tenant anew (:func:`first_statement_sets_tenant`: the SCIM caller's
query): consecutive SCIM reads then pay no round trip for the reset. So no statement
ever runs under a tenant its own request did not set.

On SQLite every function here does nothing: SQLite has no roles or policies.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator
from typing import Any

from sqlalchemy import String, and_, bindparam, column, event, func, literal, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

TENANT_SETTING = "app.tenant_id"
APP_ROLE = "trainmeuk_app"
CROSS_TENANT_ROLE = "trainmeuk_cross_tenant"

#: connection-record flag: the tenant was set for the session (AUTOCOMMIT), reset it
_SESSION_LEVEL_KEY = "trainmeuk.tenant_on_session"
_ROLE_KEY = "trainmeuk.role"


def uses_row_security(bind: Engine | Connection | None) -> bool:
    """True where the database enforces isolation (PostgreSQL)."""
    return bind is not None and bind.dialect.name == "postgresql"


# -- roles ---------------------------------------------------------------------------------

def _outside_transaction(dbapi_connection: Any, sql: str) -> None:
    """Run ``sql`` on a psycopg connection as a statement of its own (not in a
    transaction a later rollback would undo), leaving the connection as it was."""
    autocommit = dbapi_connection.autocommit
    if not autocommit:
        dbapi_connection.rollback()  # nothing is pending when a connection is set up or returned
        dbapi_connection.autocommit = True
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        if not autocommit:
            dbapi_connection.autocommit = False


def run_as(engine: Engine, role: str) -> None:
    """Every connection of ``engine`` switches to ``role`` when it is opened (once per
    connection, not per request), and is checked out with no tenant set unless the
    checkout sets one first (:func:`first_statement_sets_tenant`)."""
    if not uses_row_security(engine):
        return

    @event.listens_for(engine, "connect")
    def _set_role(dbapi_connection: Any, connection_record: Any) -> None:
        _outside_transaction(dbapi_connection, f'SET ROLE "{role}"')
        connection_record.info[_ROLE_KEY] = role

    event.listen(engine, "checkout", _reset_stale_tenant)


#: True while a caller checks a connection out whose first statement sets the tenant
#: (:func:`first_statement_sets_tenant`); per thread and task, so other requests'
#: checkouts are not concerned.
_SETS_TENANT_FIRST: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "trainmeuk_sets_tenant_first", default=False)


@contextlib.contextmanager
def first_statement_sets_tenant() -> Iterator[None]:
    """Within this block, a connection checked out keeps the tenant an earlier request
    set for its session. The caller promises that its first statement on it is the
    query loading the request's tenant with :func:`tenant_setter`, and that it calls
    :func:`forget_tenant` where there was no such query or it found no tenant (the
    setter runs only on the tenant's row). Saves the reset's round trip between
    requests that each set their own tenant."""
    token = _SETS_TENANT_FIRST.set(True)
    try:
        yield
    finally:
        _SETS_TENANT_FIRST.reset(token)


def _reset_stale_tenant(dbapi_connection: Any, connection_record: Any, connection_proxy: Any) -> None:
    """Checkout: a tenant an earlier request set for the connection's session (AUTOCOMMIT)
    is reset before anything runs on it, unless the first statement sets it anew. If the
    reset fails, the pool discards the connection and checks out another
    (``DisconnectionError``), so a connection whose tenant is unknown is never used."""
    if _SETS_TENANT_FIRST.get() or not connection_record.info.get(_SESSION_LEVEL_KEY):
        return
    try:
        _reset_tenant(dbapi_connection)
    except Exception as exc:
        raise DisconnectionError("could not reset the tenant of a pooled connection") from exc
    del connection_record.info[_SESSION_LEVEL_KEY]


def forget_tenant(connection: Connection) -> None:
    """No tenant on ``connection`` from here on, where a first statement meant to set
    it (:func:`first_statement_sets_tenant`) found no tenant to set: one statement, and
    only if an earlier request left a tenant on the connection's session."""
    if connection.info.get(_SESSION_LEVEL_KEY):  # only ever set where isolation is enforced
        set_tenant(connection, "")


def _reset_tenant(dbapi_connection: Any) -> None:
    """``RESET app.tenant_id``, through psycopg's own (non-blocking) protocol: it waits
    for the server with the GIL released, so the process's other threads go on. (A
    blocking libpq call here held every other thread of the worker for the round trip:
    measured, it cost the production server about a third of its throughput.)"""
    if not dbapi_connection.autocommit:
        _outside_transaction(dbapi_connection, _RESET_SQL)
        return
    dbapi_connection.execute(_RESET_SQL, prepare=False)


_RESET_SQL = f"RESET {TENANT_SETTING}"


# -- the transaction's tenant ------------------------------------------------------------------

def _connection_of(target: Session | Connection) -> Connection:
    return target.connection() if isinstance(target, Session) else target


def tenant_setter(target: Session | Connection, tenant_id: Any) -> ColumnElement[Any] | None:
    """A column that sets the transaction's tenant to ``tenant_id`` (a value, or a column
    expression built once, e.g. ``Tenant.id`` or a CASE over it), to be added to a
    statement sent anyway: the one that loads the tenant. None where the database does
    not enforce isolation (SQLite): add nothing."""
    connection = _connection_of(target)
    if not uses_row_security(connection):
        return None
    local = not connection.connection.dbapi_connection.autocommit
    if not local:
        # No transaction: the setting lasts as long as the session, until the pool resets it.
        connection.info[_SESSION_LEVEL_KEY] = True
    if isinstance(tenant_id, str):
        return func.set_config(TENANT_SETTING, literal(tenant_id, String), local)
    return _setter_of(tenant_id, local)


@functools.lru_cache(maxsize=32)
def _setter_of(expression: Any, local: bool) -> ColumnElement[Any]:
    """The setter of a column expression, built once (requests call it every time)."""
    return func.set_config(TENANT_SETTING, expression, local).label("trainmeuk_tenant")


def set_tenant(target: Session | Connection, tenant_id: str) -> None:
    """Set the transaction's tenant now, in a statement of its own (one round trip);
    for a session whose tenant is known before its transaction's first statement."""
    setter = tenant_setter(target, tenant_id)
    if setter is not None:
        _connection_of(target).execute(select(setter))


def current_tenant(target: Session | Connection) -> str | None:
    """The transaction's tenant as the database sees it (tests, diagnostics)."""
    connection = _connection_of(target)
    if not uses_row_security(connection):
        return None
    value = connection.scalar(select(func.current_setting(TENANT_SETTING, True)))
    return value or None


# -- before the tenant is known ----------------------------------------------------------------

#: The bound parameter carrying the presented token's SHA-256 (hex) in the statement that
#: looks the token up; pass its value under this key.
TOKEN_HASH = bindparam("trainmeuk_scim_token_hash", type_=String)


#: The columns of a SCIM caller (:func:`scim_caller`): the presented token's, then its
#: connection's, each named for its table (``token_<column>``, ``connection_<column>``).
CALLER_TOKEN_COLUMNS = ("id", "tenant_id", "token_hash", "last_used_at")
CALLER_CONNECTION_COLUMNS = ("id", "tenant_id", "provider", "scim_enabled")


def scim_caller(row_security: bool) -> Any:
    """What to select a SCIM caller from, before the tenant is known: the live token
    whose SHA-256 is :data:`TOKEN_HASH` and its provider connection, one row at most,
    columns as :data:`CALLER_TOKEN_COLUMNS` and :data:`CALLER_CONNECTION_COLUMNS` say.

    With row-level security (PostgreSQL), the SECURITY DEFINER function
    ``trainmeuk_scim_caller`` (migration 0007): it returns only the token with that hash
    and its connection, so it reveals nothing to anyone who does not hold the token.
    Elsewhere the same query over the tables. Built once per process."""
    return _caller_function() if row_security else _caller_query()


def _caller_columns(token: Any, connection: Any) -> list[Any]:
    return [*(token[name].label(f"token_{name}") for name in CALLER_TOKEN_COLUMNS),
            *(connection[name].label(f"connection_{name}") for name in CALLER_CONNECTION_COLUMNS)]


@functools.cache
def _caller_function() -> Any:
    from .connection import ProviderConnection, ScimToken

    columns = _caller_columns(ScimToken.__table__.c, ProviderConnection.__table__.c)
    caller = func.trainmeuk_scim_caller(TOKEN_HASH).table_valued(
        *(column(c.key, c.type) for c in columns), name="scim_caller")
    # Build the column collection now, before the source is shared between threads
    # (built lazily on first use; two threads building it at once can see a half-built one).
    caller.c  # noqa: B018
    return caller


@functools.cache
def _caller_query() -> Any:
    from .connection import ProviderConnection, ScimToken

    tokens, connections = ScimToken.__table__, ProviderConnection.__table__
    caller = (select(*_caller_columns(tokens.c, connections.c)).select_from(tokens)
              .outerjoin(connections, and_(connections.c.id == tokens.c.connection_id,
                                           connections.c.tenant_id == tokens.c.tenant_id))
              .where(tokens.c.token_hash == TOKEN_HASH, tokens.c.revoked_at.is_(None))
              .subquery("scim_caller"))
    caller.c  # noqa: B018
    return caller
