"""Where a SCIM request's time goes, in-process: ``python -m bench.profile_hotpath``.

Builds the app on a fresh database (PostgreSQL by default), one tenant with SCIM on and
some users, then sends Entra's steady mix through WebTest under cProfile and prints the
mean wall time and SQL statements per operation, and the top functions by own and
cumulative time. No server, no network: this isolates the application's own cost.

  --db sqlite|postgresql   --requests N (per operation, default 300)   --top N
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

from webtest import TestApp

from trainmeuk_identity.models import Tenant, TenantScope
from trainmeuk_identity.scim import tokens

from .harness import (
    SCIM_JSON,
    counting_statements,
    in_process_app,
    migrate,
    postgres_database,
    sqlite_database,
)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def build(url: str) -> tuple[TestApp, Any, dict[str, str]]:
    migrate(url)
    # One client sends one token's requests back to back, faster than the per-token rate
    # ceiling: the limiter would pace them, and its waits would count as the requests'
    # time (about 3 ms of a 9 ms GET). The ceiling is off here; the concurrency share stays.
    app = in_process_app(url, settings={"trainmeuk.scim.rate_limit": "0"})
    factory = app.registry["cross_tenant_session_factory"]
    with factory() as session, session.begin():
        tenant = Tenant(subdomain="prof", display_name="Profile Ltd")
        session.add(tenant)
        session.flush()
        _, issued = tokens.enable_scim(TenantScope(session, tenant.id), "entra")
        value = issued.value
    headers = {"Authorization": f"Bearer {value}", "Host": "prof.localhost"}
    return TestApp(app), app.registry["db_engine"], headers


def new_user() -> dict[str, Any]:
    name = f"u{uuid.uuid4().hex[:12]}@prof.example"
    return {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "userName": name, "externalId": uuid.uuid4().hex, "active": True,
            "displayName": "Pat Example", "name": {"givenName": "Pat", "familyName": "Example"},
            "emails": [{"type": "work", "value": name, "primary": True}],
            ENTERPRISE: {"department": "Sales"}}


def operations(client: TestApp, headers: dict[str, str]) -> dict[str, Callable[[], Any]]:
    body = {"Content-Type": SCIM_JSON, **headers}
    users = [client.post_json("/scim/entra/v2/Users", new_user(), headers=body).json for _ in range(50)]
    group = client.post_json("/scim/entra/v2/Groups", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Staff",
        "externalId": "g1"}, headers=body).json
    rng = random.Random(1)

    def lookup() -> Any:
        name = rng.choice(users)["userName"]
        return client.get("/scim/entra/v2/Users", {"filter": f'userName eq "{name}"'}, headers=headers)

    def get() -> Any:
        return client.get(f"/scim/entra/v2/Users/{rng.choice(users)['id']}", headers=headers)

    def patch() -> Any:
        ops = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
            {"op": "Replace", "path": "title", "value": f"T{rng.random()}"},
            {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": f"D{rng.random()}"}]}
        return client.patch_json(f"/scim/entra/v2/Users/{rng.choice(users)['id']}", ops, headers=body)

    def create() -> Any:
        return client.post_json("/scim/entra/v2/Users", new_user(), headers=body)

    def member() -> Any:
        ops = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
            {"op": rng.choice(["Add", "Remove"]), "path": "members",
             "value": [{"value": rng.choice(users)["id"]}]}]}
        return client.patch_json(f"/scim/entra/v2/Groups/{group['id']}", ops, headers=body, status="*")

    return {"GET filter": lookup, "GET id": get, "PATCH user": patch, "POST user": create,
            "PATCH group": member}


def _package(filename: str) -> str:
    """Who owns a profiled function: a site-packages distribution, our package, the
    standard library or the interpreter's built-ins."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/src/trainmeuk_identity/" in filename:
        return "trainmeuk_identity." + filename.split("/src/trainmeuk_identity/", 1)[1].split("/")[0] \
            .removesuffix(".py")
    if filename.startswith("~") or filename.startswith("<"):
        return "(built-in)"
    return "(stdlib)" if "/lib/python3" in filename else filename.rsplit("/", 1)[-1]


def by_package(stats: pstats.Stats, requests: int) -> None:
    """Own time and calls per request, summed by the package each function is in."""
    own: dict[str, list[float]] = {}
    for (filename, _, _), (_, calls, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        entry = own.setdefault(_package(filename), [0.0, 0])
        entry[0] += tottime
        entry[1] += calls
    total = sum(t for t, _ in own.values())
    print(f"{'package':32s} {'own ms/request':>14s} {'share':>6s} {'calls/request':>13s}")
    for name, (tottime, calls) in sorted(own.items(), key=lambda kv: -kv[1][0]):
        print(f"{name:32s} {tottime / requests * 1000:14.3f} {tottime / total:6.1%} {calls / requests:13.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_hotpath", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--only", default="")
    parser.add_argument("--dump", default="", help="also write the raw profile to this file")
    args = parser.parse_args(argv)
    database = postgres_database if args.db == "postgresql" else sqlite_database
    with database() as url:
        client, engine, headers = build(url)
        ops = operations(client, headers)
        if args.only:
            ops = {k: v for k, v in ops.items() if k == args.only}
        for name, op in ops.items():
            for _ in range(20):
                op()  # warm
            with counting_statements(engine) as statements:
                op()
            print(f"{name:12s} {len(statements)} statements: "
                  + " | ".join(s.split()[0] + " " + " ".join(s.split()[1:4]) for s in statements))
        for name, op in ops.items():  # without the profiler: what a request really costs
            started, cpu = time.perf_counter(), time.process_time()
            for _ in range(args.requests):
                op()
            print(f"{name:12s} {(time.perf_counter() - started) / args.requests * 1000:.2f} ms/request, "
                  f"{(time.process_time() - cpu) / args.requests * 1000:.2f} ms CPU of this process")
        profiler = cProfile.Profile()
        for op in ops.values():
            profiler.enable()
            for _ in range(args.requests):
                op()
            profiler.disable()
        client.app.registry["provisioning_log"].stop()
        engine.dispose()
        if args.dump:
            profiler.dump_stats(args.dump)
        stats = pstats.Stats(profiler)
        by_package(stats, args.requests * len(ops))
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
