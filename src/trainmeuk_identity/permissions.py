"""Permissions (``scope:resource:action``) and the route contexts that grant them."""

from __future__ import annotations

import enum
from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Deny, Everyone
from pyramid.request import Request

from .tenancy import require_tenant


class Permission(enum.StrEnum):
    SessionRead = "account:session:read"
    AdminView = "admin:console:view"
    AdminSettingsManage = "admin:settings:manage"
    AdminUsersManage = "admin:users:manage"
    AdminAuditRead = "admin:audit:read"
    ScimProvision = "scim:resources:write"


class Principal(enum.StrEnum):
    staff = "role:staff"  # any signed-in account of the request's tenant
    admin = "role:admin"  # an admin of the request's tenant
    scim = "role:scim"  # a valid SCIM bearer token of the tenant and provider


class TenantContext:
    """Root of every staff-facing tenant route: resolves the tenant up front, so an
    unknown subdomain answers 404 before any view runs. Signed-in by session only."""

    __authn__ = "session"
    __acl__: list[Any] = [
        (Allow, Principal.staff, Permission.SessionRead),
        (Allow, Principal.admin, ALL_PERMISSIONS),
        (Deny, Everyone, ALL_PERMISSIONS),
    ]

    def __init__(self, request: Request) -> None:
        self.request = request
        self.tenant = require_tenant(request)


class ScimContext:
    """Root of the SCIM routes: authenticated by bearer token only, so a staff
    session (even an admin's) can never provision, and a token never reaches admin."""

    __authn__ = "scim"
    __acl__: list[Any] = [
        (Allow, Principal.scim, Permission.ScimProvision),
        (Deny, Everyone, ALL_PERMISSIONS),
    ]

    def __init__(self, request: Request) -> None:
        self.request = request
        self.tenant = require_tenant(request)
        self.provider_name: str = request.matchdict.get("provider", "") if request.matchdict else ""
