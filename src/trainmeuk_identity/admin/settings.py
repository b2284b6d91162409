"""Admin → Settings → SSO & Provisioning: one page per provider, with an SSO part
(``sso.admin``) and a SCIM part (``scim.admin``), each posting to its own routes."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.view import view_config

from ..connections import get_connection
from ..permissions import Permission
from ..providers import Provider
from ..scim.admin import scim_section
from ..sso.admin import sso_section


def selected_provider(request: Request) -> Provider:
    providers = list(request.providers)
    if not providers:
        raise HTTPNotFound("No identity provider plugin is installed.")
    name = request.params.get("provider") or ("entra" if "entra" in request.providers else providers[0].name)
    provider = request.providers.get(name)
    if provider is None:
        raise HTTPNotFound(f"There is no identity provider called {name!r}.")
    return provider


@view_config(route_name="admin.settings.sso", request_method="GET",
             renderer="admin/sso_provisioning.jinja2", permission=Permission.AdminSettingsManage)
def sso_and_provisioning(request: Request) -> dict[str, Any]:
    return page_values(request, selected_provider(request))


def page_values(request: Request, provider: Provider, **scim_extra: Any) -> dict[str, Any]:
    """What ``admin/sso_provisioning.jinja2`` shows for ``provider``; ``scim_extra`` goes
    to the SCIM part (e.g. a token just issued)."""
    connection = get_connection(request.scope, provider.name)
    return {
        "provider": provider,
        "providers": list(request.providers),
        "connection": connection,
        "sso": sso_section(request, provider, connection) if provider.supports_sso else None,
        "scim": (scim_section(request, provider, connection, **scim_extra)
                 if provider.supports_scim else None),
    }
