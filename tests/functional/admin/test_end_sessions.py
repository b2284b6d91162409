"""Admin → User Management → End sessions: an admin signs one person out on every
device at once (a lost laptop, a shared computer), after confirming; audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from trainmeuk_identity import configure
from trainmeuk_identity.models import AuditEvent, StaffSession, User

from ...support.app import close_app, sign_in, tenant_app


@pytest.fixture
def second_process(app_settings):
    """Another app process on the same database (own engine, own caches)."""
    other = configure(dict(app_settings)).make_wsgi_app()
    yield other
    close_app(other)


def signed_in(app, tenant, email: str):
    browser = tenant_app(app, tenant)
    assert sign_in(browser, email).status_int == 303
    return browser


def replay(app, tenant, cookie: str):
    browser = tenant_app(app, tenant)
    browser.set_cookie("tmk_session", cookie)
    return browser


def session_count(session_factory, user_id: str) -> int:
    with session_factory() as session:
        return len(session.scalars(select(StaffSession.id_hash).where(
            StaffSession.user_id == user_id)).all())


def ended_events(session_factory, tenant) -> list[AuditEvent]:
    with session_factory() as session:
        return list(session.scalars(select(AuditEvent).where(
            AuditEvent.tenant_id == tenant.id, AuditEvent.action == "sessions.ended")))


def csrf_of(browser, path: str = "/") -> str:
    return browser.get(path).html.find("input", attrs={"name": "csrf_token"})["value"]


def test_an_admin_ends_every_session_of_one_person_after_confirming(
        app, admin_app, tenant, factory, session_factory, second_process):
    person, colleague = factory.user(tenant, "lost.laptop@acme.example"), factory.user(tenant)
    laptop, phone = signed_in(app, tenant, person.email), signed_in(app, tenant, person.email)
    theirs = signed_in(app, tenant, colleague.email)
    saved = phone.cookies["tmk_session"]
    assert session_count(session_factory, person.id) == 2

    page = admin_app.get(f"/admin/users/{person.id}")
    assert "end-sessions-form" not in page.forms  # nothing ends without the confirmation step
    confirm = page.click(linkid="end-sessions-link")
    assert confirm.request.params["confirm"] == "end_sessions"
    dialog = confirm.html.find(id="end-sessions-confirm")
    assert "signed out of TrainMeUK on every device" in dialog.text
    assert person.name in dialog.text
    response = confirm.forms["end-sessions-form"].submit()
    assert response.status_int == 303
    assert "signed out everywhere" in response.follow().html.find(role="status").text

    for browser in (laptop, phone, replay(second_process, tenant, saved)):
        browser.get("/api/session", status=401)
    assert session_count(session_factory, person.id) == 0
    theirs.get("/api/session", status=200)  # nobody else is signed out
    admin_app.get("/admin/users", status=200)
    [event] = ended_events(session_factory, tenant)
    assert (event.target, event.detail, event.actor) == (
        person.email, {"by": "admin"}, f"user:{admin_app.admin.email}")
    # The account stays active: the person signs in again as usual.
    with session_factory() as session:
        assert session.get(User, person.id).active
    signed_in(app, tenant, person.email).get("/api/session", status=200)


def test_ending_sessions_needs_the_confirmation_and_the_csrf_token(
        app, admin_app, tenant, factory, session_factory):
    person = factory.user(tenant)
    browser = signed_in(app, tenant, person.email)
    csrf = csrf_of(admin_app, f"/admin/users/{person.id}")

    unconfirmed = admin_app.post(f"/admin/users/{person.id}",
                                 {"csrf_token": csrf, "action": "end_sessions"}, status=400)
    assert "Confirm" in unconfirmed.html.find(id="form-error").text
    assert unconfirmed.html.find(id="end-sessions-confirm") is not None  # asks again
    admin_app.post(f"/admin/users/{person.id}", {"action": "end_sessions", "confirm": "yes"},
                   status=400)  # no CSRF token
    admin_app.post(f"/admin/users/{person.id}", {"csrf_token": "forged", "action": "end_sessions",
                                                  "confirm": "yes"}, status=400)
    browser.get("/api/session", status=200)
    assert ended_events(session_factory, tenant) == []


def test_non_admins_get_403_and_another_tenants_person_404(
        app, admin_app, tenant, other_tenant, factory, session_factory):
    person = factory.user(tenant)
    target = signed_in(app, tenant, person.email)
    staff = signed_in(app, tenant, factory.user(tenant).email)
    staff.get(f"/admin/users/{person.id}", {"confirm": "end_sessions"}, status=403)
    staff.post(f"/admin/users/{person.id}", {"csrf_token": csrf_of(staff), "action": "end_sessions",
                                             "confirm": "yes"}, status=403)
    target.get("/api/session", status=200)

    stranger = factory.user(other_tenant)
    theirs = signed_in(app, other_tenant, stranger.email)
    admin_app.get(f"/admin/users/{stranger.id}", {"confirm": "end_sessions"}, status=404)
    admin_app.post(f"/admin/users/{stranger.id}", {"csrf_token": csrf_of(admin_app, "/admin/users/new"),
                                                   "action": "end_sessions", "confirm": "yes"}, status=404)
    theirs.get("/api/session", status=200)
    assert session_count(session_factory, stranger.id) == 1
    assert ended_events(session_factory, tenant) == ended_events(session_factory, other_tenant) == []


def test_an_admin_is_pointed_to_sign_out_everywhere_for_their_own_sessions(admin_app, session_factory,
                                                                           tenant):
    me = admin_app.admin
    page = admin_app.get(f"/admin/users/{me.id}", {"confirm": "end_sessions"})
    assert page.html.find(id="end-sessions-link") is None
    assert page.html.find(id="end-sessions-confirm") is None
    assert "Sign out everywhere" in page.html.find(id="end-sessions-self").text
    response = admin_app.post(f"/admin/users/{me.id}", {
        "csrf_token": page.forms["user-form"]["csrf_token"].value, "action": "end_sessions",
        "confirm": "yes"}, status=400)
    assert "Sign out everywhere" in response.html.find(id="form-error").text
    admin_app.get("/admin/users", status=200)
    assert ended_events(session_factory, tenant) == []
