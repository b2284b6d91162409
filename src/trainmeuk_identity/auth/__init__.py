"""Local sign-in (email + password), sign-out, the session API and the home page."""

from __future__ import annotations

from typing import Any

from ..permissions import TenantContext

SET_PASSWORD_PATH = "/set-password/{token}"  # also built outside requests (welcome email)


def includeme(config: Any) -> None:
    config.add_route("landing", "/", tenant=False)
    config.add_route("home", "/", tenant=True, factory=TenantContext)
    config.add_route("auth.login", "/login", tenant=True, factory=TenantContext)
    config.add_route("auth.logout", "/logout", tenant=True, factory=TenantContext)
    config.add_route("auth.logout_everywhere", "/logout/everywhere", tenant=True,
                     factory=TenantContext)
    config.add_route("auth.set_password", SET_PASSWORD_PATH, tenant=True, factory=TenantContext)
    config.add_route("api.session", "/api/session", tenant=True, factory=TenantContext)
