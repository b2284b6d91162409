"""The save-time check of an Okta connection: the org (and authorization server) exists
with exactly the expected issuer, and Okta accepts the Client ID and Secret. A check that
fails for certain keeps SSO off; one that cannot be made lets the admin save, warned."""

from __future__ import annotations

import pytest

from trainmeuk_identity.connections import get_connection
from trainmeuk_identity.models import TenantScope
from trainmeuk_identity.testing.certificates import CertificateAuthority

from ...support.app import sign_in, tenant_app
from ...support.okta import callback_uri, new_org, save


@pytest.fixture
def org(fake_okta, tenant):
    return new_org(fake_okta, tenant)


@pytest.fixture
def client(fake_okta, org, tenant):
    return fake_okta.add_client(org.realm, {callback_uri(tenant)})


def values(org, client, server=""):
    return {"domain": org.domain, "authorization_server": server, "client_id": client[0].client_id}


def messages(outcome):
    return [(c.ok, c.conclusive, c.message) for c in outcome.checks]


@pytest.mark.parametrize("server", ["", "default"], ids=["org server", "custom server"])
def test_a_right_connection_passes(server, session_factory, okta_settings, fake_okta, org, client,
                                   tenant):
    if server:
        fake_okta.add_custom_server(org, server)
    outcome = save(session_factory, okta_settings, tenant, values(org, client, server), client[1])
    assert outcome.saved, outcome
    assert [c.ok for c in outcome.checks] == [True, True]
    assert org.domain in outcome.checks[0].message
    assert "accepted by Okta" in outcome.checks[1].message
    # The credentials were presented as the app integration expects: HTTP Basic.
    assert fake_okta.last_token_request["method"] == "client_secret_basic"


def test_an_org_okta_does_not_have(session_factory, okta_settings, client, tenant):
    outcome = save(session_factory, okta_settings, tenant,
                   {"domain": "nobody-here.okta.com", "client_id": client[0].client_id}, client[1])
    assert not outcome.saved
    [check] = outcome.checks
    assert not check.ok and check.conclusive and "Okta has no Okta org nobody-here.okta.com" in check.message


def test_an_authorization_server_the_org_does_not_have(session_factory, okta_settings, org,
                                                        client, tenant):
    outcome = save(session_factory, okta_settings, tenant, values(org, client, "aus9nothere"),
                   client[1])
    assert not outcome.saved
    [check] = outcome.checks
    assert not check.ok and check.conclusive and "aus9nothere" in check.message


def test_a_wrong_secret(session_factory, okta_settings, org, client, tenant, dbsession):
    outcome = save(session_factory, okta_settings, tenant, values(org, client), "not-the-secret")
    assert not outcome.saved
    found, credentials = outcome.checks
    assert found.ok
    assert not credentials.ok and credentials.conclusive
    assert client[0].client_id in credentials.message
    assert get_connection(TenantScope(dbsession, tenant.id), "okta") is None


def test_an_issuer_that_is_not_the_expected_one(session_factory, okta_settings, fake_okta, org,
                                                client, tenant):
    fake_okta.metadata_overrides["issuer"] = "https://acme.okta.com"
    outcome = save(session_factory, okta_settings, tenant, values(org, client), client[1])
    assert not outcome.saved
    [check] = outcome.checks
    assert not check.ok and check.conclusive and "'https://acme.okta.com'" in check.message


def test_okta_unreachable_lets_the_admin_save_with_a_warning(session_factory, okta_settings,
                                                             fake_okta, org, client, tenant):
    fake_okta.down = True
    outcome = save(session_factory, okta_settings, tenant, values(org, client), client[1])
    assert outcome.saved
    [check] = outcome.checks
    assert not check.ok and not check.conclusive and "Could not reach" in check.message


@pytest.mark.parametrize(("domain", "problem"), [
    ("https://acme.okta.com", "no https://"),
    ("acme.okta.com/oauth2/default", "no https://"),
    ("acme-admin.okta.com", "Admin Console"),
    ("not a domain", "not a domain name"),
])
def test_bad_domains_are_refused_beside_the_field(domain, problem, session_factory, okta_settings,
                                                  client, tenant):
    outcome = save(session_factory, okta_settings, tenant,
                   {"domain": domain, "client_id": client[0].client_id}, client[1])
    assert not outcome.saved and not outcome.checks
    assert problem in outcome.errors["domain"]


def test_the_admin_page_runs_the_check(okta_app, fake_okta, org, client, tenant, factory,
                                       dbsession):
    admin = factory.admin(tenant)
    browser = tenant_app(okta_app, tenant)
    assert sign_in(browser, admin.email).status_int == 303
    form = browser.get("/admin/settings/sso", {"provider": "okta"}).forms["sso-form"]
    form["domain"], form["client_id"], form["client_secret"] = (
        org.domain.upper(), client[0].client_id, "wrong")
    form["sso_enabled"] = True
    page = form.submit(status="*")
    assert "Okta did not accept Client ID" in page.text
    assert get_connection(TenantScope(dbsession, tenant.id), "okta") is None

    form = page.forms["sso-form"]
    form["client_secret"] = client[1]
    form["sso_enabled"] = True
    form.submit(status=303)
    dbsession.rollback()
    connection = get_connection(TenantScope(dbsession, tenant.id), "okta")
    assert connection.sso_enabled and connection.settings["domain"] == org.domain


def test_okta_is_trusted_only_through_the_trust_store(tmp_path, monkeypatch, session_factory,
                                                     okta_settings, fake_okta, org, client, tenant):
    """The fake Okta's certificate comes from the run's test CA: with SSL_CERT_FILE naming
    another CA, the connection is not trusted, and nothing is sent to it."""
    monkeypatch.setenv("SSL_CERT_FILE", str(CertificateAuthority(tmp_path).cert_file))
    asked = fake_okta.counts["discovery"]
    outcome = save(session_factory, okta_settings, tenant, values(org, client), client[1])
    [check] = outcome.checks
    assert not check.ok and not check.conclusive
    assert "certificate verify failed" in check.message.lower()
    assert fake_okta.counts["discovery"] == asked
