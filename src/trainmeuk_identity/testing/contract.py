"""The contract suite. Opt in with one test module in your provider's tests::

    from trainmeuk_identity.testing.contract import *  # noqa: F403  (the kit's suite)

and a ``provider_under_test`` fixture (see :class:`trainmeuk_identity.testing.ProviderUnderTest`).
Every test goes through HTTP to the whole application (WebTest, the tenant's Host
header) on a real database, against the fake authority on HTTPS.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from trainmeuk_identity.connections import get_connection
from trainmeuk_identity.models import AuditEvent, SsoIdentity, TenantScope
from trainmeuk_identity.settings import load_settings

from . import flow
from .fake_oidc import new_key
from .scim import CORE_USER, ERROR, LIST_RESPONSE, patch_op

__all__ = [
    "test_contract_bad_id_token_is_refused",
    "test_contract_forged_state_is_refused",
    "test_contract_points_at_the_fake_authority",
    "test_contract_provider_refuses_its_invalid_settings",
    "test_contract_required_settings_are_required",
    "test_contract_scim_lifecycle",
    "test_contract_scim_refuses_a_bad_token",
    "test_contract_sign_in",
]

# How each bad id_token is made, and the check of core's that refuses it.
BAD_TOKENS: dict[str, tuple[Any, str]] = {
    "forged signature (a key the issuer does not publish)":
        (lambda fake, c: setattr(fake, "sign_with", new_key()), "unknown_key"),
    "tampered payload": (lambda fake, c: setattr(fake, "tamper_payload", True), "signature"),
    "alg none": (lambda fake, c: setattr(fake, "unsigned", True), "algorithm"),
    "HS256 signed with the public key":
        (lambda fake, c: setattr(fake, "hs256_with_public_key", True), "algorithm"),
    "wrong issuer": (lambda fake, c: fake.claim_overrides.update(iss=c.issuer.url + "/another"),
                     "wrong_iss"),
    "wrong audience": (lambda fake, c: fake.claim_overrides.update(aud="another-client"), "wrong_aud"),
    "expired": (lambda fake, c: setattr(fake, "issued_at_offset", -2 * 3600), "expired"),
    "issued in the future": (lambda fake, c: fake.claim_overrides.update(
        iat=int(time.time()) + 3600), "wrong_iat"),
    "wrong nonce": (lambda fake, c: fake.claim_overrides.update(nonce="not-the-one-we-sent"),
                    "wrong_nonce"),
    "missing nonce": (lambda fake, c: fake.drop_claims.add("nonce"), "missing_nonce"),
}


def _app_settings(contract_settings: dict[str, Any]) -> dict[str, Any]:
    return load_settings(contract_settings, environ={})


def _failures(session_factory: Any, tenant: Any) -> list[AuditEvent]:
    with session_factory() as session:
        return list(session.scalars(select(AuditEvent).where(
            AuditEvent.tenant_id == tenant.id, AuditEvent.action == "sso.login.failed")))


def _links(session_factory: Any, tenant: Any) -> list[SsoIdentity]:
    with session_factory() as session:
        return list(session.scalars(select(SsoIdentity).where(SsoIdentity.tenant_id == tenant.id)))


def _saved(session_factory: Any, tenant: Any, provider_name: str) -> Any:
    with session_factory() as session:
        return get_connection(TenantScope(session, tenant.id), provider_name)


# --- pointing the provider at the fake ---------------------------------------------------

def test_contract_points_at_the_fake_authority(provider_under_test, contract_app, contract_settings,
                                               contract_issuer):
    """The provider's discovery URL and issuer, for the described settings and application
    settings, are the fake authority's (else nothing below can work)."""
    provider = contract_app.registry["providers"].get(provider_under_test.name, "sso")
    assert provider is not None, f"no provider {provider_under_test.name!r} offering SSO is installed"
    settings = dict(provider_under_test.settings(provider_under_test.new_client_id()))
    app_settings = _app_settings(contract_settings)
    assert contract_issuer.url in provider.expected_issuers(settings, app_settings)
    assert provider.discovery_url(settings, app_settings) == (
        contract_issuer.url + "/.well-known/openid-configuration")


