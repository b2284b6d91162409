"""Connecting a tenant to the fake authority as an admin's Save does, and walking a
browser (WebTest) through a sign-in: our login route, the fake's authorize page (real
HTTPS), our callback."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx2

from trainmeuk_identity.models import Tenant, TenantScope
from trainmeuk_identity.settings import load_settings
from trainmeuk_identity.sso.configure import SaveOutcome, save_sso_settings
from trainmeuk_identity.sso.oidc import HttpProbe

from .app import BASE_DOMAIN

if TYPE_CHECKING:
    import webtest

    from . import ProviderUnderTest
    from .fake_oidc import FakeClient, FakeIssuer, FakeOidcServer, FakePerson


@dataclass
class Connection:
    """A tenant connected to the fake authority's issuer through a client of its own."""

    tenant: Tenant
    provider: Any
    issuer: FakeIssuer
    client: FakeClient
    secret: str
    settings: dict[str, str]


def callback_uri(tenant: Tenant, provider_name: str) -> str:
    return f"http://{tenant.subdomain}.{BASE_DOMAIN}/sso/{provider_name}/callback"


def save(app: Any, session_factory: Any, settings: dict[str, Any], tenant: Tenant,
         values: dict[str, str], secret: str | None, provider_name: str) -> SaveOutcome:
    """What Admin → Settings → SSO & Provisioning's Save does (SSO enabled)."""
    provider = app.registry["providers"].get(provider_name, "sso")
    assert provider is not None, f"no provider {provider_name!r} offering SSO is installed"
    with session_factory() as session, session.begin():
        return save_sso_settings(
            TenantScope(session, tenant.id), session.get(Tenant, tenant.id), provider,
            values=values, secret=secret, enable=True, create_accounts=False, require_sso=False,
            app_settings=load_settings(settings, environ={}), probe=HttpProbe())


def connect(app: Any, session_factory: Any, settings: dict[str, Any], fake: FakeOidcServer,
            issuer: FakeIssuer, tenant: Tenant, described: ProviderUnderTest) -> Connection:
    provider = app.registry["providers"].get(described.name, "sso")
    assert provider is not None, (
        f"no provider named {described.name!r} offering SSO is installed: install its package "
        "(entry point trainmeuk_identity.providers) or list its plugin in ProviderUnderTest.plugins")
    client, secret = fake.add_client(
        issuer.realm, {callback_uri(tenant, described.name)}, client_id=described.new_client_id(),
        auth_method=provider.token_endpoint_auth_method,
        grant_types=("authorization_code", "client_credentials"))
    values = dict(described.settings(client.client_id))
    outcome = save(app, session_factory, settings, tenant, values, secret, described.name)
    assert outcome.saved, f"the connection to the fake authority was not saved: {outcome}"
    return Connection(tenant=tenant, provider=provider, issuer=issuer, client=client, secret=secret,
                      settings=values)


def new_person(fake: FakeOidcServer, connection: Connection, described: ProviderUnderTest) -> FakePerson:
    """A person of the issuer's directory with a verified email at ``email_domain``."""
    return fake.add_person(connection.issuer.realm,
                           f"sam.{secrets.token_hex(3)}@{described.email_domain}")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def start(browser: webtest.TestApp, provider_name: str) -> webtest.TestResponse:
    """The person presses "Sign in with …": our login route redirects to the authority."""
    return browser.get(f"/sso/{provider_name}/login", status=302)


def at_authority(fake: FakeOidcServer, url: str) -> httpx2.Response:
    """The browser's visit to the fake authority's authorize page (HTTPS)."""
    return httpx2.get(url, follow_redirects=False, timeout=10, verify=fake.client_context())


def sign_in(browser: webtest.TestApp, fake: FakeOidcServer, connection: Connection,
            person: FakePerson, status: int | str = "*") -> webtest.TestResponse:
    """The whole sign-in of ``person``; the callback's response."""
    fake.sign_in_as(connection.issuer.realm, person)
    authorize = start(browser, connection.provider.name).location
    assert authorize.startswith(fake.url + "/"), (
        f"the login route sent the browser to {authorize}, not to the fake authority at {fake.url}")
    answer = at_authority(fake, authorize)
    assert answer.status_code == 302, answer.text
    return browser.get(path_of(answer.headers["location"]), status=status)


def has_session(browser: webtest.TestApp) -> bool:
    return browser.get("/api/session", status="*").status_int == 200
