"""SCIM as Entra speaks it: schema URIs, a client holding a tenant's bearer token, and
bodies of the requests it sends."""

from __future__ import annotations

from typing import Any

import webtest

from trainmeuk_identity.models import Tenant
from trainmeuk_identity.testing import scim as kit
from trainmeuk_identity.testing.scim import (
    CORE_GROUP,
    CORE_USER,
    ENTERPRISE,
    ERROR,
    LIST_RESPONSE,
    PATCH_OP,
    SCIM_JSON,
    patch_op,
)

__all__ = ["CORE_GROUP", "CORE_USER", "ENTERPRISE", "ERROR", "LIST_RESPONSE", "PATCH_OP", "SCIM_JSON",
           "ScimClient", "enable_scim", "new_user", "patch_op"]


def enable_scim(session_factory: Any, tenant: Tenant, provider: str = "entra") -> str:
    """Enable SCIM for ``tenant`` and return the bearer token (committed)."""
    return kit.enable_scim(session_factory, tenant, provider)


class ScimClient(kit.ScimClient):
    """The kit's SCIM client, at Entra's endpoint unless told otherwise."""

    def __init__(self, app: webtest.TestApp, token: str | None, base: str = "/scim/entra/v2") -> None:
        super().__init__(app, token, base)


def new_user(user_name: str = "alice@acme.example", **extra: Any) -> dict[str, Any]:
    """A user as Entra creates it (core + enterprise extension)."""
    body: dict[str, Any] = {
        "schemas": [CORE_USER, ENTERPRISE],
        "externalId": extra.pop("externalId", user_name.split("@")[0]),
        "userName": user_name,
        "active": True,
        "displayName": "Alice Smith",
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Alice Smith", "familyName": "Smith", "givenName": "Alice"},
        "title": "Engineer",
        ENTERPRISE: {"department": "Research", "employeeNumber": "1001",
                     "manager": {"value": "boss-id"}},
    }
    body.update(extra)
    return body

