"""SSO fixtures: a fake Entra authority on loopback and app instances pointed at it.

Two app instances share the test database, as two processes of one deployment would:
``sso_app`` and ``sso_app_b`` (each with its own discovery and JWKS caches).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import webtest

from trainmeuk_identity import configure
from trainmeuk_identity.models import Tenant

from ...support.app import close_app, make_settings, tenant_app
from ...support.fake_entra import FakeEntra
from ...support.sso import Connected, HookRecorder, connect


@pytest.fixture(scope="session")
def fake_entra() -> Iterator[FakeEntra]:
    fake = FakeEntra().start()
    yield fake
    fake.stop()


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


@pytest.fixture
def connected(session_factory: Any, sso_settings: dict[str, Any], fake_entra: FakeEntra,
              tenant: Tenant) -> Connected:
    return connect(session_factory, sso_settings, fake_entra, tenant)


@pytest.fixture
def web(sso_app: Any, tenant: Tenant) -> webtest.TestApp:
    """A browser on the tenant's host, talking to the SSO-enabled app."""
    return tenant_app(sso_app, tenant)
