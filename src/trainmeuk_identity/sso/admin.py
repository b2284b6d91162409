"""The SSO part of Admin → Settings → SSO & Provisioning, and the form it posts.

The Redirect URI is built from the scheme, host and port the admin's request arrived
on, so the value shown is exactly what this deployment will send to the provider. The
Client Secret is write-only: a blank field keeps the saved one, and the page only says
when it was set and its last four characters.
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from ..audit import record as audit
from ..models import ProviderConnection
from ..permissions import Permission
from ..providers import Provider
from .configure import SaveOutcome, is_configured, save_sso_settings, secret_field
from .oidc import HttpProbe
from .views import redirect_uri, sso_provider

FLASH_OK = "sso"
FLASH_WARNING = "sso-warning"


def sso_section(request: Request, provider: Provider, connection: ProviderConnection | None,
                *, form: Any = None, outcome: SaveOutcome | None = None) -> dict[str, Any]:
    """Values for ``admin/_sso_section.jinja2``; ``form`` and ``outcome`` when a save
    was refused and the page is shown again with what the admin typed."""
    app_settings = request.registry.settings
    uri = redirect_uri(request, provider)
    saved: dict[str, Any] = dict(connection.settings or {}) if connection else {}
    errors = outcome.errors if outcome else {}
    fields = []
    for f in provider.settings_fields:
        value = "" if f.secret else (form.get(f.name, "") if form is not None else saved.get(f.name, ""))
        fields.append({"name": f.name, "label": f.label, "help": f.help, "secret": f.secret,
                       "placeholder": f.placeholder, "value": value, "error": errors.get(f.name)})

    def flag(name: str, current: bool) -> bool:
        return form.get(name) == "on" if form is not None else current

    return {
        "provider_name": provider.name,
        "display_name": provider.display_name,
        "button": f"Sign in with {provider.button_label}",
        "redirect_uri": uri,
        "fields": fields,
        "secret_suffix": connection.client_secret_suffix if connection else None,
        "secret_set_at": connection.client_secret_set_at if connection else None,
        "enabled": flag("sso_enabled", bool(connection and connection.sso_enabled)),
        "create_accounts": flag("sso_create_accounts", bool(connection and connection.sso_create_accounts)),
        "require_sso": flag("require_sso", request.tenant.require_sso),
        "require_sso_error": errors.get("require_sso"),
        "checks": outcome.checks if outcome else [],
        "refused": outcome is not None and not outcome.saved,
        "messages": [] if form is not None else request.session.pop_flash(FLASH_OK),
        "warnings": [] if form is not None else request.session.pop_flash(FLASH_WARNING),
        "save_url": request.route_path("admin.settings.sso.save", provider=provider.name),
        "test_url": request.route_path("sso.login", provider=provider.name, _query={"mode": "test"}),
        "can_test": is_configured(provider, connection, app_settings),
        "steps": provider.setup_steps(uri),
        "troubleshooting": provider.troubleshooting(saved, uri, app_settings),
        "consent_url": provider.admin_consent_url(saved, app_settings, uri),
    }


@view_config(route_name="admin.settings.sso.save", request_method="POST",
             permission=Permission.AdminSettingsManage)
def save(request: Request) -> Response:
    provider = sso_provider(request)
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
    from ..admin.settings import (
        sso_and_provisioning,  # the page view itself (no cycle at import)
    )

    values = sso_and_provisioning(request)
    values["sso"] = sso_section(request, provider, values["connection"], form=request.POST,
                                outcome=outcome)
    response = render_to_response("admin/sso_provisioning.jinja2", values, request=request)
    response.status = 400
    return response
