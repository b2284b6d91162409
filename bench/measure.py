"""One measured run of client threads against a server: warm-up, then a fixed time (or
a fixed number of requests), with the server's CPU seconds over the window and its
workers' resident memory after about 1,000 requests and at the end."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from .loadgen import ClientSpec, Outcome, Run
from .procfs import cpu_between, cpu_by_process, cpu_seconds, machine_busy, named

EARLY_REQUESTS = 1_000
#: PostgreSQL's processes on this machine (the benchmarks' database server is local):
#: their CPU in the window is the database's share of the load, the whole server's
#: (every database on it; nothing else uses it while a benchmark runs).
DATABASE_COMMAND = "postgres"


class Server(Protocol):
    def cpu_seconds(self) -> float: ...
    def rss(self) -> dict[int, float | None]: ...


def percentile(ordered: list[float], p: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Measurement:
    outcome: Outcome
    seconds: float
    cpu: float
    machine_busy: float  # share of the machine's CPU time in use during the window
    rss_early: dict[int, float | None] = field(default_factory=dict)
    rss_early_at: int = 0
    rss_end: dict[int, float | None] = field(default_factory=dict)
    rss_end_at: int = 0
    client_cpu: float = 0.0  # CPU seconds of the client processes over the window
    database_cpu: float = 0.0  # CPU seconds of PostgreSQL's processes over the window

    def keys(self, role: str) -> list[str]:
        return sorted(k for k in self.outcome.latencies if k.startswith(role + " "))

    def latencies(self, role: str, op: str | None = None) -> list[float]:
        keys = [f"{role} {op}"] if op else self.keys(role)
        return sorted(v for k in keys for v in self.outcome.latencies.get(k, []))

    def requests(self, role: str = "steady") -> int:
        return sum(len(self.outcome.latencies[k]) for k in self.keys(role))

    def rate(self, role: str = "steady") -> float:
        return self.requests(role) / self.seconds if self.seconds else 0.0

    def p(self, q: float, role: str = "steady", op: str | None = None) -> float:
        """The q-th percentile latency in ms."""
        return percentile(self.latencies(role, op), q) * 1000

    def errors(self, role: str = "steady") -> Counter[int]:
        """Answers that were not 2xx, by status (0 = connection error)."""
        return Counter({status: n for (key, status), n in self.outcome.statuses.items()
                        if key.startswith(role + " ") and not 200 <= status < 300})

    @property
    def total(self) -> int:
        """Requests of every role completed in the window."""
        return sum(len(v) for v in self.outcome.latencies.values())

    @property
    def cpu_per_request(self) -> float:
        return self.cpu / self.total if self.total else 0.0


def measure(server: Server, specs: list[ClientSpec], *, processes: int, warmup: float,
            seconds: float | None = None, until_requests: int | None = None,
            progress: Any = None) -> Measurement:
    """Run ``specs`` against ``server``: ``warmup`` seconds, then ``seconds`` (or until
    ``until_requests`` requests in all, warm-up included) measured."""
    run = Run(specs, processes).start(float("inf"))
    rss_early: dict[int, float | None] = {}
    early_at = 0

    def wait(until: float | None = None, requests: int | None = None) -> None:
        nonlocal rss_early, early_at
        while True:
            count = run.requests
            if not rss_early and count >= EARLY_REQUESTS:
                rss_early, early_at = server.rss(), count
            if until is not None and time.monotonic() >= until:
                return
            if requests is not None and count >= requests:
                return
            if not run.alive():
                return
            time.sleep(0.05)

    # The window opens once every client process is sending.
    deadline = time.monotonic() + 60
    while sum(1 for c in run.counts if c) < len(run.procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    start = time.monotonic() + warmup
    run.window[0] = start
    wait(until=start)
    clients = [proc.pid for proc in run.procs]
    client0 = sum(cpu_seconds(pid) for pid in clients)
    database0 = cpu_by_process(named(DATABASE_COMMAND))
    cpu0, busy0, opened = server.cpu_seconds(), machine_busy(), time.monotonic()
    if until_requests is not None:
        last = 0.0
        while run.requests < until_requests and run.alive():
            wait(until=time.monotonic() + 10, requests=until_requests)
            if progress and time.monotonic() - last > 30:
                progress(f"   {run.requests:,} requests ...")
                last = time.monotonic()
    else:
        wait(until=start + (seconds or 0))
    closed = time.monotonic()
    run.end_window(closed)
    cpu1, busy1 = server.cpu_seconds(), machine_busy()
    client1 = sum(cpu_seconds(pid) for pid in clients)
    database = cpu_between(database0, cpu_by_process(named(DATABASE_COMMAND)))
    rss_end, end_at = server.rss(), run.requests
    outcome = run.finish()
    busy = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
    return Measurement(outcome, closed - opened, cpu1 - cpu0, busy, rss_early, early_at,
                       rss_end, end_at, client1 - client0, database)
