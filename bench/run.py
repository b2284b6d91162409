"""``make bench`` / ``python -m bench.run``: SCIM figures on SQLite and PostgreSQL.

  --users N        size of the Entra initial cycle (default 10000; try 500 for a quick run)
  --big-group N    members of the large group for the add-one-member test (default 50000)
  --concurrency N  parallel SCIM clients (default 4, like Entra's parallel workers)
  --db sqlite|postgresql|both
"""

from __future__ import annotations

import argparse
import logging
import platform
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy.exc import OperationalError

from .cycle import run_cycle
from .harness import Deployment, postgres_database, sqlite_database
from .membership import run_membership
from .queries import run_queries
from .signin_queries import run_signin_queries


def bench_database(label: str, database: Callable[[], AbstractContextManager[str]],
                   args: argparse.Namespace) -> None:
    print(f"\n== {label}")
    try:
        context = database()
        url = context.__enter__()
    except OperationalError as exc:
        print(f"   skipped: database not reachable ({str(exc).splitlines()[0]})")
        return
    deployment = Deployment(url)
    try:
        deployment.start(threads=max(4, args.concurrency * 2))
        cycle, _ids = run_cycle(deployment, args.users, args.concurrency)
        print(f"   initial cycle: {cycle.users} users, {cycle.groups} groups, "
              f"{cycle.memberships} memberships, {cycle.requests} requests in {cycle.seconds:.1f} s "
              f"= {cycle.rate:.0f} requests/s ({args.concurrency} clients)")
        print(f"     GET /Users?filter=userName eq  {cycle.lookups.summary()}")
        print(f"     POST /Users                    {cycle.creates.summary()}")
        print(f"     GET+POST /Groups               {cycle.group_requests.summary()}")
        print(f"     PATCH /Groups (+{50} members)   {cycle.member_patches.summary()}")

        for name, count in run_queries(deployment).items():
            print(f"   SQL statements, {name}: {count}")
        for name, count in run_signin_queries(deployment).items():
            print(f"   SQL statements, sign-in side, {name}: {count}")

        membership = run_membership(deployment, args.big_group)
        print(f"   add one member, {membership.big_size}-member group: {membership.big.summary()}")
        print(f"   add one member, empty group:         {membership.empty.summary()}")
        print(f"   ratio (median, large / empty): {membership.ratio:.2f}")
    finally:
        deployment.stop()
        context.__exit__(None, None, None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--big-group", type=int, default=50_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args(argv)
    if args.users < 110:
        parser.error("--users must be at least 110 (a page of 100 users is measured)")
    logging.basicConfig(level=logging.WARNING)
    print(f"TrainMeUK Identity SCIM benchmark — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"Python {platform.python_version()}, {platform.machine()}")
    if args.db in ("sqlite", "both"):
        bench_database("SQLite (file, WAL)", sqlite_database, args)
    if args.db in ("postgresql", "both"):
        bench_database("PostgreSQL", postgres_database, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
