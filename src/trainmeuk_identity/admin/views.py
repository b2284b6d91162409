"""Admin landing page and the audit log."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from ..models import AuditEvent, ProviderConnection, User
from ..permissions import Permission

AUDIT_PAGE_SIZE = 100


@view_config(route_name="admin.index", request_method="GET", renderer="admin/index.jinja2",
             permission=Permission.AdminView)
def admin_index(request: Request) -> dict[str, Any]:
    from sqlalchemy import func

    scope = request.scope
    users = request.dbsession.scalar(scope.select(User).with_only_columns(func.count())) or 0
    active = request.dbsession.scalar(
        scope.select(User).with_only_columns(func.count()).where(User.active.is_(True))) or 0
    connections = request.dbsession.scalars(scope.select(ProviderConnection)).all()
    return {"user_count": users, "active_count": active, "connections": connections}


@view_config(route_name="admin.audit", request_method="GET", renderer="admin/audit.jinja2",
             permission=Permission.AdminAuditRead)
def audit_log(request: Request) -> dict[str, Any]:
    events = request.dbsession.scalars(
        request.scope.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE_SIZE)
    ).all()
    return {"events": events}
