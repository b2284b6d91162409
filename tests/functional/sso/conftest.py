"""SSO fixtures: a fake Entra authority on loopback and app instances pointed at it.

Two app instances share the test database, as two processes of one deployment would:
``sso_app`` and ``sso_app_b`` (each with its own discovery and JWKS caches).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
import webtest

from trainmeuk_identity import configure
from trainmeuk_identity.models import Tenant, TenantScope
from trainmeuk_identity.providers import hookimpl
from trainmeuk_identity.providers.entra import EntraProvider
from trainmeuk_identity.settings import load_settings
from trainmeuk_identity.sso.configure import save_sso_settings
from trainmeuk_identity.sso.oidc import HttpProbe

from ...conftest import BASE_DOMAIN, close_app, make_settings, tenant_app
from ...support.fake_entra import FakeApp, FakeDirectory, FakeEntra, FakeUser


@pytest.fixture(scope="session")
def fake_entra() -> Iterator[FakeEntra]:
    fake = FakeEntra().start()
    yield fake
    fake.stop()


class HookRecorder:
    """A plugin that records the SSO event hooks it receives."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    @hookimpl
    def sso_login_succeeded(self, tenant: Any, user: Any, provider: str, claims: dict[str, Any]) -> None:
        self.calls.append(("succeeded", {"tenant": tenant.id, "user": user.id, "provider": provider,
                                         "oid": claims.get("oid")}))

    @hookimpl
    def sso_login_failed(self, tenant: Any, provider: str, reason: str, detail: str) -> None:
        self.calls.append(("failed", {"tenant": tenant.id, "provider": provider, "reason": reason,
                                      "detail": detail}))

    def for_tenant(self, tenant: Tenant) -> list[tuple[str, dict[str, Any]]]:
        return [(kind, data) for kind, data in self.calls if data["tenant"] == tenant.id]


@pytest.fixture(scope="session")
def sso_hooks() -> HookRecorder:
    return HookRecorder()


@pytest.fixture(scope="session")
def sso_settings(database_url: str, smtp_server: Any, fake_entra: FakeEntra,
                 sso_hooks: HookRecorder) -> dict[str, Any]:
    return make_settings(database_url, **{"trainmeuk.entra_authority": fake_entra.url,
                                          "mail.port": str(smtp_server.port),
                                          "trainmeuk.plugins.extra": [sso_hooks]})


@pytest.fixture(scope="session")
def sso_app(sso_settings: dict[str, Any]) -> Iterator[Any]:
    application = configure(dict(sso_settings)).make_wsgi_app()
    yield application
    close_app(application)


@pytest.fixture(scope="session")
def sso_app_b(sso_settings: dict[str, Any]) -> Iterator[Any]:
    """A second process of the same deployment."""
    application = configure(dict(sso_settings)).make_wsgi_app()
    yield application
    close_app(application)


@pytest.fixture(autouse=True)
def _clean_fake(fake_entra: FakeEntra) -> Iterator[None]:
    yield
    fake_entra.reset_tweaks()


def callback_uri(tenant: Tenant, host_suffix: str = "") -> str:
    return f"http://{tenant.subdomain}.{BASE_DOMAIN}{host_suffix}/sso/entra/callback"


@dataclass
class Connected:
    """A tenant with SSO set up against a directory of the fake authority."""

    tenant: Tenant
    directory: FakeDirectory
    app: FakeApp
    secret: str

    @property
    def tid(self) -> str:
        return self.directory.tid


def connect(session_factory: Any, sso_settings: dict[str, Any], fake: FakeEntra, tenant: Tenant,
            *, enable: bool = True, create_accounts: bool = False, require_sso: bool = False,
            extra_redirect_uris: set[str] = frozenset(), directory: FakeDirectory | None = None) -> Connected:
    directory = directory or fake.add_directory()
    app, secret = fake.add_app(directory, {callback_uri(tenant), *extra_redirect_uris})
    with session_factory() as session, session.begin():
        t = session.get(Tenant, tenant.id)
        outcome = save_sso_settings(
            TenantScope(session, tenant.id), t, EntraProvider(),
            values={"tenant_id": directory.tid, "client_id": app.client_id}, secret=secret,
            enable=enable, create_accounts=create_accounts, require_sso=require_sso,
            app_settings=load_settings(sso_settings, environ={}), probe=HttpProbe())
        assert outcome.saved, outcome
    return Connected(tenant=tenant, directory=directory, app=app, secret=secret)


@pytest.fixture
def connected(session_factory: Any, sso_settings: dict[str, Any], fake_entra: FakeEntra,
              tenant: Tenant) -> Connected:
    return connect(session_factory, sso_settings, fake_entra, tenant)


@pytest.fixture
def web(sso_app: Any, tenant: Tenant) -> webtest.TestApp:
    """A browser on the tenant's host, talking to the SSO-enabled app."""
    return tenant_app(sso_app, tenant)


def at_entra(url: str) -> httpx2.Response:
    """The browser's visit to the fake authority's authorize page (real HTTP)."""
    return httpx2.get(url, follow_redirects=False, timeout=10)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def start(web: webtest.TestApp, next_path: str | None = None,
          mode: str | None = None) -> webtest.TestResponse:
    params = {k: v for k, v in {"next": next_path, "mode": mode}.items() if v}
    response = web.get("/sso/entra/login", params=params, status=302)
    assert response.location.startswith("http://127.0.0.1:")
    return response


def to_callback(authorize_url: str) -> str:
    """Go through the fake authority; the callback path + query it redirects to."""
    answer = at_entra(authorize_url)
    assert answer.status_code == 302, answer.text
    return path_of(answer.headers["location"])


def sign_in_with_microsoft(web: webtest.TestApp, fake: FakeEntra, directory: FakeDirectory,
                           user: FakeUser, next_path: str | None = None,
                           status: int | str = "*") -> webtest.TestResponse:
    fake.sign_in_as(directory, user)
    authorize = start(web, next_path).location
    return web.get(to_callback(authorize), status=status)


def state_cookies(web: webtest.TestApp) -> dict[str, str]:
    return {c.name: c.value for c in web.cookiejar if c.name.startswith("tmk_sso_")}


def no_session(web: webtest.TestApp) -> bool:
    return web.get("/api/session", status="*").status_int == 401
