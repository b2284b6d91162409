"""The Google connection's settings: Client ID, Client Secret and the Workspace domains
(validated, normalised to lower case), on the admin page and through the shared save;
and the plugin's application setting ``authority`` (``trainmeuk.google.authority`` /
``TRAINMEUK_GOOGLE_AUTHORITY``)."""

from __future__ import annotations

import pytest

from trainmeuk_identity import configure
from trainmeuk_identity.connections import get_connection
from trainmeuk_identity.models import TenantScope
from trainmeuk_identity.settings import ConfigurationError

from ...support.app import close_app, make_settings, sign_in, tenant_app
from ...support.google import callback_uri, google_plugin, google_provider, save


@pytest.fixture
def client(fake_google, tenant):
    return fake_google.add_google_client({callback_uri(tenant)})


def saved(dbsession, tenant):
    dbsession.rollback()
    return get_connection(TenantScope(dbsession, tenant.id), "google")


@pytest.mark.parametrize(("typed", "stored"), [
    ("acme.example", "acme.example"),
    ("ACME.Example", "acme.example"),
    (" acme.example , Acme-Group.example ", "acme.example,acme-group.example"),
    ("acme.example,acme.example,", "acme.example"),
])
def test_domains_are_stored_in_lower_case(typed, stored, session_factory, google_settings,
                                          client, tenant, dbsession):
    outcome = save(session_factory, google_settings, tenant,
                   {"client_id": client[0].client_id, "hosted_domains": typed}, client[1])
    assert outcome.saved, outcome
    assert saved(dbsession, tenant).settings["hosted_domains"] == stored


@pytest.mark.parametrize(("domains", "problem"), [
    ("", "Hosted domains is required."),
    (" , ", "Hosted domains is required."),
    ("*", "wildcard"),
    ("acme.example, *.example", "wildcard"),
    ("it@acme.example", "is an email address"),
    ("https://acme.example", "no https://"),
    ("acme.example/staff", "no https://"),
    ("acme", "is not a domain name"),
    ("acme.example; acme-group.example", "is not a domain name"),
    ("acme.example acme-group.example", "is not a domain name"),
    ("gmail.com", "Google's personal mail"),
    ("acme.example,GoogleMail.com", "Google's personal mail"),
    (",".join(f"d{n}.example" for n in range(51)), "at most 50"),
])
def test_bad_domain_lists_are_refused_beside_the_field(domains, problem, session_factory,
                                                       google_settings, client, tenant, dbsession):
    outcome = save(session_factory, google_settings, tenant,
                   {"client_id": client[0].client_id, "hosted_domains": domains}, client[1])
    assert not outcome.saved and not outcome.checks
    assert problem in outcome.errors["hosted_domains"]
    assert saved(dbsession, tenant) is None


@pytest.mark.parametrize(("client_id", "secret", "field", "problem"), [
    ("acme-trainmeuk", None, "client_id", "not a Google OAuth Client ID"),
    ("GOCSPX-abcdefghijklmnopqrstuvwxyz12", None, "client_id", "This is a Client secret"),
    (None, "123456789012-abc.apps.googleusercontent.com", "client_secret", "This is the Client ID"),
])
def test_client_id_and_secret_mix_ups_are_refused(client_id, secret, field, problem,
                                                  session_factory, google_settings, client,
                                                  tenant, dbsession):
    outcome = save(session_factory, google_settings, tenant,
                   {"client_id": client_id or client[0].client_id, "hosted_domains": "acme.example"},
                   secret or client[1])
    assert not outcome.saved
    assert problem in outcome.errors[field]
    assert saved(dbsession, tenant) is None


