"""The SCIM bearer token policy: who may provision this tenant through this provider.

A request is let in only if its token is live, belongs to the request's tenant (the
Host header), belongs to the connection of the provider named in the URL, and SCIM is
enabled on that connection. Why a request was refused is kept on the request, so the
forbidden view can answer 401 (no or wrong token) or 403 (SCIM switched off) with a
message the customer's admin can act on.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pyramid.request import Request
from sqlalchemy import ColumnElement, Select, select

from ..crypto import hash_token, tokens_equal
from ..models import Tenant, isolation
from ..permissions import Principal, ScimContext
from ..tenancy import (
    SUBDOMAIN,
    TENANT_COLUMNS,
    request_subdomain,
    tenant_from_row,
    tenant_setter,
    tenant_statement,
    use_tenant,
    with_setter,
)

READ_ONLY_METHODS = frozenset({"GET", "HEAD"})

#: ``last_used_at`` is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class Refusal(enum.Enum):
    no_token = "no_token"
    bad_token = "bad_token"
    scim_disabled = "scim_disabled"


@dataclass(frozen=True)
class CallerToken:
    """What a request needs of the SCIM token it presented (a ``scim_tokens`` row)."""

    id: str
    tenant_id: str
    token_hash: str
    last_used_at: datetime | None


@dataclass(frozen=True)
class CallerConnection:
    """What a request needs of that token's provider connection."""

    id: str
    tenant_id: str
    provider: str
    scim_enabled: bool


@dataclass
class ScimIdentity:
    """A valid SCIM token: its connection, tenant and provider name."""

    token: CallerToken
    connection: CallerConnection
    tenant_id: str
    provider: str

    @property
    def userid(self) -> str:
        return f"scim:{self.provider}:{self.token.id}"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


#: ``environ`` key holding the SHA-256 (hex) of the presented bearer token, or None.
TOKEN_HASH_KEY = "trainmeuk.scim_token_hash"


def presented_token_hash(request: Request) -> str | None:
    """The stored form of the bearer token this request presents (None without one),
    computed once per request: the fairness limits key by it, the token lookup finds
    by it."""
    if TOKEN_HASH_KEY not in request.environ:
        presented = bearer_token(request)
        request.environ[TOKEN_HASH_KEY] = hash_token(presented) if presented else None
    return request.environ[TOKEN_HASH_KEY]


def needs_last_used_update(token: CallerToken, now: datetime) -> bool:
    return token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION


@dataclass
class ScimCaller:
    """Who is calling, read in one round trip: the tenant the Host names, and the live
    token presented with its connection if that token is this tenant's."""

    tenant: Tenant | None
    token: CallerToken | None = None
    connection: CallerConnection | None = None
    presented: bool = False


def load_caller(request: Request) -> ScimCaller:
    """The tenant, token and connection of a SCIM request, in one SELECT.

    The token is looked up by its hash (an index probe, which reveals nothing about the
    token) and only among the tenant's own tokens, so another tenant's token finds
    nothing; the final comparison is constant-time (``hmac.compare_digest``).
    """
    subdomain = request_subdomain(request)
    if not subdomain:
        return ScimCaller(tenant=None)
    digest = presented_token_hash(request)
    session = request.dbsession
    db = session.connection()
    # On PostgreSQL the same statement sets the transaction's tenant (row-level security).
    setter = tenant_setter(db)
    if digest is None:
        tenant = session.scalar(tenant_statement(setter), {SUBDOMAIN.key: subdomain})
        return ScimCaller(tenant=tenant)
    # Core, not the ORM: the tenant is built from its columns (tenant_from_row).
    row = db.execute(_caller_statement(setter),
                     {SUBDOMAIN.key: subdomain, isolation.TOKEN_HASH.key: digest}).first()
    if row is None:
        return ScimCaller(tenant=None, presented=True)
    tenant, (token, connection) = tenant_from_row(row[:_TOKEN_START]), _caller_parts(row)
    if token is None or not tokens_equal(token.token_hash, digest):
        token = connection = None
    return ScimCaller(tenant=tenant, token=token, connection=connection, presented=True)


