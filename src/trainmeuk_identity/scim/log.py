"""The provisioning log: one line per SCIM request, for the tenant's admin to read.

Every SCIM request, failed ones included (that is when the log matters: "SCIM test
connection fails", "user doesn't appear"), leaves an entry. The tween above pyramid_tm
fills it in while the request runs and hands it, once the response is ready, to the
process's :class:`ProvisioningLog`, which writes pending entries in batches from a
background thread (one INSERT for many entries), so no request waits for the log.
The same batch records when each bearer token was last used, and the writer keeps the
log bounded per tenant: the newest :data:`KEEP_PER_TENANT` entries of requests that
presented a valid token, and apart from them the newest :data:`KEEP_REFUSED_PER_TENANT`
refused for no or a wrong token, so an anonymous flood cannot push real entries out.
"""

from __future__ import annotations

import atexit
import functools
import io
import json
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyramid.request import Request
from pyramid.response import Response
from pyramid_retry import is_last_attempt
from sqlalchemy import Delete, Integer, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..models import ProvisioningLogEntry, ScimToken
from ..models.meta import utcnow
from ..models.scoping import TENANT
from .security import ScimIdentity, needs_last_used_update

log = logging.getLogger(__name__)

KEEP_PER_TENANT = 5000
KEEP_REFUSED_PER_TENANT = 500  # requests with no or a wrong token (401)
PRUNE_EVERY = 100  # entries written for a tenant between two prunings of its log
FLUSH_SECONDS = 0.25  # how long an entry may wait for its batch
BATCH_SIZE = 500  # entries that make the writer flush at once
ENVIRON_KEY = "trainmeuk.scim_log"
REGISTRY_KEY = "provisioning_log"
REFUSED_STATUS = 401
#: The endpoint's root has no view: it answers 404 before any token is looked at.
ROUTES_WITHOUT_VIEWS = frozenset({"scim.root"})

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


def describe_caller(request: Request, entry: PendingEntry) -> None:
    """Who is provisioning, once the request is answered: the tenant and provider of the
    SCIM route's context (its route factory read the tenant the Host names and the token
    presented), and the bearer token policy's verdict (``request.identity``, resolved
    once per request): the token that was let in, whose last use the batch records.
    Nothing here reads the database: a request that failed before its context was found
    (no route, no organisation, the caller's query failed) has no tenant to log under.
    An entry described already (by the fairness limits, which learn a token's tenant
    from it, or for a request they refused) is left as it is."""
    if entry.tenant_id is not None:
        return
    route = getattr(request, "matched_route", None)
    context = getattr(request, "context", None)
    tenant = getattr(context, "tenant", None)
    if route is None or route.name in ROUTES_WITHOUT_VIEWS \
            or getattr(context, "__authn__", None) != "scim" or tenant is None:
        return
    entry.tenant_id, entry.provider = tenant.id, getattr(context, "provider_name", "")
    identity = request.identity
    if isinstance(identity, ScimIdentity):
        entry.token_id = identity.token.id
        entry.touch_token = needs_last_used_update(identity.token, utcnow())


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


def _text(value: str | None, limit: int) -> str | None:
    """``value`` as the database can store it: cut to its column, valid UTF-8, no NUL."""
    if value is None:
        return None
    return value[:limit].encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def row_of(entry: PendingEntry, status: int, detail: str | None, request_id: str | None) -> dict[str, Any]:
    return {
        "tenant_id": entry.tenant_id, "at": utcnow(), "provider": _text(entry.provider, 64),
        "method": _text(entry.method, 8), "path": _text(entry.path, 400),
        "operation": _text(entry.operation or "", 64), "resource_type": entry.resource_type,
        "resource_id": _text(entry.resource_id or "", 64) or None, "status": status,
        "outcome": "success" if status < 400 else "failure", "error_detail": _text(detail, 2000),
        "request_id": _text(request_id, 64),
        "duration_ms": int((time.monotonic() - entry.started) * 1000)}


def prune(session: Any, tenant_id: str, refused: bool | None = None) -> None:
    """Keep the tenant's newest KEEP_PER_TENANT entries of requests with a valid token
    (``refused`` False), and its newest KEEP_REFUSED_PER_TENANT refused for no or a
    wrong token (True); both kinds when ``refused`` is None. One DELETE per kind."""
    for kind in (False, True) if refused is None else (refused,):
        keep = KEEP_REFUSED_PER_TENANT if kind else KEEP_PER_TENANT
        session.execute(_prune_statement(kind), {TENANT.key: tenant_id, _KEEP_OFFSET.key: keep - 1})


_KEEP_OFFSET = bindparam("keep_offset", type_=Integer)


@functools.cache
def _prune_statement(refused: bool) -> Delete:
    """Delete a tenant's entries of one kind older than the newest ``keep`` of them,
    the cut found in the same statement; built once per process."""
    entries = ProvisioningLogEntry.__table__
    kind = (entries.c.status == REFUSED_STATUS) if refused else (entries.c.status != REFUSED_STATUS)
    oldest_kept = (select(entries.c.id).where(entries.c.tenant_id == TENANT, kind)
                   .order_by(entries.c.id.desc()).offset(_KEEP_OFFSET).limit(1).scalar_subquery())
    # Fewer entries than kept: the cut is NULL, and nothing compares below NULL.
    return delete(entries).where(entries.c.tenant_id == TENANT, kind, entries.c.id < oldest_kept)


