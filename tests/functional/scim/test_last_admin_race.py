"""Two SCIM requests deactivating a tenant's last two active administrators at once:
one succeeds, the other is refused, and one administrator stays (real threads, waitress)."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from trainmeuk_identity.models import User

from ...support.scim import enable_scim, new_user, patch_op

pytestmark = pytest.mark.live

ROUNDS = 6


def test_deactivating_the_last_two_admins_at_once_keeps_one(live_server, tenant, session_factory,
                                                            dbsession):
    base = f"http://127.0.0.1:{live_server.port}/scim/entra/v2"
    headers = {"Host": f"{tenant.subdomain}.localhost:{live_server.port}",
               "Authorization": f"Bearer {enable_scim(session_factory, tenant)}",
               "Content-Type": "application/scim+json; charset=utf-8"}

    def send(method: str, path: str, body: Any) -> httpx.Response:
        with httpx.Client(timeout=60) as client:
            return client.request(method, base + path, headers=headers, content=json.dumps(body))

    ids = [send("POST", "/Users", new_user(f"admin{i}@acme.example", externalId=f"a{i}")).json()["id"]
           for i in range(2)]
    with session_factory() as session, session.begin():
        for user_id in ids:
            session.get(User, user_id).is_admin = True

    def deactivate(user_id: str, barrier: threading.Barrier, results: dict[str, Any]) -> None:
        barrier.wait()
        try:
            results[user_id] = send("PATCH", f"/Users/{user_id}", patch_op(
                {"op": "replace", "path": "active", "value": False}))
        except Exception as exc:  # reported below
            results[user_id] = exc

    for _ in range(ROUNDS):
        barrier = threading.Barrier(2)
        results: dict[str, Any] = {}
        threads = [threading.Thread(target=deactivate, args=(user_id, barrier, results))
                   for user_id in ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        results_list = list(results.values())
        statuses = sorted(getattr(r, "status_code", r) for r in results_list)
        assert statuses == [200, 409], [getattr(r, "text", r) for r in results_list]
        dbsession.rollback()
        assert dbsession.scalar(select(func.count()).select_from(User).where(
            User.tenant_id == tenant.id, User.is_admin.is_(True), User.active.is_(True))) == 1
        # Both active again for the next round.
        for user_id in ids:
            assert send("PATCH", f"/Users/{user_id}", patch_op(
                {"op": "replace", "path": "active", "value": True})).status_code == 200
