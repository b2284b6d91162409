"""Health checks, request ids, error pages."""

from __future__ import annotations

import logging

import pytest
import webtest

from trainmeuk_identity import configure
from trainmeuk_identity.logs import RequestIdFormatter

from ..support.app import close_app, make_settings, sign_in, tenant_app


def test_healthz_is_200_when_the_database_answers(app):
    response = webtest.TestApp(app, extra_environ={"HTTP_HOST": "10.0.0.5:6543"}).get("/healthz")
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(monkeypatch):
    monkeypatch.delenv("TRAINMEUK_DATABASE_URL", raising=False)  # it would win over the URL below
    broken = configure(make_settings("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")).make_wsgi_app()
    try:
        response = webtest.TestApp(broken).get("/healthz", status=503)
        assert response.json["database"] == "unreachable"
        # Pages that need the database answer 503 with a clear page, not a stack trace.
        page = tenant_app(broken, "acme").get("/login", status=503)
        assert "briefly unavailable" in page.text
        assert "Traceback" not in page.text
    finally:
        close_app(broken)


@pytest.fixture
def failing_app(database_url):
    config = configure(make_settings(database_url))

    def explode(request):
        raise RuntimeError("secret internal detail")

    config.add_route("test.explode", "/explode")
    config.add_view(explode, route_name="test.explode")
    app = config.make_wsgi_app()
    yield app
    close_app(app)


def test_every_response_carries_a_request_id(app, tenant):
    response = tenant_app(app, tenant).get("/login")
    assert len(response.headers["X-Request-Id"]) >= 16
    # A sane id from the proxy is kept; anything else is replaced.
    kept = tenant_app(app, tenant).get("/login", headers={"X-Request-Id": "edge-1234abcd"})
    assert kept.headers["X-Request-Id"] == "edge-1234abcd"
    replaced = tenant_app(app, tenant).get("/login", headers={"X-Request-Id": "bad id\r\nx"})
    assert replaced.headers["X-Request-Id"] != "bad id\r\nx"


def test_an_unexpected_error_is_a_500_page_with_the_request_id_in_page_and_log(failing_app):
    stream_records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            stream_records.append(self.format(record))

    handler = Collect()
    handler.setFormatter(RequestIdFormatter("[%(request_id)s] %(message)s"))
    logger = logging.getLogger("trainmeuk_identity")
    logger.addHandler(handler)
    try:
        response = webtest.TestApp(failing_app).get("/explode", status=500)
    finally:
        logger.removeHandler(handler)
    request_id = response.headers["X-Request-Id"]
    assert request_id in response.text
    assert "secret internal detail" not in response.text and "Traceback" not in response.text
    assert any(line.startswith(f"[{request_id}]") and "/explode" in line for line in stream_records)


def test_errors_under_api_are_json(app, tenant):
    response = tenant_app(app, tenant).get("/api/session", status=401)
    assert response.content_type == "application/json"
    response = tenant_app(app, tenant).get("/api/nothing-here", status=404)
    assert response.json["error"] == "Page not found"


def test_admin_pages_are_for_admins_only(app, tenant, factory):
    staff = factory.user(tenant)
    browser = tenant_app(app, tenant)
    sign_in(browser, staff.email)
    page = browser.get("/admin", status=403)
    assert "not allowed" in page.text
    browser.get("/admin/audit", status=403)


def test_admin_landing_and_audit_log(admin_app):
    page = admin_app.get("/admin")
    assert "User Management" in page.text and "SSO &amp; Provisioning" in page.text
    audit = admin_app.get("/admin/audit")
    assert "login.succeeded" in audit.text
