"""The third-party SCIM conformance checker, scim2-tester, against the live app.

Fails on any failed check that ``scim2-tester-allowlist.txt`` does not list (one check
per line, as ``title[ResourceType]``, with ``# reason`` after it).
"""

from __future__ import annotations

import os
from typing import Any

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server
from scim2_tester.utils import Status

from ..support.scim import enable_scim

pytestmark = pytest.mark.live

ALLOWLIST = os.path.join(os.path.dirname(__file__), "scim2-tester-allowlist.txt")
PASSED = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}
FAILED = {Status.ERROR, Status.CRITICAL, Status.DEVIATION}


def allowlisted() -> dict[str, str]:
    listed = {}
    with open(ALLOWLIST, encoding="utf-8") as f:
        for line in f:
            name, _, reason = line.partition("#")
            if name.strip():
                assert reason.strip(), f"allow-listed check {name.strip()!r} needs a # reason"
                listed[name.strip()] = reason.strip()
    return listed


def name(result: Any) -> str:
    """A check's name in the allow-list: its title, with the resource type it ran on."""
    kind = getattr(result, "resource_type", None)
    return f"{result.title}[{kind}]" if kind else str(result.title)


def run_checker(live_server: Any, subdomain: str, token: str) -> list[Any]:
    port = live_server.port
    http = httpx2.Client(base_url=f"http://127.0.0.1:{port}/scim/entra/v2",
                         headers={"Host": f"{subdomain}.localhost:{port}",
                                  "Authorization": f"Bearer {token}"}, timeout=10)
    try:
        return check_server(SyncSCIMClient(http))
    finally:
        http.close()


def test_scim2_tester_finds_no_unlisted_failure(live_server, tenant, session_factory):
    token = enable_scim(session_factory, tenant)
    results = run_checker(live_server, tenant.subdomain, token)
    assert len(results) > 17, "the checker stopped after discovery"
    listed = allowlisted()
    failures = [f"{name(r)}: {r.status.name}: {r.reason}" for r in results
                if r.status in FAILED and name(r) not in listed]
    passed = sum(r.status in PASSED for r in results)
    print(f"scim2-tester: {len(results)} checks, {passed} passed, "
          f"{sum(r.status in FAILED for r in results)} failed "
          f"({sum(r.status in FAILED and name(r) in listed for r in results)} allow-listed), "
          f"{sum(r.status == Status.SKIPPED for r in results)} skipped")
    assert not failures, "\n".join(failures)
