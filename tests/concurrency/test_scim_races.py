"""Real concurrent SCIM requests (threads, waitress on loopback): nothing lost, no 500."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from trainmeuk_identity.models import GroupMember, User

from ..support.scim import CORE_GROUP, enable_scim, new_user, patch_op

pytestmark = pytest.mark.live

THREADS = 8


class Entra:
    """What Entra's provisioning service does: HTTP with a bearer token, many at once."""

    def __init__(self, live_server: Any, subdomain: str, token: str) -> None:
        self.base = f"http://127.0.0.1:{live_server.port}/scim/entra/v2"
        self.headers = {"Host": f"{subdomain}.localhost:{live_server.port}",
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/scim+json; charset=utf-8"}

    def send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        with httpx.Client(timeout=60) as client:
            return client.request(method, self.base + path, headers=self.headers,
                                  content=None if body is None else json.dumps(body))


def at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run ``calls`` in threads released together."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    return results


@pytest.fixture
def entra(live_server, tenant, session_factory) -> Entra:
    return Entra(live_server, tenant.subdomain, enable_scim(session_factory, tenant))


def test_concurrent_creates_of_one_user_name(entra, dbsession, tenant):
    responses = at_once([lambda i=i: entra.send("POST", "/Users", new_user(
        "race@acme.example", externalId=f"race-{i}")) for i in range(THREADS)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (THREADS - 1), [r.text for r in responses]
    for response in responses:
        assert response.headers["content-type"].startswith("application/scim+json")
        if response.status_code == 409:
            assert response.json()["scimType"] == "uniqueness"
    assert dbsession.scalar(select(func.count()).select_from(User).where(
        User.tenant_id == tenant.id, User.user_name_key == "race@acme.example")) == 1


def test_concurrent_member_patches_lose_nothing(entra, dbsession):
    ids = [entra.send("POST", "/Users", new_user(f"m{i}@acme.example", externalId=f"m{i}"))
           .json()["id"] for i in range(THREADS * 2)]
    group_id = entra.send("POST", "/Groups", {"schemas": [CORE_GROUP],
                                              "displayName": "Everyone"}).json()["id"]
    pairs = [ids[i:i + 2] for i in range(0, len(ids), 2)]
    responses = at_once([lambda pair=pair: entra.send("PATCH", f"/Groups/{group_id}", patch_op(
        {"op": "Add", "path": "members", "value": [{"value": v} for v in pair]}))
        for pair in pairs])
    assert [r.status_code for r in responses] == [204] * len(pairs), [r.text for r in responses]
    members = set(dbsession.scalars(select(GroupMember.user_id).where(
        GroupMember.group_id == group_id)))
    assert members == set(ids)

    # And removals at once, in the aadOptscim062020 form, leave exactly the others.
    removed = ids[:THREADS]
    responses = at_once([lambda v=v: entra.send("PATCH", f"/Groups/{group_id}", patch_op(
        {"op": "remove", "path": f'members[value eq "{v}"]'})) for v in removed])
    assert [r.status_code for r in responses] == [204] * THREADS
    dbsession.rollback()
    members = set(dbsession.scalars(select(GroupMember.user_id).where(
        GroupMember.group_id == group_id)))
    assert members == set(ids[THREADS:])


def test_concurrent_updates_of_one_user_never_fail(entra):
    user_id = entra.send("POST", "/Users", new_user("busy@acme.example")).json()["id"]
    responses = at_once([lambda i=i: entra.send("PATCH", f"/Users/{user_id}", patch_op(
        {"op": "Replace", "path": "title", "value": f"Title {i}"})) for i in range(THREADS)])
    assert [r.status_code for r in responses] == [200] * THREADS, [r.text for r in responses]
    final = entra.send("GET", f"/Users/{user_id}").json()["title"]
    assert final in {f"Title {i}" for i in range(THREADS)}
