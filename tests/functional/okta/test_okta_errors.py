"""Okta's own errors, explained: what Okta sends back to the callback (or answers at its
token endpoint) becomes a page saying what happened and who can fix it, with Okta's
code and words shown as they came."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from trainmeuk_identity.models import AuditEvent

from ...support.app import sign_in, tenant_app
from ...support.okta import callback_uri, no_session, sign_in_with_okta, start, to_callback


def last_failure(dbsession, tenant):
    dbsession.expire_all()
    return dbsession.scalars(select(AuditEvent).where(
        AuditEvent.tenant_id == tenant.id, AuditEvent.action == "sso.login.failed")).all()[-1]


def test_a_person_not_assigned_to_the_app(web, org_connected, fake_okta, factory, dbsession):
    factory.user(org_connected.tenant, "sam@acme.example")
    person = fake_okta.add_person(org_connected.realm, "sam@acme.example")
    org_connected.client.assigned = set()  # the app requires assignment; Sam has none
    response = sign_in_with_okta(web, fake_okta, org_connected, person)
    assert 400 <= response.status_int < 500
    page = response.html.text
    assert "You are not assigned to TrainMeUK in Okta" in page
    assert "Assignments" in page
    assert "User is not assigned to the client application." in page  # Okta's words
    assert "access_denied" in page
    assert no_session(web)
    assert last_failure(dbsession, org_connected.tenant).detail["code"] == "access_denied"


@pytest.mark.parametrize(("error", "description", "title"), [
    ("access_denied", "Policy evaluation failed for this request, please check the policy "
                      "configurations.", "Okta's access policy refused this sign-in"),
    ("invalid_scope", "One or more scopes are not configured for the authorization server "
                      "resource.", "Okta refused the requested scopes"),
], ids=["access policy", "scopes"])
def test_errors_okta_sends_back(error, description, title, web, custom_connected, fake_okta,
                                factory):
    person = fake_okta.add_person(custom_connected.realm, "sam@acme.example")
    fake_okta.authorize_error = {"error": error, "error_description": description}
    response = sign_in_with_okta(web, fake_okta, custom_connected, person)
    assert 400 <= response.status_int < 500
    assert title in response.html.text and description in response.html.text
    assert no_session(web)


def test_an_unknown_okta_error_gets_the_general_page(web, org_connected, fake_okta):
    person = fake_okta.add_person(org_connected.realm, "sam@acme.example")
    fake_okta.authorize_error = {"error": "server_error", "error_description": "Something odd."}
    response = sign_in_with_okta(web, fake_okta, org_connected, person)
    assert response.status_int == 400
    assert "Okta" in response.html.text and "Something odd." in response.html.text


def test_a_secret_okta_no_longer_accepts(web, org_connected, fake_okta, factory, dbsession):
    factory.user(org_connected.tenant, "sam@acme.example")
    person = fake_okta.add_person(org_connected.realm, "sam@acme.example")
    org_connected.client.secrets = {"a-new-secret-the-admin-did-not-paste"}
    response = sign_in_with_okta(web, fake_okta, org_connected, person, status=400)
    assert "Client secret not accepted" in response.html.text
    assert "Client authentication failed." in response.html.text
    assert no_session(web)
    assert last_failure(dbsession, org_connected.tenant).detail["reason"] == "token_error"


def test_an_app_without_the_authorization_code_grant(web, org_connected, fake_okta):
    person = fake_okta.add_person(org_connected.realm, "sam@acme.example")
    org_connected.client.grant_types = ("implicit",)
    response = sign_in_with_okta(web, fake_okta, org_connected, person, status=400)
    assert "The app does not allow this sign-in flow" in response.html.text
    assert "Authorization Code" in response.html.text


def test_okta_unreachable_at_the_token_endpoint(web, org_connected, fake_okta, factory):
    factory.user(org_connected.tenant, "sam@acme.example")
    person = fake_okta.add_person(org_connected.realm, "sam@acme.example")
    fake_okta.sign_in_as(org_connected.realm, person)
    callback = to_callback(fake_okta, start(web).location)
    fake_okta.down = True
    response = web.get(callback, status=502)
    assert "Okta could not be reached" in response.html.text
    assert no_session(web)


def test_the_settings_page_has_okta_setup_steps_and_troubleshooting(
        okta_app, org_connected, factory):
    admin = factory.admin(org_connected.tenant)
    browser = tenant_app(okta_app, org_connected.tenant)
    assert sign_in(browser, admin.email).status_int == 303
    page = browser.get("/admin/settings/sso", {"provider": "okta"})
    sso, scim = page.html.select_one("#sso").text, page.html.select_one("#scim").text
    steps = page.html.select_one("#sso-steps").text
    assert "Create App Integration" in steps and "OIDC - OpenID Connect" in steps
    assert page.html.select_one("#sso-redirect-uri")["value"] == callback_uri(org_connected.tenant)
    troubleshooting = page.html.select_one("#sso-troubleshooting").text
    assert "must be a Login redirect URI" in troubleshooting
    assert callback_uri(org_connected.tenant) in troubleshooting
    assert org_connected.client.client_id in troubleshooting  # this connection's values
    walkthrough = page.html.select_one("#okta-scim-setup").find_next("ol").text
    assert "SCIM connector base URL" in walkthrough and "/scim/okta/v2" in walkthrough
    assert "Push Groups" in walkthrough
    assert "deactivates" in page.html.select_one("#okta-scim-notes").text
    for text in (sso, scim):
        assert "Entra" not in text and "Microsoft" not in text
