"""Sign in with an identity provider (OpenID Connect): login and callback, and the SSO
part of Admin → Settings → SSO & Provisioning (``section.py``; the screen is the admin's)."""

from __future__ import annotations

from typing import Any

from ..permissions import TenantContext


def includeme(config: Any) -> None:
    config.add_route("sso.login", "/sso/{provider}/login", tenant=True, factory=TenantContext)
    config.add_route("sso.callback", "/sso/{provider}/callback", tenant=True, factory=TenantContext)
