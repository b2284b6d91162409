"""Sign in with an identity provider (OpenID Connect): login, callback, and the SSO
part of Admin → Settings → SSO & Provisioning."""

from __future__ import annotations

from typing import Any

from ..permissions import TenantContext


def includeme(config: Any) -> None:
    config.add_route("sso.login", "/sso/{provider}/login", tenant=True, factory=TenantContext)
    config.add_route("sso.callback", "/sso/{provider}/callback", tenant=True, factory=TenantContext)
    # The SSO form of Settings → SSO & Provisioning posts here (CSRF on, admins only).
    config.add_route("admin.settings.sso.save", "/admin/settings/sso/{provider}", tenant=True,
                     factory=TenantContext)
