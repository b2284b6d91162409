"""Google sign-ins that must not sign anyone in: each ends with no session, a clear 4xx page
and an audit record, and links or creates nothing.

Who: only accounts of the tenant's Workspace domains, by the id_token's ``hd`` claim,
with an email Google verified. A company address on a personal Google account, or on
another organisation's Workspace, is refused whatever it says.
What: the token checks are core's; these prove them for Google's single issuer.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from trainmeuk_identity.models import AuditEvent, SsoIdentity, User
from trainmeuk_identity.testing.fake_oidc import new_key

from ...support.google import connect, no_session, sign_in_with_google, start, to_callback

SKEW = 120  # core's leeway, in seconds


def failures(dbsession, tenant):
    dbsession.rollback()
    return dbsession.scalars(select(AuditEvent).where(
        AuditEvent.tenant_id == tenant.id, AuditEvent.action == "sso.login.failed")).all()


def nothing_linked_or_made(dbsession, tenant, person):
    dbsession.rollback()
    assert dbsession.scalar(select(SsoIdentity).where(SsoIdentity.subject == person.sub)) is None
    assert dbsession.scalar(select(User).where(User.tenant_id == tenant.id,
                                               User.email == person.email)) is None


# (who signs in, the words the page must say to them)
WRONG_PEOPLE = {
    "personal account with a gmail address": (
        dict(email="sam.personal@gmail.com", hd=None), "is a personal Google account"),
    "personal account with the company's address": (
        dict(email="sam@acme.example", hd=None), "is a personal Google account"),
    "another Workspace": (
        dict(email="sam@globex.example", hd="globex.example"),
        "belongs to the Google Workspace of globex.example"),
    "another Workspace, address on the company's domain": (
        dict(email="sam@acme.example", hd="globex.example"),
        "belongs to the Google Workspace of globex.example"),
    "a subdomain of the company's Workspace domain": (
        dict(email="sam@eu.acme.example", hd="eu.acme.example"),
        "belongs to the Google Workspace of eu.acme.example"),
    "email not verified": (
        dict(email="sam@acme.example", hd="acme.example", email_verified=False),
        "Google has not verified the email address"),
}


@pytest.mark.parametrize("create_accounts", [False, True], ids=["existing accounts only", "JIT on"])
@pytest.mark.parametrize("who", list(WRONG_PEOPLE), ids=list(WRONG_PEOPLE))
def test_only_the_tenants_workspace_gets_in(who, create_accounts, web, session_factory,
                                            google_settings, fake_google, tenant, factory,
                                            dbsession):
    connect(session_factory, google_settings, fake_google, tenant, create_accounts=create_accounts)
    # An account with the same address exists: the address must not be enough.
    kwargs, words = WRONG_PEOPLE[who]
    if kwargs["email"].endswith("@acme.example"):
        factory.user(tenant, kwargs["email"])
    person = fake_google.add_account(**kwargs)
    response = sign_in_with_google(web, fake_google, person, status=403)
    page = response.html.text
    assert "You cannot be signed in" in page
    assert words in page
    assert "acme.example" in page  # which Workspace would be accepted, or whose address
    assert no_session(web)
    [event] = failures(dbsession, tenant)
    assert event.detail["reason"] == "refused_claims"
    dbsession.rollback()
    assert dbsession.scalar(select(SsoIdentity).where(SsoIdentity.subject == person.sub)) is None
    if not kwargs["email"].endswith("@acme.example"):
        nothing_linked_or_made(dbsession, tenant, person)


def test_the_hosted_domain_claim_is_what_counts(web, connected, fake_google, tenant, factory):
    """A Workspace account of the tenant's domain whose address is elsewhere (an alias
    on another domain) signs in: the email's domain is not the test."""
    account = factory.user(tenant, "sam@acme-alias.example")
    person = fake_google.add_account("sam@acme-alias.example", hd="acme.example")
    sign_in_with_google(web, fake_google, person, status=303)
    assert web.get("/api/session").json["user"]["id"] == account.id


def test_the_hosted_domain_claim_is_compared_without_case(web, connected, fake_google, tenant,
                                                          factory):
    factory.user(tenant, "sam@acme.example")
    person = fake_google.add_account("sam@acme.example", hd="ACME.example")
    sign_in_with_google(web, fake_google, person, status=303)


def _other_host(fake, c):
    fake.claim_overrides["iss"] = "https://accounts.example.com"


