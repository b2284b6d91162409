"""The provisioning log: one line per SCIM request, for the tenant's admin to read.

Written by a tween above pyramid_tm, in its own short transaction after the request's
own has committed or rolled back, so a failed request is logged too (that is when the
log matters: "SCIM test connection fails", "user doesn't appear"). Kept bounded per
tenant: now and then the rows beyond the newest :data:`KEEP_PER_TENANT` are deleted.
The same transaction records when the bearer token was last used, at most once a
minute per token.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyramid.request import Request
from pyramid.response import Response
from pyramid_retry import is_last_attempt
from sqlalchemy import delete, select, update

from ..models import ProvisioningLogEntry, ScimToken
from ..models.meta import utcnow

log = logging.getLogger(__name__)

KEEP_PER_TENANT = 5000
PRUNE_EVERY = 100  # entries; pruning is a range delete on the (tenant_id, id) index
ENVIRON_KEY = "trainmeuk.scim_log"

# route name -> (resource type, {method: operation})
OPERATIONS: dict[str, tuple[str | None, dict[str, str]]] = {
    "scim.users.collection": ("User", {"GET": "query users", "POST": "create user"}),
    "scim.users.search": ("User", {"POST": "query users"}),
    "scim.users.item": ("User", {"GET": "get user", "PUT": "replace user",
                                 "PATCH": "update user", "DELETE": "delete user"}),
    "scim.groups.collection": ("Group", {"GET": "query groups", "POST": "create group"}),
    "scim.groups.search": ("Group", {"POST": "query groups"}),
    "scim.groups.item": ("Group", {"GET": "get group", "PUT": "replace group",
                                   "PATCH": "update group", "DELETE": "delete group"}),
}


@dataclass
class PendingEntry:
    """Filled in while the request runs; written when it is over."""

    method: str
    path: str
    started: float = field(default_factory=time.monotonic)
    tenant_id: str | None = None
    provider: str = ""
    operation: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    token_id: str | None = None
    touch_token: bool = False


def _error_detail(response: Response) -> str | None:
    if response.status_int < 400:
        return None
    try:
        return str(json.loads(response.body).get("detail") or response.status)[:2000]
    except (ValueError, AttributeError):
        return response.status


def _describe(entry: PendingEntry, request: Request) -> None:
    route = getattr(request, "matched_route", None)
    resource_type, operations = OPERATIONS.get(route.name if route else "", (None, {}))
    entry.resource_type = entry.resource_type or resource_type
    entry.operation = entry.operation or operations.get(entry.method) or (
        "read configuration" if route is not None else "unknown endpoint")
    matchdict = getattr(request, "matchdict", None) or {}
    entry.resource_id = entry.resource_id or matchdict.get("id")


def write(session_factory: Any, entry: PendingEntry, status: int, detail: str | None,
          request_id: str | None) -> None:
    duration = int((time.monotonic() - entry.started) * 1000)
    with session_factory() as session, session.begin():
        row = ProvisioningLogEntry(
            tenant_id=entry.tenant_id, provider=entry.provider[:64], method=entry.method[:8],
            path=entry.path[:400], operation=(entry.operation or "")[:64],
            resource_type=entry.resource_type, resource_id=(entry.resource_id or "")[:64] or None,
            status=status, outcome="success" if status < 400 else "failure",
            error_detail=detail, request_id=request_id, duration_ms=duration)
        session.add(row)
        if entry.touch_token and entry.token_id:
            session.execute(update(ScimToken).where(ScimToken.id == entry.token_id)
                            .values(last_used_at=utcnow()))
        session.flush()
        if row.id % PRUNE_EVERY == 0:
            prune(session, entry.tenant_id)


def prune(session: Any, tenant_id: str | None) -> None:
    """Delete the tenant's entries older than its newest KEEP_PER_TENANT."""
    oldest_kept = session.scalar(
        select(ProvisioningLogEntry.id).where(ProvisioningLogEntry.tenant_id == tenant_id)
        .order_by(ProvisioningLogEntry.id.desc()).offset(KEEP_PER_TENANT - 1).limit(1))
    if oldest_kept is not None:
        session.execute(delete(ProvisioningLogEntry).where(
            ProvisioningLogEntry.tenant_id == tenant_id, ProvisioningLogEntry.id < oldest_kept))


def provisioning_log_tween_factory(handler: Callable[[Request], Response], registry: Any):
    session_factory = registry["dbsession_factory"]

    def provisioning_log_tween(request: Request) -> Response:
        if not request.path_info.startswith("/scim/"):
            return handler(request)
        entry = PendingEntry(method=request.method, path=request.path_info)
        request.environ[ENVIRON_KEY] = entry
        try:
            response = handler(request)
        except Exception:
            # A retryable failure (serialization, deadlock) is tried again: log the last try.
            if is_last_attempt(request):
                _finish(request, entry, 500, "unexpected error", session_factory)
            raise
        _finish(request, entry, response.status_int, _error_detail(response), session_factory)
        _close_spooled_body(request)
        return response

    return provisioning_log_tween


def _close_spooled_body(request: Request) -> None:
    """Close the temporary file a large body was copied into (to be re-read by a retry);
    the request is answered, so nothing reads it again."""
    body = request.environ.get("wsgi.input")
    if request.environ.get("webob.is_body_seekable") and isinstance(body, io.BufferedRandom):
        body.close()


def _finish(request: Request, entry: PendingEntry, status: int, detail: str | None,
            session_factory: Any) -> None:
    if entry.tenant_id is None:  # no organisation at this address: nobody to show it to
        return
    _describe(entry, request)
    try:
        write(session_factory, entry, status, detail, getattr(request, "request_id", None))
    except Exception:  # the log must never turn a provisioning answer into an error
        log.exception("could not write the provisioning log entry")