def test_the_admin_page_validates_and_saves(google_app, client, tenant, factory, dbsession):
    admin = factory.admin(tenant)
    browser = tenant_app(google_app, tenant)
    assert sign_in(browser, admin.email).status_int == 303
    form = browser.get("/admin/settings/sso", {"provider": "google"}).forms["sso-form"]
    form["client_id"], form["client_secret"] = client[0].client_id, client[1]
    form["hosted_domains"] = "acme.example, it@acme-group.example"
    form["sso_enabled"] = True
    page = form.submit(status=400)
    assert "is an email address" in page.html.select_one("#sso-hosted_domains-error").text
    assert saved(dbsession, tenant) is None

    form = page.forms["sso-form"]
    form["client_secret"] = client[1]
    form["hosted_domains"] = "Acme.example, acme-group.example"
    form["sso_enabled"] = True
    done = form.submit(status=303).follow()
    connection = saved(dbsession, tenant)
    assert connection.sso_enabled
    assert connection.settings["hosted_domains"] == "acme.example,acme-group.example"
    assert not connection.sso_create_accounts  # off unless the admin turns it on
    # The secret cannot be checked before a sign-in, and the page says so.
    assert "checked at the first sign-in" in done.text
    assert done.html.select_one("#sso-hosted_domains")["value"] == "acme.example,acme-group.example"


def test_production_authority_and_issuer():
    google = google_provider()
    assert google.expected_issuer({}, {}) == "https://accounts.google.com"
    assert google.discovery_url({}, {}) == (
        "https://accounts.google.com/.well-known/openid-configuration")
    assert google.expected_issuers({}, {}) == ("https://accounts.google.com", "accounts.google.com")


def test_people_are_keyed_by_googles_account_id():
    google = google_provider()
    assert google.identity_of({"iss": "https://accounts.google.com", "sub": "1099"}) == (
        "https://accounts.google.com", "1099")
    # Google's other documented spelling of its issuer names the same account.
    assert google.identity_of({"iss": "accounts.google.com", "sub": "1099"}) == (
        "https://accounts.google.com", "1099")
    with pytest.raises(ValueError):
        google.identity_of({"iss": "https://accounts.google.com"})


def test_only_a_verified_email_is_a_login_hint():
    google = google_provider()
    claims = {"email": "sam@acme.example", "name": "Sam", "hd": "acme.example"}
    assert google.profile_from_claims({**claims, "email_verified": True}).login_hints == (
        "sam@acme.example",)
    for unverified in (False, "true", None):
        profile = google.profile_from_claims({**claims, "email_verified": unverified})
        assert profile.login_hints == () and profile.email is None


def test_google_declares_no_scim(google_app):
    google = google_app.registry["providers"].get("google")
    assert google.supports_sso and not google.supports_scim
    assert google_app.registry["providers"].get("google", offering="scim") is None


def test_the_environment_sets_the_authority(database_url, monkeypatch):
    monkeypatch.setenv("TRAINMEUK_GOOGLE_AUTHORITY", "https://accounts.gateway.example/")
    app = configure(make_settings(database_url, **{"trainmeuk.plugins.extra": [google_plugin()]})
                    ).make_wsgi_app()
    try:
        google = app.registry["providers"].get("google")
        assert google.expected_issuer({}, app.registry.settings) == "https://accounts.gateway.example"
    finally:
        close_app(app)


@pytest.mark.parametrize("authority", ["http://accounts.google.com", "accounts.google.com",
                                       "https://accounts.google.com/o/oauth2"])
def test_a_bad_authority_stops_start_up(authority, database_url):
    settings = make_settings(database_url, **{"trainmeuk.plugins.extra": [google_plugin()],
                                              "trainmeuk.google.authority": authority})
    with pytest.raises(ConfigurationError, match="TRAINMEUK_GOOGLE_AUTHORITY"):
        configure(settings)


def test_the_page_says_what_saving_checks(google_app, tenant, factory):
    admin = factory.admin(tenant)
    browser = tenant_app(google_app, tenant)
    assert sign_in(browser, admin.email).status_int == 303
    sso = browser.get("/admin/settings/sso", {"provider": "google"}).html.select_one("#sso").text
    assert "Google cannot check the Client ID and Secret before someone signs in" in sso
    assert "use Test sign-in" in sso


def test_the_page_speaks_of_no_scim(google_app, tenant, factory):
    """Google pushes no SCIM: the page neither suggests setting it up nor says accounts
    may come from it."""
    admin = factory.admin(tenant)
    browser = tenant_app(google_app, tenant)
    assert sign_in(browser, admin.email).status_int == 303
    page = browser.get("/admin/settings/sso", {"provider": "google"})
    assert "set up both" not in page.text and "by SCIM" not in page.text
    assert "does not create or update TrainMeUK accounts through SCIM" in page.text
    assert "(created by hand)" in page.html.select_one("#sso").text
