"""The Okta provider's addresses and its application setting ``base_url_template``
(``trainmeuk.okta.base_url_template`` / ``TRAINMEUK_OKTA_BASE_URL_TEMPLATE``)."""

from __future__ import annotations

import pytest

from trainmeuk_identity import configure
from trainmeuk_identity.settings import ConfigurationError

from ...support.app import close_app, make_settings
from ...support.okta import okta_plugin, okta_provider


def test_production_addresses_of_both_kinds_of_authorization_server():
    okta = okta_provider()
    org = {"domain": "acme.okta.com", "authorization_server": ""}
    custom = {"domain": "acme.okta.com", "authorization_server": "default"}
    assert okta.expected_issuer(org, {}) == "https://acme.okta.com"
    assert okta.discovery_url(org, {}) == "https://acme.okta.com/.well-known/openid-configuration"
    assert okta.expected_issuer(custom, {}) == "https://acme.okta.com/oauth2/default"
    assert okta.discovery_url(custom, {}) == (
        "https://acme.okta.com/oauth2/default/.well-known/openid-configuration")


def test_people_are_keyed_by_org_and_okta_user_id_whatever_the_server():
    okta = okta_provider()
    org = okta.identity_of({"iss": "https://acme.okta.com", "sub": "00u1"})
    custom = okta.identity_of({"iss": "https://acme.okta.com/oauth2/default", "sub": "00u1"})
    assert org == custom == ("https://acme.okta.com", "00u1")
    with pytest.raises(ValueError):
        okta.identity_of({"iss": "https://acme.okta.com"})


def test_only_a_verified_email_is_a_login_hint():
    okta = okta_provider()
    claims = {"email": "sam@acme.example", "preferred_username": "sam@acme.example", "name": "Sam"}
    assert okta.profile_from_claims({**claims, "email_verified": True}).login_hints == (
        "sam@acme.example",)
    for unverified in (False, "true", None):
        profile = okta.profile_from_claims({**claims, "email_verified": unverified})
        assert profile.login_hints == () and profile.email is None


def test_the_environment_sets_the_base_url(database_url, monkeypatch):
    monkeypatch.setenv("TRAINMEUK_OKTA_BASE_URL_TEMPLATE", "https://gateway.example/okta/{domain}")
    app = configure(make_settings(database_url, **{"trainmeuk.plugins.extra": [okta_plugin()]})
                    ).make_wsgi_app()
    try:
        okta = app.registry["providers"].get("okta")
        assert okta.expected_issuer({"domain": "acme.okta.com"}, app.registry.settings) == (
            "https://gateway.example/okta/acme.okta.com")
    finally:
        close_app(app)


@pytest.mark.parametrize("template", ["http://{domain}", "https://okta.example"])
def test_a_bad_base_url_stops_start_up(template, database_url):
    settings = make_settings(database_url, **{"trainmeuk.plugins.extra": [okta_plugin()],
                                              "trainmeuk.okta.base_url_template": template})
    with pytest.raises(ConfigurationError, match="TRAINMEUK_OKTA_BASE_URL_TEMPLATE"):
        configure(settings)
