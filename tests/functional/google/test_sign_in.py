"""Sign in with Google, end to end: the app, the plugin and a fake Google on HTTPS. People
of the tenant's Workspace domain(s) get in; the tenant chooses whether someone without
an account gets one at their first sign-in (Google sends no SCIM)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from trainmeuk_identity.models import AuditEvent, SsoIdentity, User

from ...support.app import sign_in, tenant_app
from ...support.google import callback_uri, connect, no_session, sign_in_with_google, start, to_callback


def test_sign_in_with_google(web, connected, fake_google, tenant, factory, dbsession):
    account = factory.user(tenant, "sam@acme.example", name="Sam Staff")
    person = fake_google.add_account("sam@acme.example", hd="acme.example")
    button = web.get("/login").html.select_one('a[href="/sso/google/login"]')
    assert button is not None and button.text.strip() == "Sign in with Google"

    fake_google.sign_in(person)
    response = start(web, next="/admin?x=1")
    authorize = urlsplit(response.location)
    assert authorize.path == "/o/oauth2/v2/auth"
    query = parse_qs(authorize.query)
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["openid profile email"]
    assert query["client_id"] == [connected.client.client_id]
    assert query["redirect_uri"] == [callback_uri(tenant)]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32

    done = web.get(to_callback(fake_google, response.location), status=303)
    assert done.location.endswith("/admin?x=1")
    assert web.get("/api/session").json["user"]["id"] == account.id
    # The secret goes in the form body, as Google's examples send it; never twice.
    assert fake_google.last_token_request["method"] == "client_secret_post"
    assert fake_google.last_token_request["form"]["client_secret"] == connected.secret

    link = dbsession.scalar(select(SsoIdentity).where(SsoIdentity.user_id == account.id))
    assert (link.provider, link.issuer_tenant, link.subject) == (
        "google", fake_google.authority, person.sub)
    actions = dbsession.scalars(select(AuditEvent.action).where(
        AuditEvent.tenant_id == tenant.id)).all()
    assert "sso.identity.linked" in actions and "sso.login.succeeded" in actions


def test_one_domain_is_sent_as_a_hint_to_googles_account_chooser(web, connected, fake_google):
    query = parse_qs(urlsplit(start(web).location).query)
    assert query["hd"] == ["acme.example"]


def test_several_domains_send_no_hint(web, session_factory, google_settings, fake_google, tenant):
    connect(session_factory, google_settings, fake_google, tenant,
            domains=("acme.example", "acme-group.example"))
    query = parse_qs(urlsplit(start(web).location).query)
    assert "hd" not in query


def test_every_listed_workspace_domain_signs_in(web, session_factory, google_settings,
                                                fake_google, tenant, factory):
    connect(session_factory, google_settings, fake_google, tenant,
            domains=("acme.example", "acme-group.example"))
    account = factory.user(tenant, "kim@acme-group.example")
    person = fake_google.add_account("kim@acme-group.example", hd="acme-group.example")
    sign_in_with_google(web, fake_google, person, status=303)
    assert web.get("/api/session").json["user"]["id"] == account.id


def test_later_sign_ins_follow_the_link_not_the_email(web, connected, fake_google, tenant, factory):
    account = factory.user(tenant, "kim@acme.example")
    person = fake_google.add_account("kim@acme.example", hd="acme.example")
    sign_in_with_google(web, fake_google, person, status=303)
    web.post("/logout", {"csrf_token": web.get("/").forms[0]["csrf_token"].value})

    # Kim's address changed in the Workspace; another account now has the old one's
    # successor. Google's sub decides.
    person.email = "kim.new@acme.example"
    factory.user(tenant, "kim.new@acme.example")
    sign_in_with_google(web, fake_google, person, status=303)
    assert web.get("/api/session").json["user"]["id"] == account.id


def test_without_account_creation_only_existing_accounts_sign_in(web, connected, fake_google,
                                                                 dbsession, tenant):
    """Just-in-time accounts are off by default: a colleague of the right Workspace with no
    TrainMeUK account is told so, and nothing is created."""
    person = fake_google.add_account("new@acme.example", hd="acme.example")
    response = sign_in_with_google(web, fake_google, person, status=403)
    assert "No TrainMeUK account for you yet" in response.text
    assert no_session(web)
    dbsession.rollback()
    assert dbsession.scalar(select(User).where(User.tenant_id == tenant.id,
                                               User.email == "new@acme.example")) is None
    assert dbsession.scalar(select(SsoIdentity).where(SsoIdentity.subject == person.sub)) is None


def test_with_account_creation_a_first_sign_in_makes_the_account(web, session_factory,
                                                                 google_settings, fake_google,
                                                                 tenant, dbsession):
    connect(session_factory, google_settings, fake_google, tenant, create_accounts=True)
    person = fake_google.add_account("nia@acme.example", hd="acme.example", name="Nia New")
    sign_in_with_google(web, fake_google, person, status=303)
    user = web.get("/api/session").json["user"]
    assert (user["email"], user["display_name"]) == ("nia@acme.example", "Nia New")
    link = dbsession.scalar(select(SsoIdentity).where(SsoIdentity.subject == person.sub))
    assert link.user_id == user["id"]
    actions = dbsession.scalars(select(AuditEvent.action).where(
        AuditEvent.tenant_id == tenant.id)).all()
    assert "sso.account.created" in actions


def test_account_creation_never_lets_in_another_workspace(web, session_factory, google_settings,
                                                          fake_google, tenant, dbsession):
    connect(session_factory, google_settings, fake_google, tenant, create_accounts=True)
    person = fake_google.add_account("sam@globex.example", hd="globex.example")
    sign_in_with_google(web, fake_google, person, status=403)
    assert no_session(web)
    dbsession.rollback()
    assert dbsession.scalar(select(User).where(User.tenant_id == tenant.id,
                                               User.email == "sam@globex.example")) is None


def test_a_deactivated_account_is_refused(web, connected, fake_google, tenant, factory):
    factory.user(tenant, "pat@acme.example", active=False)
    person = fake_google.add_account("pat@acme.example", hd="acme.example")
    response = sign_in_with_google(web, fake_google, person, status=403)
    assert "deactivated" in response.text
    assert no_session(web)


@pytest.fixture
def admin_browser(google_app, connected, factory):
    admin = factory.admin(connected.tenant)
    browser = tenant_app(google_app, connected.tenant)
    assert sign_in(browser, admin.email).status_int == 303
    return browser


def test_an_admins_test_sign_in_shows_the_workspace_and_the_account(admin_browser, connected,
                                                                    fake_google, factory, dbsession):
    account = factory.user(connected.tenant, "sam@acme.example")
    person = fake_google.add_account("sam@acme.example", hd="acme.example")
    result = sign_in_with_google(admin_browser, fake_google, person, status=200, mode="test")
    assert result.html.select_one("#sso-test-result")["data-link"] == "first_link"
    claims = result.html.select_one("#sso-test-claims").text
    assert "hd" in claims and "acme.example" in claims
    # Only a test: nothing linked.
    dbsession.rollback()
    assert dbsession.scalar(select(SsoIdentity).where(SsoIdentity.user_id == account.id)) is None


def test_an_admins_test_sign_in_with_a_personal_account_says_why_it_is_refused(
        admin_browser, connected, fake_google):
    person = fake_google.add_account("sam@gmail.com", hd=None)
    result = sign_in_with_google(admin_browser, fake_google, person, status=403, mode="test")
    assert "is a personal Google account" in result.html.text
