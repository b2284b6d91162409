"""Sign-in with Okta against the fake Okta (``fake_okta.py``): the plugin loaded from its
source folder, a tenant connected to an org, and a browser (WebTest) walked through the
redirects."""

from __future__ import annotations

import importlib
import secrets
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
from .fake_oidc import FakeClient, FakeIssuer, FakePerson
from .fake_okta import FakeOkta, FakeOktaOrg

PLUGIN_SOURCE = Path(ROOT) / "plugins" / "trainmeuk-identity-okta"


def okta_plugin() -> ModuleType:
    """The plugin module, imported from plugins/ (the package test installs it with pip;
    here its source is imported so that no entry point leaks into other tests' apps)."""
    if "trainmeuk_identity_okta" not in sys.modules:
        sys.path.insert(0, str(PLUGIN_SOURCE))
        try:
            importlib.import_module("trainmeuk_identity_okta")
        finally:
            sys.path.remove(str(PLUGIN_SOURCE))
    return sys.modules["trainmeuk_identity_okta"]


def okta_provider() -> Any:
    return okta_plugin().OktaProvider()


def callback_uri(tenant: Tenant) -> str:
    return f"http://{tenant.subdomain}.{BASE_DOMAIN}/sso/okta/callback"


@dataclass
class OktaConnected:
    """A tenant with SSO set up against an org (and authorization server) of the fake."""

    tenant: Tenant
    org: FakeOktaOrg
    issuer: FakeIssuer
    client: FakeClient
    secret: str

    @property
    def realm(self) -> Any:
        return self.org.realm


def new_org(fake: FakeOkta, tenant: Tenant) -> FakeOktaOrg:
    return fake.add_org(f"{tenant.subdomain}-{secrets.token_hex(3)}.okta.com")


def save(session_factory: Any, settings: dict[str, Any], tenant: Tenant, values: dict[str, str],
         secret: str | None, *, enable: bool = True, create_accounts: bool = False) -> SaveOutcome:
    with session_factory() as session, session.begin():
        return save_sso_settings(
            TenantScope(session, tenant.id), session.get(Tenant, tenant.id), okta_provider(),
            values=values, secret=secret, enable=enable, create_accounts=create_accounts,
            require_sso=False, app_settings=load_settings(settings, environ={}), probe=HttpProbe())


def connect(session_factory: Any, settings: dict[str, Any], fake: FakeOkta, tenant: Tenant, *,
            authorization_server: str = "", create_accounts: bool = False,
            org: FakeOktaOrg | None = None) -> OktaConnected:
    org = org or new_org(fake, tenant)
    issuer = fake.add_custom_server(org, authorization_server) if authorization_server else org.org_server
    client, secret = fake.add_client(org.realm, {callback_uri(tenant)})
    outcome = save(session_factory, settings, tenant,
                   {"domain": org.domain, "authorization_server": authorization_server,
                    "client_id": client.client_id}, secret, create_accounts=create_accounts)
    assert outcome.saved, outcome
    return OktaConnected(tenant=tenant, org=org, issuer=issuer, client=client, secret=secret)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def start(web: webtest.TestApp, **params: str) -> webtest.TestResponse:
    response = web.get("/sso/okta/login", params=params or None, status=302)
    assert response.location.startswith("https://127.0.0.1:"), response.location
    return response


def at_okta(fake: FakeOkta, url: str) -> httpx2.Response:
    """The browser's visit to the fake Okta's authorize page (HTTPS)."""
    return httpx2.get(url, follow_redirects=False, timeout=10, verify=fake.client_context())


def to_callback(fake: FakeOkta, authorize_url: str) -> str:
    answer = at_okta(fake, authorize_url)
    assert answer.status_code == 302, answer.text
    return path_of(answer.headers["location"])


def sign_in_with_okta(web: webtest.TestApp, fake: FakeOkta, connected: OktaConnected,
                      person: FakePerson, status: int | str = "*", **params: str) -> webtest.TestResponse:
    fake.sign_in_as(connected.realm, person)
    return web.get(to_callback(fake, start(web, **params).location), status=status)


def no_session(web: webtest.TestApp) -> bool:
    return web.get("/api/session", status="*").status_int == 401
