"""The load generator: client threads acting as Entra provisioning jobs, each with one
keep-alive ``http.client`` connection, spread over a few client processes so that the
client's own GIL is not what limits the figures.

Two roles:
- ``steady``: Entra's steady mix, 50 % ``GET /Users?filter=userName eq`` (half existing
  users, half random names), 20 % ``GET /Users/{id}``, 20 % ``PATCH /Users/{id}``
  (title and department), 5 % ``POST /Users``, 5 % ``PATCH /Groups/{id}`` adding or
  removing one member; every non-2xx answer (429 included) is an error.
- ``cycle``: an initial cycle as fast as the connection allows: for each user the
  matching query then ``POST /Users``, then a group filled by ``PATCH`` ``Add members``
  of 50 per request; a ``429`` is honoured by waiting ``Retry-After`` and retrying.

This module imports nothing of the app: client processes start quickly and small.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

SCIM_JSON = "application/scim+json; charset=utf-8"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BASE = "/scim/entra/v2"
DEPARTMENTS = ["Sales", "Finance", "Operations", "Engineering", "Support", "Marketing"]
TITLES = ["Associate", "Analyst", "Manager", "Director", "Engineer", "Consultant"]
MIX = (("GET filter", 50), ("GET user", 20), ("PATCH user", 20), ("POST user", 5), ("PATCH group", 5))
OPS = [name for name, weight in MIX for _ in range(weight)]
MEMBERS_PER_PATCH = 50


@dataclass
class ClientSpec:
    """One client thread: which tenant it acts for and how."""

    role: str  # "steady" or "cycle"
    port: int
    host: str  # Host header, e.g. t01.trainmeuk.com
    token: str
    dialect: str = "default"  # or "aad062020"
    users: list[tuple[str, str]] = field(default_factory=list)  # (id, userName) it may read
    group_id: str = ""
    toggles: list[str] = field(default_factory=list)  # users it adds to / removes from the group
    seed: int = 0
    cycle_start: int = 0  # cycle role: users cycle_start, cycle_start + cycle_step, ...
    cycle_step: int = 1
    cycle_total: int = 0
    tag: str = ""  # unique per run, in created userNames


@dataclass
class Outcome:
    """What some client threads saw; merged across threads and processes."""

    latencies: dict[str, list[float]] = field(default_factory=dict)  # "role op" -> seconds
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)  # ("role op", status)
    by_tenant: Counter[str] = field(default_factory=Counter)  # host -> requests in window
    created: list[tuple[str, str, str]] = field(default_factory=list)  # (host, id, userName)
    samples: list[str] = field(default_factory=list)  # first few error answers
    reconnects: int = 0
    throttled: int = 0  # 429s a cycle client waited out
    requests: int = 0  # everything sent, warm-up included

    def merge(self, other: Outcome) -> Outcome:
        for key, values in other.latencies.items():
            self.latencies.setdefault(key, []).extend(values)
        self.statuses.update(other.statuses)
        self.by_tenant.update(other.by_tenant)
        self.created.extend(other.created)
        self.samples.extend(other.samples[: max(0, 20 - len(self.samples))])
        self.reconnects += other.reconnects
        self.throttled += other.throttled
        self.requests += other.requests
        return self


class Client:
    """One keep-alive connection sending one tenant's requests; records into ``out``
    the requests that complete inside the shared measurement window."""

    def __init__(self, spec: ClientSpec, window: Any, stop: Any, out: Outcome) -> None:
        self.spec, self.window, self.stop, self.out = spec, window, stop, out
        self.conn = http.client.HTTPConnection("127.0.0.1", spec.port, timeout=60)
        self.auth = f"Bearer {spec.token}"
        self.random = random.Random(spec.seed)
        self.users = list(spec.users)
        self.in_group: set[str] = set()
        self.created = 0
        self.count = 0
        self.retry_after: str | None = None

    def send(self, op: str, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        conn = self.conn
        if conn.sock is None and self.count:
            self.out.reconnects += 1
        payload = json.dumps(body).encode() if body is not None else None
        started = time.monotonic()
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", self.spec.host)
            conn.putheader("Authorization", self.auth)
            if payload is not None:
                conn.putheader("Content-Type", SCIM_JSON)
                conn.putheader("Content-Length", str(len(payload)))
            conn.endheaders(payload)
            response = conn.getresponse()
            data = response.read()
            status = response.status
            self.retry_after = response.getheader("Retry-After") if status == 429 else None
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            status, data = 0, f"connection error: {exc!r}".encode()
        done = time.monotonic()
        self.count += 1
        key = f"{self.spec.role} {op}"
        if self.window[0] <= done <= self.window[1]:
            self.out.latencies.setdefault(key, []).append(done - started)
            self.out.statuses[(key, status)] += 1
            self.out.by_tenant[self.spec.host] += 1
            if not 200 <= status < 300 and len(self.out.samples) < 20:
                self.out.samples.append(f"{status} {method} {path[:90]}: {data[:240]!r}")
        if status == 0:
            time.sleep(0.05)  # do not spin on a refused connection
        return status, data

    # -- steady mix ----------------------------------------------------------------------
    def steady(self) -> None:
        ops = {"GET filter": self.get_filter, "GET user": self.get_user,
               "PATCH user": self.patch_user, "POST user": self.post_user,
               "PATCH group": self.patch_group}
        while not self.stop.value:
            ops[self.random.choice(OPS)]()

    def op(self, name: str) -> str:
        """The PATCH op name in this tenant's dialect."""
        return name.capitalize() if self.spec.dialect == "default" else name

    def get_filter(self) -> None:
        if self.random.random() < 0.5:
            name = self.random.choice(self.users)[1]
        else:
            name = f"{uuid.uuid4()}@{self.spec.host}"
        query = urlencode({"filter": f'userName eq "{name}"'})
        self.send("GET filter", "GET", f"{BASE}/Users?{query}")

    def get_user(self) -> None:
        self.send("GET user", "GET", f"{BASE}/Users/{self.random.choice(self.users)[0]}")

    def patch_user(self) -> None:
        user_id = self.random.choice(self.users)[0]
        self.send("PATCH user", "PATCH", f"{BASE}/Users/{user_id}", {"schemas": [PATCH_OP], "Operations": [
            {"op": self.op("replace"), "path": "title", "value": self.random.choice(TITLES)},
            {"op": self.op("replace"), "path": f"{ENTERPRISE}:department",
             "value": self.random.choice(DEPARTMENTS)}]})

    def post_user(self) -> None:
        self.created += 1
        label = self.spec.host.split(".")[0]
        user_name = f"new-{self.spec.tag}-{self.spec.seed}-{self.created}@{label}.example"
        body = new_user(user_name, f"ext-{self.spec.tag}-{self.spec.seed}-{self.created}", self.created)
        status, data = self.send("POST user", "POST", f"{BASE}/Users", body)
        if status == 201:
            user_id = json.loads(data)["id"]
            self.users.append((user_id, user_name))
            self.out.created.append((self.spec.host, user_id, user_name))

    def patch_group(self) -> None:
        outside = [u for u in self.spec.toggles if u not in self.in_group]
        remove = bool(self.in_group) and (not outside or self.random.random() < 0.5)
        if remove:
            user_id = self.random.choice(sorted(self.in_group))
            if self.spec.dialect == "default":
                operation = {"op": "Remove", "path": "members", "value": [{"value": user_id}]}
            else:
                operation = {"op": "remove", "path": f'members[value eq "{user_id}"]'}
        else:
            user_id = self.random.choice(outside)
            operation = {"op": self.op("add"), "path": "members", "value": [{"value": user_id}]}
        status, _ = self.send("PATCH group", "PATCH", f"{BASE}/Groups/{self.spec.group_id}",
                              {"schemas": [PATCH_OP], "Operations": [operation]})
        if 200 <= status < 300:
            (self.in_group.discard if remove else self.in_group.add)(user_id)

    # -- initial cycle -------------------------------------------------------------------
    def patient(self, op: str, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """``send``, waiting out 429s as Entra does."""
        while True:
            status, data = self.send(op, method, path, body)
            if status != 429 or self.stop.value:
                return status, data
            self.out.throttled += 1
            try:
                time.sleep(max(0.1, float(self.retry_after or 1)))
            except ValueError:  # an HTTP date: not what we send, wait a second
                time.sleep(1)

    def cycle(self) -> None:
        spec, ids = self.spec, []
        for i in range(spec.cycle_start, spec.cycle_total, spec.cycle_step):
            if self.stop.value:
                return
            user_name = f"cycle-{spec.tag}-{i:06d}@{spec.host}"
            query = urlencode({"filter": f'userName eq "{user_name}"'})
            self.patient("GET filter", "GET", f"{BASE}/Users?{query}")
            status, data = self.patient("POST user", "POST", f"{BASE}/Users",
                                        new_user(user_name, f"cycle-{spec.tag}-{i}", i))
            if status == 201:
                user_id = json.loads(data)["id"]
                ids.append(user_id)
                self.out.created.append((spec.host, user_id, user_name))
        status, data = self.patient("POST group", "POST", f"{BASE}/Groups", {
            "schemas": [CORE_GROUP], "displayName": f"Cycle group {spec.tag} {spec.cycle_start}"})
        if status != 201:
            return
        group_id = json.loads(data)["id"]
        for start in range(0, len(ids), MEMBERS_PER_PATCH):
            if self.stop.value:
                return
            batch = ids[start:start + MEMBERS_PER_PATCH]
            self.patient("PATCH group", "PATCH", f"{BASE}/Groups/{group_id}", {
                "schemas": [PATCH_OP], "Operations": [
                    {"op": self.op("add"), "path": "members", "value": [{"value": v} for v in batch]}]})

    def run(self) -> None:
        try:
            self.cycle() if self.spec.role == "cycle" else self.steady()
        finally:
            self.conn.close()


def new_user(user_name: str, external_id: str, i: int) -> dict[str, Any]:
    """A new user as Entra creates it (core and enterprise schema)."""
    return {
        "schemas": [CORE_USER, ENTERPRISE], "externalId": external_id, "userName": user_name,
        "active": True, "displayName": f"New Employee {i}",
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "name": {"givenName": "New", "familyName": f"Employee {i}", "formatted": f"New Employee {i}"},
        "title": "Associate",
        ENTERPRISE: {"department": DEPARTMENTS[i % len(DEPARTMENTS)], "employeeNumber": str(i)},
    }


def client_process(specs: list[ClientSpec], window: Any, stop: Any, counts: Any, slot: int,
                   results: Any) -> None:
    """One client process: a thread per spec; publishes its request count as it goes
    and puts its merged :class:`Outcome` on ``results`` when ``stop`` is set."""
    outcomes = [Outcome() for _ in specs]
    clients = [Client(spec, window, stop, out) for spec, out in zip(specs, outcomes, strict=True)]
    threads = [threading.Thread(target=client.run, daemon=True) for client in clients]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        counts[slot] = sum(client.count for client in clients)
        time.sleep(0.05)
        if stop.value:
            for thread in threads:
                thread.join(70)
            break
    counts[slot] = sum(client.count for client in clients)
    total = Outcome()
    for client, out in zip(clients, outcomes, strict=True):
        out.requests = client.count
        total.merge(out)
    results.put(total)


@dataclass
class Run:
    """Client processes sharing a measurement window, a stop flag and request counts."""

    specs: list[ClientSpec]
    processes: int = 2

    def __post_init__(self) -> None:
        self.ctx = multiprocessing.get_context("spawn")
        self.window = self.ctx.RawArray("d", [float("inf"), float("inf")])
        self.stop = self.ctx.RawValue("b", 0)
        self.counts = self.ctx.RawArray("q", self.processes)
        self.results = self.ctx.Queue()
        self.procs: list[Any] = []

    def start(self, window_start: float, window_end: float = float("inf")) -> Run:
        self.window[0], self.window[1] = window_start, window_end
        for slot in range(self.processes):
            share = self.specs[slot::self.processes]
            if share:
                proc = self.ctx.Process(target=client_process, daemon=True, args=(
                    share, self.window, self.stop, self.counts, slot, self.results))
                proc.start()
                self.procs.append(proc)
        return self

    @property
    def requests(self) -> int:
        return sum(self.counts)

    def alive(self) -> bool:
        return any(proc.is_alive() for proc in self.procs)

    def end_window(self, at: float) -> None:
        self.window[1] = at

    def finish(self) -> Outcome:
        """Stop every client and merge what they saw."""
        self.stop.value = 1
        total = Outcome()
        for _ in self.procs:
            total.merge(self.results.get(timeout=120))
        for proc in self.procs:
            proc.join(10)
        return total
