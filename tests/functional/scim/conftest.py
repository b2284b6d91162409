"""SCIM fixtures: a tenant with SCIM enabled for Entra, and a client holding its token."""

from __future__ import annotations

from typing import Any

import pytest

from trainmeuk_identity.models import Tenant

from ...support.app import tenant_app
from ...support.scim import ScimClient, enable_scim


@pytest.fixture
def scim_token(session_factory: Any, tenant: Tenant) -> str:
    return enable_scim(session_factory, tenant)


@pytest.fixture
def scim(app: Any, tenant: Tenant, scim_token: str) -> ScimClient:
    client = ScimClient(tenant_app(app, tenant), scim_token)
    client.tenant_id = tenant.id  # type: ignore[attr-defined]
    return client