# --- sign-in -----------------------------------------------------------------------------

def test_contract_sign_in(provider_under_test, contract_connection, contract_trust, contract_browser,
                          contract_factory, contract_session_factory):
    """Sign in with the provider, end to end: the button, the authorization request (PKCE,
    state, nonce, client id, redirect URI), the token request authenticated the provider's
    way, the session, and the account linked by the provider's identity key."""
    fake, connection = contract_trust, contract_connection
    provider = connection.provider
    person = flow.new_person(fake, connection, provider_under_test)
    account = contract_factory.user(connection.tenant, person.email, name=person.name)

    button = contract_browser.get("/login").html.select_one(f'a[href="/sso/{provider.name}/login"]')
    assert button is not None and button.text.strip() == f"Sign in with {provider.button_label}"

    done = flow.sign_in(contract_browser, fake, connection, person)
    assert done.status_int == 303, (
        f"the sign-in was not completed ({done.status}); audit log: "
        f"{[e.detail for e in _failures(contract_session_factory, connection.tenant)]}")
    query = fake.last_authorize
    assert query["client_id"] == connection.client.client_id
    assert query["redirect_uri"] == flow.callback_uri(connection.tenant, provider.name)
    assert query["response_type"] == "code" and query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert fake.last_token_request["method"] == provider.token_endpoint_auth_method
    assert not done.location.startswith(fake.url)
    assert contract_browser.get("/api/session").json["user"]["id"] == account.id

    [link] = _links(contract_session_factory, connection.tenant)
    assert (link.provider, link.user_id) == (provider.name, account.id)
    with contract_session_factory() as session:
        actions = set(session.scalars(select(AuditEvent.action).where(
            AuditEvent.tenant_id == connection.tenant.id)))
    assert {"sso.identity.linked", "sso.login.succeeded"} <= actions


@pytest.mark.parametrize("bad_token", list(BAD_TOKENS))
def test_contract_bad_id_token_is_refused(bad_token, provider_under_test, contract_connection,
                                          contract_trust, contract_browser, contract_factory,
                                          contract_session_factory):
    """A forged, tampered or misaddressed id_token signs nobody in: a 400 page, no session,
    no link, and the failure in the audit log with the check that refused it."""
    fake, connection = contract_trust, contract_connection
    person = flow.new_person(fake, connection, provider_under_test)
    contract_factory.user(connection.tenant, person.email)
    make_bad, check = BAD_TOKENS[bad_token]
    make_bad(fake, connection)

    response = flow.sign_in(contract_browser, fake, connection, person)
    assert response.status_int == 400, response.status
    assert "The sign-in was refused" in response.text
    assert not flow.has_session(contract_browser)
    assert _links(contract_session_factory, connection.tenant) == []
    [event] = _failures(contract_session_factory, connection.tenant)
    assert event.detail["reason"] == "invalid_token"
    assert event.detail["detail"].startswith(check + ":"), event.detail


def test_contract_forged_state_is_refused(provider_under_test, contract_connection, contract_trust,
                                          contract_browser, contract_factory, contract_session_factory):
    fake, connection = contract_trust, contract_connection
    person = flow.new_person(fake, connection, provider_under_test)
    contract_factory.user(connection.tenant, person.email)
    fake.sign_in_as(connection.issuer.realm, person)
    answer = flow.at_authority(fake, flow.start(contract_browser, connection.provider.name).location)
    callback = flow.path_of(answer.headers["location"]).replace("state=", "state=forged", 1)
    contract_browser.get(callback, status=400)
    assert not flow.has_session(contract_browser)
    assert _failures(contract_session_factory, connection.tenant)[0].detail["reason"] == "unknown_state"


# --- settings validation -----------------------------------------------------------------

