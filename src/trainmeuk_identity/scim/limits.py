"""Fairness between tenants on SCIM: a concurrency share per token, a short queue for
it, and a rate ceiling per token shared by every app process.

A tween between the provisioning log and pyramid_tm, so a request waits here before
any database connection is checked out or transaction begun, and the log still
records a ``429``. Limits are keyed by the SHA-256 of the presented bearer token
(computed once per request, :func:`.security.presented_token_hash`), not by the tenant's host: a
flood of bad tokens on a tenant's host fills its own keys, never the real token's.

Per process, per token:

- at most ``max_concurrent`` requests run at once, each counted by what it costs while
  other tokens' requests run or wait in this process: a token whose requests take
  clearly more CPU than this process's average request (moving averages, measured as
  the request thread's CPU time; :data:`COSTLY` times or more) counts each of them as
  that many (at most the whole share), so an initial cycle of expensive creations runs
  fewer at once beside other tenants' reads; with nobody else to share with, or with
  requests near the average, each counts as one. A token's first request always runs;
- up to ``max_queued`` more wait (no database work, no transaction) for that share,
  each for at most ``queue_timeout`` seconds;
- past that, ``429 Too Many Requests`` with ``Retry-After`` and a SCIM Error body.

Across processes, per token: at most ``rate_limit`` requests per second, counted in
fixed windows of ``rate_window`` seconds. A request over the ceiling waits for the next
window when that is within its queue timeout (pacing, not refusing), else gets 429.
Each process counts locally; a background thread adds the counts of the tokens it has
seen authenticate to ``scim_rate_counts`` every ``rate_sync_interval`` seconds in ONE
upsert that returns each token's total, so the request path makes no database round
trip. The approximation: a process learns the others' counts only when it syncs its
own, so within one window the ceiling may be passed by what a process admits before
its next sync (about ``(processes - 1) x rate x interval`` for a token spread evenly).
A provisioning service (the identity provider's SCIM client) retries a 429 but may
quarantine a job that keeps getting them: the defaults wait rather than refuse and are
well above the pace of the busiest such client we serve.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyramid.interfaces import IRoutesMapper
from pyramid.request import Request
from pyramid.response import Response
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from ..errors import scim_error_response
from ..models.rate_limit import ScimRateCount
from ..settings import DEFAULTS, NUMERIC_SETTINGS
from .log import ENVIRON_KEY as LOG_ENVIRON_KEY
from .log import describe_caller
from .security import presented_token_hash

log = logging.getLogger(__name__)

_COUNTED_KEY = "trainmeuk.scim_rate_counted"  # a retried attempt is not counted twice

#: A provisioning service's own pace must never meet a limit (the busiest we serve sends
#: about 50 requests a second, 8 at once); below these a warning is logged at start.
PROVISIONING_FLOOR_RATE = 50.0
PROVISIONING_FLOOR_CONCURRENT = 8

BUSY_RETRY_AFTER = 1  # seconds: a share frees up within a request's time
PRUNE_EVERY = 60.0  # seconds between deletions of past windows (background thread)
KEEP_WINDOWS_SECONDS = 120  # past windows kept this long, for anyone looking
MAX_VERIFIED = 10_000  # tokens remembered per process as seen to authenticate
#: Weight of a request's cost in the moving averages of what requests cost (per token,
#: and over the process); about the last 20 requests count.
COST_SMOOTHING = 0.1
#: A token's requests are counted by their cost only from this many times the average:
#: tokens sending much the same mix keep their whole share, and noise moves nothing.
COSTLY = 1.25
WARN_EVERY = 60.0  # seconds between warnings that the counts cannot be shared


#: field -> its setting; defaults, types and smallest values live in settings.py
_SETTING_OF = {
    "max_concurrent": "trainmeuk.scim.max_concurrent_per_token",
    "max_queued": "trainmeuk.scim.max_queued_per_token",
    "queue_timeout": "trainmeuk.scim.queue_timeout",
    "rate_limit": "trainmeuk.scim.rate_limit",
    "rate_window": "trainmeuk.scim.rate_window",
    "sync_interval": "trainmeuk.scim.rate_sync_interval",
}


def _value(field: str, raw: Any) -> Any:
    kind, _smallest = NUMERIC_SETTINGS[_SETTING_OF[field]]
    return kind(str(raw).strip())


def _default(field: str) -> Any:
    return _value(field, DEFAULTS[_SETTING_OF[field]])


@dataclass(frozen=True)
class LimitSettings:
    max_concurrent: int = _default("max_concurrent")  # per process, a token's share; 0: none
    max_queued: int = _default("max_queued")  # per process, waiting beyond the share
    queue_timeout: float = _default("queue_timeout")
    rate_limit: float = _default("rate_limit")  # requests/s per token, all processes; 0: none
    rate_window: int = _default("rate_window")
    sync_interval: float = _default("sync_interval")

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> LimitSettings:
        """From settings that ``load_settings`` has filled in and validated."""
        return cls(**{field: _value(field, settings[name]) for field, name in _SETTING_OF.items()})

    @property
    def per_window(self) -> int:
        """Requests a token may make in one window (0: no ceiling)."""
        return max(1, int(self.rate_limit * self.rate_window)) if self.rate_limit > 0 else 0


@dataclass(frozen=True)
class Admission:
    admitted: bool
    reason: str = ""  # "busy" or "rate" when refused
    retry_after: int = 0
    units: float = 1.0  # how much of the token's share the admitted request takes


@dataclass(frozen=True)
class Attribution:
    """Whose token a key is, learned from a request it authenticated, so a refused
    request can be shown in that tenant's provisioning log."""

    host: str
    tenant_id: str
    provider: str
    token_id: str


