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
from alembic.config import Config
from sqlalchemy.orm import Session, sessionmaker

from alembic import command
from trainmeuk_identity import configure
from trainmeuk_identity.models import Tenant, get_engine, get_session_factory
from trainmeuk_identity.settings import load_settings

from .support.factories import PASSWORD, Factory
from .support.servers import LiveServer, SMTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST_SECRET = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
BASE_DOMAIN = "localhost"


def migrate(url: str) -> None:
    config = Config(os.path.join(ROOT, "alembic.ini"))
    config.set_main_option("script_location", os.path.join(ROOT, "alembic"))
    config.attributes["database_url"] = url
    command.upgrade(config, "head")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TRAINMEUK_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    )
    migrate(url)
    return url


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    server = SMTPServer().start()
    yield server
    server.stop()


def make_settings(database_url: str, **overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "sqlalchemy.url": database_url,
        "trainmeuk.environment": "testing",
        "trainmeuk.base_domain": BASE_DOMAIN,
        "trainmeuk.secret_keys": TEST_SECRET,
        "trainmeuk.mail_worker": "false",
        "mail.host": "127.0.0.1",
        "mail.port": "1",
        "mail.default_sender": "TrainMeUK <no-reply@trainmeuk.test>",
        "pyramid.reload_templates": "false",
        "retry.attempts": "3",
    }
    settings.update(overrides)
    return settings


@pytest.fixture(scope="session")
def app_settings(database_url: str, smtp_server: SMTPServer) -> dict[str, Any]:
    return make_settings(database_url, **{"mail.port": str(smtp_server.port)})


def close_app(app: Any) -> None:
    app.registry["mail_worker"].stop()
    app.registry["provisioning_log"].stop()
    app.registry["db_engine"].dispose()


@pytest.fixture(scope="session")
def app(app_settings: dict[str, Any]) -> Iterator[Any]:
    application = configure(dict(app_settings)).make_wsgi_app()
    yield application
    close_app(application)


@pytest.fixture(scope="session")
def session_factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions for setting up data and for looking at what requests committed."""
    engine = get_engine(load_settings(make_settings(database_url), environ={}))
    yield get_session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def observer_factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    # Reads only: on SQLite its transactions never take the write lock, so a test can
    # hold one open while requests and subprocesses write.
    engine = get_engine(load_settings(make_settings(database_url), environ={}), read_only=True)
    yield get_session_factory(engine)
    engine.dispose()


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


def tenant_app(app: Any, tenant: Tenant | str | None, **environ: Any) -> webtest.TestApp:
    subdomain = tenant.subdomain if isinstance(tenant, Tenant) else tenant
    host = f"{subdomain}.{BASE_DOMAIN}" if subdomain else BASE_DOMAIN
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": host, "REMOTE_ADDR": "192.0.2.10", **environ})


@pytest.fixture
def testapp(app: Any, tenant: Tenant) -> webtest.TestApp:
    """A browser on the tenant's host (its own cookie jar)."""
    return tenant_app(app, tenant)


def sign_in(testapp: webtest.TestApp, email: str, password: str = PASSWORD) -> webtest.TestResponse:
    form = testapp.get("/login").forms[0]
    form["email"] = email
    form["password"] = password
    return form.submit(status="*")


@pytest.fixture
def admin_app(app: Any, tenant: Tenant, factory: Factory) -> webtest.TestApp:
    """A browser on the tenant's host, signed in as an admin of it."""
    admin = factory.admin(tenant, name="Ada Admin")
    browser = tenant_app(app, tenant)
    assert sign_in(browser, admin.email).status_int == 303
    browser.admin = admin  # type: ignore[attr-defined]
    return browser


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
