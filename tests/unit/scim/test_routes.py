"""The SCIM route table: names, patterns and methods, as Entra and RFC 7644 address them."""

from __future__ import annotations

from trainmeuk_identity.scim.routes import PREFIX, ROUTES


def test_route_table():
    assert PREFIX == "/scim/{provider}/v2"
    assert {name: (pattern, methods) for name, pattern, methods in ROUTES} == {
        "scim.root": ("", ()),
        "scim.search": ("/.search", ("POST",)),
        "scim.users.search": ("/Users/.search", ("POST",)),
        "scim.users.collection": ("/Users", ("GET", "POST")),
        "scim.users.item": ("/Users/{id}", ("GET", "PUT", "PATCH", "DELETE")),
        "scim.groups.search": ("/Groups/.search", ("POST",)),
        "scim.groups.collection": ("/Groups", ("GET", "POST")),
        "scim.groups.item": ("/Groups/{id}", ("GET", "PUT", "PATCH", "DELETE")),
        "scim.service_provider_config": ("/ServiceProviderConfig", ("GET",)),
        "scim.resource_types.collection": ("/ResourceTypes", ("GET",)),
        "scim.resource_types.item": ("/ResourceTypes/{id}", ("GET",)),
        "scim.schemas.collection": ("/Schemas", ("GET",)),
        "scim.schemas.item": ("/Schemas/{id}", ("GET",)),
    }
    names = [name for name, _, _ in ROUTES]
    # ".search" must be matched before "{id}" would take it.
    assert names.index("scim.users.search") < names.index("scim.users.item")
    assert names.index("scim.groups.search") < names.index("scim.groups.item")