TOKEN_TWEAKS = {
    "forged signature": lambda fake, c: setattr(fake, "tamper_payload", True),
    "key Google does not publish": lambda fake, c: setattr(fake, "sign_with", new_key()),
    "alg RS384": lambda fake, c: setattr(fake, "algorithm", "RS384"),
    "alg none": lambda fake, c: setattr(fake, "unsigned", True),
    "HS256 with the public key": lambda fake, c: setattr(fake, "hs256_with_public_key", True),
    "another issuer": _other_host,
    "issuer with a trailing slash": lambda fake, c: fake.claim_overrides.update(iss=fake.authority + "/"),
    "issuer over http": lambda fake, c: fake.claim_overrides.update(
        iss=fake.authority.replace("https://", "http://")),
    "both issuer spellings as a list": lambda fake, c: fake.claim_overrides.update(
        iss=[fake.authority, fake.authority.removeprefix("https://")]),
    "wrong audience": lambda fake, c: fake.claim_overrides.update(
        aud="999-other.apps.googleusercontent.com"),
    "several audiences, another azp": lambda fake, c: fake.claim_overrides.update(
        aud=[c.client.client_id, "999-other.apps.googleusercontent.com"],
        azp="999-other.apps.googleusercontent.com"),
    "several audiences, no azp": lambda fake, c: (
        fake.claim_overrides.update(aud=[c.client.client_id, "999-other.apps.googleusercontent.com"]),
        fake.drop_claims.add("azp")),
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
    "key Google does not publish": "unknown_key",
    "alg RS384": "algorithm",
    "alg none": "algorithm",
    "HS256 with the public key": "algorithm",
    "another issuer": "wrong_iss",
    "issuer with a trailing slash": "wrong_iss",
    "issuer over http": "wrong_iss",
    "both issuer spellings as a list": "wrong_iss",
    "wrong audience": "wrong_aud",
    "several audiences, another azp": "wrong_aud",
    "several audiences, no azp": "wrong_aud",
    "expired": "expired",
    "issued in the future": "wrong_iat",
    "not valid yet": "wrong_nbf",
    "wrong nonce": "wrong_nonce",
    "missing nonce": "missing_nonce",
    "no subject": "identity",
}


@pytest.mark.parametrize("tweak", list(TOKEN_TWEAKS), ids=list(TOKEN_TWEAKS))
def test_bad_id_token_is_refused(tweak, web, connected, fake_google, tenant, factory, dbsession):
    factory.user(tenant, "sam@acme.example")
    person = fake_google.add_account("sam@acme.example", hd="acme.example")
    TOKEN_TWEAKS[tweak](fake_google, connected)
    response = sign_in_with_google(web, fake_google, person)
    assert response.status_int == 400
    assert "The sign-in was refused" in response.text
    assert no_session(web)
    [event] = failures(dbsession, tenant)
    assert event.detail["reason"] == "invalid_token"
    assert event.detail["detail"].startswith(CHECKS[tweak] + ":")
    assert dbsession.scalar(select(SsoIdentity).where(SsoIdentity.subject == person.sub)) is None


def test_the_other_issuer_spelling_google_documents_is_accepted(web, connected, fake_google,
                                                                tenant, factory):
    account = factory.user(tenant, "sam@acme.example")
    person = fake_google.add_account("sam@acme.example", hd="acme.example")
    fake_google.claim_overrides["iss"] = fake_google.authority.removeprefix("https://")
    sign_in_with_google(web, fake_google, person, status=303)
    assert web.get("/api/session").json["user"]["id"] == account.id


def test_googles_azp_with_a_single_audience_is_accepted(web, connected, fake_google, tenant,
                                                        factory):
    account = factory.user(tenant, "sam@acme.example")
    person = fake_google.add_account("sam@acme.example", hd="acme.example")
    client_id = connected.client.client_id
    fake_google.claim_overrides.update(aud=[client_id, "999-android.apps.googleusercontent.com"],
                                       azp=client_id)
    sign_in_with_google(web, fake_google, person, status=303)
    assert web.get("/api/session").json["user"]["id"] == account.id


def test_forged_state_is_refused(web, connected, fake_google, tenant, factory, dbsession):
    factory.user(tenant, "sam@acme.example")
    fake_google.sign_in(fake_google.add_account("sam@acme.example", hd="acme.example"))
    callback = to_callback(fake_google, start(web).location)
    response = web.get(callback.replace("state=", "state=forged", 1), status=400)
    assert "cannot be completed" in response.text
    assert no_session(web)
    assert failures(dbsession, tenant)[0].detail["reason"] == "unknown_state"


def test_a_callback_without_state_is_refused(web, connected, fake_google, tenant, factory):
    factory.user(tenant, "sam@acme.example")
    fake_google.sign_in(fake_google.add_account("sam@acme.example", hd="acme.example"))
    callback = to_callback(fake_google, start(web).location)
    code = callback.split("code=")[1].split("&")[0]
    web.get("/sso/google/callback", {"code": code}, status=400)
    assert no_session(web)


def test_pkce_mismatch_is_refused(web, connected, fake_google, tenant, factory, dbsession):
    """The code was issued for another PKCE challenge than the verifier the app holds:
    Google refuses to redeem it, and the app says so."""
    factory.user(tenant, "sam@acme.example")
    person = fake_google.add_account("sam@acme.example", hd="acme.example")
    fake_google.swap_challenge = True
    response = sign_in_with_google(web, fake_google, person, status=400)
    assert "Sign-in could not be verified" in response.text
    assert "Invalid code verifier." in response.text
    assert no_session(web)
    [event] = failures(dbsession, tenant)
    assert event.detail["reason"] == "token_error"


def test_a_code_is_redeemed_once(web, connected, fake_google, tenant, factory):
    factory.user(tenant, "sam@acme.example")
    person = fake_google.add_account("sam@acme.example", hd="acme.example")
    fake_google.sign_in(person)
    callback = to_callback(fake_google, start(web).location)
    code = callback.split("code=")[1].split("&")[0]
    assert web.get(callback, status=303)
    other = web.__class__(web.app, extra_environ=web.extra_environ)
    fake_google.sign_in(person)
    fresh = to_callback(fake_google, start(other).location)
    response = other.get(fresh.replace(fresh.split("code=")[1].split("&")[0], code), status=400)
    assert "Sign-in took too long" in response.text
    assert no_session(other)
