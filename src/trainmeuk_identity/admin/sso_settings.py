"""Admin → Settings → SSO & Provisioning, SSO part: saving the connection.

The values are checked with the provider before they are saved (``sso/configure.py``,
the same as ``trainmeuk-identity sso configure``). A refused save shows the page again
(400) with what the admin typed; a save redirects back with what the checks found.
"""

from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from ..audit import record as audit
from ..permissions import Permission
from ..providers import Provider
from ..sso.configure import SaveOutcome, save_sso_settings, secret_field
from ..sso.oidc import HttpProbe
from ..sso.section import FLASH_OK, FLASH_WARNING
from .settings import TEMPLATE, page_values


def _provider(request: Request) -> Provider:
    provider = request.providers.get(request.matchdict["provider"], offering="sso")
    if provider is None:
        raise HTTPNotFound("There is no such sign-in method.")
    return provider


@view_config(route_name="admin.settings.sso.save", request_method="POST",
             permission=Permission.AdminSettingsManage)
def save(request: Request) -> Response:
    provider = _provider(request)
    post = request.POST
    secret_name = secret_field(provider)
    outcome = save_sso_settings(
        request.scope, request.tenant, provider, values=post,
        secret=post.get(secret_name) if secret_name else None,
        enable=post.get("sso_enabled") == "on",
        create_accounts=post.get("sso_create_accounts") == "on",
        require_sso=post.get("require_sso") == "on",
        app_settings=request.registry.settings, probe=HttpProbe())
    if not outcome.saved:
        return _page_again(request, provider, outcome)
    audit(request, "sso.settings.saved", target=provider.name,
          detail={"changed": ", ".join(outcome.changes) or "nothing",
                  "sso_enabled": "on" if post.get("sso_enabled") == "on" else "off",
                  "warnings": len(outcome.warnings)})
    request.session.flash("SSO settings saved.", FLASH_OK)
    for check in outcome.checks:
        if check.ok:
            request.session.flash(check.message, FLASH_OK)
        else:
            request.session.flash(f"Saved, but not verified: {check.message}", FLASH_WARNING)
    return HTTPSeeOther(location=request.route_url(
        "admin.settings.sso", _query={"provider": provider.name}, _anchor="sso"))


def _page_again(request: Request, provider: Provider, outcome: SaveOutcome) -> Response:
    values = page_values(request, provider, sso={"form": request.POST, "outcome": outcome})
    response = render_to_response(TEMPLATE, values, request=request)
    response.status = 400
    return response
