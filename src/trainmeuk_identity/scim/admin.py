"""The SCIM part of Admin → Settings → SSO & Provisioning.

The bearer token's value exists only in the response to the POST that created it
(rendered there, with ``Cache-Control: no-store``); it is never put in the session,
the database or a redirect. Afterwards the page shows only its last four characters
and when it was created and last used, so an admin can check what Entra was given.
"""

from __future__ import annotations

from typing import Any

from pyramid.request import Request

from ..models import ProviderConnection
from ..providers import Provider


def scim_endpoint_url(request: Request, provider: str) -> str:
    """This tenant's SCIM base URL as the admin reaches this page (scheme, host, port)."""
    return f"{request.application_url}/scim/{provider}/v2"


def scim_section(request: Request, provider: Provider,
                 connection: ProviderConnection | None, *,
                 issued_token: str | None = None) -> dict[str, Any]:
    """Values for ``admin/_scim_section.jinja2``.

    ``issued_token`` is the value of a token created by this very request; it is
    shown once, on this response only.
    """
    token = connection.active_token if connection is not None else None
    return {
        "enabled": bool(connection and connection.scim_enabled),
        "endpoint_url": scim_endpoint_url(request, provider.name),
        "action_url": request.route_path("admin.settings.scim", provider=provider.name),
        "token": token,
        "issued_token": issued_token,
        "provider_name": provider.name,
        "provider_display_name": provider.display_name,
    }
