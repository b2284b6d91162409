"""Okta fixtures: a fake Okta on HTTPS (a CA made for these tests, trusted through
``SSL_CERT_FILE`` for each test) and an app with the Okta plugin
(plugins/trainmeuk-identity-okta) registered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import webtest

from trainmeuk_identity.models import Tenant
from trainmeuk_identity.testing.certificates import CertificateAuthority

from ...support.app import make_settings, running_app, tenant_app
from ...support.fake_okta import FakeOkta
from ...support.okta import OktaConnected, connect, okta_plugin


@pytest.fixture(scope="session")
def fake_okta(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeOkta]:
    fake = FakeOkta(CertificateAuthority(tmp_path_factory.mktemp("okta-ca"))).start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def _trust_and_clean_fake(fake_okta: FakeOkta, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Per test, so that other suites' fake authorities (with CAs of their own) are unaffected.
    assert fake_okta.ca is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(fake_okta.ca.cert_file))
    yield
    fake_okta.reset_tweaks()


@pytest.fixture(scope="session")
def okta_settings(database_url: str, smtp_server: Any, fake_okta: FakeOkta) -> dict[str, Any]:
    return make_settings(database_url, **{
        "trainmeuk.okta.base_url_template": fake_okta.base_url_template,
        "mail.port": str(smtp_server.port),
        "trainmeuk.plugins.extra": [okta_plugin()]})


@pytest.fixture(scope="session")
def okta_app(okta_settings: dict[str, Any]) -> Iterator[Any]:
    with running_app(okta_settings) as application:
        yield application


@pytest.fixture
def web(okta_app: Any, tenant: Tenant) -> webtest.TestApp:
    """A browser on the tenant's host."""
    return tenant_app(okta_app, tenant)


@pytest.fixture
def org_connected(session_factory: Any, okta_settings: dict[str, Any], fake_okta: FakeOkta,
                  tenant: Tenant) -> OktaConnected:
    """The tenant signs in with the org authorization server of its own Okta org."""
    return connect(session_factory, okta_settings, fake_okta, tenant)


@pytest.fixture
def custom_connected(session_factory: Any, okta_settings: dict[str, Any], fake_okta: FakeOkta,
                     tenant: Tenant) -> OktaConnected:
    """The tenant signs in with the custom authorization server "default"."""
    return connect(session_factory, okta_settings, fake_okta, tenant, authorization_server="default")
