"""The save-time check of a Google connection: Google's discovery document is reachable
and names exactly the expected issuer. Google offers no way to check a Client ID and
Secret without a person signing in, so the check says they will be checked at the
first sign-in (a warning that does not stop the save)."""

from __future__ import annotations

from ...support.google import callback_uri, save


def client_of(fake_google, tenant):
    return fake_google.add_google_client({callback_uri(tenant)})


def values(client):
    return {"client_id": client.client_id, "hosted_domains": "acme.example"}


def test_a_right_connection_passes_and_says_the_secret_waits_for_a_sign_in(
        session_factory, google_settings, fake_google, tenant):
    client, secret = client_of(fake_google, tenant)
    token_requests = fake_google.counts["token"]
    outcome = save(session_factory, google_settings, tenant, values(client), secret)
    assert outcome.saved, outcome
    found, credentials = outcome.checks
    assert found.ok and fake_google.authority in found.message
    assert not credentials.ok and not credentials.conclusive
    assert "checked at the first sign-in" in credentials.message
    assert "Test sign-in" in credentials.message
    # Nothing was asked of the token endpoint: Google has no grant to ask with.
    assert fake_google.counts["token"] == token_requests


def test_an_issuer_that_is_not_googles_refuses_enabling(session_factory, google_settings,
                                                        fake_google, tenant):
    client, secret = client_of(fake_google, tenant)
    fake_google.metadata_overrides["issuer"] = "https://accounts.google.com"
    outcome = save(session_factory, google_settings, tenant, values(client), secret)
    assert not outcome.saved
    [check] = outcome.checks
    assert not check.ok and check.conclusive
    assert "'https://accounts.google.com'" in check.message and fake_google.authority in check.message


def test_google_unreachable_lets_the_admin_save_with_a_warning(session_factory, google_settings,
                                                               fake_google, tenant):
    client, secret = client_of(fake_google, tenant)
    fake_google.down = True
    outcome = save(session_factory, google_settings, tenant, values(client), secret)
    assert outcome.saved
    [check] = outcome.checks
    assert not check.ok and not check.conclusive and "Could not reach Google" in check.message
