"""Local sign-in: an admin gets in before SSO exists; sessions follow the account."""

from __future__ import annotations

from trainmeuk_identity.models import User
from trainmeuk_identity.testing.factories import PASSWORD

from ..support.app import sign_in, tenant_app


def test_login_form_has_email_password_and_csrf_token(testapp):
    page = testapp.get("/login")
    form = page.forms[0]
    assert form.method.upper() == "POST"
    assert "email" in form.fields and "password" in form.fields
    assert form["csrf_token"].value
    assert form.fields["csrf_token"][0].attrs["type"] == "hidden"


def test_sign_in_then_session_api_shows_the_user(testapp, tenant, factory):
    user = factory.user(tenant, "jo@acme.example", name="Jo Bloggs")
    assert testapp.get("/api/session", status=401).json["user"] is None

    response = sign_in(testapp, "JO@acme.example")
    assert response.status_int == 303
    assert response.location.endswith("/")

    body = testapp.get("/api/session").json
    assert body == {
        "tenant": tenant.subdomain,
        "user": {"id": user.id, "email": "jo@acme.example", "display_name": "Jo Bloggs",
                 "is_admin": False},
    }
    home = testapp.get("/")
    assert "Jo Bloggs" in home.text
    assert home.forms  # the sign-out form is on every signed-in page


def test_session_cookie_is_host_only_httponly_lax(testapp, tenant, factory):
    user = factory.user(tenant)
    response = sign_in(testapp, user.email)
    cookie = next(v for k, v in response.headerlist if k == "Set-Cookie" and v.startswith("tmk_session="))
    attrs = [a.strip().lower() for a in cookie.split(";")]
    assert "httponly" in attrs
    assert "samesite=lax" in attrs
    assert not any(a.startswith("domain=") for a in attrs)


def test_wrong_password_and_unknown_email_get_the_same_answer(testapp, tenant, factory):
    user = factory.user(tenant)
    wrong = sign_in(testapp, user.email, "not the password at all")
    unknown = sign_in(testapp, "nobody@acme.example", "not the password at all")
    assert wrong.status_int == unknown.status_int == 400
    assert "email address or password is not right" in wrong.text
    assert "email address or password is not right" in unknown.text
    testapp.get("/api/session", status=401)


def test_sign_out_ends_the_session(testapp, tenant, factory):
    user = factory.user(tenant)
    sign_in(testapp, user.email)
    home = testapp.get("/")
    response = home.forms[0].submit()
    assert response.status_int == 303
    testapp.get("/api/session", status=401)


def test_logout_without_csrf_token_is_refused(testapp, tenant, factory):
    user = factory.user(tenant)
    sign_in(testapp, user.email)
    testapp.post("/logout", status=400)
    testapp.get("/api/session", status=200)


def test_login_without_csrf_token_is_refused(testapp, tenant, factory):
    user = factory.user(tenant)
    testapp.get("/login")
    testapp.post("/login", {"email": user.email, "password": PASSWORD}, status=400)
    testapp.get("/api/session", status=401)


def test_deactivated_account_is_signed_out_on_next_request(testapp, tenant, factory, session_factory):
    user = factory.user(tenant)
    sign_in(testapp, user.email)
    testapp.get("/api/session", status=200)
    with session_factory() as session, session.begin():
        from trainmeuk_identity.accounts import deactivate

        deactivate(session.get(User, user.id))
    testapp.get("/api/session", status=401)
    # ...and cannot sign in again.
    response = sign_in(testapp, user.email)
    assert response.status_int == 403
    assert "deactivated" in response.text


def test_next_must_be_a_same_site_path(testapp, tenant, factory):
    user = factory.user(tenant)
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        browser = tenant_app(testapp.app, tenant)
        form = browser.get("/login", {"next": evil}).forms[0]
        form["email"], form["password"] = user.email, PASSWORD
        response = form.submit(status="*")
        assert response.location == f"http://{tenant.subdomain}.localhost/"
    browser = tenant_app(testapp.app, tenant)
    form = browser.get("/login", {"next": "/admin?x=1"}).forms[0]
    form["email"], form["password"] = user.email, PASSWORD
    assert form.submit().location.endswith("/admin?x=1")


def test_signed_out_visitor_is_sent_to_sign_in(testapp):
    response = testapp.get("/admin", status=302)
    assert "/login?next=%2Fadmin" in response.location
