"""A tenant's provider connections: finding or creating the row for a provider."""

from __future__ import annotations

from .models import ProviderConnection, TenantScope


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
