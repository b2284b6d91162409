"""Admin → Settings → SSO & Provisioning, SSO part: values, checks, secrets, toggles."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from trainmeuk_identity.connections import get_connection
from trainmeuk_identity.models import AuditEvent, Tenant, TenantScope

from ...support.app import sign_in, tenant_app
from ...support.fake_entra import new_guid


@pytest.fixture
def admin_web(sso_app, tenant, factory):
    admin = factory.admin(tenant, name="Ada Admin")
    web = tenant_app(sso_app, tenant)
    assert sign_in(web, admin.email).status_int == 303
    return web


@pytest.fixture
def directory(fake_entra, tenant):
    directory = fake_entra.add_directory()
    app, secret = fake_entra.add_app(directory, {f"http://{tenant.subdomain}.localhost/sso/entra/callback"})
    return directory, app, secret


def sso_form(web):
    return web.get("/admin/settings/sso").forms["sso-form"]


def fill(web, tid, client_id, secret="", enable=True, **flags):
    form = sso_form(web)
    form["tenant_id"], form["client_id"], form["client_secret"] = tid, client_id, secret
    form["sso_enabled"] = enable
    for name, value in flags.items():
        form[name] = value
    return form.submit(status="*")


def connection_of(dbsession, tenant):
    dbsession.expire_all()
    return get_connection(TenantScope(dbsession, tenant.id), "entra")


def test_page_shows_the_exact_redirect_uri_with_copy_button(sso_app, tenant, factory):
    admin = factory.admin(tenant)
    web = tenant_app(sso_app, tenant, HTTP_HOST=f"{tenant.subdomain}.localhost:6543")
    sign_in(web, admin.email)
    page = web.get("/admin/settings/sso")
    uri = page.html.select_one("#sso-redirect-uri")["value"]
    assert uri == f"http://{tenant.subdomain}.localhost:6543/sso/entra/callback"
    assert page.html.select_one("[data-copy='#sso-redirect-uri']").text == "Copy"
    assert "Web" in page.html.select_one("#sso").text
    assert "ID tokens" in page.text and "not needed" in page.text
    for code in ("AADSTS50011", "AADSTS700016", "AADSTS50105", "AADSTS90094"):
        assert code in page.html.select_one("#sso-troubleshooting").text
    assert uri in page.html.select_one("#sso-troubleshooting").text


def test_save_checks_with_microsoft_and_keeps_the_secret_write_only(
        admin_web, tenant, directory, dbsession):
    d, app, secret = directory
    saved = fill(admin_web, d.tid.upper(), app.client_id, secret)
    assert saved.status_int == 303
    page = saved.follow()
    assert "SSO settings saved." in page.text
    assert "Client ID and Client Secret accepted" in page.text
    assert secret not in page.text
    assert f"…{secret[-4:]}" in page.html.select_one("#sso-secret-status").text
    connection = connection_of(dbsession, tenant)
    assert connection.settings == {"tenant_id": d.tid, "client_id": app.client_id}
    assert connection.sso_enabled
    assert secret not in connection.client_secret_encrypted
    assert connection.client_secret_suffix == secret[-4:]
    events = dbsession.scalars(select(AuditEvent).where(AuditEvent.tenant_id == tenant.id,
                                                        AuditEvent.action == "sso.settings.saved")).all()
    assert len(events) == 1 and secret not in str(events[0].detail)
    assert "client_secret" in events[0].detail["changed"]

    # A blank secret keeps the saved one (and the check still passes with it).
    again = fill(admin_web, d.tid, app.client_id, "", enable=True)
    assert again.status_int == 303
    assert connection_of(dbsession, tenant).client_secret_encrypted == connection.client_secret_encrypted
    # The sign-in page now offers Microsoft.
    anonymous = tenant_app(admin_web.app, tenant)
    assert "Sign in with Microsoft" in anonymous.get("/login").text


@pytest.mark.parametrize("alias", ["common", "organizations", "consumers"])
def test_multi_tenant_aliases_are_refused_with_an_explanation(admin_web, directory, alias):
    _d, app, secret = directory
    page = fill(admin_web, alias, app.client_id, secret)
    assert page.status_int == 400
    assert "is not your directory's ID" in page.html.select_one("#sso-tenant_id-error").text


def test_values_must_be_guids(admin_web, directory):
    _d, _app, secret = directory
    page = fill(admin_web, "acme.onmicrosoft.com", "not-a-guid", secret)
    assert page.status_int == 400
    assert page.html.select_one("#sso-tenant_id-error") and page.html.select_one("#sso-client_id-error")
    assert page.html.select_one("#sso-client_id")["value"] == "not-a-guid"  # what was typed stays


def test_the_secrets_id_is_recognised(admin_web, directory):
    d, app, _ = directory
    page = fill(admin_web, d.tid, app.client_id, new_guid())
    assert page.status_int == 400
    assert "secret's ID, not its Value" in page.html.select_one("#sso-client_secret-error").text


def test_unknown_tenant_is_explained(admin_web, directory, tenant, dbsession):
    _d, app, secret = directory
    page = fill(admin_web, new_guid(), app.client_id, secret)
    assert page.status_int == 400
    assert "was not found" in page.html.select_one("#sso-refused").text
    assert connection_of(dbsession, tenant) is None


def test_app_not_in_that_directory_is_explained(admin_web, directory):
    d, _app, secret = directory
    page = fill(admin_web, d.tid, new_guid(), secret)
    assert page.status_int == 400
    assert "AADSTS700016" in page.html.select_one("#sso-refused").text


def test_wrong_secret_is_explained(admin_web, directory):
    d, app, _ = directory
    page = fill(admin_web, d.tid, app.client_id, "Abc8Q~not-the-real-secret-value-at-all")
    assert page.status_int == 400
    text = page.html.select_one("#sso-refused").text
    assert "AADSTS7000215" in text and "ID was pasted instead of its Value" in text


def test_unreachable_authority_saves_with_a_warning(admin_web, directory, fake_entra, tenant, dbsession):
    d, app, secret = directory
    fake_entra.down = True
    saved = fill(admin_web, d.tid, app.client_id, secret)
    assert saved.status_int == 303
    page = saved.follow()
    assert "Saved, but not verified" in page.text
    assert connection_of(dbsession, tenant).sso_enabled


def test_everyone_else_must_use_sso(admin_web, sso_app, directory, tenant, factory, dbsession):
    d, app, secret = directory
    assert fill(admin_web, d.tid, app.client_id, secret, require_sso=True).status_int == 303
    dbsession.expire_all()
    assert dbsession.get(Tenant, tenant.id).require_sso
    staff = factory.user(tenant)
    refused = sign_in(tenant_app(sso_app, tenant), staff.email)
    assert refused.status_int == 403
    admin_again = factory.admin(tenant)
    assert sign_in(tenant_app(sso_app, tenant), admin_again.email).status_int == 303


def test_require_sso_needs_sso_enabled(admin_web, directory):
    d, app, secret = directory
    page = fill(admin_web, d.tid, app.client_id, secret, enable=False, require_sso=True)
    assert page.status_int == 400
    assert page.html.select_one("#sso-require-sso-error")


def test_disabling_sso_needs_no_check(admin_web, directory, tenant, fake_entra, dbsession):
    d, app, secret = directory
    fill(admin_web, d.tid, app.client_id, secret)
    app.secrets = set()  # the secret has since been deleted in Entra
    assert fill(admin_web, d.tid, app.client_id, "", enable=False).status_int == 303
    assert not connection_of(dbsession, tenant).sso_enabled


def test_save_needs_csrf_and_an_admin(sso_app, tenant, factory, directory):
    d, app, _secret = directory
    admin = factory.admin(tenant)
    web = tenant_app(sso_app, tenant)
    sign_in(web, admin.email)
    web.post("/admin/settings/sso/entra", {"tenant_id": d.tid, "client_id": app.client_id},
             status=400)
    staff = factory.user(tenant)
    other = tenant_app(sso_app, tenant)
    sign_in(other, staff.email)
    token = other.get("/").forms[0]["csrf_token"].value
    other.post("/admin/settings/sso/entra", {"csrf_token": token, "tenant_id": d.tid}, status=403)


def test_expired_secret_is_explained(admin_web, directory):
    d, app, secret = directory
    app.expired_secrets = {secret}
    page = fill(admin_web, d.tid, app.client_id, secret)
    assert page.status_int == 400
    assert "AADSTS7000222" in page.html.select_one("#sso-refused").text
    assert "expired" in page.html.select_one("#sso-refused").text
