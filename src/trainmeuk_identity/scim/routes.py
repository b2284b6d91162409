"""The SCIM routes, ``/scim/{provider}/v2/...``, and what every SCIM view declares."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pyramid.request import Request
from pyramid.response import Response

from ..permissions import Permission
from .security import scim_root

#: Every SCIM view: bearer-token permission, and no CSRF check — the endpoint is called
#: by the identity provider's server with a bearer token, never by a browser with a
#: cookie, so there is no ambient credential for a cross-site request to ride on.
SCIM_VIEW: dict[str, Any] = {"permission": Permission.ScimProvision, "require_csrf": False}

PREFIX = "/scim/{provider}/v2"

# (name, pattern, methods) — more specific patterns first (".search" before "{id}").
ROUTES: list[tuple[str, str, tuple[str, ...]]] = [
    ("scim.root", "", ()),
    ("scim.search", "/.search", ("POST",)),
    ("scim.users.search", "/Users/.search", ("POST",)),
    ("scim.users.collection", "/Users", ("GET", "POST")),
    ("scim.users.item", "/Users/{id}", ("GET", "PUT", "PATCH", "DELETE")),
    ("scim.groups.search", "/Groups/.search", ("POST",)),
    ("scim.groups.collection", "/Groups", ("GET", "POST")),
    ("scim.groups.item", "/Groups/{id}", ("GET", "PUT", "PATCH", "DELETE")),
    ("scim.service_provider_config", "/ServiceProviderConfig", ("GET",)),
    ("scim.resource_types.collection", "/ResourceTypes", ("GET",)),
    ("scim.resource_types.item", "/ResourceTypes/{id}", ("GET",)),
    ("scim.schemas.collection", "/Schemas", ("GET",)),
    ("scim.schemas.item", "/Schemas/{id}", ("GET",)),
]


def endpoint_url(request: Request, provider: str, app_url: str | None = None) -> str:
    """A tenant's SCIM endpoint (what the admin pastes into the identity provider): built
    from ``request`` (its scheme, host and port), or on ``app_url`` when given."""
    return request.route_url("scim.root", provider=provider, _app_url=app_url).rstrip("/")


def add_routes(config: Any) -> None:
    for name, pattern, _ in ROUTES:
        config.add_route(name, PREFIX + pattern, factory=scim_root, tenant=True)


_REPEATED_SLASHES = re.compile(r"/{2,}")


def collapse_slashes_tween_factory(handler: Callable[[Request], Response], registry: Any):
    """An admin who pastes the endpoint URL with a trailing slash (``.../v2/``) makes
    some provisioning clients ask for ``.../v2//Users``; treat repeated slashes under /scim/ as one, so
    Test connection succeeds either way."""

    def collapse_slashes(request: Request) -> Response:
        path = request.path_info
        if path.startswith("/scim/") and "//" in path:
            request.path_info = _REPEATED_SLASHES.sub("/", path)
        return handler(request)

    return collapse_slashes
