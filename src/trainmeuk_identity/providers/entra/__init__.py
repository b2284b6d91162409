"""Microsoft Entra ID (formerly Azure AD): the built-in provider plugin.

Registered through the ``trainmeuk_identity.providers`` entry point like any other
plugin (see setup.cfg), never imported by core code, and written against the same
public interface (``trainmeuk_identity.providers``) as a third-party plugin.
"""

from __future__ import annotations

from typing import Any

from .. import hookimpl
from .provider import EntraProvider

__all__ = ["EntraProvider", "register_providers"]


@hookimpl
def register_providers(registry: Any) -> None:
    registry.add(EntraProvider())
