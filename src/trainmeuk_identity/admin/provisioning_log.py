"""Admin → Provisioning log: each SCIM request the tenant's identity provider made,
newest first, so "test connection fails" and "user doesn't appear" can be diagnosed
from our side. Paged by id (an index probe per page, however long the log)."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from ..models import ProvisioningLogEntry
from ..permissions import Permission

PAGE_SIZE = 50
OUTCOMES = ("all", "success", "failure")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@view_config(route_name="admin.provisioning_log", request_method="GET",
             renderer="admin/provisioning_log.jinja2", permission=Permission.AdminAuditRead)
def provisioning_log(request: Request) -> dict[str, Any]:
    outcome = request.params.get("outcome", "all")
    outcome = outcome if outcome in OUTCOMES else "all"
    before = _int(request.params.get("before"))
    stmt = request.scope.select(ProvisioningLogEntry)
    if outcome != "all":
        stmt = stmt.where(ProvisioningLogEntry.outcome == outcome)
    if before is not None:
        stmt = stmt.where(ProvisioningLogEntry.id < before)
    rows = request.dbsession.scalars(
        stmt.order_by(ProvisioningLogEntry.id.desc()).limit(PAGE_SIZE + 1)).all()
    entries = list(rows[:PAGE_SIZE])
    older = entries[-1].id if len(rows) > PAGE_SIZE else None
    return {"entries": entries, "outcome": outcome, "outcomes": OUTCOMES, "older": older,
            "newer_shown": before is not None}
