"""Admin → Settings → SSO & Provisioning: one page per provider (``?provider=``).

The page is the admin's; each feature supplies its part through a
:class:`SettingsSection` (SSO: ``sso/section.py``, SCIM: ``scim/section.py``), shown
for providers that offer the feature. The parts' forms post to routes of this package
(``admin/sso_settings.py``, ``admin/scim_settings.py``).
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.view import view_config

from ..connections import get_connection
from ..models import ProviderConnection
from ..permissions import Permission
from ..providers import Provider
from ..scim.section import SECTION as SCIM_SECTION
from ..sso.section import SECTION as SSO_SECTION

TEMPLATE = "admin/sso_provisioning.jinja2"


class SettingsSection(Protocol):
    """A feature's part of the page: ``key`` names the feature (``"sso"``, ``"scim"``),
    the template's variable and the part's anchor; ``values`` are what the part shows.
    ``state`` carries what one request adds (a refused form, a token just issued)."""

    key: Literal["sso", "scim"]

    def values(self, request: Request, provider: Provider, connection: ProviderConnection | None,
               **state: Any) -> dict[str, Any]: ...


SECTIONS: tuple[SettingsSection, ...] = (SSO_SECTION, SCIM_SECTION)


def selected_provider(request: Request) -> Provider:
    providers = list(request.providers)
    if not providers:
        raise HTTPNotFound("No identity provider plugin is installed.")
    # Without ?provider=, the first by name (the registry's order).
    name = request.params.get("provider") or providers[0].name
    provider = request.providers.get(name)
    if provider is None:
        raise HTTPNotFound(f"There is no identity provider called {name!r}.")
    return provider


@view_config(route_name="admin.settings.sso", request_method="GET",
             renderer=TEMPLATE, permission=Permission.AdminSettingsManage)
def sso_and_provisioning(request: Request) -> dict[str, Any]:
    return page_values(request, selected_provider(request))


def page_values(request: Request, provider: Provider,
                **state: dict[str, Any]) -> dict[str, Any]:
    """What the page shows for ``provider``; ``state[key]`` goes to the section of that
    key (e.g. ``scim={"issued_token": value}``)."""
    connection = get_connection(request.scope, provider.name)
    values: dict[str, Any] = {
        "provider": provider,
        "providers": list(request.providers),
        "connection": connection,
    }
    for section in SECTIONS:
        offered = request.providers.get(provider.name, offering=section.key) is not None
        values[section.key] = (section.values(request, provider, connection, **state.get(section.key, {}))
                               if offered else None)
    return values
