"""The admin console: landing page, Settings → SSO & Provisioning, User Management,
the provisioning log and the audit log. Admins of the request's tenant only."""

from __future__ import annotations

from typing import Any

from ..permissions import TenantContext


def includeme(config: Any) -> None:
    def route(name: str, pattern: str) -> None:
        config.add_route(name, pattern, tenant=True, factory=TenantContext)

    route("admin.index", "/admin")
    route("admin.settings.sso", "/admin/settings/sso")
    route("admin.users", "/admin/users")
    route("admin.users.new", "/admin/users/new")
    route("admin.users.item", "/admin/users/{user_id}")
    route("admin.provisioning_log", "/admin/provisioning-log")
    route("admin.audit", "/admin/audit")
    # The SCIM part of Settings → SSO & Provisioning posts to its own route.
    config.include(".scim_settings")
