"""Admin → Settings → SSO & Provisioning, SCIM part: the guide's Part 2, step 1."""

from __future__ import annotations

import re

from sqlalchemy import select

from trainmeuk_identity.connections import get_connection
from trainmeuk_identity.models import AuditEvent, ScimToken, TenantScope
from trainmeuk_identity.scim import log
from trainmeuk_identity.scim.tokens import find_token

from ...support.app import sign_in, tenant_app

PAGE = "/admin/settings/sso"


def entra_test_connection(app, tenant, token: str) -> int:
    """The request Entra's Test connection makes, answered by the SCIM endpoint."""
    return tenant_app(app, tenant).get(
        "/scim/entra/v2/Users", {"filter": 'userName eq "0f3c6a50-probe"'},
        headers={"Authorization": f"Bearer {token}"}, status="*").status_int


def shown_token(response) -> str | None:
    match = re.search(r'id="scim-token" value="([^"]+)"', response.text)
    return match.group(1) if match else None


def enable(browser):
    form = browser.get(PAGE).forms["scim-toggle-form"]
    form["enabled"] = True
    return form.submit(status="*")


def disable(browser):
    form = browser.get(PAGE).forms["scim-toggle-form"]
    form["enabled"] = False
    return form.submit(status="*")


def token_is_live(session_factory, value: str) -> bool:
    # Short sessions: on SQLite an open read transaction holds the write lock.
    with session_factory() as session:
        return find_token(session, value) is not None


def scim_actions(session_factory, tenant) -> list[str]:
    with session_factory() as session:
        return [a for a in session.scalars(select(AuditEvent.action).where(
            AuditEvent.tenant_id == tenant.id).order_by(AuditEvent.id)) if a.startswith("scim.")]


def connection_of(session_factory, tenant):
    with session_factory() as session:
        connection = get_connection(TenantScope(session, tenant.id), "entra")
        if connection is not None:
            assert connection.tokens is not None  # loaded while the session is open
        return connection


def test_page_shows_toggle_endpoint_url_and_entra_steps(admin_app, tenant):
    page = admin_app.get(PAGE)
    form = page.forms["scim-toggle-form"]
    assert form["enabled"].value is None  # off until the admin turns it on
    assert "Enable SCIM" in page.text
    url = page.html.find(id="scim-endpoint-url")["value"]
    assert url == f"http://{tenant.subdomain}.localhost/scim/entra/v2"
    assert page.html.find("button", attrs={"data-copy": "#scim-endpoint-url"}) is not None
    steps = page.html.find(id="scim").get_text(" ", strip=True)
    for words in ("Enterprise applications", "Provisioning → Get started", "Automatic",
                  "Tenant URL", "Secret Token", "Test connection", "Start provisioning",
                  "Users and groups"):
        assert words in steps
    note = page.html.find(id="scim-non-gallery-note").get_text(" ", strip=True)
    assert "App registrations" in note
    assert "New application → Create your own application" in note
    assert "Non-gallery" in note


def test_endpoint_url_keeps_the_port_and_scheme_of_the_request(app, tenant, factory):
    admin = factory.admin(tenant)
    browser = tenant_app(app, tenant, HTTP_HOST=f"{tenant.subdomain}.localhost:6543")
    assert sign_in(browser, admin.email).status_int == 303
    page = browser.get(PAGE)
    assert page.html.find(id="scim-endpoint-url")["value"] == (
        f"http://{tenant.subdomain}.localhost:6543/scim/entra/v2")


def test_enabling_shows_the_token_once_and_stores_only_its_hash(admin_app, tenant, session_factory):
    response = enable(admin_app)
    assert response.status_int == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = shown_token(response)
    assert token and len(token) >= 40
    assert "shown only now" in response.text
    assert response.html.find("button", attrs={"data-copy": "#scim-token"}) is not None

    with session_factory() as session:
        found = find_token(session, token)
        assert found is not None and found.tenant_id == tenant.id and found.suffix == token[-4:]
        row = session.scalar(select(ScimToken).where(ScimToken.tenant_id == tenant.id))
        assert token not in (row.token_hash, row.suffix)
    assert connection_of(session_factory, tenant).scim_enabled
    assert token not in response.headers.get("Set-Cookie", "")

    # Reloading the page never shows it again; it shows the last four characters.
    again = admin_app.get(PAGE)
    assert token not in again.text
    assert shown_token(again) is None
    assert f"…{token[-4:]}" in again.html.find(id="scim-token-info").text
    assert "last used never" in again.html.find(id="scim-token-info").get_text(" ", strip=True)
    assert again.forms["scim-toggle-form"]["enabled"].value == "on"

    with session_factory() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.tenant_id == tenant.id,
                                                          AuditEvent.action == "scim.enabled")).all()
    assert len(events) == 1 and events[0].actor == f"user:{admin_app.admin.email}"
    assert token not in str(events[0].detail)