def test_contract_required_settings_are_required(provider_under_test, contract_app, contract_trust,
                                                 contract_settings, contract_tenant,
                                                 contract_session_factory):
    """Each required field left empty (and the secret, when SSO is enabled without one)
    is refused beside that field, and nothing is saved."""
    provider = contract_app.registry["providers"].get(provider_under_test.name, "sso")
    valid = dict(provider_under_test.settings(provider_under_test.new_client_id()))
    problems = []
    for f in provider.settings_fields:
        if f.secret:
            values, secret = valid, None
        elif f.required:
            values, secret = {**valid, f.name: "  "}, "a-secret-value-for-the-test"
        else:
            continue
        outcome = flow.save(contract_app, contract_session_factory, contract_settings, contract_tenant,
                            values, secret, provider.name)
        if outcome.saved or not outcome.errors.get(f.name):
            problems.append(f"{f.name} empty: saved={outcome.saved}, errors={outcome.errors}")
    assert not problems, "\n".join(problems)
    assert _saved(contract_session_factory, contract_tenant, provider.name) is None


def test_contract_provider_refuses_its_invalid_settings(provider_under_test, contract_app,
                                                        contract_trust, contract_settings,
                                                        contract_tenant, contract_session_factory):
    """Each of ``ProviderUnderTest.invalid_settings`` is refused beside its field by the
    provider's own validation, and nothing is saved."""
    provider = contract_app.registry["providers"].get(provider_under_test.name, "sso")
    if not provider_under_test.invalid_settings:
        pytest.skip("ProviderUnderTest.invalid_settings lists no values to refuse")
    valid = dict(provider_under_test.settings(provider_under_test.new_client_id()))
    secret_field = next((f.name for f in provider.settings_fields if f.secret), None)
    problems = []
    for name, value in provider_under_test.invalid_settings:
        values, secret = dict(valid), "a-secret-value-for-the-test"
        if name == secret_field:
            secret = value
        else:
            values[name] = value
        outcome = flow.save(contract_app, contract_session_factory, contract_settings, contract_tenant,
                            values, secret, provider.name)
        if outcome.saved or not outcome.errors.get(name):
            problems.append(f"{name}={value!r}: saved={outcome.saved}, errors={outcome.errors}, "
                            f"checks={outcome.checks}")
    assert not problems, "\n".join(problems)
    assert _saved(contract_session_factory, contract_tenant, provider.name) is None


# --- SCIM (providers that declare it) ----------------------------------------------------

def _user(user_name: str) -> dict[str, Any]:
    return {"schemas": [CORE_USER], "userName": user_name, "externalId": "ext-" + user_name.split("@")[0],
            "active": True, "displayName": "Alex Example",
            "name": {"givenName": "Alex", "familyName": "Example"},
            "emails": [{"primary": True, "type": "work", "value": user_name}]}


def test_contract_scim_lifecycle(contract_scim, provider_under_test):
    """Create, read, find by userName, update, deactivate and delete a user."""
    user_name = f"alex@{provider_under_test.email_domain}"
    created = contract_scim.post("/Users", _user(user_name)).json
    assert created["userName"] == user_name and created["active"] is True
    user_id = created["id"]
    assert contract_scim.get(f"/Users/{user_id}").json["userName"] == user_name

    found = contract_scim.get("/Users", filter=f'userName eq "{user_name}"').json
    assert found["schemas"] == [LIST_RESPONSE] and found["totalResults"] == 1
    assert found["Resources"][0]["id"] == user_id

    renamed = contract_scim.patch(f"/Users/{user_id}", patch_op(
        {"op": "replace", "path": "displayName", "value": "Alex Renamed"})).json
    assert renamed["displayName"] == "Alex Renamed"
    contract_scim.patch(f"/Users/{user_id}", patch_op({"op": "replace", "path": "active", "value": False}))
    assert contract_scim.get(f"/Users/{user_id}").json["active"] is False

    contract_scim.delete(f"/Users/{user_id}")
    assert ERROR in contract_scim.get(f"/Users/{user_id}", status=404).json["schemas"]
    assert contract_scim.get("/Users", filter=f'userName eq "{user_name}"').json["totalResults"] == 0


def test_contract_scim_refuses_a_bad_token(contract_scim, provider_under_test):
    contract_scim.token = "not-a-token"
    response = contract_scim.get("/Users", status=401)
    assert ERROR in response.json["schemas"]
    contract_scim.post("/Users", _user(f"eve@{provider_under_test.email_domain}"), status=401)
