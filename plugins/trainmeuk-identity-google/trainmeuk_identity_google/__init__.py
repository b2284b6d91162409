"""Google Workspace: "Sign in with Google" (OpenID Connect with Google), for the people of
the tenant's own Workspace domains only.

The provider is :class:`~trainmeuk_identity_google.provider.GoogleProvider`; this module
is the plugin's entry point (``trainmeuk_identity.providers`` group) and registers it.
"""

from __future__ import annotations

from typing import Any

from trainmeuk_identity.providers import hookimpl

from .provider import GoogleProvider

__all__ = ["GoogleProvider", "register_providers"]


@hookimpl
def register_providers(registry: Any) -> None:
    registry.add(GoogleProvider())