class _Share:
    """One key's requests in this process: running (and the units of the share they
    take), and waiting for a turn."""

    __slots__ = ("running", "turn", "used", "waiting")

    def __init__(self, lock: threading.Lock) -> None:
        self.running = 0
        self.used = 0.0
        self.waiting = 0
        self.turn = threading.Condition(lock)


class ScimLimiter:
    """The per-process state; one per application. Thread-safe."""

    def __init__(self, limits: LimitSettings, engine: Engine | None,
                 clock: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self.engine = engine
        self.clock = clock  # wall clock: every process must agree on the windows
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._shares: dict[str, _Share] = {}
        self._window = 0  # start of the window the counts below belong to
        self._unsynced: dict[str, int] = {}  # admitted here, not yet added to the table
        self._known: dict[str, int] = {}  # the table's total at this process's last sync
        self._verified: dict[str, Attribution] = {}
        self._costs: dict[str, float] = {}  # key -> moving average of its requests' CPU seconds
        self._mean_cost = 0.0  # the same over every request of this process
        self._thread: threading.Thread | None = None
        self._thread_pid = 0
        self._stop = threading.Event()
        self._last_prune = 0.0
        self._last_warning = -WARN_EVERY

    # -- keys ---------------------------------------------------------------------------

    @staticmethod
    def key_for(request: Request) -> str:
        """The SHA-256 of the bearer token; requests without one share a key per host."""
        return presented_token_hash(request) or "anonymous:" + request.host.lower()[:255]

    def verify(self, key: str, attribution: Attribution) -> None:
        with self._lock:
            if key not in self._verified and len(self._verified) >= MAX_VERIFIED:
                self._verified.clear()
            self._verified[key] = attribution

    def forget(self, key: str) -> None:
        with self._lock:
            self._verified.pop(key, None)

    def attribution(self, key: str, host: str) -> Attribution | None:
        found = self._verified.get(key)
        return found if found is not None and found.host == host else None

    # -- admission ----------------------------------------------------------------------

    def units(self, key: str) -> float:
        """How much of ``key``'s share one of its requests takes when others compete: what
        its requests cost relative to this process's average request if that is
        :data:`COSTLY` or more (at most the whole share), else 1."""
        cost, mean = self._costs.get(key), self._mean_cost
        if not cost or not mean or cost < COSTLY * mean:
            return 1.0
        return min(cost / mean, float(max(self.limits.max_concurrent, 1)))

    def _contended(self, key: str) -> bool:
        """Whether another token's requests run or wait in this process (lock held)."""
        return any(other != key for other in self._shares)

    def _learn_cost(self, key: str, cost: float) -> None:
        """Add one request's CPU seconds to ``key``'s and the process's averages (lock held)."""
        if key not in self._costs and len(self._costs) >= MAX_VERIFIED:
            self._costs.clear()
        previous = self._costs.get(key)
        self._costs[key] = cost if previous is None else previous + COST_SMOOTHING * (cost - previous)
        mean = self._mean_cost
        self._mean_cost = cost if not mean else mean + COST_SMOOTHING * (cost - mean)

    def _roll(self, now: float) -> int:
        window = int(now // self.limits.rate_window) * self.limits.rate_window
        if window != self._window:
            self._window, self._unsynced, self._known = window, {}, {}
        return window

    def _rate_wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` may make another request (0: now)."""
        ceiling = self.limits.per_window
        if not ceiling:
            return 0.0
        window = self._roll(now)
        if self._known.get(key, 0) + self._unsynced.get(key, 0) < ceiling:
            return 0.0
        return max(window + self.limits.rate_window - now, 0.001)

    def admit(self, key: str, count: bool = True) -> Admission:
        """Wait for ``key``'s share and rate (at most ``queue_timeout`` seconds), or refuse."""
        limits = self.limits
        deadline = time.monotonic() + limits.queue_timeout
        queued = False
        with self._lock:
            share = self._shares.get(key)
            if share is None:
                share = self._shares[key] = _Share(self._lock)
            try:
                while True:
                    rate_wait = self._rate_wait(key, self.clock())
                    units = self.units(key) if self._contended(key) else 1.0
                    free = (not limits.max_concurrent or not share.running
                            or share.used + units <= limits.max_concurrent)
                    if free and not rate_wait:
                        share.running += 1
                        share.used += units
                        if count and limits.per_window:
                            self._unsynced[key] = self._unsynced.get(key, 0) + 1
                        return Admission(True, units=units)
                    remaining = deadline - time.monotonic()
                    if ((not queued and share.waiting >= limits.max_queued)
                            or remaining <= 0 or rate_wait > remaining):
                        if rate_wait:
                            return Admission(False, "rate", max(1, math.ceil(rate_wait)))
                        return Admission(False, "busy", BUSY_RETRY_AFTER)
                    if not queued:
                        share.waiting += 1
                        queued = True
                    share.turn.wait(min(remaining, rate_wait) if rate_wait else remaining)
            finally:
                if queued:
                    share.waiting -= 1
                    if share.used < limits.max_concurrent and share.waiting:
                        share.turn.notify()  # a turn this waiter did not take
                if not share.running and not share.waiting:
                    self._shares.pop(key, None)

    def release(self, key: str, units: float = 1.0, cost: float | None = None) -> None:
        """A request of ``key`` admitted with ``units`` has finished, having used
        ``cost`` seconds of CPU (None: not measured)."""
        with self._lock:
            if cost is not None:
                self._learn_cost(key, cost)
            share = self._shares.get(key)
            if share is None:
                return
            share.running -= 1
            share.used = max(share.used - units, 0.0) if share.running else 0.0
            if share.waiting:
                share.turn.notify()
            elif not share.running:
                del self._shares[key]

    def waiting(self, key: str) -> int:
        """How many of ``key``'s requests wait for a turn in this process now."""
        with self._lock:
            share = self._shares.get(key)
            return share.waiting if share is not None else 0

    # -- sharing counts between processes ----------------------------------------------

    def sync(self) -> int:
        """Add this process's counts of verified tokens to the table and learn the totals,
        in one statement. Returns the number of rows written (0: nothing to do)."""
        if self.engine is None or not self.limits.per_window:
            return 0
        with self._sync_lock:
            with self._lock:
                window = self._roll(self.clock())
                # Only tokens with requests since the last sync: an idle process writes
                # nothing, and a token's total is refreshed by its next request's sync.
                deltas = {k: self._unsynced.pop(k) for k in list(self._unsynced)
                          if k in self._verified}
            if not deltas:
                return 0
            try:
                with self.engine.begin() as connection:
                    totals = connection.execute(*self._upsert(window, deltas)).all()
            except Exception:
                with self._lock:  # nothing was added: count these again next time
                    if self._window == window:
                        for key, delta in deltas.items():
                            self._unsynced[key] = self._unsynced.get(key, 0) + delta
                raise
            with self._lock:
                if self._window == window:
                    self._known.update({row.token_hash: row.count for row in totals})
            return len(deltas)

    def _upsert(self, window: int, deltas: dict[str, int]) -> tuple[Any, list[dict[str, Any]]]:
        """The upsert (built once per dialect) and its rows, one per token: a statement
        built per sync, of as many VALUES as tokens, was compiled afresh every time."""
        assert self.engine is not None
        # Sorted, so processes upserting the same tokens lock their rows in one order.
        return _upsert_statement(self.engine.dialect.name), [
            {"token_hash": key, "window_start": window, "count": delta}
            for key, delta in sorted(deltas.items())]

    def prune(self) -> int:
        """Delete windows that ended a while ago (never on a request's path)."""
        if self.engine is None:
            return 0
        cutoff = int(self.clock()) - max(KEEP_WINDOWS_SECONDS, 2 * self.limits.rate_window)
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(ScimRateCount).where(ScimRateCount.window_start < cutoff))
        return result.rowcount or 0

    def ensure_thread(self) -> None:
        """Started on the first verified token's request in each process (so also in
        each worker forked from a preloading parent); cheap once it runs."""
        if self.engine is None or not self.limits.per_window:
            return
        pid = os.getpid()
        if self._thread_pid == pid and self._thread is not None and self._thread.is_alive():
            return
        with self._sync_lock:
            if self._thread_pid == pid and self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread_pid = pid
            self._thread = threading.Thread(target=self._run, name="scim-rate-sync",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread_pid == os.getpid():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.limits.sync_interval):
            try:
                self.sync()
                if time.monotonic() - self._last_prune >= PRUNE_EVERY:
                    self._last_prune = time.monotonic()
                    self.prune()
            except Exception:
                if time.monotonic() - self._last_warning >= WARN_EVERY:  # not 4 lines a second
                    self._last_warning = time.monotonic()
                    log.warning("could not share SCIM request counts; counting locally "
                                "meanwhile", exc_info=True)


# -- the tween ----------------------------------------------------------------------------

def _refusal_detail(limits: LimitSettings, admission: Admission) -> str:
    after = f"{admission.retry_after} second{'s' if admission.retry_after != 1 else ''}"
    if admission.reason == "rate":
        what = (f"Too many SCIM requests with this token: TrainMeUK accepts up to "
                f"{limits.rate_limit:g} requests per second per token.")
    else:
        what = (f"Too many SCIM requests with this token at once: TrainMeUK runs up to "
                f"{limits.max_concurrent} at a time per token and queues "
                f"{limits.max_queued} more for up to {limits.queue_timeout:g} seconds.")
    return (f"{what} Nothing was changed. Send this request again after {after} "
            "(provisioning services retry automatically); if this keeps happening, send fewer "
            "requests in parallel.")


def _describe_for_log(request: Request, attribution: Attribution | None) -> None:
    """Give the provisioning log what the refused request would have told it."""
    entry = request.environ.get(LOG_ENVIRON_KEY)
    if entry is None or attribution is None:
        return  # a token never seen to work: nobody's log to write it to
    entry.tenant_id, entry.provider = attribution.tenant_id, attribution.provider
    entry.token_id = attribution.token_id
    mapper = request.registry.queryUtility(IRoutesMapper)
    info = mapper(request) if mapper is not None else {}
    if info.get("route") is not None:
        request.matched_route, request.matchdict = info["route"], info["match"]


def _learn(limiter: ScimLimiter, request: Request, key: str, response: Response) -> None:
    if key.startswith("anonymous:"):
        return
    entry = request.environ.get(LOG_ENVIRON_KEY)
    if entry is not None:
        describe_caller(request, entry)
    token_id = getattr(entry, "token_id", None)
    if token_id and entry.tenant_id:
        if limiter.attribution(key, request.host.lower()) is None:
            limiter.verify(key, Attribution(request.host.lower(), entry.tenant_id,
                                            entry.provider, token_id))
        limiter.ensure_thread()
    elif response.status_int == 401:
        limiter.forget(key)  # revoked or never valid: its counts stay in this process


def warn_below_provisioning_pace(limits: LimitSettings) -> None:
    if limits.rate_limit and limits.rate_limit < PROVISIONING_FLOOR_RATE:
        log.warning("trainmeuk.scim.rate_limit = %g is below a provisioning service's pace "
                    "(keep it at %g or more): provisioning jobs may be throttled and "
                    "quarantined", limits.rate_limit, PROVISIONING_FLOOR_RATE)
    admitted = limits.max_concurrent + limits.max_queued
    if limits.max_concurrent and admitted < PROVISIONING_FLOOR_CONCURRENT:
        log.warning("trainmeuk.scim.max_concurrent_per_token + max_queued_per_token = %d is "
                    "below %d: a provisioning service's parallel requests may get 429", admitted,
                    PROVISIONING_FLOOR_CONCURRENT)


def scim_limits_tween_factory(handler: Callable[[Request], Response], registry: Any):
    limits = LimitSettings.from_settings(registry.settings)
    warn_below_provisioning_pace(limits)
    limiter = ScimLimiter(limits, registry.get("db_engine"))
    registry["scim_limits"] = limiter

    def scim_limits_tween(request: Request) -> Response:
        if not request.path_info.startswith("/scim/"):
            return handler(request)
        key = limiter.key_for(request)
        admission = limiter.admit(key, count=not request.environ.get(_COUNTED_KEY))
        request.environ[_COUNTED_KEY] = True
        if not admission.admitted:
            _describe_for_log(request, limiter.attribution(key, request.host.lower()))
            log.info("SCIM request refused (%s): token share or rate exhausted",
                     admission.reason)
            return scim_error_response(429, _refusal_detail(limits, admission),
                                       headers={"Retry-After": str(admission.retry_after)})
        started = time.thread_time()  # this request's CPU: gthread runs it on one thread
        try:
            response = handler(request)
        finally:
            limiter.release(key, admission.units, time.thread_time() - started)
        _learn(limiter, request, key, response)
        return response

    return scim_limits_tween


@functools.cache
def _upsert_statement(dialect: str) -> Any:
    """Add a count to a token's window and return the total; run with one row of
    values per token (SQLAlchemy sends them as one statement, RETURNING every total)."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = ScimRateCount.__table__
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.token_hash, table.c.window_start],
        set_={"count": table.c.count + statement.excluded.count},
    ).returning(table.c.token_hash, table.c.count)
