"""Sign in with Okta, end to end: the app, the plugin and a fake Okta on HTTPS, for the org
authorization server and for a custom one."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from trainmeuk_identity.models import AuditEvent, SsoIdentity

from ...support.app import sign_in, tenant_app
from ...support.okta import (
    callback_uri,
    connect,
    no_session,
    sign_in_with_okta,
    start,
    to_callback,
)


@pytest.mark.parametrize("server", ["", "default"], ids=["org server", "custom server"])
def test_sign_in_with_okta(server, web, session_factory, okta_settings, fake_okta, tenant,
                           factory, dbsession):
    connected = connect(session_factory, okta_settings, fake_okta, tenant,
                        authorization_server=server)
    account = factory.user(tenant, "sam@acme.example", name="Sam Staff")
    person = fake_okta.add_person(connected.realm, "sam@acme.example")
    button = web.get("/login").html.select_one('a[href="/sso/okta/login"]')
    assert button is not None and button.text.strip() == "Sign in with Okta"

    fake_okta.sign_in_as(connected.realm, person)
    response = start(web, next="/admin?x=1")
    authorize = urlsplit(response.location)
    base = f"/{connected.org.domain}" + (f"/oauth2/{server}" if server else "/oauth2")
    assert authorize.path == f"{base}/v1/authorize"
    query = parse_qs(authorize.query)
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["openid profile email"]
    assert query["client_id"] == [connected.client.client_id]
    assert query["redirect_uri"] == [callback_uri(tenant)]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32

    done = web.get(to_callback(fake_okta, response.location), status=303)
    assert done.location.endswith("/admin?x=1")
    assert web.get("/api/session").json["user"]["id"] == account.id
    # Okta's default for a web app: the client authenticates with HTTP Basic only.
    assert fake_okta.last_token_request["method"] == "client_secret_basic"
    assert "client_secret" not in fake_okta.last_token_request["form"]

    link = dbsession.scalar(select(SsoIdentity).where(SsoIdentity.user_id == account.id))
    assert (link.provider, link.issuer_tenant, link.subject) == (
        "okta", connected.org.org_server.url, person.sub)
    actions = dbsession.scalars(select(AuditEvent.action).where(
        AuditEvent.tenant_id == tenant.id)).all()
    assert "sso.identity.linked" in actions and "sso.login.succeeded" in actions


def test_the_link_survives_a_switch_to_a_custom_authorization_server(
        web, session_factory, okta_settings, fake_okta, tenant, factory):
    connected = connect(session_factory, okta_settings, fake_okta, tenant)
    account = factory.user(tenant, "kim@acme.example")
    person = fake_okta.add_person(connected.realm, "kim@acme.example")
    sign_in_with_okta(web, fake_okta, connected, person, status=303)
    web.post("/logout", {"csrf_token": web.get("/").forms[0]["csrf_token"].value})

    # Same org, now through its custom server; Kim's email changed meanwhile. The link
    # (org + Okta user id) decides, not the email.
    switched = connect(session_factory, okta_settings, fake_okta, tenant,
                       authorization_server="default", org=connected.org)
    person.email = "kim.new@acme.example"
    factory.user(tenant, "kim.new@acme.example")
    sign_in_with_okta(web, fake_okta, switched, person, status=303)
    assert web.get("/api/session").json["user"]["id"] == account.id


def test_unverified_email_finds_no_account(web, org_connected, fake_okta, factory, dbsession):
    account = factory.user(org_connected.tenant, "pat@acme.example")
    person = fake_okta.add_person(org_connected.realm, "pat@acme.example", email_verified=False)
    response = sign_in_with_okta(web, fake_okta, org_connected, person, status=403)
    assert "No TrainMeUK account for you yet" in response.text
    assert no_session(web)
    assert dbsession.scalar(select(SsoIdentity).where(SsoIdentity.user_id == account.id)) is None


def test_unverified_email_creates_no_account(web, session_factory, okta_settings, fake_okta,
                                             tenant, dbsession):
    connected = connect(session_factory, okta_settings, fake_okta, tenant, create_accounts=True)
    person = fake_okta.add_person(connected.realm, "new@acme.example", email_verified=False)
    response = sign_in_with_okta(web, fake_okta, connected, person, status=403)
    assert no_session(web)
    assert "Traceback" not in response.text
    assert dbsession.scalar(select(SsoIdentity).where(SsoIdentity.subject == person.sub)) is None


def test_verified_email_creates_an_account_when_allowed(web, session_factory, okta_settings,
                                                         fake_okta, tenant):
    connected = connect(session_factory, okta_settings, fake_okta, tenant, create_accounts=True)
    person = fake_okta.add_person(connected.realm, "new@acme.example", name="Nia New")
    sign_in_with_okta(web, fake_okta, connected, person, status=303)
    user = web.get("/api/session").json["user"]
    assert user["email"] == "new@acme.example"


def test_an_admins_test_sign_in_shows_the_outcome_and_links_nobody(
        okta_app, session_factory, okta_settings, fake_okta, tenant, factory, dbsession):
    connected = connect(session_factory, okta_settings, fake_okta, tenant,
                        authorization_server="default")
    admin = factory.admin(tenant)
    staff = factory.user(tenant, "sam@acme.example", name="Sam Staff")
    browser = tenant_app(okta_app, tenant)
    assert sign_in(browser, admin.email).status_int == 303
    person = fake_okta.add_person(connected.realm, "sam@acme.example")
    fake_okta.sign_in_as(connected.realm, person)
    result = browser.get(to_callback(fake_okta, start(browser, mode="test").location), status=200)
    assert "Would link to" in result.text and "Sam Staff" in result.text
    assert person.sub in result.text and connected.issuer.url in result.text
    assert browser.get("/api/session").json["user"]["id"] == admin.id
    assert dbsession.scalar(select(SsoIdentity).where(SsoIdentity.user_id == staff.id)) is None
