"""Database wiring (the pyramid-cookiecutter pattern) and the model registry.

``request.dbsession`` is a SQLAlchemy session joined to the request's transaction
(pyramid_tm): a view that returns commits, a view that raises rolls back.
"""

from __future__ import annotations

import os
import weakref
from typing import Any

from pyramid_retry import mark_error_retryable
from sqlalchemy import engine_from_config, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, configure_mappers, sessionmaker

from ..settings import DEFAULT_POOL_OVERFLOW, DEFAULT_THREADS
from .audit import AuditEvent
from .connection import ProviderConnection, ScimToken
from .credentials import LoginFailure, PasswordToken
from .cursors import use_lazy_description
from .group import Group, GroupMember
from .isolation import APP_ROLE, CROSS_TENANT_ROLE, run_as
from .meta import Base, metadata
from .outbox import OutboxMessage
from .provisioning_log import ProvisioningLogEntry
from .rate_limit import ScimRateCount
from .scoping import TenantScope, bind_tenant
from .sso_identity import SsoIdentity
from .sso_state import SsoStateUse
from .staff_session import StaffSession
from .tenant import Tenant, TenantStatus
from .transactions import joined_session
from .user import User, UserEmail, UserSource

__all__ = [
    "APP_ROLE", "CROSS_TENANT_ROLE", "AuditEvent", "Base", "Group", "GroupMember", "LoginFailure",
    "OutboxMessage", "PasswordToken", "ProviderConnection", "ProvisioningLogEntry", "ScimRateCount",
    "ScimToken", "SsoIdentity", "SsoStateUse", "StaffSession", "Tenant", "TenantScope",
    "TenantStatus", "User", "UserEmail", "UserSource", "bind_tenant", "get_engine",
    "get_session_factory", "get_tm_session", "metadata",
]

configure_mappers()

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Connections of the cross-tenant engine per process: its background threads (mail,
# provisioning log) and the odd console command; more open beyond it when needed.
CROSS_TENANT_POOL_SIZE = 2

# Every engine of this process. A forked child (a gunicorn worker: pserve loads the
# app in the master, then the server forks) must not share its parent's pooled
# connections: it drops them, unclosed, and opens its own (SQLAlchemy's recipe for
# multiprocessing, ``dispose(close=False)``).
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _forget_parent_connections() -> None:
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_parent_connections)


def _configure_sqlite(engine: Engine, immediate: bool) -> None:
    """Make SQLite serialise writers instead of failing with "database is locked".

    pysqlite's own transaction handling is switched off, and every transaction starts
    with BEGIN IMMEDIATE: a writer waits (busy timeout) for the write lock up front
    instead of failing when a read transaction tries to upgrade. WAL lets readers go on.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database and engine.url.database != ":memory:":
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _retry_after_disconnect(context: Any) -> None:
    """A request whose statement met a dropped database connection is tried again
    (pyramid_retry), from the start and on a fresh connection: its transaction cannot
    have committed. A connection lost during COMMIT is not retried (the COMMIT may have
    reached the server), nor is one that could not be made at all."""
    if context.is_disconnect and context.statement is not None \
            and context.sqlalchemy_exception is not None:
        mark_error_retryable(context.sqlalchemy_exception)


def get_engine(settings: dict[str, Any], prefix: str = "sqlalchemy.", *,
               read_only: bool = False, role: str | None = None,
               pool_size: int | None = None) -> Engine:
    """The engine for ``settings``. ``read_only`` engines (tests, reports) start plain
    SQLite transactions, which never hold the write lock and so never block writers.
    ``role``: on PostgreSQL, every connection switches to this database role when it is
    opened (:data:`APP_ROLE` for requests, :data:`CROSS_TENANT_ROLE` for work across
    tenants; see :mod:`.isolation`); None keeps the role the URL logs in as (migrations,
    tests' set-up)."""
    options: dict[str, Any] = {}
    url = str(settings[prefix + "url"])
    if url.startswith("sqlite"):
        options["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        # A connection the server dropped (restart, failover, idle timeout) fails the
        # statement that finds it; the pool then discards the connections made before it
        # and the request is tried again on a fresh one (see _retry_after_disconnect).
        # No ping on every checkout: that would cost each request a round trip.
        if prefix + "pool_pre_ping" not in settings:
            options["pool_pre_ping"] = False
        # One connection per server thread (sqlalchemy.pool_size, TRAINMEUK_DB_POOL_SIZE).
        if pool_size is not None:
            options["pool_size"] = pool_size
        elif prefix + "pool_size" not in settings:
            options["pool_size"] = DEFAULT_THREADS
        if prefix + "max_overflow" not in settings:
            options["max_overflow"] = DEFAULT_POOL_OVERFLOW
    engine = engine_from_config(settings, prefix, **options)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, immediate=not read_only)
    else:
        event.listen(engine, "handle_error", _retry_after_disconnect)
        if engine.dialect.driver == "psycopg":
            event.listen(engine, "connect", use_lazy_description)
        if role is not None:
            run_as(engine, role)
    _ENGINES.add(engine)
    return engine


def get_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def get_tm_session(session_factory: sessionmaker[Session], transaction_manager: Any,
                   request: Any = None) -> Session:
    """A session joined to ``transaction_manager``: commit and abort follow it."""
    return joined_session(session_factory, transaction_manager, info={"request": request})


def includeme(config: Any) -> None:
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    settings["tm.annotate_user"] = False

    # Requests: the restricted role, which sees only the transaction's tenant's rows.
    engine = get_engine(settings, role=APP_ROLE)
    session_factory = get_session_factory(engine)
    config.registry["dbsession_factory"] = session_factory
    config.registry["db_engine"] = engine
    # Work across tenants (the console, the mail worker, the provisioning-log writer):
    # an engine of its own, never a request's session. On SQLite there are no roles.
    cross_engine = engine if engine.dialect.name == "sqlite" else get_engine(
        settings, role=CROSS_TENANT_ROLE, pool_size=CROSS_TENANT_POOL_SIZE)
    config.registry["cross_tenant_engine"] = cross_engine
    config.registry["cross_tenant_session_factory"] = get_session_factory(cross_engine)

    def dbsession(request: Any) -> Session:
        return get_tm_session(session_factory, request.tm, request=request)

    config.add_request_method(dbsession, reify=True)
