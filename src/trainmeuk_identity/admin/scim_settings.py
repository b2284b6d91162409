"""Admin → Settings → SSO & Provisioning, SCIM part: turning SCIM on and off and
regenerating its bearer token.

A newly created token is rendered on the POST response itself (never stored, never
in the session cookie, never in a redirect) with ``Cache-Control: no-store``; every
other outcome redirects back to the page with a flash message.
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config

from ..audit import record as audit
from ..connections import get_connection
from ..permissions import Permission
from ..providers import Provider
from ..scim import tokens
from ..scim.section import FLASH_QUEUE
from .settings import TEMPLATE, page_values


def _provider(request: Request) -> Provider:
    provider = request.providers.get(request.matchdict["provider"], offering="scim")
    if provider is None:
        raise HTTPNotFound("There is no identity provider with SCIM provisioning at this address.")
    return provider


def _back(request: Request, provider: Provider, message: str) -> HTTPSeeOther:
    request.session.flash(message, queue=FLASH_QUEUE)
    url = request.route_path("admin.settings.sso", _query={"provider": provider.name})
    return HTTPSeeOther(location=url + "#scim")


def _page_with_token(request: Request, provider: Provider, value: str) -> dict[str, Any]:
    """The settings page, showing ``value`` once; the browser must not keep a copy."""
    request.response.cache_control = "no-store"
    request.response.headers["Pragma"] = "no-cache"
    return page_values(request, provider, scim={"issued_token": value})


@view_config(route_name="admin.settings.scim", request_method="POST",
             renderer=TEMPLATE, permission=Permission.AdminSettingsManage)
def change_scim(request: Request) -> Any:
    provider = _provider(request)
    scope = request.scope
    action = request.POST.get("action", "toggle")
    if action == "regenerate":
        issued = tokens.rotate_token(scope, provider.name)
        audit(request, "scim.token.regenerated", target=provider.name,
              detail={"token_suffix": issued.token.suffix})
        return _page_with_token(request, provider, issued.value)
    if action != "toggle":
        raise HTTPNotFound("Unknown action.")

    want_on = request.POST.get("enabled") == "on"
    connection = get_connection(scope, provider.name)
    if want_on:
        if connection is not None and connection.scim_enabled and connection.active_token:
            return _back(request, provider, "SCIM provisioning is already on.")
        connection, issued = tokens.enable_scim(scope, provider.name)
        token = issued.token if issued else connection.active_token
        audit(request, "scim.enabled", target=provider.name,
              detail={"token_suffix": token.suffix if token else None, "new_token": bool(issued)})
        if issued is not None:
            return _page_with_token(request, provider, issued.value)
        return _back(request, provider,
                     f"SCIM provisioning is on again. The token ending …{token.suffix if token else ''} "
                     f"that you gave {provider.display_name} works again.")
    if connection is None or not connection.scim_enabled:
        return _back(request, provider, "SCIM provisioning is already off.")
    tokens.disable_scim(scope, provider.name)
    audit(request, "scim.disabled", target=provider.name)
    return _back(request, provider,
                 f"SCIM provisioning is off: TrainMeUK refuses {provider.display_name}'s "
                 "provisioning requests until you turn it on again. The token is kept, so "
                 f"turning SCIM on again needs no change in {provider.short_name}.")

