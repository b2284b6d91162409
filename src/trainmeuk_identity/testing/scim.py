"""A SCIM client holding a tenant's bearer token (WebTest on the tenant's host), and the
SCIM schema URIs."""

from __future__ import annotations

import json
from typing import Any

import webtest

from trainmeuk_identity.models import Tenant, TenantScope
from trainmeuk_identity.scim import tokens

SCIM_JSON = "application/scim+json; charset=utf-8"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def enable_scim(session_factory: Any, tenant: Tenant, provider: str) -> str:
    """Enable SCIM from ``provider`` for ``tenant`` and return the bearer token (committed)."""
    with session_factory() as session, session.begin():
        _, issued = tokens.enable_scim(TenantScope(session, tenant.id), provider)
        assert issued is not None
        return issued.value


class ScimClient:
    """WebTest on the tenant's host at ``base`` (``/scim/<provider>/v2``), sending what a
    provisioning client sends (bearer token, SCIM JSON)."""

    def __init__(self, app: webtest.TestApp, token: str | None, base: str) -> None:
        self.app = app
        self.token = token
        self.base = base

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def get(self, path: str, status: int | str = 200, **params: Any) -> webtest.TestResponse:
        return self.app.get(self.base + path, params=params or None, headers=self._headers(),
                            status=status)

    def _send(self, method: str, path: str, body: Any, status: int | str) -> webtest.TestResponse:
        raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return getattr(self.app, method)(self.base + path, raw, headers=self._headers(
            {"Content-Type": SCIM_JSON}), status=status)

    def post(self, path: str, body: Any, status: int | str = 201) -> webtest.TestResponse:
        return self._send("post", path, body, status)

    def put(self, path: str, body: Any, status: int | str = 200) -> webtest.TestResponse:
        return self._send("put", path, body, status)

    def patch(self, path: str, body: Any, status: int | str = 200) -> webtest.TestResponse:
        return self._send("patch", path, body, status)

    def delete(self, path: str, status: int | str = 204) -> webtest.TestResponse:
        return self.app.delete(self.base + path, headers=self._headers(), status=status)


def patch_op(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}
