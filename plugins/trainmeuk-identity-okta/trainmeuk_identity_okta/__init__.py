"""Okta: OpenID Connect against the customer's Okta org, SCIM provisioning from Okta.

The provider is :class:`~trainmeuk_identity_okta.provider.OktaProvider`; this module is
the plugin's entry point (``trainmeuk_identity.providers`` group) and registers it.
"""

from __future__ import annotations

from typing import Any

from trainmeuk_identity.providers import hookimpl

from .provider import OktaProvider

__all__ = ["OktaProvider", "register_providers"]


@hookimpl
def register_providers(registry: Any) -> None:
    registry.add(OktaProvider())
