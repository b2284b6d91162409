"""Sign in with Microsoft: the whole flow through the app and the fake authority."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from trainmeuk_identity.models import AuditEvent, SsoIdentity, User

from ...support.sso import (
    callback_uri,
    no_session,
    sign_in_with_microsoft,
    state_cookies,
    to_callback,
)


def test_sign_in_page_offers_microsoft_and_the_flow_signs_the_user_in(
        web, connected, fake_entra, factory, dbsession):
    account = factory.user(connected.tenant, "sam@acme.example", name="Sam Staff")
    person = fake_entra.add_user(connected.directory, "sam@acme.example", "Sam Staff")
    page = web.get("/login")
    button = page.html.select_one("a.sso")
    assert button.text.strip() == "Sign in with Microsoft"
    assert button["href"] == "/sso/entra/login"

    fake_entra.sign_in_as(connected.directory, person)
    response = web.get("/sso/entra/login", params={"next": "/admin?x=1"}, status=302)
    query = parse_qs(urlsplit(response.location).query)
    assert urlsplit(response.location).path == f"/{connected.tid}/oauth2/v2.0/authorize"
    assert query["response_type"] == ["code"]
    assert query["response_mode"] == ["query"]
    assert query["scope"] == ["openid profile email"]
    assert query["client_id"] == [connected.app.client_id]
    assert query["redirect_uri"] == [callback_uri(connected.tenant)]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert state_cookies(web)

    done = web.get(to_callback(response.location), status=303)
    assert done.location.endswith("/admin?x=1")
    session = web.get("/api/session").json
    assert session["user"]["id"] == account.id
    assert not state_cookies(web)

    link = dbsession.scalar(select(SsoIdentity).where(SsoIdentity.user_id == account.id))
    assert (link.provider, link.issuer_tenant, link.subject) == ("entra", connected.tid, person.oid)
    assert dbsession.get(User, account.id).last_login_at is not None
    actions = dbsession.scalars(select(AuditEvent.action).where(
        AuditEvent.tenant_id == connected.tenant.id)).all()
    assert "sso.identity.linked" in actions and "sso.login.succeeded" in actions


def test_sign_out_ends_the_sso_session(web, connected, fake_entra, factory):
    factory.user(connected.tenant, "jo@acme.example")
    person = fake_entra.add_user(connected.directory, "jo@acme.example")
    assert sign_in_with_microsoft(web, fake_entra, connected.directory, person).status_int == 303
    form = web.get("/").forms[0]
    form.submit(status=303)
    assert no_session(web)


def test_later_sign_ins_follow_the_link_not_the_email(web, connected, fake_entra, factory,
                                                       dbsession):
    account = factory.user(connected.tenant, "kim@acme.example")
    person = fake_entra.add_user(connected.directory, "kim@acme.example")
    sign_in_with_microsoft(web, fake_entra, connected.directory, person, status=303)
    # Kim's address changes in Microsoft 365; another account now has the old one.
    person.email = person.preferred_username = "kim.new@acme.example"
    factory.user(connected.tenant, "kim.new@acme.example")
    web.post("/logout", {"csrf_token": web.get("/").forms[0]["csrf_token"].value})
    sign_in_with_microsoft(web, fake_entra, connected.directory, person, status=303)
    assert web.get("/api/session").json["user"]["id"] == account.id


def test_plugins_hear_of_successes_and_failures(web, connected, fake_entra, factory, sso_hooks):
    account = factory.user(connected.tenant, "sam@acme.example")
    person = fake_entra.add_user(connected.directory, "sam@acme.example")
    fake_entra.claim_overrides = {"aud": "someone-else"}
    sign_in_with_microsoft(web, fake_entra, connected.directory, person, status=400)
    fake_entra.claim_overrides = {}
    sign_in_with_microsoft(web, fake_entra, connected.directory, person, status=303)
    [(failed, failure), (succeeded, success)] = sso_hooks.for_tenant(connected.tenant)
    assert (failed, failure["reason"], failure["provider"]) == ("failed", "invalid_token", "entra")
    assert "wrong_aud" in failure["detail"]
    assert (succeeded, success["user"], success["oid"]) == ("succeeded", account.id, person.oid)


def test_state_cookie_is_short_lived_host_only_httponly_lax(web, connected):
    response = web.get("/sso/entra/login", status=302)
    [cookie] = [v for k, v in response.headerlist if k == "Set-Cookie" and v.startswith("tmk_sso_")]
    attrs = [a.strip().lower() for a in cookie.split(";")]
    assert "httponly" in attrs and "samesite=lax" in attrs
    assert "path=/sso/entra/" in attrs and "max-age=600" in attrs
    assert not any(a.startswith("domain=") for a in attrs)
    value = cookie.split(";")[0].split("=", 1)[1]
    assert connected.tid not in value and "nonce" not in value  # encrypted, not just signed
