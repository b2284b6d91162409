"""The route table of the built application: every URL the product serves, by name. A
change here is a change customers (Redirect URI, SCIM endpoint URL) or the front end
(/api/session) see. (It needs the whole app, so it is a functional test.)"""

from __future__ import annotations

from pyramid.interfaces import IRoutesMapper

EXPECTED = {
    "health": "/healthz",
    "landing": "/",
    "home": "/",
    "auth.login": "/login",
    "auth.logout": "/logout",
    "auth.logout_everywhere": "/logout/everywhere",
    "auth.set_password": "/set-password/{token}",
    "api.session": "/api/session",
    "admin.index": "/admin",
    "admin.settings.sso": "/admin/settings/sso",
    "admin.settings.sso.save": "/admin/settings/sso/{provider}",
    "admin.settings.scim": "/admin/settings/scim/{provider}",
    "admin.users": "/admin/users",
    "admin.users.new": "/admin/users/new",
    "admin.users.item": "/admin/users/{user_id}",
    "admin.provisioning_log": "/admin/provisioning-log",
    "admin.audit": "/admin/audit",
    "sso.login": "/sso/{provider}/login",
    "sso.callback": "/sso/{provider}/callback",
    "scim.root": "/scim/{provider}/v2",
    "scim.search": "/scim/{provider}/v2/.search",
    "scim.users.search": "/scim/{provider}/v2/Users/.search",
    "scim.users.collection": "/scim/{provider}/v2/Users",
    "scim.users.item": "/scim/{provider}/v2/Users/{id}",
    "scim.groups.search": "/scim/{provider}/v2/Groups/.search",
    "scim.groups.collection": "/scim/{provider}/v2/Groups",
    "scim.groups.item": "/scim/{provider}/v2/Groups/{id}",
    "scim.service_provider_config": "/scim/{provider}/v2/ServiceProviderConfig",
    "scim.resource_types.collection": "/scim/{provider}/v2/ResourceTypes",
    "scim.resource_types.item": "/scim/{provider}/v2/ResourceTypes/{id}",
    "scim.schemas.collection": "/scim/{provider}/v2/Schemas",
    "scim.schemas.item": "/scim/{provider}/v2/Schemas/{id}",
}


def test_route_table(app):
    routes = {r.name: r.pattern for r in app.registry.getUtility(IRoutesMapper).get_routes()
              if not r.name.startswith("__static")}
    assert routes == EXPECTED


def test_search_routes_come_before_item_routes(app):
    names = [r.name for r in app.registry.getUtility(IRoutesMapper).get_routes()]
    assert names.index("scim.users.search") < names.index("scim.users.item")
    assert names.index("scim.groups.search") < names.index("scim.groups.item")
