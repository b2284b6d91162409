"""Sign-in with Google against the fake Google (``fake_google.py``): the plugin loaded from
its source folder, a tenant connected to its Workspace domain(s), and a browser
(WebTest) walked through the redirects."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import webtest

from trainmeuk_identity.models import Tenant
from trainmeuk_identity.sso.configure import SaveOutcome
from trainmeuk_identity.testing.fake_oidc import FakeClient, FakePerson

from . import plugin_sso
from .fake_google import FakeGoogle
from .plugin_sso import at_authority, no_session, plugin_from_source, plugin_source, to_callback
from .sso import path_of

PLUGIN_SOURCE = plugin_source("trainmeuk-identity-google")


def google_plugin() -> ModuleType:
    return plugin_from_source("trainmeuk-identity-google", "trainmeuk_identity_google")


def google_provider() -> Any:
    return google_plugin().GoogleProvider()


def callback_uri(tenant: Tenant) -> str:
    return plugin_sso.callback_uri(tenant, "google")


@dataclass
class GoogleConnected:
    """A tenant with SSO set up for its Workspace domain(s) through its own OAuth client."""

    tenant: Tenant
    client: FakeClient
    secret: str
    domains: tuple[str, ...]


def save(session_factory: Any, settings: dict[str, Any], tenant: Tenant, values: dict[str, str],
         secret: str | None, *, enable: bool = True, create_accounts: bool = False) -> SaveOutcome:
    return plugin_sso.save(session_factory, settings, tenant, google_provider(), values, secret,
                           enable=enable, create_accounts=create_accounts)


def connect(session_factory: Any, settings: dict[str, Any], fake: FakeGoogle, tenant: Tenant, *,
            domains: tuple[str, ...] = ("acme.example",), create_accounts: bool = False,
            ) -> GoogleConnected:
    client, secret = fake.add_google_client({callback_uri(tenant)})
    outcome = save(session_factory, settings, tenant,
                   {"client_id": client.client_id, "hosted_domains": ",".join(domains)}, secret,
                   create_accounts=create_accounts)
    assert outcome.saved, outcome
    return GoogleConnected(tenant=tenant, client=client, secret=secret, domains=domains)


def start(web: webtest.TestApp, **params: str) -> webtest.TestResponse:
    return plugin_sso.start(web, "google", **params)


def sign_in_with_google(web: webtest.TestApp, fake: FakeGoogle, person: FakePerson,
                        status: int | str = "*", **params: str) -> webtest.TestResponse:
    fake.sign_in(person)
    return web.get(to_callback(fake, start(web, **params).location), status=status)


at_google = at_authority

__all__ = ["at_google", "no_session", "path_of", "to_callback"]
