"""Google fixtures: a fake Google on HTTPS (a CA made for these tests, trusted through
``SSL_CERT_FILE`` for each test) and an app with the Google plugin
(plugins/trainmeuk-identity-google) registered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import webtest

from trainmeuk_identity.models import Tenant
from trainmeuk_identity.testing.certificates import CertificateAuthority

from ...support.app import make_settings, running_app, tenant_app
from ...support.fake_google import FakeGoogle
from ...support.google import GoogleConnected, connect, google_plugin


@pytest.fixture(scope="session")
def fake_google(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGoogle]:
    fake = FakeGoogle(CertificateAuthority(tmp_path_factory.mktemp("google-ca"))).start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def _trust_and_clean_fake(fake_google: FakeGoogle, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Per test, so other suites' fake authorities (with CAs of their own) are unaffected.
    assert fake_google.ca is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(fake_google.ca.cert_file))
    yield
    fake_google.reset_tweaks()


@pytest.fixture(scope="session")
def google_settings(database_url: str, smtp_server: Any, fake_google: FakeGoogle) -> dict[str, Any]:
    return make_settings(database_url, **{
        "trainmeuk.google.authority": fake_google.authority,
        "mail.port": str(smtp_server.port),
        "trainmeuk.plugins.extra": [google_plugin()]})


@pytest.fixture(scope="session")
def google_app(google_settings: dict[str, Any]) -> Iterator[Any]:
    with running_app(google_settings) as application:
        yield application


@pytest.fixture
def web(google_app: Any, tenant: Tenant) -> webtest.TestApp:
    """A browser on the tenant's host."""
    return tenant_app(google_app, tenant)


@pytest.fixture
def connected(session_factory: Any, google_settings: dict[str, Any], fake_google: FakeGoogle,
              tenant: Tenant) -> GoogleConnected:
    """The tenant signs in with Google, for its Workspace domain acme.example."""
    return connect(session_factory, google_settings, fake_google, tenant)
