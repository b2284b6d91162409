"""Okta tokens and answers that must not sign anyone in: each ends with no session, a
clear 4xx page and an audit record. The checks are core's; these prove them for Okta's
issuers (org and custom authorization server)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from trainmeuk_identity.models import AuditEvent, SsoIdentity
from trainmeuk_identity.testing.fake_oidc import new_key

from ...support.okta import connect, no_session, sign_in_with_okta, start, to_callback

SKEW = 120  # core's leeway, in seconds


def failures(dbsession, tenant):
    dbsession.expire_all()
    return dbsession.scalars(select(AuditEvent).where(
        AuditEvent.tenant_id == tenant.id, AuditEvent.action == "sso.login.failed")).all()


def _custom_issuer_instead(fake, connected):
    fake.claim_overrides["iss"] = connected.org.org_server.url + "/oauth2/default"


def _org_issuer_instead(fake, connected):
    fake.claim_overrides["iss"] = connected.org.org_server.url


TOKEN_TWEAKS = {
    "forged signature": lambda fake, c: setattr(fake, "tamper_payload", True),
    "key the org does not publish": lambda fake, c: setattr(fake, "sign_with", new_key()),
    "alg RS384": lambda fake, c: setattr(fake, "algorithm", "RS384"),
    "alg none": lambda fake, c: setattr(fake, "unsigned", True),
    "HS256 with the public key": lambda fake, c: setattr(fake, "hs256_with_public_key", True),
    "another org's issuer": lambda fake, c: fake.claim_overrides.update(
        iss=c.org.org_server.url.replace(c.org.domain, "globex.okta.com")),
    "issuer with a trailing slash": lambda fake, c: fake.claim_overrides.update(iss=c.issuer.url + "/"),
    "wrong audience": lambda fake, c: fake.claim_overrides.update(aud="0oaSomeOtherApp"),
    "several audiences, no azp": lambda fake, c: fake.claim_overrides.update(
        aud=[c.client.client_id, "0oaSomeOtherApp"]),
    "several audiences, another azp": lambda fake, c: fake.claim_overrides.update(
        aud=[c.client.client_id, "0oaSomeOtherApp"], azp="0oaSomeOtherApp"),
    "expired": lambda fake, c: setattr(fake, "issued_at_offset", -2 * 3600),
    "issued in the future": lambda fake, c: fake.claim_overrides.update(
        iat=int(time.time()) + SKEW + 300),
    "not valid yet": lambda fake, c: fake.claim_overrides.update(nbf=int(time.time()) + SKEW + 300),
    "wrong nonce": lambda fake, c: fake.claim_overrides.update(nonce="not-the-one-we-sent"),
    "missing nonce": lambda fake, c: fake.drop_claims.add("nonce"),
    "no subject": lambda fake, c: fake.drop_claims.add("sub"),
}

# The check of core's that each one fails.
CHECKS = {
    "forged signature": "signature",
    "key the org does not publish": "unknown_key",
    "alg RS384": "algorithm",
    "alg none": "algorithm",
    "HS256 with the public key": "algorithm",
    "another org's issuer": "wrong_iss",
    "issuer with a trailing slash": "wrong_iss",
    "wrong audience": "wrong_aud",
    "several audiences, no azp": "wrong_aud",
    "several audiences, another azp": "wrong_aud",
    "expired": "expired",
    "issued in the future": "wrong_iat",
    "not valid yet": "wrong_nbf",
    "wrong nonce": "wrong_nonce",
    "missing nonce": "missing_nonce",
    "no subject": "identity",
}


@pytest.mark.parametrize("server", ["", "default"], ids=["org", "custom"])
@pytest.mark.parametrize("tweak", list(TOKEN_TWEAKS), ids=list(TOKEN_TWEAKS))
def test_bad_id_token_is_refused(tweak, server, web, session_factory, okta_settings, fake_okta,
                                 tenant, factory, dbsession):
    connected = connect(session_factory, okta_settings, fake_okta, tenant,
                        authorization_server=server)
    factory.user(tenant, "sam@acme.example")
    person = fake_okta.add_person(connected.realm, "sam@acme.example")
    TOKEN_TWEAKS[tweak](fake_okta, connected)
    response = sign_in_with_okta(web, fake_okta, connected, person)
    assert response.status_int == 400
    assert "The sign-in was refused" in response.text
    assert no_session(web)
    [event] = failures(dbsession, tenant)
    assert event.detail["reason"] == "invalid_token"
    assert event.detail["detail"].startswith(CHECKS[tweak] + ":")
    assert dbsession.scalar(select(SsoIdentity).where(SsoIdentity.subject == person.sub)) is None


@pytest.mark.parametrize("wrong_issuer", [_custom_issuer_instead, _org_issuer_instead],
                         ids=["custom issuer on an org connection", "org issuer on a custom one"])
def test_the_other_authorization_server_of_the_same_org_is_refused(
        wrong_issuer, web, session_factory, okta_settings, fake_okta, tenant, factory, dbsession):
    server = "" if wrong_issuer is _custom_issuer_instead else "default"
    connected = connect(session_factory, okta_settings, fake_okta, tenant, authorization_server=server)
    factory.user(tenant, "sam@acme.example")
    person = fake_okta.add_person(connected.realm, "sam@acme.example")
    wrong_issuer(fake_okta, connected)
    assert sign_in_with_okta(web, fake_okta, connected, person).status_int == 400
    assert no_session(web)
    assert failures(dbsession, tenant)[0].detail["detail"].startswith("wrong_iss")


def test_several_audiences_with_our_azp_are_accepted(web, org_connected, fake_okta, factory):
    account = factory.user(org_connected.tenant, "sam@acme.example")
    person = fake_okta.add_person(org_connected.realm, "sam@acme.example")
    client_id = org_connected.client.client_id
    fake_okta.claim_overrides.update(aud=[client_id, "api://trainmeuk"], azp=client_id)
    sign_in_with_okta(web, fake_okta, org_connected, person, status=303)
    assert web.get("/api/session").json["user"]["id"] == account.id


def test_small_clock_differences_are_tolerated(web, org_connected, fake_okta, factory):
    factory.user(org_connected.tenant, "sam@acme.example")
    person = fake_okta.add_person(org_connected.realm, "sam@acme.example")
    fake_okta.issued_at_offset = SKEW // 2  # Okta's clock a minute ahead of ours
    fake_okta.claim_overrides["nbf"] = int(time.time()) + SKEW // 2
    sign_in_with_okta(web, fake_okta, org_connected, person, status=303)


def test_forged_state_is_refused(web, org_connected, fake_okta, factory, dbsession):
    factory.user(org_connected.tenant, "sam@acme.example")
    person = fake_okta.add_person(org_connected.realm, "sam@acme.example")
    fake_okta.sign_in_as(org_connected.realm, person)
    callback = to_callback(fake_okta, start(web).location)
    response = web.get(callback.replace("state=", "state=forged", 1), status=400)
    assert "cannot be completed" in response.text
    assert no_session(web)
    assert failures(dbsession, org_connected.tenant)[0].detail["reason"] == "unknown_state"


def test_a_callback_without_state_is_refused(web, org_connected, fake_okta, factory):
    factory.user(org_connected.tenant, "sam@acme.example")
    person = fake_okta.add_person(org_connected.realm, "sam@acme.example")
    fake_okta.sign_in_as(org_connected.realm, person)
    callback = to_callback(fake_okta, start(web).location)
    code = callback.split("code=")[1].split("&")[0]
    web.get("/sso/okta/callback", {"code": code}, status=400)
    assert no_session(web)


def test_pkce_mismatch_is_refused(web, org_connected, fake_okta, factory, dbsession):
    """The code was issued for another PKCE challenge than the verifier the app holds:
    Okta refuses to redeem it, and the app says so."""
    factory.user(org_connected.tenant, "sam@acme.example")
    person = fake_okta.add_person(org_connected.realm, "sam@acme.example")
    fake_okta.swap_challenge = True
    response = sign_in_with_okta(web, fake_okta, org_connected, person, status=400)
    assert "Sign-in could not be verified" in response.text
    assert "PKCE verification failed." in response.text
    assert no_session(web)
    [event] = failures(dbsession, org_connected.tenant)
    assert event.detail["reason"] == "token_error"


def test_a_code_is_redeemed_once(web, org_connected, fake_okta, factory):
    factory.user(org_connected.tenant, "sam@acme.example")
    person = fake_okta.add_person(org_connected.realm, "sam@acme.example")
    fake_okta.sign_in_as(org_connected.realm, person)
    callback = to_callback(fake_okta, start(web).location)
    code = callback.split("code=")[1].split("&")[0]
    assert web.get(callback, status=303)
    # The same code in a fresh sign-in of another browser: Okta has redeemed it already.
    other = web.__class__(web.app, extra_environ=web.extra_environ)
    fake_okta.sign_in_as(org_connected.realm, person)
    fresh = to_callback(fake_okta, start(other).location)
    replay = fresh.replace(fresh.split("code=")[1].split("&")[0], code)
    response = other.get(replay, status=400)
    assert "Sign-in took too long" in response.text
    assert no_session(other)
