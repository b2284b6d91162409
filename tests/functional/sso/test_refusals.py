"""Tokens and answers that must not sign anyone in: each ends with no session and a
clear 4xx page, and is recorded in the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from trainmeuk_identity.models import AuditEvent

from ...support.app import tenant_app
from ...support.fake_entra import FakeEntra, new_guid
from ...support.sso import (
    connect,
    no_session,
    sign_in_with_microsoft,
    start,
    state_cookies,
    to_callback,
)


def failures(dbsession, tenant):
    dbsession.expire_all()
    return dbsession.scalars(select(AuditEvent).where(
        AuditEvent.tenant_id == tenant.id, AuditEvent.action == "sso.login.failed")).all()


def _other_issuer(fake, directory):
    other = new_guid()
    return {"iss": f"{fake.url}/{other}/v2.0"}


TOKEN_TWEAKS = {
    "unknown key": lambda fake, d: setattr(fake, "sign_with", FakeEntra.new_key()),
    "other tenant's tid": lambda fake, d: fake.claim_overrides.update(tid=new_guid()),
    "other tenant's iss": lambda fake, d: fake.claim_overrides.update(_other_issuer(fake, d)),
    "other tenant's tid and iss": lambda fake, d: fake.claim_overrides.update(
        tid=(t := new_guid()), iss=f"{fake.url}/{t}/v2.0"),
    "wrong audience": lambda fake, d: fake.claim_overrides.update(aud=new_guid()),
    "expired": lambda fake, d: setattr(fake, "issued_at_offset", -2 * 3600),
    "issued in the future": lambda fake, d: setattr(fake, "issued_at_offset", 3600),
    "wrong nonce": lambda fake, d: fake.claim_overrides.update(nonce="not-the-one-we-sent"),
    "missing nonce": lambda fake, d: fake.drop_claims.add("nonce"),
    "alg none": lambda fake, d: setattr(fake, "unsigned", True),
    "HS256 with the public key": lambda fake, d: setattr(fake, "hs256_with_public_key", True),
    "v1.0 token": lambda fake, d: fake.claim_overrides.update(ver="1.0"),
    "no oid": lambda fake, d: fake.drop_claims.add("oid"),
}


@pytest.mark.parametrize("tweak", list(TOKEN_TWEAKS), ids=list(TOKEN_TWEAKS))
def test_bad_id_token_is_refused(tweak, web, connected, fake_entra, factory, dbsession):
    factory.user(connected.tenant, "sam@acme.example")
    person = fake_entra.add_user(connected.directory, "sam@acme.example")
    TOKEN_TWEAKS[tweak](fake_entra, connected.directory)
    response = sign_in_with_microsoft(web, fake_entra, connected.directory, person)
    assert response.status_int == 400
    assert "The sign-in was refused" in response.text
    assert "Traceback" not in response.text
    assert no_session(web)
    [event] = failures(dbsession, connected.tenant)
    assert event.outcome == "failure" and event.detail["reason"] == "invalid_token"


def test_forged_state_is_refused(web, connected, fake_entra, factory, dbsession):
    person = fake_entra.add_user(connected.directory, "sam@acme.example")
    factory.user(connected.tenant, "sam@acme.example")
    fake_entra.sign_in_as(connected.directory, person)
    callback = to_callback(start(web).location)
    forged = callback.replace("state=", "state=forged", 1)
    response = web.get(forged, status=400)
    assert "cannot be completed" in response.text
    assert no_session(web)
    assert failures(dbsession, connected.tenant)[0].detail["reason"] == "unknown_state"


def test_callback_without_the_browsers_cookie_is_refused(web, sso_app, connected, fake_entra, factory):
    person = fake_entra.add_user(connected.directory, "sam@acme.example")
    factory.user(connected.tenant, "sam@acme.example")
    fake_entra.sign_in_as(connected.directory, person)
    callback = to_callback(start(web).location)
    stranger = tenant_app(sso_app, connected.tenant)  # e.g. a link sent to someone else
    stranger.get(callback, status=400)
    assert no_session(stranger)


def test_replayed_state_is_refused_within_its_lifetime(web, connected, fake_entra, factory, dbsession):
    person = fake_entra.add_user(connected.directory, "sam@acme.example")
    factory.user(connected.tenant, "sam@acme.example")
    fake_entra.sign_in_as(connected.directory, person)
    callback = to_callback(start(web).location)
    cookies = state_cookies(web)
    web.get(callback, status=303)
    web.post("/logout", {"csrf_token": web.get("/").forms[0]["csrf_token"].value}, status=303)
    for name, value in cookies.items():
        web.set_cookie(name, value)
    response = web.get(callback, status=400)
    assert "already used" in response.text or "cannot be completed" in response.text
    assert no_session(web)
    assert failures(dbsession, connected.tenant)[-1].detail["reason"] == "replayed_state"


def test_replayed_code_is_refused(web, connected, fake_entra, factory):
    person = fake_entra.add_user(connected.directory, "sam@acme.example")
    factory.user(connected.tenant, "sam@acme.example")
    fake_entra.sign_in_as(connected.directory, person)
    first = to_callback(start(web).location)
    web.get(first, status=303)
    web.post("/logout", {"csrf_token": web.get("/").forms[0]["csrf_token"].value}, status=303)
    # A new sign-in in this browser, answered with the old (already redeemed) code.
    fake_entra.sign_in_as(connected.directory, person)
    second = to_callback(start(web).location)
    old_code = first.split("code=")[1].split("&")[0]
    new_code = second.split("code=")[1].split("&")[0]
    response = web.get(second.replace(new_code, old_code), status=400)
    assert "AADSTS54005" in response.text
    assert no_session(web)


def test_callback_on_another_tenants_subdomain_is_refused(
        web, sso_app, connected, fake_entra, factory, other_tenant, session_factory, sso_settings):
    connect(session_factory, sso_settings, fake_entra, other_tenant)
    person = fake_entra.add_user(connected.directory, "sam@acme.example")
    factory.user(connected.tenant, "sam@acme.example")
    factory.user(other_tenant, "sam@acme.example")
    fake_entra.sign_in_as(connected.directory, person)
    callback = to_callback(start(web).location)
    elsewhere = tenant_app(sso_app, other_tenant)
    for name, value in state_cookies(web).items():  # even if the cookie were carried over
        elsewhere.set_cookie(name, value)
    response = elsewhere.get(callback, status=400)
    assert "cannot be completed" in response.text
    assert no_session(elsewhere)
    assert no_session(web)
    [event] = failures(dbsession := session_factory(), other_tenant)
    assert event.detail["reason"] == "wrong_tenant"
    dbsession.close()


def test_failed_sso_sign_ins_are_not_throttled(web, connected, fake_entra, factory):
    person = fake_entra.add_user(connected.directory, "sam@acme.example")
    factory.user(connected.tenant, "sam@acme.example")
    for _ in range(7):
        fake_entra.claim_overrides = {"aud": new_guid()}
        assert sign_in_with_microsoft(web, fake_entra, connected.directory, person).status_int == 400
    fake_entra.claim_overrides = {}
    assert sign_in_with_microsoft(web, fake_entra, connected.directory, person).status_int == 303


def test_login_when_sso_is_not_enabled_is_a_clear_404(web, tenant):
    response = web.get("/sso/entra/login", status=404)
    assert "not set up" in response.text
    assert web.get("/sso/nosuch/login", status=404)


def test_authority_unreachable_at_sign_in_is_a_clear_page(web, connected, fake_entra):
    fake_entra.down = True
    response = web.get("/sso/entra/login", status=502)
    assert "could not be reached" in response.text
