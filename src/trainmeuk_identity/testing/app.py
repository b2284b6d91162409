"""The application under test: its settings, its database, building and closing it, and
browsers on a tenant's host (WebTest)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import webtest

from trainmeuk_identity.models import Tenant

# The source tree of the service (alembic.ini and the migrations live beside src/).
ROOT = Path(__file__).resolve().parents[3]
TEST_SECRET = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
BASE_DOMAIN = "localhost"


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (alembic, as ``db upgrade`` does)."""
    from alembic.config import Config

    from alembic import command

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["database_url"] = url
    command.upgrade(config, "head")


def make_settings(database_url: str, **overrides: Any) -> dict[str, Any]:
    """Settings of an app under test. Passwords are hashed with the cheap test-only
    profile (``trainmeuk.password_hashing = testing``), except in production, which
    refuses it."""
    settings: dict[str, Any] = {
        "sqlalchemy.url": database_url,
        "trainmeuk.environment": "testing",
        "trainmeuk.base_domain": BASE_DOMAIN,
        "trainmeuk.secret_keys": TEST_SECRET,
        "trainmeuk.mail_worker": "false",
        "trainmeuk.password_hashing": "testing",
        "mail.host": "127.0.0.1",
        "mail.port": "1",
        "mail.default_sender": "TrainMeUK <no-reply@trainmeuk.test>",
        "pyramid.reload_templates": "false",
        "retry.attempts": "3",
    }
    settings.update(overrides)
    if (settings["trainmeuk.environment"] == "production"
            and "trainmeuk.password_hashing" not in overrides):
        del settings["trainmeuk.password_hashing"]  # production refuses the test profile
    return settings


def close_app(app: Any) -> None:
    """Stop the app's background threads and close its database connections."""
    registry = app.registry
    for name in ("mail_worker", "provisioning_log", "scim_limits"):
        if name in registry:
            registry[name].stop()
    for name in ("db_engine", "cross_tenant_engine"):
        if name in registry:
            registry[name].dispose()


@contextmanager
def running_app(settings: dict[str, Any]) -> Iterator[Any]:
    """The whole WSGI application built from ``settings``, closed (:func:`close_app`)
    when the block ends."""
    from trainmeuk_identity import configure

    application = configure(dict(settings)).make_wsgi_app()
    try:
        yield application
    finally:
        close_app(application)


@contextmanager
def database_sessions(database_url: str, *, read_only: bool = False) -> Iterator[Any]:
    """A session factory on ``database_url`` outside any application (setting data up,
    looking at what requests committed), its engine disposed when the block ends.
    ``read_only``: on SQLite its transactions never take the write lock."""
    from trainmeuk_identity.models import get_engine, get_session_factory
    from trainmeuk_identity.settings import load_settings

    engine = get_engine(load_settings(make_settings(database_url), environ={}), read_only=read_only)
    try:
        yield get_session_factory(engine)
    finally:
        engine.dispose()


def tenant_app(app: Any, tenant: Tenant | str | None, **environ: Any) -> webtest.TestApp:
    """A browser (its own cookie jar) on the tenant's host, or the bare domain."""
    subdomain = tenant.subdomain if isinstance(tenant, Tenant) else tenant
    host = f"{subdomain}.{BASE_DOMAIN}" if subdomain else BASE_DOMAIN
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": host, "REMOTE_ADDR": "192.0.2.10", **environ})
