"""Fuzzing the SCIM endpoint through the whole app (WebTest), with Hypothesis.

Every target sends generated requests to one tenant and checks two properties: no
answer is a 5xx, and a refused request (4xx) changes none of the tenant's users,
groups or memberships. ``make test`` runs a bounded, derandomized run (FUZZ_EXAMPLES,
50 per target by default); ``make fuzz`` raises it (see the Makefile and RESULTS.md).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
import webtest
from sqlalchemy import delete, select

from trainmeuk_identity import configure
from trainmeuk_identity.models import Group, GroupMember, Tenant, TenantScope, User
from trainmeuk_identity.scim import tokens
from trainmeuk_identity.testing.factories import Factory

from ..support.fuzz import BASE
from .strategies import ENTRA_GROUP, ENTRA_USER


class Target:
    """One tenant with SCIM on, a user, an admin, a group; requests sent as raw WSGI."""

    def __init__(self, app: Any, session_factory: Any, tenant: Tenant, token: str) -> None:
        self.app = app
        self.session_factory = session_factory
        self.tenant = tenant
        self.token = token
        self.host = f"{tenant.subdomain}.localhost"
        self.browser = webtest.TestApp(app, lint=False)
        self.user_id = ""
        self.group_id = ""

    # -- requests ---------------------------------------------------------------------
    def request(self, method: str, path: str, body: bytes = b"",
                headers: dict[str, str] | None = None, host: str | None = None) -> Any:
        """Send as given: no header is added but the Host and, unless given, the token."""
        all_headers = {"Authorization": f"Bearer {self.token}"}
        all_headers.update(headers or {})
        environ = {"HTTP_HOST": host if host is not None else self.host,
                   "REMOTE_ADDR": "192.0.2.77"}
        request = webtest.TestRequest.blank(path, environ, method=method)
        for name, value in all_headers.items():
            if value is None:
                continue
            if name.lower() == "content-type":
                request.environ["CONTENT_TYPE"] = value
            else:
                request.environ["HTTP_" + name.upper().replace("-", "_")] = value
        if body or method in ("POST", "PUT", "PATCH"):
            request.environ["wsgi.input"] = io.BytesIO(body)
            request.environ["CONTENT_LENGTH"] = str(len(body))
        return self.browser.do_request(request, status="*", expect_errors=True)

    # -- state ------------------------------------------------------------------------
    def snapshot(self) -> tuple[Any, ...]:
        tenant_id = self.tenant.id
        with self.session_factory() as session:
            users = session.execute(select(User.__table__).where(User.tenant_id == tenant_id)
                                    .order_by(User.id)).all()
            groups = session.execute(select(Group.__table__).where(Group.tenant_id == tenant_id)
                                     .order_by(Group.id)).all()
            members = session.execute(select(GroupMember.__table__).where(
                GroupMember.tenant_id == tenant_id).order_by(GroupMember.group_id,
                                                            GroupMember.user_id)).all()
        return tuple(map(tuple, users)), tuple(map(tuple, groups)), tuple(map(tuple, members))

    def reset(self) -> None:
        """Back to the starting state: one user, one admin, one group of the user."""
        with self.session_factory() as session, session.begin():
            scope = TenantScope(session, self.tenant.id)
            session.execute(delete(GroupMember).where(GroupMember.tenant_id == self.tenant.id))
            session.execute(delete(Group).where(Group.tenant_id == self.tenant.id))
            for user in session.scalars(scope.select(User).where(User.is_admin.is_(False))):
                session.delete(user)
        user = self.request("POST", f"{BASE}/Users", entra_user_body(),
                            {"Content-Type": "application/scim+json; charset=utf-8"})
        assert user.status_int == 201, user.text
        self.user_id = user.json["id"]
        group = self.request("POST", f"{BASE}/Groups", entra_group_body(self.user_id),
                             {"Content-Type": "application/scim+json; charset=utf-8"})
        assert group.status_int == 201, group.text
        self.group_id = group.json["id"]

    def check(self, response: Any, before: tuple[Any, ...]) -> None:
        """No 5xx; a refused request changed nothing; a change is undone for the next."""
        assert response.status_int < 500, (response.status, response.text[:500])
        if response.status_int >= 400:
            assert response.content_type == "application/scim+json", response.headers
            assert self.snapshot() == before, f"refused ({response.status}) yet changed"
        elif self.snapshot() != before:
            self.reset()


def entra_user_body() -> bytes:
    return json.dumps(ENTRA_USER).encode()


def entra_group_body(member: str) -> bytes:
    return json.dumps(dict(ENTRA_GROUP, members=[{"value": member}])).encode()


@pytest.fixture(scope="module")
def target(app_settings: dict[str, Any], session_factory: Any) -> Iterator[Target]:
    # Its own app: no per-token rate ceiling, which a long run would meet (it tests
    # inputs, not fairness); everything else as in the other tests.
    application = configure({**app_settings, "trainmeuk.scim.rate_limit": "0",
                             "trainmeuk.scim.max_concurrent_per_token": "0"}).make_wsgi_app()
    factory = Factory(session_factory)
    tenant = factory.tenant(name="Fuzz Ltd")
    factory.admin(tenant, "owner@fuzz.example")
    with session_factory() as session, session.begin():
        _, issued = tokens.enable_scim(TenantScope(session, tenant.id), "entra")
        token = issued.value
    fuzz = Target(application, session_factory, tenant, token)
    fuzz.reset()
    yield fuzz
    factory.cleanup()
    for worker in ("mail_worker", "provisioning_log", "scim_limits"):
        stop = getattr(application.registry.get(worker), "stop", None)
        if stop is not None:
            stop()
    application.registry["db_engine"].dispose()
