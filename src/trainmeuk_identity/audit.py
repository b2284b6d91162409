"""Recording audit events: who did what in a tenant, with the request's id and address."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request

from .models import AuditEvent
from .security import StaffIdentity


def actor_of(request: Request) -> str:
    identity = request.identity if hasattr(request, "identity") else None
    if isinstance(identity, StaffIdentity):
        return f"user:{identity.user.email or identity.user.user_name}"
    provider = getattr(identity, "provider", None)
    if provider:
        return f"scim:{provider}"
    return "anonymous"


def record(request: Request, action: str, *, target: str | None = None,
           outcome: str = "success", detail: dict[str, Any] | None = None,
           actor: str | None = None) -> AuditEvent:
    event = AuditEvent(
        actor=actor or actor_of(request),
        action=action,
        target=target,
        outcome=outcome,
        detail=detail or {},
        request_id=getattr(request, "request_id", None),
        address=request.client_addr,
    )
    return request.scope.add(event)
