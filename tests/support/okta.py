"""Sign-in with Okta against the fake Okta (``fake_okta.py``): the plugin loaded from its
source folder, a tenant connected to an org, and a browser (WebTest) walked through the
redirects."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import webtest

from trainmeuk_identity.models import Tenant
from trainmeuk_identity.sso.configure import SaveOutcome
from trainmeuk_identity.testing.fake_oidc import FakeClient, FakeIssuer, FakePerson

from . import plugin_sso
from .fake_okta import FakeOkta, FakeOktaOrg
from .plugin_sso import at_authority, no_session, plugin_from_source, plugin_source, to_callback
from .sso import path_of

PLUGIN_SOURCE = plugin_source("trainmeuk-identity-okta")


def okta_plugin() -> ModuleType:
    return plugin_from_source("trainmeuk-identity-okta", "trainmeuk_identity_okta")


def okta_provider() -> Any:
    return okta_plugin().OktaProvider()


def callback_uri(tenant: Tenant) -> str:
    return plugin_sso.callback_uri(tenant, "okta")


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
    return plugin_sso.save(session_factory, settings, tenant, okta_provider(), values, secret,
                           enable=enable, create_accounts=create_accounts)


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


def start(web: webtest.TestApp, **params: str) -> webtest.TestResponse:
    return plugin_sso.start(web, "okta", **params)


def sign_in_with_okta(web: webtest.TestApp, fake: FakeOkta, connected: OktaConnected,
                      person: FakePerson, status: int | str = "*", **params: str) -> webtest.TestResponse:
    fake.sign_in_as(connected.realm, person)
    return web.get(to_callback(fake, start(web, **params).location), status=status)


at_okta = at_authority

__all__ = ["at_okta", "no_session", "path_of", "to_callback"]
