"""A tenant's provider connections: finding or creating the row for a provider, and
which providers the tenant signs in with."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from .models import ProviderConnection, TenantScope
from .models.scoping import TENANT

#: The names of the providers a tenant has SSO switched on for, in order; built once
#: per process (the login page and every welcome mail read it).
_SSO_PROVIDERS = (select(ProviderConnection.provider)
                  .where(ProviderConnection.tenant_id == TENANT, ProviderConnection.sso_enabled.is_(True))
                  .order_by(ProviderConnection.provider))


def sso_providers(scope: TenantScope, providers: Any) -> list[Any]:
    """The providers (of the registry ``providers``) the scope's tenant has SSO switched
    on for and that offer SSO, by name: the "Sign in with ..." buttons, in their order."""
    found = (providers.get(name, offering="sso") for name in scope.read(_SSO_PROVIDERS).scalars())
    return [provider for provider in found if provider is not None]


def get_connection(scope: TenantScope, provider: str) -> ProviderConnection | None:
    return scope.session.scalar(
        scope.select(ProviderConnection).where(ProviderConnection.provider == provider)
    )


def get_or_create_connection(scope: TenantScope, provider: str) -> ProviderConnection:
    connection = get_connection(scope, provider)
    if connection is None:
        connection = scope.add(ProviderConnection(provider=provider, settings={}))
        scope.session.flush()
    return connection
