"""Google's own errors, explained, and the settings page for a provider without SCIM: what
Google sends back (or answers at its token endpoint) becomes a page saying what happened
and who can fix it, with Google's code and words as they came; what Google shows on
its own pages is listed under Troubleshooting with this connection's values."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from trainmeuk_identity.connections import get_connection
from trainmeuk_identity.models import AuditEvent, TenantScope
from trainmeuk_identity.scim.tokens import enable_scim

from ...support.app import sign_in, tenant_app
from ...support.google import (
    at_google,
    callback_uri,
    no_session,
    sign_in_with_google,
    start,
    to_callback,
)


def last_failure(dbsession, tenant):
    dbsession.rollback()
    return dbsession.scalars(select(AuditEvent).where(
        AuditEvent.tenant_id == tenant.id, AuditEvent.action == "sso.login.failed")).all()[-1]


@pytest.mark.parametrize(("error", "title", "words"), [
    ("access_denied", "Google did not sign you in", "choose your work Google account"),
    ("admin_policy_enforced", "Your Google Workspace administrator blocks TrainMeUK", "API controls"),
    ("org_internal", "limited to one organisation", "user type Internal"),
    ("disallowed_useragent", "Google does not allow sign-in from this app's browser", "usual web browser"),
], ids=["access_denied", "admin_policy_enforced", "org_internal", "disallowed_useragent"])
def test_errors_google_sends_back(error, title, words, web, connected, fake_google, dbsession):
    person = fake_google.add_account("sam@acme.example", hd="acme.example")
    fake_google.authorize_error = {"error": error}
    response = sign_in_with_google(web, fake_google, person)
    assert 400 <= response.status_int < 500
    page = response.html.text
    assert title in page and words in page and error in page
    assert no_session(web)
    assert last_failure(dbsession, connected.tenant).detail["code"] == error


def test_an_unknown_google_error_gets_the_general_page(web, connected, fake_google):
    person = fake_google.add_account("sam@acme.example", hd="acme.example")
    fake_google.authorize_error = {"error": "server_error", "error_description": "Something odd."}
    response = sign_in_with_google(web, fake_google, person, status=400)
    assert "Google refused the sign-in" in response.html.text
    assert "Something odd." in response.html.text


def test_a_secret_google_does_not_accept(web, connected, fake_google, factory, dbsession):
    """The secret is first checked here, at the first sign-in."""
    factory.user(connected.tenant, "sam@acme.example")
    person = fake_google.add_account("sam@acme.example", hd="acme.example")
    connected.client.secrets = {"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ot-paste"}
    response = sign_in_with_google(web, fake_google, person, status=400)
    page = response.html.text
    assert "Client secret not accepted" in page and "APIs & Services → Credentials" in page
    assert "Unauthorized" in page  # Google's words
    assert no_session(web)
    assert last_failure(dbsession, connected.tenant).detail["reason"] == "token_error"


def test_google_unreachable_at_the_token_endpoint(web, connected, fake_google, factory):
    factory.user(connected.tenant, "sam@acme.example")
    fake_google.sign_in(fake_google.add_account("sam@acme.example", hd="acme.example"))
    callback = to_callback(fake_google, start(web).location)
    fake_google.down = True
    response = web.get(callback, status=502)
    assert "could not be reached" in response.html.text
    assert no_session(web)


def test_a_redirect_uri_google_does_not_know_stops_on_googles_page(web, connected, fake_google):
    connected.client.redirect_uris = {"https://elsewhere.example/callback"}
    answer = at_google(fake_google, start(web).location)
    assert answer.status_code == 400 and "redirect_uri_mismatch" in answer.text


@pytest.fixture
def settings_page(google_app, connected, factory):
    admin = factory.admin(connected.tenant)
    browser = tenant_app(google_app, connected.tenant)
    assert sign_in(browser, admin.email).status_int == 303
    return browser.get("/admin/settings/sso", {"provider": "google"})


def test_the_settings_page_has_googles_steps_and_troubleshooting(settings_page, connected):
    html = settings_page.html
    redirect_uri = callback_uri(connected.tenant)
    assert html.select_one("#sso-redirect-uri")["value"] == redirect_uri
    steps = html.select_one("#sso-steps").text
    for words in ("APIs & Services → Credentials", "OAuth client ID", "Web application",
                  "OAuth consent screen", "“Internal”", "Authorised redirect URIs", redirect_uri,
                  "Hosted domains"):
        assert words in steps, words
    troubleshooting = html.select_one("#sso-troubleshooting").text
    for code in ("redirect_uri_mismatch", "invalid_client", "org_internal", "admin_policy_enforced"):
        assert code in troubleshooting
    assert redirect_uri in troubleshooting
    assert connected.client.client_id in troubleshooting  # this connection's values
    assert "acme.example" in troubleshooting
    for field in ("client_id", "client_secret", "hosted_domains"):
        assert html.select_one(f"#sso-{field}") is not None
    text = html.select_one("#sso").text
    assert "Sign in with Google" in text
    assert "Entra" not in text and "Microsoft" not in text and "Okta" not in text


def test_without_scim_the_page_offers_accounts_at_first_sign_in(settings_page):
    """Google sends no SCIM: no SCIM part, and the choice between creating accounts at a
    first sign-in and letting only existing accounts in, off by default."""
    html = settings_page.html
    assert html.select_one("#scim") is None
    assert "/scim/google" not in settings_page.text
    choice = html.select_one("#sso-create-accounts")
    assert choice is not None and not choice.has_attr("checked")
    assert "Create an account on first sign-in" in choice.parent.text


def test_the_choice_is_saved_from_the_page(settings_page, connected, dbsession):
    form = settings_page.forms["sso-form"]
    form["sso_enabled"] = True
    form["sso_create_accounts"] = True
    form.submit(status=303)
    dbsession.rollback()
    connection = get_connection(TenantScope(dbsession, connected.tenant.id), "google")
    assert connection.sso_create_accounts and connection.sso_enabled


def test_google_has_no_scim_endpoint(web, connected, session_factory):
    with session_factory() as session, session.begin():
        _, entra_token = enable_scim(TenantScope(session, connected.tenant.id), "entra")
    response = web.get("/scim/google/v2/Users",
                       headers={"Authorization": f"Bearer {entra_token.value}"}, status="*")
    # No token of the tenant's opens it: Google has no SCIM tokens to issue.
    assert response.status_int == 401
    assert response.json["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_the_page_promises_no_secret_check_google_cannot_make(settings_page):
    assert "Client ID and Secret are accepted" not in settings_page.html.select_one("#sso").text
