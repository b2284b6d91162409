"""An admin's "Test sign-in": the real flow, the outcome shown, the admin's session kept."""

from __future__ import annotations

from sqlalchemy import func, select

from trainmeuk_identity.models import SsoIdentity

from ...support.app import sign_in, tenant_app
from ...support.sso import connect, start, to_callback


def test_test_sign_in_shows_claims_and_the_account_it_would_link(
        sso_app, tenant, fake_entra, factory, session_factory, sso_settings, dbsession):
    connected = connect(session_factory, sso_settings, fake_entra, tenant, enable=False)
    admin = factory.admin(tenant)
    staff = factory.user(tenant, "sam@acme.example", name="Sam Staff")
    web = tenant_app(sso_app, tenant)
    assert sign_in(web, admin.email).status_int == 303
    settings = web.get("/admin/settings/sso")
    test_link = settings.html.select_one("#sso-test")
    assert test_link["target"] == "_blank"

    person = fake_entra.add_user(connected.directory, "sam@acme.example", "Sam Staff")
    fake_entra.sign_in_as(connected.directory, person)
    authorize = start(web, mode="test").location
    assert fake_entra.counts["authorize"] >= 0
    result = web.get(to_callback(authorize), status=200)
    assert fake_entra.last_authorize["prompt"] == "select_account"
    assert "Would link to" in result.text and "Sam Staff" in result.text
    assert person.oid in result.text and connected.tid in result.text
    # The admin is still the admin, and nothing was linked.
    assert web.get("/api/session").json["user"]["id"] == admin.id
    assert dbsession.scalar(select(func.count()).select_from(SsoIdentity).where(
        SsoIdentity.user_id == staff.id)) == 0


def test_test_sign_in_shows_a_refusal(sso_app, tenant, fake_entra, factory, session_factory,
                                      sso_settings):
    connected = connect(session_factory, sso_settings, fake_entra, tenant)
    admin = factory.admin(tenant)
    web = tenant_app(sso_app, tenant)
    sign_in(web, admin.email)
    person = fake_entra.add_user(connected.directory, "nobody@acme.example")
    fake_entra.sign_in_as(connected.directory, person)
    result = web.get(to_callback(start(web, mode="test").location), status=200)
    assert "Would be refused" in result.text
    assert web.get("/api/session").json["user"]["id"] == admin.id


def test_only_admins_can_test(sso_app, tenant, fake_entra, factory, session_factory, sso_settings):
    connect(session_factory, sso_settings, fake_entra, tenant)
    staff = factory.user(tenant)
    web = tenant_app(sso_app, tenant)
    sign_in(web, staff.email)
    web.get("/sso/entra/login", params={"mode": "test"}, status=403)
