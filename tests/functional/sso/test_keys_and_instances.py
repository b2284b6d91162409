"""Signing keys, caches, and app processes sharing the database."""

from __future__ import annotations

from ...support.app import tenant_app
from ...support.fake_entra import FakeEntra
from ...support.sso import no_session, sign_in_with_microsoft, start, to_callback


def sign_out(web):
    web.post("/logout", {"csrf_token": web.get("/").forms[0]["csrf_token"].value}, status=303)


def test_a_cached_callback_fetches_no_discovery_or_keys(web, connected, fake_entra, factory):
    factory.user(connected.tenant, "sam@acme.example")
    person = fake_entra.add_user(connected.directory, "sam@acme.example")
    sign_in_with_microsoft(web, fake_entra, connected.directory, person, status=303)
    sign_out(web)
    fake_entra.sign_in_as(connected.directory, person)
    callback = to_callback(start(web).location)
    before = dict(fake_entra.counts)
    web.get(callback, status=303)
    assert fake_entra.counts["discovery"] == before["discovery"]
    assert fake_entra.counts["jwks"] == before["jwks"]
    assert fake_entra.counts["token"] == before["token"] + 1


def test_key_rotation_keeps_sign_in_working(web, connected, fake_entra, factory):
    factory.user(connected.tenant, "sam@acme.example")
    person = fake_entra.add_user(connected.directory, "sam@acme.example")
    sign_in_with_microsoft(web, fake_entra, connected.directory, person, status=303)
    sign_out(web)
    fetched = fake_entra.counts["jwks"]
    fake_entra.rotate_keys(connected.directory, keep_old=False)  # a new kid signs from now on
    sign_in_with_microsoft(web, fake_entra, connected.directory, person, status=303)
    assert fake_entra.counts["jwks"] == fetched + 1
    assert not no_session(web)


def test_an_unknown_key_id_refetches_keys_at_most_once(web, connected, fake_entra, factory):
    factory.user(connected.tenant, "sam@acme.example")
    person = fake_entra.add_user(connected.directory, "sam@acme.example")
    sign_in_with_microsoft(web, fake_entra, connected.directory, person, status=303)
    sign_out(web)
    fake_entra.sign_with = FakeEntra.new_key()  # a key id the directory never published
    fetched = fake_entra.counts["jwks"]
    for _ in range(3):
        assert sign_in_with_microsoft(web, fake_entra, connected.directory, person).status_int == 400
    assert fake_entra.counts["jwks"] == fetched + 1
    assert no_session(web)


def test_begin_on_one_app_process_and_finish_on_another(web, sso_app_b, connected, fake_entra,
                                                        factory):
    account = factory.user(connected.tenant, "sam@acme.example")
    person = fake_entra.add_user(connected.directory, "sam@acme.example")
    fake_entra.sign_in_as(connected.directory, person)
    callback = to_callback(start(web, "/admin").location)  # process A sets the state cookie
    other_process = tenant_app(sso_app_b, connected.tenant)
    for cookie in web.cookiejar:  # the same browser, its request routed to process B
        other_process.cookiejar.set_cookie(cookie)
    done = other_process.get(callback, status=303)
    assert done.location.endswith("/admin")
    assert other_process.get("/api/session").json["user"]["id"] == account.id
    # ... and process A refuses the same answer: the state was used once.
    assert web.get(callback, status=400)