_INSERT_ENTRIES = insert(ProvisioningLogEntry.__table__)


class ProvisioningLog:
    """The process's pending log entries and the thread that writes them in batches.

    ``add`` never touches the database. ``flush`` writes everything pending in one
    transaction (the admin page calls it so its own process's newest entries show at
    once); the thread calls it every :data:`FLUSH_SECONDS`, or sooner when a batch is
    full. Started lazily per process, so a worker forked from a loaded app gets its own.
    """

    def __init__(self, session_factory: Any) -> None:
        self.session_factory = session_factory
        self._pending: list[dict[str, Any]] = []
        self._touched: set[str] = set()
        self._since_prune: Counter[tuple[str, bool]] = Counter()  # (tenant, refused) -> entries
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._pid: int | None = None

    def add(self, row: dict[str, Any], touch_token: str | None = None) -> None:
        with self._lock:
            self._pending.append(row)
            if touch_token:
                self._touched.add(touch_token)
            full = len(self._pending) >= BATCH_SIZE
        self._ensure_thread()
        if full:
            self._wake.set()

    def flush(self) -> int:
        """Write what is pending; returns how many entries were written."""
        with self._write_lock:
            with self._lock:
                rows, self._pending = self._pending, []
                touched, self._touched = self._touched, set()
            if not rows and not touched:
                return 0
            try:
                self._write(rows, touched)
            except Exception:
                # One tenant's rows can fail the batch (the tenant was deleted meanwhile):
                # write the others tenant by tenant.
                return self._write_each_tenant(rows, touched)
            return len(rows)

    def _write_each_tenant(self, rows: list[dict[str, Any]], touched: set[str]) -> int:
        by_tenant: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_tenant.setdefault(row["tenant_id"], []).append(row)
        written = 0
        for tenant_id, tenant_rows in by_tenant.items():
            try:
                self._write(tenant_rows, set())
                written += len(tenant_rows)
            except IntegrityError:  # the organisation was removed meanwhile
                log.info("dropped %d provisioning log entries of removed tenant %s",
                         len(tenant_rows), tenant_id)
            except Exception as exc:  # the log must never take the service down with it
                log.warning("dropped %d provisioning log entries of tenant %s: %s",
                            len(tenant_rows), tenant_id, str(exc).splitlines()[0])
        try:
            self._write([], touched)
        except Exception as exc:
            log.warning("could not record the last use of SCIM tokens: %s", str(exc).splitlines()[0])
        return written

    def _write(self, rows: list[dict[str, Any]], touched: set[str]) -> None:
        # Each kind of a tenant's entries is pruned after PRUNE_EVERY of that kind: a
        # tenant whose requests are all let in never scans its log for refused ones.
        for row in rows:
            self._since_prune[(row["tenant_id"], row["status"] == REFUSED_STATUS)] += 1
        due = [key for key, n in self._since_prune.items() if n >= PRUNE_EVERY]
        with self.session_factory() as session, session.begin():
            if rows:
                # Core's executemany: the ORM's bulk insert cost this process 47-58 µs
                # of CPU per entry against 39-45 µs, and adds nothing to rows written once.
                session.connection().execute(_INSERT_ENTRIES, rows)
            if touched:
                session.execute(update(ScimToken).where(ScimToken.id.in_(sorted(touched)))
                                .values(last_used_at=utcnow()))
            for tenant_id, refused in due:
                prune(session, tenant_id, refused)
        for key in due:
            del self._since_prune[key]

    def _ensure_thread(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="provisioning-log", daemon=True).start()

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            self.flush()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        self.flush()


def flush_pending(registry: Any) -> None:
    """Write this process's pending provisioning-log entries now."""
    writer = registry.get(REGISTRY_KEY)
    if writer is not None:
        writer.flush()


def start_log(session_factory: Any) -> ProvisioningLog:
    """The process's provisioning log writer; what is pending is written at exit."""
    writer = ProvisioningLog(session_factory)
    atexit.register(writer.stop)
    return writer


def provisioning_log_tween_factory(handler: Callable[[Request], Response], registry: Any):
    writer: ProvisioningLog = registry[REGISTRY_KEY]

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
                _finish(request, entry, 500, "unexpected error", writer)
            raise
        _finish(request, entry, response.status_int, _error_detail(response), writer)
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
            writer: ProvisioningLog) -> None:
    describe_caller(request, entry)
    if entry.tenant_id is None:  # no organisation at this address: nobody to show it to
        return
    _describe(entry, request)
    try:
        row = row_of(entry, status, detail, getattr(request, "request_id", None))
        writer.add(row, entry.token_id if entry.touch_token else None)
    except Exception:  # the log must never turn a provisioning answer into an error
        log.exception("could not record the provisioning log entry")
