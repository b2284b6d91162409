"""Tenant scoping that cannot be forgotten.

A session bound to a tenant (``bind_tenant``) adds ``tenant_id = <tenant>`` to every
ORM SELECT, UPDATE and DELETE on a :class:`TenantScoped` model, and refuses to flush a
tenant-owned row of another tenant. Views use :class:`TenantScope` to build queries
and add rows; the session-level criteria are the net under it. On PostgreSQL the
binding also sets the tenant of the session's transactions, which the row-level
security policies read (:mod:`.isolation`): the net under both.

Hot paths build their statements once per process with :func:`prepared`: the tenant
is then a bound parameter that :meth:`TenantScope.execute` fills with the scope's
tenant, and the session checks it is the tenant the session is bound to instead of
adding its criteria again (which would build and hash a new statement per request).
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, String, Update, bindparam, event, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from . import isolation
from .meta import TenantScoped
from .transactions import mark_changed

T = TypeVar("T", bound=TenantScoped)

_TENANT_KEY = "trainmeuk.tenant_id"


class CrossTenantWrite(RuntimeError):
    """A row of another tenant was about to be written through a tenant-bound session."""


class CrossTenantRead(RuntimeError):
    """A prepared statement was run for a tenant other than the session's."""


#: The tenant of a :func:`prepared` statement, bound when it runs.
TENANT = bindparam("scope_tenant_id", type_=String)
#: Execution option marking a statement built by :func:`prepared`.
_PREPARED = "trainmeuk_prepared"


def prepared(model: type[T], *extra: Any) -> Select[Any]:
    """``select(model, *extra)`` of the tenant bound at execution (:data:`TENANT`): for
    statements built once per process and run through :meth:`TenantScope.execute`."""
    stmt = select(model, *extra) if extra else select(model)
    return stmt.where(model.tenant_id == TENANT).execution_options(**{_PREPARED: True})


def bind_tenant(session: Session, tenant_id: str, *, set_in_database: bool = False) -> None:
    """Scope ``session`` to ``tenant_id``: its ORM queries (here) and, on PostgreSQL, its
    transactions (row-level security). ``set_in_database``: the statement that loaded
    the tenant already set it for the current transaction (``isolation.tenant_setter``);
    otherwise a transaction under way gets it now, and each later one when it begins."""
    session.info[_TENANT_KEY] = tenant_id
    if not set_in_database and _has_connection(session):
        isolation.set_tenant(session, tenant_id)


def _has_connection(session: Session) -> bool:
    """A transaction under way on a connection (else ``after_begin`` sets the tenant when
    the session first uses one)."""
    transaction = session.get_transaction()
    return transaction is not None and bool(getattr(transaction, "_connections", True))


@event.listens_for(Session, "do_orm_execute")
def _add_tenant_criteria(state: ORMExecuteState) -> None:
    tenant_id = state.session.info.get(_TENANT_KEY)
    if tenant_id is None or state.is_column_load or state.is_relationship_load:
        return
    if state.execution_options.get(_PREPARED):
        # Restricted to the tenant it is given; it must be given the session's.
        if (state.parameters or {}).get(TENANT.key) != tenant_id:
            raise CrossTenantRead("a prepared statement ran for another tenant than the session's")
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantScoped,
                lambda cls: cls.tenant_id == tenant_id,
                include_aliases=True,
                track_closure_variables=False,
            )
        )


@event.listens_for(Session, "after_begin")
def _set_tenant_of_transaction(session: Session, transaction: Any, connection: Any) -> None:
    tenant_id = session.info.get(_TENANT_KEY)
    if tenant_id is not None:
        isolation.set_tenant(connection, tenant_id)


@event.listens_for(Session, "before_flush")
def _check_tenant_of_new_rows(session: Session, flush_context: Any, instances: Any) -> None:
    tenant_id = session.info.get(_TENANT_KEY)
    if tenant_id is None:
        return
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, TenantScoped):
            if obj.tenant_id is None:
                obj.tenant_id = tenant_id
            elif obj.tenant_id != tenant_id:
                raise CrossTenantWrite(f"{obj!r} belongs to another tenant")


class TenantScope:
    """Queries and writes for one tenant; pass it (not a bare session) to services."""

    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def select(self, model: type[T], *extra: Any) -> Select[Any]:
        stmt = select(model, *extra) if extra else select(model)
        return stmt.where(model.tenant_id == self.tenant_id)

    def execute(self, statement: Select[Any], **values: Any) -> Any:
        """Run a :func:`prepared` statement for this tenant, with ``values`` bound."""
        return self.session.execute(statement, {TENANT.key: self.tenant_id, **values})

    def read(self, statement: Select[Any], **values: Any) -> Any:
        """Rows of a :func:`prepared`-style Core statement (its tenant :data:`TENANT`) for
        this tenant, on the session's connection: no mapped objects, no session events,
        no flush first (for reads that follow no write). The statement restricts itself
        to :data:`TENANT`; a session bound to another tenant refuses, as
        :meth:`execute` does."""
        return self._on_connection(statement, values)

    def write(self, statement: Update, **values: Any) -> Any:
        """Run a Core UPDATE restricted to :data:`TENANT` for this tenant, as :meth:`read`
        runs a query: on the session's connection, in its transaction, with nothing of
        the session flushed first; for changes made without mapped objects, where the
        request has no pending change of its own. Returns the result (``rowcount``)."""
        result = self._on_connection(statement, values)
        mark_changed(self.session)  # else the transaction manager would not commit it
        return result

    def _on_connection(self, statement: Any, values: dict[str, Any]) -> Any:
        bound = self.session.info.get(_TENANT_KEY)
        if bound is not None and bound != self.tenant_id:
            raise CrossTenantRead("a prepared statement ran for another tenant than the session's")
        return self.session.connection().execute(statement, {TENANT.key: self.tenant_id, **values})

    def get(self, model: type[T], id_: Any) -> T | None:
        obj = self.session.get(model, id_)
        if obj is None or obj.tenant_id != self.tenant_id:
            return None
        return obj

    def add(self, obj: T) -> T:
        obj.tenant_id = self.tenant_id
        self.session.add(obj)
        return obj
