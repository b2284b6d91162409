"""Unit tests run without the database, the SMTP server or a built application: a test
that needs them is a functional test (tests/functional)."""

from __future__ import annotations

import pytest

#: Fixtures that start a service or build the app (tests/conftest.py and the functional ones).
SERVICES = frozenset({
    "database_url", "smtp_server", "app_settings", "app", "session_factory", "observer_factory",
    "factory", "dbsession", "tenant", "other_tenant", "testapp", "admin_app", "live_server",
    "console", "browser", "page", "fake_entra", "sso_settings", "sso_app", "sso_app_b",
})


@pytest.fixture(autouse=True)
def _no_services(request: pytest.FixtureRequest) -> None:
    used = sorted(SERVICES.intersection(request.fixturenames))
    if used:
        pytest.fail(f"a unit test needs no database, SMTP or app, but this one uses "
                    f"{', '.join(used)}: it belongs in tests/functional", pytrace=False)
