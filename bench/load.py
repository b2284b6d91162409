"""``make bench-load`` / ``python -m bench.load``: many tenants' Entra provisioning at
once against the service served exactly as in production, and the ceiling of the stack.

The app runs as ``pserve production.ini`` (its own server and worker count) on a fresh,
migrated PostgreSQL database, with a strong random secret key, mail to an SMTP sink on
loopback and ``TRAINMEUK_LISTEN=127.0.0.1:<free port>``. Tenants t01, t02, ... each
have SCIM on for Entra, a bearer token, users and an "All Staff" group; half speak
Entra's default PATCH dialect, half ``aadOptscim062020``. Client threads (one
keep-alive connection each, spread evenly over the tenants and over client processes)
send Entra's steady mix (see bench/loadgen.py) with ``Host: tNN.trainmeuk.com``; after a
warm-up, a fixed time is measured. Then the same clients drive the ceiling: a bare
Pyramid app (bench/ceiling.py) under the same ``[server:main]``, answering fixed SCIM
bodies. Finally every user the run created is read back through its own tenant (must
be 200) and through another tenant (must be 404).

Printed: requests/s, p50/p90/p99 per operation and overall, errors by status (any
non-2xx, 429 included; connection errors too), CPU seconds per request of the app's
processes, each worker's resident memory after about 1,000 requests and at the end,
the app/ceiling ratio, missing and cross-tenant reads, the load average.

Options:
  --tenants N          tenants (default 40)
  --clients N          client threads (default 40; 12 with --fairness)
  --seconds S          measured time after the warm-up (default 60; 30 with --fairness)
  --warmup S           warm-up (default 10)
  --users N            users preloaded per tenant (default 200)
  --members N          of which members of the tenant's group (default 100)
  --processes N        client processes the threads are spread over (default 2)
  --no-ceiling         skip the ceiling run
  --floor              also run bench/floor.py (the database work the cheapest authenticated
                       SCIM read needs, on a bare Pyramid app) after the app: prints the
                       ratios app/floor and floor/ceiling, what this stack can reach
  --memory-requests N  run until N requests (warm-up included), print each worker's
                       memory after 1,000 and after N and the change; no ceiling
  --fairness           3 tenants' steady mix alone, then while a 4th tenant runs an
                       initial cycle (--cycle-clients 8, --cycle-users 10000), waiting
                       out 429s; prints the others' throughput ratio, p99s, failures;
                       then the cycle alone and beside one client of another tenant
                       (a trickle), and the cycle's rate in both
  --neighbour N        N processes that only spin (niceness 0) share the cores with every
                       measured phase, ceiling included: a loaded machine on demand
  --record             append the figures to bench/RESULTS.md (make bench-load does)
  TRAINMEUK_BENCH_POSTGRES  the PostgreSQL server (default postgres@127.0.0.1:5432)
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import re
import shlex
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from . import report
from .loadgen import ClientSpec
from .measure import Measurement, measure
from .neighbour import neighbours

PRODUCTION_INI = Path(__file__).resolve().parents[1] / "production.ini"


def base_domain() -> str:
    match = re.search(r"^trainmeuk\.base_domain\s*=\s*(\S+)", PRODUCTION_INI.read_text(), re.M)
    return match.group(1) if match else "trainmeuk.com"


def host(tenant: Any) -> str:
    return f"{tenant.subdomain}.{base_domain()}"


def steady_specs(tenants: list[Any], clients: int, port: int, tag: str, seed: int = 0) -> list[ClientSpec]:
    """``clients`` steady-mix clients, client k for tenant k mod len(tenants); each
    client toggles the group membership of its own share of the non-members."""
    per_tenant = [len(range(t, clients, len(tenants))) for t in range(len(tenants))]
    specs = []
    for k in range(clients):
        t = k % len(tenants)
        tenant = tenants[t]
        members = set(tenant.members)
        outside = [user_id for user_id, _ in tenant.users if user_id not in members]
        specs.append(ClientSpec(
            role="steady", port=port, host=host(tenant), token=tenant.token, dialect=tenant.dialect,
            users=tenant.users, group_id=tenant.group_id,
            toggles=outside[k // len(tenants)::per_tenant[t]], seed=seed + k, tag=tag))
    return specs


def on_port(specs: list[ClientSpec], port: int) -> list[ClientSpec]:
    return [dataclasses.replace(spec, port=port) for spec in specs]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=40)
    parser.add_argument("--clients", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--ceiling", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--floor", action="store_true")
    parser.add_argument("--memory-requests", type=int)
    parser.add_argument("--fairness", action="store_true")
    parser.add_argument("--cycle-clients", type=int, default=8)
    parser.add_argument("--cycle-users", type=int, default=10_000)
    parser.add_argument("--neighbour", type=int, default=0)
    parser.add_argument("--record", action=argparse.BooleanOptionalAction, default=False)
    args = parser.parse_args(argv)
    if args.fairness:
        args.tenants = 4
    args.clients = args.clients or (12 if args.fairness else 40)
    args.seconds = args.seconds or (30 if args.fairness else 60)
    if args.memory_requests:
        args.ceiling = False
    if args.users < 2 or not 0 < args.members < args.users:
        parser.error("--users must be at least 2 and --members between 1 and --users - 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    # The app's modules are imported here, not at the top: client processes import
    # this module too and need none of them.
    from .appserver import AppServer, MailSink, server_section, strong_secret
    from .ceiling import ini as ceiling_ini
    from .harness import migrate, postgres_database
    from .seed import seed

    command = "python -m bench.load " + shlex.join(sys.argv[1:] if argv is None else argv)
    load_before = os.getloadavg()
    tag = uuid.uuid4().hex[:6]
    out = report.Printer(args, command)
    with contextlib.ExitStack() as loaded:
        with postgres_database() as url:
            migrate(url)
            started = time.monotonic()
            tenants = seed(url, args.tenants, args.users, args.members)
            out.say(f"{len(tenants)} tenants seeded with {args.users} users each in "
                    f"{time.monotonic() - started:.1f} s")
            if args.neighbour:
                loaded.enter_context(neighbours(args.neighbour))
                out.say(f"neighbour: {args.neighbour} spinning process(es) at niceness 0 on the same cores "
                        "from here to the end of the run")
            sink = MailSink().start()
            env = {"TRAINMEUK_DATABASE_URL": url, "TRAINMEUK_SECRET_KEYS": strong_secret(),
                   "TRAINMEUK_MAIL_HOST": "127.0.0.1", "TRAINMEUK_MAIL_PORT": str(sink.port),
                   "TRAINMEUK_MAIL_TLS": "false"}
            app = AppServer(env=env, label="app").start(probe_host=host(tenants[0]))
            try:
                out.server(app)
                if args.fairness:
                    from .fairness import run_fairness
                    run_fairness(app, tenants, args, tag, out)
                else:
                    specs = steady_specs(tenants, args.clients, app.port, tag)
                    out.say(f"app: {args.clients} clients over {len(tenants)} tenants, "
                            f"{args.warmup:.0f} s warm-up, "
                            + (f"until {args.memory_requests:,} requests" if args.memory_requests
                               else f"{args.seconds:.0f} s measured"))
                    measured = measure(app, specs, processes=args.processes, warmup=args.warmup,
                                       seconds=args.seconds, until_requests=args.memory_requests,
                                       progress=out.say)
                    out.measured("app", measured)
                    from .isolation import check
                    tokens = {host(t): t.token for t in tenants}
                    out.isolation(check(app.port, tokens, measured.outcome.created))
            finally:
                app.stop()
                time.sleep(0.5)
                out.mail(sink.messages)
                out.log_problems(app)
                sink.stop()
                app.cleanup()
            if args.floor and not args.fairness:
                floor = AppServer(ini_text=ceiling_ini(server_section(), "bench.floor"),
                                  env={"TRAINMEUK_DATABASE_URL": url},
                                  label="floor").start(probe_host=host(tenants[0]))
                try:
                    out.say("floor: the same clients against bench.floor (the caller and one user read per request, "
                            "no tenant reset, as the app since decision 29) under production's [server:main]")
                    out.measured("floor", measure(floor, on_port(specs, floor.port), processes=args.processes,
                                                  warmup=args.warmup, seconds=args.seconds))
                finally:
                    floor.stop()
                    floor.cleanup()
        if args.ceiling and not args.fairness:
            ceiling = AppServer(ini_text=ceiling_ini(server_section()), label="ceiling")
            ceiling.start(probe_host=host(tenants[0]))
            try:
                out.say(f"ceiling: the same clients against bench.ceiling under production's "
                        f"[server:main] ({len(ceiling.workers)} worker process(es))")
                bare: Measurement = measure(ceiling, on_port(specs, ceiling.port), processes=args.processes,
                                            warmup=args.warmup, seconds=args.seconds)
                out.measured("ceiling", bare)
            finally:
                ceiling.stop()
                ceiling.cleanup()
    out.finish(load_before, os.getloadavg())
    if args.record:
        report.append(out.markdown)
        print(f"\nAppended to {report.RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
