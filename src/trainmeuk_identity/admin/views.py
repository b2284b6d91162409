"""Admin landing page and the audit log."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import func, or_

from ..models import AuditEvent, ProviderConnection, User
from ..permissions import Permission

AUDIT_PAGE_SIZE = 100


@view_config(route_name="admin.index", request_method="GET", renderer="admin/index.jinja2",
             permission=Permission.AdminView)
def admin_index(request: Request) -> dict[str, Any]:
    scope = request.scope
    users = request.dbsession.scalar(scope.select(User).with_only_columns(func.count())) or 0
    active = request.dbsession.scalar(
        scope.select(User).with_only_columns(func.count()).where(User.active.is_(True))) or 0
    connections = request.dbsession.scalars(scope.select(ProviderConnection)).all()
    return {"user_count": users, "active_count": active, "connections": connections}


# Who did it: the kinds of actor an admin filters by, and how each is recognised.
ACTORS: dict[str, tuple[str, Any]] = {
    "all": ("Everyone", None),
    "staff": ("Signed-in people", lambda c: c.startswith("user:", autoescape=True)),
    "anonymous": ("Anonymous (not signed in)", lambda c: c == "anonymous"),
    "scim": ("Identity provider (SCIM)", lambda c: c.startswith("scim:", autoescape=True)),
    "console": ("Console", lambda c: c.startswith("console", autoescape=True)),
}
OUTCOMES = {"all": "All outcomes", "success": "Succeeded", "failure": "Failed"}
MAX_SEARCH = 200


def _before(value: str | None) -> int | None:
    try:
        number = int(value) if value and len(value) < 20 else None
    except ValueError:
        return None
    return number if number is not None and 0 < number < 2 ** 63 else None


@view_config(route_name="admin.audit", request_method="GET", renderer="admin/audit.jinja2",
             permission=Permission.AdminAuditRead)
def audit_log(request: Request) -> dict[str, Any]:
    """Newest first, ``AUDIT_PAGE_SIZE`` a page (paged by id: an index probe per page),
    filtered by outcome, kind of actor and a search of actor and target, so a flood of
    anonymous failed sign-ins never hides the events an admin is looking for."""
    params = request.params
    outcome = params.get("outcome", "all")
    outcome = outcome if outcome in OUTCOMES else "all"
    actor = params.get("actor", "all")
    actor = actor if actor in ACTORS else "all"
    search = params.get("q", "").strip()[:MAX_SEARCH]
    before = _before(params.get("before"))

    stmt = request.scope.select(AuditEvent)
    if outcome != "all":
        stmt = stmt.where(AuditEvent.outcome == outcome)
    condition = ACTORS[actor][1]
    if condition is not None:
        stmt = stmt.where(condition(AuditEvent.actor))
    if search:
        needle = search.lower()
        stmt = stmt.where(or_(func.lower(AuditEvent.actor).contains(needle, autoescape=True),
                              func.lower(AuditEvent.target).contains(needle, autoescape=True)))
    if before is not None:
        stmt = stmt.where(AuditEvent.id < before)
    rows = request.dbsession.scalars(
        stmt.order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE_SIZE + 1)).all()
    events = list(rows[:AUDIT_PAGE_SIZE])
    filters = {"outcome": outcome, "actor": actor, "q": search}
    older = events[-1].id if len(rows) > AUDIT_PAGE_SIZE else None
    return {
        "events": events, "filters": filters, "outcomes": OUTCOMES,
        "actors": {key: label for key, (label, _) in ACTORS.items()},
        "filtered": outcome != "all" or actor != "all" or bool(search),
        "newest_url": request.route_path("admin.audit", _query=_query(filters)),
        "older_url": (request.route_path("admin.audit", _query=_query(filters, before=older))
                      if older else None),
        "newer_shown": before is not None,
    }


def _query(filters: dict[str, str], **extra: Any) -> dict[str, Any]:
    """Only the filters that differ from the defaults, so plain links stay plain."""
    query = {k: v for k, v in filters.items() if v and v != "all"}
    query.update(extra)
    return query
