"""Sessions are recorded server-side: signing out, sign out everywhere, a password
change and deactivation end them at once, in every app process, whatever cookie a
browser (or an attacker) saved before."""

from __future__ import annotations

import pytest
import webtest

from trainmeuk_identity import configure
from trainmeuk_identity.auth.password_links import new_password_token
from trainmeuk_identity.models import StaffSession, TenantScope

from ..support.app import close_app, sign_in, tenant_app
from ..support.sql import recording_statements


@pytest.fixture
def second_process(app_settings):
    """Another app process on the same database (own engine, own caches)."""
    other = configure(dict(app_settings)).make_wsgi_app()
    yield other
    close_app(other)


def replay(app, tenant, cookie: str) -> webtest.TestApp:
    """A fresh browser presenting a saved session cookie."""
    browser = tenant_app(app, tenant)
    browser.set_cookie("tmk_session", cookie)
    return browser


def session_rows(dbsession, user_id: str) -> int:
    dbsession.rollback()
    return len(dbsession.query(StaffSession).filter(StaffSession.user_id == user_id).all())


def test_a_cookie_saved_before_sign_out_is_refused_in_every_process(
        testapp, app, tenant, factory, second_process, dbsession):
    admin = factory.admin(tenant)
    assert sign_in(testapp, admin.email).status_int == 303
    saved = testapp.cookies["tmk_session"]
    replay(second_process, tenant, saved).get("/api/session", status=200)
    assert session_rows(dbsession, admin.id) == 1

    assert testapp.get("/").forms[0].submit().status_int == 303  # Sign out

    for process in (app, second_process):
        browser = replay(process, tenant, saved)
        assert browser.get("/api/session", status=401).json["user"] is None
        assert browser.get("/admin/users", status=302).location.startswith(
            f"http://{tenant.subdomain}.localhost/login")
    assert session_rows(dbsession, admin.id) == 0


def test_signing_out_one_browser_leaves_the_others_signed_in(app, tenant, factory):
    user = factory.user(tenant)
    laptop, phone = tenant_app(app, tenant), tenant_app(app, tenant)
    sign_in(laptop, user.email)
    sign_in(phone, user.email)
    laptop.get("/").forms[0].submit()
    laptop.get("/api/session", status=401)
    phone.get("/api/session", status=200)


def test_sign_out_everywhere_ends_every_session_of_that_person_only(
        app, tenant, factory, second_process, session_factory):
    user, colleague = factory.user(tenant), factory.user(tenant)
    laptop, phone, theirs = (tenant_app(app, tenant) for _ in range(3))
    sign_in(laptop, user.email)
    sign_in(phone, user.email)
    sign_in(theirs, colleague.email)
    saved = phone.cookies["tmk_session"]

    page = laptop.get("/")
    assert "Sign out everywhere" in page.text
    response = page.forms["logout-everywhere-form"].submit()
    assert response.status_int == 303
    assert response.location.endswith("/login")

    laptop.get("/api/session", status=401)
    phone.get("/api/session", status=401)
    replay(second_process, tenant, saved).get("/api/session", status=401)
    theirs.get("/api/session", status=200)
    # Signing in again works as usual.
    assert sign_in(laptop, user.email).status_int == 303
    laptop.get("/api/session", status=200)
    with session_factory() as session:
        actions = [a for (a,) in session.execute(
            __import__("sqlalchemy").text("SELECT action FROM audit_events WHERE tenant_id = :t"),
            {"t": tenant.id})]
    assert "sessions.ended" in actions


def test_sign_out_everywhere_needs_a_session_and_a_csrf_token(app, tenant, factory):
    user = factory.user(tenant)
    browser = tenant_app(app, tenant)
    browser.post("/logout/everywhere", status=403)  # not signed in
    sign_in(browser, user.email)
    browser.post("/logout/everywhere", status=400)
    browser.get("/api/session", status=200)


def test_a_password_change_ends_sessions_saved_before_it(app, tenant, factory, session_factory,
                                                         second_process):
    user = factory.user(tenant)
    browser = tenant_app(app, tenant)
    sign_in(browser, user.email)
    saved = browser.cookies["tmk_session"]
    with session_factory() as session, session.begin():
        token = new_password_token(TenantScope(session, tenant.id), user.id)

    person = tenant_app(app, tenant)
    form = person.get(f"/set-password/{token}").forms[0]
    form["password"] = form["confirm"] = "a brand new passphrase 42"
    assert form.submit().status_int == 303

    for process in (app, second_process):
        replay(process, tenant, saved).get("/api/session", status=401)
    assert sign_in(tenant_app(app, tenant), user.email, "a brand new passphrase 42").status_int == 303


def test_deactivation_in_the_console_ends_saved_sessions_in_every_process(
        app, admin_app, tenant, factory, second_process):
    user = factory.user(tenant)
    browser = tenant_app(app, tenant)
    sign_in(browser, user.email)
    saved = browser.cookies["tmk_session"]
    admin_app.get(f"/admin/users/{user.id}").forms["activation-form"].submit()
    for process in (app, second_process):
        replay(process, tenant, saved).get("/api/session", status=401)


def test_a_session_cookie_without_a_server_side_session_is_refused(app, tenant, factory,
                                                                   session_factory):
    user = factory.user(tenant)
    browser = tenant_app(app, tenant)
    sign_in(browser, user.email)
    with session_factory() as session, session.begin():
        session.query(StaffSession).filter(StaffSession.user_id == user.id).delete()
    browser.get("/api/session", status=401)


def test_session_api_costs_two_sql_round_trips(app, tenant, factory):
    user = factory.user(tenant)
    browser = tenant_app(app, tenant)
    sign_in(browser, user.email)
    browser.get("/api/session")  # warm: nothing cached per request is being measured
    with recording_statements(app.registry["db_engine"]) as seen:
        assert browser.get("/api/session").json["user"]["id"] == user.id
    queries = [s for s in seen if s.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE",
                                                                   "DELETE"))]
    # The tenant by its subdomain, then the session joined to its account.
    assert len(queries) == 2, seen
    assert "staff_sessions" in queries[1] and "users" in queries[1]
