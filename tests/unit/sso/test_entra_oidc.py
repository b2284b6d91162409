"""Entra's OpenID Connect specifics."""

from __future__ import annotations

import pytest

from trainmeuk_identity.providers.base import AuthorityError
from trainmeuk_identity.providers.entra import EntraProvider

APP = {"trainmeuk.entra_authority": "https://login.microsoftonline.us/"}
CONN = {"tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "client_id": "00001111-aaaa-2222-bbbb-3333cccc4444"}


def test_endpoints_follow_the_authority_setting():
    p = EntraProvider()
    assert p.discovery_url(CONN, APP) == ("https://login.microsoftonline.us/72f988bf-86f1-41af-91ab-"
                                          "2d7cd011db47/v2.0/.well-known/openid-configuration")
    assert p.expected_issuer(CONN, APP) == "https://login.microsoftonline.us/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"
    assert p.pinned_claims(CONN) == {"tid": CONN["tenant_id"], "ver": "2.0"}
    consent = p.admin_consent_url(CONN, APP, "https://acme.example/sso/entra/callback")
    assert consent.startswith("https://login.microsoftonline.us/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0/adminconsent?")
    assert "client_id=00001111-aaaa-2222-bbbb-3333cccc4444" in consent


def test_identity_is_tid_and_oid_never_the_email():
    p = EntraProvider()
    assert p.identity_of({"tid": "T", "oid": "O", "email": "x@y"}) == ("t", "o")
    with pytest.raises(ValueError, match="profile"):
        p.identity_of({"tid": "T", "email": "x@y", "sub": "s"})


def test_profile_uses_email_and_preferred_username_as_hints_only():
    profile = EntraProvider().profile_from_claims(
        {"email": "a@x.example", "preferred_username": "b@x.example", "name": "A B"})
    assert profile.login_hints == ("a@x.example", "b@x.example")
    assert profile.email == "a@x.example" and profile.display_name == "A B"


@pytest.mark.parametrize("code,title", [
    ("AADSTS65001", "Needs admin approval"), ("AADSTS7000215", "Client secret not accepted"),
    ("AADSTS7000222", "Client secret expired"), ("AADSTS50105", "You are not assigned to TrainMeUK"),
])
def test_aadsts_codes_are_explained(code, title):
    explained = EntraProvider().explain_error("invalid_client", f"{code}: something. Trace ID: x")
    assert explained.title == title and explained.code == code


def test_secret_id_hint_for_7000215():
    explained = EntraProvider().explain_error("invalid_client", "AADSTS7000215: Invalid client secret.")
    assert "ID was pasted instead of its Value" in explained.what_happened


class Probe:
    def __init__(self, discover=None, token=None):
        self._discover, self._token = discover, token

    def discover(self, url):
        if isinstance(self._discover, Exception):
            raise self._discover
        return self._discover

    def client_credentials(self, endpoint, client_id, secret, scope):
        assert scope == "https://graph.microsoft.us/.default"
        if isinstance(self._token, Exception):
            raise self._token
        return {"access_token": "x"}


GOOD = {"issuer": "https://login.microsoftonline.us/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
        "token_endpoint": "https://t", "msgraph_host": "graph.microsoft.us"}


def test_check_connection_outcomes():
    p = EntraProvider()
    ok = p.check_connection(CONN, "s3cr~et", APP, Probe(GOOD))
    assert [c.ok for c in ok] == [True, True]
    down = p.check_connection(CONN, "s", APP, Probe(AuthorityError("timeout", unreachable=True)))
    assert not down[0].ok and not down[0].conclusive
    missing = p.check_connection(CONN, "s", APP, Probe(AuthorityError("AADSTS90002: Tenant not found", status=400)))
    assert not missing[0].ok and missing[0].conclusive
    bad = p.check_connection(CONN, "s", APP, Probe(GOOD, AuthorityError("AADSTS700016: not found", status=400)))
    assert bad[-1].conclusive and "AADSTS700016" in bad[-1].message
    odd = p.check_connection(CONN, "s", APP, Probe(GOOD, AuthorityError("AADSTS123: odd", status=400)))
    assert not odd[-1].ok and not odd[-1].conclusive
