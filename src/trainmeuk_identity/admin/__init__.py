"""The admin console: landing page, Settings → SSO & Provisioning, User Management,
the provisioning log and the audit log. Admins of the request's tenant only.

Every admin screen and every route it posts to belongs to this package; features
supply their parts of a shared screen (see ``admin/settings.py``) and their services."""

from __future__ import annotations

from typing import Any

from ..permissions import TenantContext


def includeme(config: Any) -> None:
    def route(name: str, pattern: str) -> None:
        config.add_route(name, pattern, tenant=True, factory=TenantContext)

    route("admin.index", "/admin")
    route("admin.settings.sso", "/admin/settings/sso")
    # Its SSO and SCIM parts post here (admin/sso_settings.py, admin/scim_settings.py).
    route("admin.settings.sso.save", "/admin/settings/sso/{provider}")
    route("admin.settings.scim", "/admin/settings/scim/{provider}")
    route("admin.users", "/admin/users")
    route("admin.users.new", "/admin/users/new")
    route("admin.users.item", "/admin/users/{user_id}")
    route("admin.provisioning_log", "/admin/provisioning-log")
    route("admin.audit", "/admin/audit")
