"""Host header -> tenant. ``acme.<base domain>`` is tenant ``acme``.

``request.tenant`` is resolved once per request (reified) and the request's database
session is bound to it, so every tenant-owned query is scoped to it. Views that serve
tenants use the ``tenant`` route predicate; an unknown subdomain answers 404 "no
organisation at this address"; the bare base domain serves the product's landing page.
"""

from __future__ import annotations

import functools
from typing import Any

from pyramid.request import Request
from sqlalchemy import ColumnElement, Select, String, bindparam, case, literal, select
from sqlalchemy.orm import make_transient_to_detached

from .errors import UnknownTenant  # raised here, rendered there
from .hosts import split_host
from .models import Tenant, TenantScope, TenantStatus, bind_tenant, isolation


def subdomain_of(host: str, base_domain: str) -> str | None:
    """``acme`` for ``acme.example.com:443`` under ``example.com``; ``""`` for the bare
    base domain; None for a host outside it or not a valid ``hostname[:port]`` at all
    (userinfo, a non-numeric port, spaces: see :mod:`trainmeuk_identity.hosts`)."""
    parts = split_host(host)
    if parts is None:
        return None
    hostname = parts[0].rstrip(".").lower()
    if hostname == base_domain:
        return ""
    suffix = "." + base_domain
    if hostname.endswith(suffix):
        label = hostname[: -len(suffix)]
        return label if label and "." not in label else None
    return None


def request_subdomain(request: Request) -> str | None:
    return subdomain_of(request.host, request.registry.settings["trainmeuk.base_domain"])


def get_tenant(request: Request) -> Tenant | None:
    """The active tenant this request's host names, or None (bare domain, foreign host,
    unknown or suspended organisation). Tenant routes refuse None (``require_tenant``)."""
    subdomain = request_subdomain(request)
    if not subdomain:
        return None
    session = request.dbsession
    tenant = session.scalar(tenant_statement(tenant_setter(session)), {SUBDOMAIN.key: subdomain})
    return use_tenant(request, tenant, set_in_database=True)


def tenant_setter(session: Any) -> ColumnElement[Any] | None:
    """A column that, added to the statement loading a Tenant, also sets the
    transaction's tenant to that tenant if it is active, on PostgreSQL (row-level
    security, :mod:`.models.isolation`): the tenant costs no round trip of its own.
    None on SQLite. ``session``: the request's session, or its connection."""
    return isolation.tenant_setter(session, _ACTIVE_TENANT_ID)


def with_setter(setter: ColumnElement[Any] | None, statement: Select[Any]) -> Select[Any]:
    """``statement`` (which loads a Tenant) with :func:`tenant_setter`'s column, if any."""
    return statement if setter is None else statement.add_columns(setter)


#: The subdomain, bound when a statement built by this module runs.
SUBDOMAIN = bindparam("tenant_subdomain", type_=String)


@functools.lru_cache(maxsize=8)
def tenant_statement(setter: ColumnElement[Any] | None) -> Select[Any]:
    """The tenant of :data:`SUBDOMAIN`; built once per process (per setter), its value
    bound at execution, so no request builds or hashes a statement."""
    return with_setter(setter, select(Tenant).where(Tenant.subdomain == SUBDOMAIN))


#: A tenant's columns, for hot paths that read it with Core (:func:`tenant_from_row`).
TENANT_COLUMNS = tuple(Tenant.__table__.c)
_TENANT_KEYS = tuple(Tenant.__mapper__.get_property_by_column(c).key for c in TENANT_COLUMNS)


def tenant_from_row(values: Any) -> Tenant:
    """The Tenant whose :data:`TENANT_COLUMNS` hold ``values``, built without a query:
    every attribute loaded, no pending change, in no session (detached). Nothing maps
    a relationship to a tenant, so no flush can reach it; reading it is all a request does."""
    tenant = Tenant(**dict(zip(_TENANT_KEYS, values, strict=True)))
    make_transient_to_detached(tenant)
    return tenant


#: The tenant's id if it is active, else no tenant (a suspended tenant's rows stay hidden).
_ACTIVE_TENANT_ID = case((Tenant.status == TenantStatus.active, Tenant.id), else_=literal(""))


def use_tenant(request: Request, tenant: Tenant | None, *, set_in_database: bool = False) -> Tenant | None:
    """Make ``tenant`` the request's tenant (``request.tenant``) if it is active, and
    bind the request's session to it; for callers that read the tenant together with
    other rows in one query (the SCIM bearer token). ``set_in_database``: that query
    set the transaction's tenant as well (:func:`tenant_setter`)."""
    if tenant is None or tenant.status != TenantStatus.active:
        tenant = None
    else:
        bind_tenant(request.dbsession, tenant.id, set_in_database=set_in_database)
    request.tenant = tenant
    return tenant


def require_tenant(request: Request) -> Tenant:
    tenant = request.tenant
    if tenant is None:
        raise UnknownTenant()
    return tenant


def get_scope(request: Request) -> TenantScope:
    return TenantScope(request.dbsession, require_tenant(request).id)


class TenantHostPredicate:
    """Route predicate: ``tenant=True`` matches tenant hosts, ``False`` the bare domain."""

    def __init__(self, value: bool, config: Any) -> None:
        self.value = value

    def text(self) -> str:
        return f"tenant = {self.value}"

    phash = text

    def __call__(self, info: dict[str, Any], request: Request) -> bool:
        subdomain = request_subdomain(request)
        if subdomain is None:
            return False
        return bool(subdomain) == self.value


DEVELOPMENT_PORT = 6543  # where `make run` serves (development.ini)


def tenant_base_url(settings: dict[str, Any], subdomain: str, request: Request | None = None) -> str:
    """The address a tenant's people use, for links made outside its own pages (the
    console script, emails): ``https://<subdomain>.<base domain>`` in production.
    Elsewhere the scheme and port of ``request`` when one is given, else
    ``http://...:6543`` as ``make run`` serves it."""
    host = f"{subdomain}.{settings['trainmeuk.base_domain']}"
    if str(settings.get("trainmeuk.environment", "")).strip() == "production":
        return f"https://{host}"
    if request is not None:
        default_port = {"http": "80", "https": "443"}.get(request.scheme)
        port = "" if request.host_port == default_port else f":{request.host_port}"
        return f"{request.scheme}://{host}{port}"
    return f"http://{host}:{DEVELOPMENT_PORT}"


def includeme(config: Any) -> None:
    config.add_request_method(get_tenant, "tenant", reify=True)
    config.add_request_method(get_scope, "scope", reify=True)
    config.add_route_predicate("tenant", TenantHostPredicate)
