"""Sign-in with Microsoft against the fake Entra authority: connecting a tenant to one of
its directories, and walking a browser (WebTest) through the redirects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
import webtest

from trainmeuk_identity.models import Tenant, TenantScope
from trainmeuk_identity.providers import hookimpl
from trainmeuk_identity.providers.entra import EntraProvider
from trainmeuk_identity.settings import load_settings
from trainmeuk_identity.sso.configure import save_sso_settings
from trainmeuk_identity.sso.oidc import HttpProbe

from .app import BASE_DOMAIN
from .fake_entra import FakeApp, FakeDirectory, FakeEntra, FakeUser


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
