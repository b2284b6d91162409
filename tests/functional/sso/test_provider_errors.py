"""Errors Microsoft sends back, as pages that say what happened and what to do."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from trainmeuk_identity.models import AuditEvent

from ...support.sso import no_session, sign_in_with_microsoft, start, to_callback


def answer_with_error(web, fake, params, status):
    fake.authorize_error = params
    return web.get(to_callback(start(web).location), status=status)


def test_consent_required_explains_and_links_to_admin_consent(web, connected, fake_entra, dbsession):
    response = answer_with_error(web, fake_entra, {
        "error": "consent_required",
        "error_description": "AADSTS65001: The user or administrator has not consented to use the application."},
        status=403)
    assert "Needs admin approval" in response.text
    assert "AADSTS65001" in response.text
    link = response.html.find("a", string=lambda s: s and "Admin consent" in s)["href"]
    parts = urlsplit(link)
    assert parts.path == f"/{connected.tid}/v2.0/adminconsent"
    assert parse_qs(parts.query)["client_id"] == [connected.app.client_id]
    assert no_session(web)
    dbsession.expire_all()
    event = dbsession.scalar(select(AuditEvent).where(AuditEvent.tenant_id == connected.tenant.id,
                                                      AuditEvent.action == "sso.login.failed"))
    assert event.detail["reason"] == "consent_required" and event.detail["code"] == "AADSTS65001"


def test_access_denied_needing_approval_is_a_consent_error(web, connected, fake_entra):
    response = answer_with_error(web, fake_entra, {
        "error": "access_denied",
        "error_description": "AADSTS90094: An administrator of Contoso has set a policy that prevents you "
                             "from granting TrainMeUK SSO the permissions it is requesting."}, status=403)
    assert "Needs admin approval" in response.text
    assert "adminconsent" in response.text


def test_user_cancelling_is_said_plainly(web, connected, fake_entra):
    response = answer_with_error(web, fake_entra, {
        "error": "access_denied", "error_subcode": "cancel",
        "error_description": "AADSTS50126: the user cancelled."}, status=400)
    assert "Sign-in cancelled" in response.text
    assert no_session(web)


def test_declined_consent_is_a_cancel(web, connected, fake_entra):
    response = answer_with_error(web, fake_entra, {
        "error": "access_denied", "error_description": "AADSTS65004: User declined to consent to access the app."},
        status=400)
    assert "Sign-in cancelled" in response.text


def test_other_errors_show_code_and_microsofts_description(web, connected, fake_entra):
    response = answer_with_error(web, fake_entra, {
        "error": "invalid_request",
        "error_description": "AADSTS900144: The request body must contain the following parameter: 'x'."},
        status=400)
    assert "invalid_request" in response.text
    assert "AADSTS900144: The request body must contain the following parameter" in response.text
    assert no_session(web)


def test_secret_id_instead_of_value_at_the_token_endpoint(web, connected, fake_entra, factory):
    factory.user(connected.tenant, "sam@acme.example")
    person = fake_entra.add_user(connected.directory, "sam@acme.example")
    connected.app.secrets = {"a-new-secret-the-admin-has-not-pasted"}
    response = sign_in_with_microsoft(web, fake_entra, connected.directory, person, status=400)
    assert "AADSTS7000215" in response.text
    assert "secret&#39;s ID was pasted instead of its Value" in response.text or \
        "secret's ID was pasted instead of its Value" in response.text
    assert no_session(web)


def test_expired_secret_at_the_token_endpoint(web, connected, fake_entra, factory):
    factory.user(connected.tenant, "sam@acme.example")
    person = fake_entra.add_user(connected.directory, "sam@acme.example")
    connected.app.expired_secrets = {connected.secret}
    response = sign_in_with_microsoft(web, fake_entra, connected.directory, person, status=400)
    assert "Client secret expired" in response.text


def test_admin_consent_return_page(web, connected):
    page = web.get("/sso/entra/callback", params={"admin_consent": "True", "tenant": connected.tid,
                                                   "state": "admin-consent"}, status=200)
    assert "TrainMeUK is approved" in page.text
    refused = web.get("/sso/entra/callback", params={
        "error": "access_denied", "state": "admin-consent",
        "error_description": "AADSTS65004: The admin declined."}, status="*")
    assert refused.status_int in (400, 403)