# The tenant, the token and the connection are read as columns (only what a request
# needs), not as mapped objects: the ORM's query cost more than the columns' values are
# worth here. The token's and connection's follow the tenant's in the row, in the order
# isolation.scim_caller names them, id first: each dataclass's fields, in order
# (tests/unit/scim/test_caller_columns.py).
_TOKEN_FIELDS = isolation.CALLER_TOKEN_COLUMNS
_CONNECTION_FIELDS = isolation.CALLER_CONNECTION_COLUMNS
_TOKEN_START = len(TENANT_COLUMNS)
_TOKEN_END = _TOKEN_START + len(_TOKEN_FIELDS)


def _caller_parts(row: Any) -> tuple[CallerToken | None, CallerConnection | None]:
    """The token and connection of a caller row; None where the outer join found none."""
    token_values = row[_TOKEN_START:_TOKEN_END]
    connection_values = row[_TOKEN_END:_TOKEN_END + len(_CONNECTION_FIELDS)]
    return (CallerToken(*token_values) if token_values[0] is not None else None,
            CallerConnection(*connection_values) if connection_values[0] is not None else None)


# Built once per process, its values bound at execution: building and hashing a
# statement of three entities cost more than the rest of the query.
@functools.lru_cache(maxsize=8)
def _caller_statement(setter: ColumnElement[Any] | None) -> Select[Any]:
    # The tenant is not known yet, so on PostgreSQL row-level security would hide every
    # token: the token and its connection are found by hash through the function made
    # for that (isolation.scim_caller).
    caller = isolation.scim_caller(row_security=setter is not None)
    columns = [caller.c[f"token_{name}"] for name in _TOKEN_FIELDS] \
        + [caller.c[f"connection_{name}"] for name in _CONNECTION_FIELDS]
    # The left side of the join is named (select_from): SQLAlchemy would otherwise infer
    # it when the statement is first compiled, and a process's first requests compile it
    # in many threads at once.
    tenants = Tenant.__table__
    return with_setter(setter, select(*TENANT_COLUMNS, *columns).select_from(tenants)
        .outerjoin(caller, caller.c.token_tenant_id == tenants.c.id)
        .where(tenants.c.subdomain == SUBDOMAIN))


def scim_root(request: Request) -> ScimContext:
    """Route factory of the SCIM routes: the caller is read (one query) before the
    context asks for the tenant, so the tenant costs no query of its own."""
    session = request.dbsession
    # The caller's query is the first statement on the request's connection and sets
    # its tenant: a tenant an earlier SCIM read left on the pooled connection is
    # overwritten rather than reset first (one round trip fewer per request).
    with isolation.first_statement_sets_tenant():
        if request.method in READ_ONLY_METHODS and session.get_bind().dialect.name == "postgresql":
            # Reads need no transaction of their own: without BEGIN and ROLLBACK, a GET
            # costs the server two round trips fewer. Nothing on these paths writes.
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        caller = load_caller(request)
        if caller.tenant is None:
            isolation.forget_tenant(session.connection())
    request.scim_caller = caller
    use_tenant(request, caller.tenant, set_in_database=True)
    return ScimContext(request)


class ScimBearerPolicy:
    """Resolved once per request (the composed policy caches the identity)."""

    def identity(self, request: Request) -> ScimIdentity | None:
        tenant = request.tenant
        provider = getattr(request.context, "provider_name", "")
        caller: ScimCaller | None = getattr(request, "scim_caller", None)
        request.scim_refusal = Refusal.no_token
        if tenant is None or caller is None or not caller.presented:
            return None
        request.scim_refusal = Refusal.bad_token
        token, connection = caller.token, caller.connection
        # A token of another tenant or another provider is as good as no token.
        if token is None or connection is None or token.tenant_id != tenant.id:
            return None
        if connection.tenant_id != tenant.id or connection.provider != provider:
            return None
        if not connection.scim_enabled:
            request.scim_refusal = Refusal.scim_disabled
            return None
        request.scim_refusal = None
        return ScimIdentity(token=token, connection=connection, tenant_id=tenant.id,
                            provider=provider)

    def principals(self, request: Request, identity: ScimIdentity) -> list[str]:
        return [Principal.scim]
