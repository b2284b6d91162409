"""Shared fixtures.

The database is migrated once per run with alembic (not ``create_all``): SQLite in a
temporary file by default, or the PostgreSQL database ``TRAINMEUK_DATABASE_URL``
names (``.ci/run`` creates a fresh one). Functional tests commit for real and are
isolated by tenant: each gets its own organisation, removed afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import webtest
from sqlalchemy.orm import Session, sessionmaker

from trainmeuk_identity.models import Tenant
from trainmeuk_identity.settings import load_settings, password_hashing
from trainmeuk_identity.testing.factories import Factory

from .support.app import database_sessions, make_settings, migrate, running_app, sign_in, tenant_app
from .support.cli import Console
from .support.servers import LiveServer, SMTPServer


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TRAINMEUK_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    )
    migrate(url)
    return url


@pytest.fixture(autouse=True)
def _test_password_hashing() -> Iterator[None]:
    """Hash passwords with the cheap test-only profile the test settings select, also
    after a test that loaded other settings (production's, the defaults)."""
    if password_hashing() != "testing":
        load_settings(make_settings("sqlite://"), environ={})
    yield


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app_settings(database_url: str, smtp_server: SMTPServer) -> dict[str, Any]:
    return make_settings(database_url, **{"mail.port": str(smtp_server.port)})


@pytest.fixture(scope="session")
def app(app_settings: dict[str, Any]) -> Iterator[Any]:
    with running_app(app_settings) as application:
        yield application


@pytest.fixture(scope="session")
def session_factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions for setting up data and for looking at what requests committed."""
    with database_sessions(database_url) as factory:
        yield factory


@pytest.fixture(scope="session")
def observer_factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    # Reads only: on SQLite its transactions never take the write lock, so a test can
    # hold one open while requests and subprocesses write.
    with database_sessions(database_url, read_only=True) as factory:
        yield factory


@pytest.fixture
def factory(session_factory: sessionmaker[Session]) -> Iterator[Factory]:
    f = Factory(session_factory)
    yield f
    f.cleanup()


@pytest.fixture
def dbsession(observer_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for looking at what requests committed. It reads a snapshot: call
    ``dbsession.rollback()`` (or ``expire_all()``) before looking again after a write."""
    with observer_factory() as session:
        yield session


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(name="Acme Ltd")


@pytest.fixture
def other_tenant(factory: Factory) -> Tenant:
    return factory.tenant(name="Globex Corporation")


@pytest.fixture
def testapp(app: Any, tenant: Tenant) -> webtest.TestApp:
    """A browser on the tenant's host (its own cookie jar)."""
    return tenant_app(app, tenant)


@pytest.fixture
def admin_app(app: Any, tenant: Tenant, factory: Factory) -> webtest.TestApp:
    """A browser on the tenant's host, signed in as an admin of it."""
    admin = factory.admin(tenant, name="Ada Admin")
    browser = tenant_app(app, tenant)
    assert sign_in(browser, admin.email).status_int == 303
    browser.admin = admin  # type: ignore[attr-defined]
    return browser


@pytest.fixture
def console(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Console:
    """``trainmeuk-identity CONFIG ...`` run in this process, through its entry function."""
    return Console(capsys, monkeypatch)


@pytest.fixture(scope="session")
def live_server(app: Any) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    yield server
    server.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser profile (own cookies); clipboard readable for Copy buttons."""
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
