"""Sign-in with Google against the fake Google (``fake_google.py``): the plugin loaded from
its source folder, a tenant connected to its Workspace domain(s), and a browser
(WebTest) walked through the redirects."""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import httpx2
import webtest

from trainmeuk_identity.models import Tenant, TenantScope
from trainmeuk_identity.settings import load_settings
from trainmeuk_identity.sso.configure import SaveOutcome, save_sso_settings
from trainmeuk_identity.sso.oidc import HttpProbe

from .app import BASE_DOMAIN, ROOT
from .fake_google import FakeGoogle
from .fake_oidc import FakeClient, FakePerson

PLUGIN_SOURCE = Path(ROOT) / "plugins" / "trainmeuk-identity-google"


def google_plugin() -> ModuleType:
    """The plugin module, imported from plugins/ (the package test installs it with pip;
    here its source is imported so that no entry point leaks into other tests' apps)."""
    if "trainmeuk_identity_google" not in sys.modules:
        sys.path.insert(0, str(PLUGIN_SOURCE))
        try:
            importlib.import_module("trainmeuk_identity_google")
        finally:
            sys.path.remove(str(PLUGIN_SOURCE))
    return sys.modules["trainmeuk_identity_google"]


def google_provider() -> Any:
    return google_plugin().GoogleProvider()


def callback_uri(tenant: Tenant) -> str:
    return f"http://{tenant.subdomain}.{BASE_DOMAIN}/sso/google/callback"


@dataclass
class GoogleConnected:
    """A tenant with SSO set up for its Workspace domain(s) through its own OAuth client."""

    tenant: Tenant
    client: FakeClient
    secret: str
    domains: tuple[str, ...]


def save(session_factory: Any, settings: dict[str, Any], tenant: Tenant, values: dict[str, str],
         secret: str | None, *, enable: bool = True, create_accounts: bool = False) -> SaveOutcome:
    with session_factory() as session, session.begin():
        return save_sso_settings(
            TenantScope(session, tenant.id), session.get(Tenant, tenant.id), google_provider(),
            values=values, secret=secret, enable=enable, create_accounts=create_accounts,
            require_sso=False, app_settings=load_settings(settings, environ={}), probe=HttpProbe())


def connect(session_factory: Any, settings: dict[str, Any], fake: FakeGoogle, tenant: Tenant, *,
            domains: tuple[str, ...] = ("acme.example",), create_accounts: bool = False,
            ) -> GoogleConnected:
    client, secret = fake.add_google_client({callback_uri(tenant)})
    outcome = save(session_factory, settings, tenant,
                   {"client_id": client.client_id, "hosted_domains": ",".join(domains)}, secret,
                   create_accounts=create_accounts)
    assert outcome.saved, outcome
    return GoogleConnected(tenant=tenant, client=client, secret=secret, domains=domains)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def start(web: webtest.TestApp, **params: str) -> webtest.TestResponse:
    response = web.get("/sso/google/login", params=params or None, status=302)
    assert response.location.startswith("https://127.0.0.1:"), response.location
    return response


def at_google(fake: FakeGoogle, url: str) -> httpx2.Response:
    """The browser's visit to the fake Google's authorize page (HTTPS)."""
    return httpx2.get(url, follow_redirects=False, timeout=10, verify=fake.client_context())


def to_callback(fake: FakeGoogle, authorize_url: str) -> str:
    answer = at_google(fake, authorize_url)
    assert answer.status_code == 302, answer.text
    return path_of(answer.headers["location"])


def sign_in_with_google(web: webtest.TestApp, fake: FakeGoogle, person: FakePerson,
                        status: int | str = "*", **params: str) -> webtest.TestResponse:
    fake.sign_in(person)
    return web.get(to_callback(fake, start(web, **params).location), status=status)


def no_session(web: webtest.TestApp) -> bool:
    return web.get("/api/session", status="*").status_int == 401
