"""The SSO part of Admin → Settings → SSO & Provisioning (the page and the route its
form posts to are the admin's, ``admin/settings.py`` and ``admin/sso_settings.py``;
this supplies what the part shows).

The Redirect URI is built from the scheme, host and port the admin's request arrived
on, so the value shown is exactly what this deployment will send to the provider. The
Client Secret is write-only: a blank field keeps the saved one, and the page only says
when it was set and its last four characters.
"""

from __future__ import annotations

from typing import Any

from pyramid.request import Request

from ..models import ProviderConnection
from ..providers import Provider
from .configure import SaveOutcome, is_configured
from .views import field_labels, redirect_uri

FLASH_OK = "sso"
FLASH_WARNING = "sso-warning"


class SsoSection:
    """Values for ``admin/_sso_section.jinja2``."""

    key = "sso"

    def values(self, request: Request, provider: Provider, connection: ProviderConnection | None,
               *, form: Any = None, outcome: SaveOutcome | None = None) -> dict[str, Any]:
        """``form`` and ``outcome`` when a save was refused and the page is shown again
        with what the admin typed."""
        return _values(request, provider, connection, form, outcome)


SECTION = SsoSection()


def _values(request: Request, provider: Provider, connection: ProviderConnection | None,
            form: Any, outcome: SaveOutcome | None) -> dict[str, Any]:
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
        "redirect_uri_help": provider.redirect_uri_help,
        "field_labels": field_labels(provider),
        "check_help": provider.check_connection_help(),
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
