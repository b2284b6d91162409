"""Security headers: a strict CSP and anti-framing on HTML pages, nosniff and a
Referrer-Policy everywhere, no caching of pages and API answers, HSTS in production."""

from __future__ import annotations

import pytest

from trainmeuk_identity import configure

from ..support.app import close_app, sign_in, tenant_app
from ..support.scim import enable_scim


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def assert_html_headers(response) -> None:
    csp = directives(response)
    assert csp["default-src"] == "default-src 'self'"
    assert csp["script-src"] == "script-src 'self'"
    assert csp["style-src"] == "style-src 'self'"
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["form-action"] == "form-action 'self'"
    assert csp["object-src"] == "object-src 'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin")
    assert "no-store" in response.headers["Cache-Control"]
    assert "Strict-Transport-Security" not in response.headers


def test_every_kind_of_html_page_has_the_headers(app, admin_app, tenant, factory):
    person = factory.user(tenant)
    for path in ("/", "/admin", "/admin/settings/sso", "/admin/users", f"/admin/users/{person.id}",
                 "/admin/audit", "/admin/provisioning-log"):
        assert_html_headers(admin_app.get(path))
    anonymous = tenant_app(app, tenant)
    assert_html_headers(anonymous.get("/login"))
    assert_html_headers(anonymous.get("/nothing-here", status=404))
    assert_html_headers(tenant_app(app, "no-such-org").get("/login", status=404))
    assert_html_headers(tenant_app(app, None).get("/"))
    assert_html_headers(tenant_app(app, tenant, HTTP_HOST="x.localhost:1@evil").get("/", status=400))


def test_html_has_no_inline_script_or_style(admin_app, tenant, factory):
    person = factory.user(tenant)
    for path in ("/", "/admin/settings/sso", "/admin/users", f"/admin/users/{person.id}",
                 "/admin/users/new", "/admin/provisioning-log", "/admin/audit"):
        html = admin_app.get(path).html
        assert not html.find_all("style"), path
        assert all(tag.get("src") for tag in html.find_all("script")), path
        assert not html.select("[style]"), path
        assert not [t for t in html.find_all(True) if any(a.startswith("on") for a in t.attrs)], path


def test_json_answers_are_nosniff_and_not_cached(admin_app, app, tenant):
    response = admin_app.get("/api/session")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    anonymous = tenant_app(app, tenant).get("/api/session", status=401)
    assert anonymous.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response.headers


def test_scim_answers_are_nosniff_and_not_cached(app, tenant, session_factory):
    token = enable_scim(session_factory, tenant)
    client = tenant_app(app, tenant)
    for path in ("/scim/entra/v2/Users", "/scim/entra/v2/ServiceProviderConfig"):
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
    refused = client.get("/scim/entra/v2/Users", status=401)
    assert refused.headers["X-Content-Type-Options"] == "nosniff"


def test_static_files_keep_their_caching(app, tenant):
    response = tenant_app(app, tenant).get("/static/app.css")
    assert "max-age=3600" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def production_app(app_settings):
    settings = dict(app_settings)
    settings.update({"trainmeuk.environment": "production",
                     "trainmeuk.secret_keys": "Zq8vN2xRk5TbW1yLc7HfJ3pDs9GmA4eU6oKi0",
                     "trainmeuk.cookie_secure": "true",
                     "trainmeuk.password_hashing": "standard"})  # production refuses "testing"
    application = configure(settings).make_wsgi_app()
    yield application
    close_app(application)


def test_hsts_only_in_production(production_app, app, tenant, factory):
    user = factory.user(tenant)
    browser = tenant_app(production_app, tenant, **{"wsgi.url_scheme": "https"})
    page = browser.get("/login")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Content-Security-Policy" in page.headers
    assert sign_in(browser, user.email).headers["Strict-Transport-Security"]
    assert "Strict-Transport-Security" not in tenant_app(app, tenant).get("/login").headers