def test_regenerate_revokes_the_old_token(app, admin_app, tenant, session_factory):
    old = shown_token(enable(admin_app))
    assert entra_test_connection(app, tenant, old) == 200
    response = admin_app.get(PAGE).forms["scim-regenerate-form"].submit()
    assert response.status_int == 200
    new = shown_token(response)
    assert new and new != old
    assert not token_is_live(session_factory, old)
    assert token_is_live(session_factory, new)
    assert entra_test_connection(app, tenant, old) == 401
    assert entra_test_connection(app, tenant, new) == 200
    assert f"…{new[-4:]}" in admin_app.get(PAGE).text
    assert scim_actions(session_factory, tenant) == ["scim.enabled", "scim.token.regenerated"]


def test_disabling_keeps_the_token_and_enabling_again_reuses_it(app, admin_app, tenant, session_factory):
    token = shown_token(enable(admin_app))
    response = disable(admin_app)
    assert response.status_int == 303
    page = response.follow()
    assert "SCIM provisioning is off" in page.text
    assert page.forms["scim-toggle-form"]["enabled"].value is None
    assert not connection_of(session_factory, tenant).scim_enabled
    assert token_is_live(session_factory, token)  # kept...
    assert entra_test_connection(app, tenant, token) == 403  # ...but refused while off

    response = enable(admin_app)
    assert response.status_int == 303  # no new token to show
    page = response.follow()
    assert f"…{token[-4:]}" in page.text and "works again" in page.text
    assert shown_token(page) is None
    assert connection_of(session_factory, tenant).scim_enabled
    assert token_is_live(session_factory, token)
    assert entra_test_connection(app, tenant, token) == 200
    log.flush_pending(app.registry)  # last use is written with the provisioning log's batch
    info = admin_app.get(PAGE).html.find(id="scim-token-info").get_text(" ", strip=True)
    assert "last used never" not in info and "last used 2" in info  # e.g. "2026-12-01 14:05 UTC"
    assert scim_actions(session_factory, tenant) == ["scim.enabled", "scim.disabled", "scim.enabled"]


def test_change_without_csrf_token_is_refused(admin_app, tenant, session_factory):
    admin_app.get(PAGE)
    admin_app.post("/admin/settings/scim/entra", {"action": "toggle", "enabled": "on"}, status=400)
    assert connection_of(session_factory, tenant) is None


def test_unknown_provider_is_404(admin_app):
    form = admin_app.get(PAGE).forms["scim-toggle-form"]
    token = form["csrf_token"].value
    admin_app.post("/admin/settings/scim/nope", {"csrf_token": token, "action": "toggle",
                                                 "enabled": "on"}, status=404)


def test_staff_who_are_not_admins_get_403(app, tenant, factory, session_factory):
    user = factory.user(tenant)
    browser = tenant_app(app, tenant)
    sign_in(browser, user.email)
    browser.get(PAGE, status=403)
    token = browser.get("/").forms[0]["csrf_token"].value
    browser.post("/admin/settings/scim/entra", {"csrf_token": token, "action": "toggle",
                                                "enabled": "on"}, status=403)
    assert connection_of(session_factory, tenant) is None


def test_another_tenants_admin_can_neither_see_nor_act(app, tenant, other_tenant, factory, session_factory):
    intruder = factory.admin(other_tenant)
    own = tenant_app(app, other_tenant)
    assert sign_in(own, intruder.email).status_int == 303
    csrf = own.get(PAGE).forms["scim-toggle-form"]["csrf_token"].value
    cookie = "; ".join(f"{c.name}={c.value}" for c in own.cookiejar)

    # The other tenant's session cookie, replayed on this tenant's host, signs no one in.
    victim_host = tenant_app(app, tenant)
    response = victim_host.get(PAGE, headers={"Cookie": cookie}, status=302)
    assert "/login" in response.location
    victim_host.post("/admin/settings/scim/entra", {"csrf_token": csrf, "action": "toggle",
                                                    "enabled": "on"},
                     headers={"Cookie": cookie}, status=(400, 403))
    assert connection_of(session_factory, tenant) is None
    # ...and signing in there with the other tenant's credentials fails.
    assert sign_in(tenant_app(app, tenant), intruder.email).status_int == 400


def test_signed_out_visitor_is_sent_to_sign_in(testapp):
    assert "/login" in testapp.get(PAGE, status=302).location
