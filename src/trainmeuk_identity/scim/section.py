"""The SCIM part of Admin → Settings → SSO & Provisioning (the page is the admin's,
``admin/settings.py``; this supplies what the part shows).

The bearer token's value exists only in the response to the POST that created it
(rendered there, with ``Cache-Control: no-store``); it is never put in the session,
the database or a redirect. Afterwards the page shows only its last four characters
and when it was created and last used, so an admin can check what the identity provider
was given. How to connect the provider's provisioning is the provider's own content
(``Provider.scim_setup``).
"""

from __future__ import annotations

from typing import Any

from pyramid.request import Request

from ..models import ProviderConnection
from ..providers import Provider, ScimSetup
from .routes import endpoint_url

#: The flash queue of the SCIM part (its template shows the messages).
FLASH_QUEUE = "scim"


def scim_setup(request: Request, provider: Provider) -> ScimSetup:
    """The provider's instructions for connecting its provisioning to this tenant."""
    links = {"users": request.route_path("admin.users"),
             "provisioning_log": request.route_path("admin.provisioning_log")}
    return provider.scim_setup(endpoint_url(request, provider.name), links)


class ScimSection:
    """Values for ``admin/_scim_section.jinja2``."""

    key = "scim"

    def values(self, request: Request, provider: Provider, connection: ProviderConnection | None,
               *, issued_token: str | None = None) -> dict[str, Any]:
        """``issued_token`` is the value of a token created by this very request; it is
        shown once, on this response only."""
        token = connection.active_token if connection is not None else None
        return {
            "enabled": bool(connection and connection.scim_enabled),
            "endpoint_url": endpoint_url(request, provider.name),
            "action_url": request.route_path("admin.settings.scim", provider=provider.name),
            "token": token,
            "issued_token": issued_token,
            "provider_name": provider.name,
            "provider_display_name": provider.display_name,
            "provider_short_name": provider.short_name,
            "setup": scim_setup(request, provider),
        }


SECTION = ScimSection()
