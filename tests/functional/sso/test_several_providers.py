"""A tenant may use several identity providers at once, and core treats a third-party
provider exactly as it treats Entra: its own fields (a client identifier not called
``client_id``), its own application setting, its own refusal of claims, its own words
on every page. The second provider is ``tests/support/example_provider.py``, registered
as a plugin, on a directory of the fake authority."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from trainmeuk_identity import configure
from trainmeuk_identity.models import AuditEvent, SsoIdentity, Tenant, TenantScope, UserSource
from trainmeuk_identity.settings import load_settings
from trainmeuk_identity.sso.configure import save_sso_settings
from trainmeuk_identity.sso.oidc import HttpProbe

from ...support import example_provider
from ...support.app import BASE_DOMAIN, close_app, make_settings, sign_in, tenant_app
from ...support.example_provider import NOT_VERIFIED, ExampleProvider
from ...support.sso import connect, no_session, to_callback


@pytest.fixture(scope="module")
def settings(database_url: str, smtp_server: Any, fake_entra: Any) -> dict[str, Any]:
    return make_settings(database_url, **{
        # Entra's authority under its old key; the example provider's under the new scheme.
        "trainmeuk.entra_authority": fake_entra.url,
        "trainmeuk.example.authority": fake_entra.url,
        "mail.port": str(smtp_server.port),
        "trainmeuk.plugins.extra": [example_provider]})


@pytest.fixture(scope="module")
def two_app(settings: dict[str, Any]) -> Iterator[Any]:
    application = configure(dict(settings)).make_wsgi_app()
    yield application
    close_app(application)


def connect_example(session_factory, settings, fake, tenant: Tenant, *, enable: bool = True):
    directory = fake.add_directory()
    uri = f"http://{tenant.subdomain}.{BASE_DOMAIN}/sso/example/callback"
    app, secret = fake.add_app(directory, {uri})
    with session_factory() as session, session.begin():
        outcome = save_sso_settings(
            TenantScope(session, tenant.id), session.get(Tenant, tenant.id), ExampleProvider(),
            values={"directory": directory.tid, "app_id": app.client_id}, secret=secret,
            enable=enable, create_accounts=False, require_sso=False,
            app_settings=load_settings(settings, environ={}), probe=HttpProbe())
        assert outcome.saved, outcome
        assert [c.message for c in outcome.checks] == ["Directory found.", "App ID and secret accepted."]
    return directory, app


def test_each_provider_reads_its_own_application_setting(two_app, fake_entra):
    settings = two_app.registry.settings
    assert settings["trainmeuk.example.authority"] == fake_entra.url
    assert settings["trainmeuk.entra.authority"] == fake_entra.url  # from the old key


def test_the_sign_in_page_shows_one_button_per_enabled_provider(
        two_app, tenant, session_factory, settings, fake_entra):
    connect(session_factory, settings, fake_entra, tenant)
    connect_example(session_factory, settings, fake_entra, tenant)
    page = tenant_app(two_app, tenant).get("/login")
    buttons = [(a.text.strip(), a["href"]) for a in page.html.select("a.sso")]
    assert buttons == [("Sign in with Microsoft", "/sso/entra/login"),
                       ("Sign in with Example", "/sso/example/login")]


def test_a_disabled_provider_shows_no_button(two_app, tenant, session_factory, settings, fake_entra):
    connect(session_factory, settings, fake_entra, tenant)
    connect_example(session_factory, settings, fake_entra, tenant, enable=False)
    page = tenant_app(two_app, tenant).get("/login")
    assert [a.text.strip() for a in page.html.select("a.sso")] == ["Sign in with Microsoft"]
    tenant_app(two_app, tenant).get("/sso/example/login", status=404)


def test_sign_in_with_the_second_provider_uses_its_client_id_field(
        two_app, tenant, session_factory, settings, fake_entra, factory, dbsession):
    directory, app = connect_example(session_factory, settings, fake_entra, tenant)
    account = factory.user(tenant, "kim@acme.example", name="Kim")
    person = fake_entra.add_user(directory, "kim@acme.example", "Kim")
    fake_entra.claim_overrides.update(email_verified=True)
    fake_entra.sign_in_as(directory, person)
    web = tenant_app(two_app, tenant)
    start = web.get("/sso/example/login", status=302)
    query = parse_qs(urlsplit(start.location).query)
    assert query["client_id"] == [app.client_id]
    assert query["redirect_uri"] == [f"http://{tenant.subdomain}.{BASE_DOMAIN}/sso/example/callback"]
    # The provider's hint is sent; its attempt to set core's own parameters is not.
    assert query["domain_hint"] == [directory.tid]
    assert query["state"] != ["chosen-by-plugin"] and len(query["state"][0]) >= 32
    provider = two_app.registry["providers"].get("example")
    calls_before = provider.profile_calls
    web.get(to_callback(start.location), status=303)
    assert provider.profile_calls == calls_before + 1  # the profile is read once per callback
    assert web.get("/api/session").json["user"]["id"] == account.id
    link = dbsession.scalar(select(SsoIdentity).where(SsoIdentity.user_id == account.id))
    # The default identity: the issuer and the subject.
    assert (link.provider, link.issuer_tenant) == ("example", f"{fake_entra.url}/{directory.tid}/v2.0")


@pytest.mark.parametrize("spelling,status", [("without scheme", 303), ("as a list", 400)])
def test_every_issuer_the_provider_names_is_accepted_exactly(
        two_app, tenant, session_factory, settings, fake_entra, factory, spelling, status):
    directory, _ = connect_example(session_factory, settings, fake_entra, tenant)
    factory.user(tenant, "max@acme.example")
    person = fake_entra.add_user(directory, "max@acme.example", "Max")
    issuer = f"{fake_entra.url}/{directory.tid}/v2.0"
    fake_entra.claim_overrides.update(
        email_verified=True,
        iss=issuer.split("://", 1)[1] if spelling == "without scheme" else [issuer])
    fake_entra.sign_in_as(directory, person)
    web = tenant_app(two_app, tenant)
    start = web.get("/sso/example/login", status=302)
    web.get(to_callback(start.location), status=status)
    assert no_session(web) is (status != 303)


def test_the_provider_may_refuse_valid_claims_with_its_reason(
        two_app, tenant, session_factory, settings, fake_entra, factory, dbsession):
    directory, _ = connect_example(session_factory, settings, fake_entra, tenant)
    factory.user(tenant, "lee@acme.example")
    person = fake_entra.add_user(directory, "lee@acme.example", "Lee")
    fake_entra.claim_overrides.update(email_verified=False)
    fake_entra.sign_in_as(directory, person)
    web = tenant_app(two_app, tenant)
    start = web.get("/sso/example/login", status=302)
    page = web.get(to_callback(start.location), status=403)
    assert NOT_VERIFIED in page.text
    assert no_session(web)
    assert not dbsession.scalars(select(SsoIdentity).where(SsoIdentity.tenant_id == tenant.id)).all()
    failed = dbsession.scalars(select(AuditEvent).where(
        AuditEvent.tenant_id == tenant.id, AuditEvent.action == "sso.login.failed")).all()
    assert [e.detail["reason"] for e in failed] == ["refused_claims"]


def test_the_settings_page_speaks_the_providers_words(two_app, tenant, factory):
    admin = factory.admin(tenant)
    web = tenant_app(two_app, tenant)
    sign_in(web, admin.email)
    page = web.get("/admin/settings/sso", {"provider": "example"})
    labels = [label.text.strip() for label in page.html.select("#sso-form label")]
    assert labels[:3] == ["Directory", "App ID", "App secret"]
    assert "Save Directory, App ID and App secret to test sign-in." in page.text
    assert ("On Save, TrainMeUK checks the settings with Example ID. If it cannot be reached, "
            "the settings are saved with a warning.") in page.text
    assert "Client ID and Secret are accepted" not in page.text
    scim = page.html.find(id="scim")
    assert "Paste this into Provisioning URL in Example ID." in scim.get_text(" ", strip=True)
    guide = page.html.find(id="example-scim-guide")
    assert guide.text == "In Example ID: connect provisioning"
    steps = [li for li in guide.find_next("ol").find_all("li")]
    assert steps[1].find("a")["href"] == "/admin/provisioning-log"
    assert steps[2].text == "<b>not bold</b>"  # plain text is escaped, never HTML
    assert page.html.find(id="scim-non-gallery-note") is None
    entra = web.get("/admin/settings/sso", {"provider": "entra"})
    assert entra.html.find(id="scim-non-gallery-note") is not None


def test_scim_errors_name_the_providers_own_fields(two_app, tenant):
    web = tenant_app(two_app, tenant)
    example = web.get("/scim/example/v2/Users", status=401).json["detail"]
    assert "In Example ID, paste the SCIM Bearer Token from TrainMeUK" in example
    assert example.endswith("into API key.")
    entra = web.get("/scim/entra/v2/Users", status=401).json["detail"]
    assert "In Entra, paste the SCIM Bearer Token" in entra and entra.endswith("into Secret Token.")


def test_user_management_names_the_provisioning_directory(two_app, tenant, factory):
    admin = factory.admin(tenant)
    factory.user(tenant, "pat@acme.example", name="Pat", password=None,
                 source=UserSource.scim, scim_provider="example")
    web = tenant_app(two_app, tenant)
    sign_in(web, admin.email)
    rows = {r.find_all("td")[1].text: r.find_all("td")[5].text
            for r in web.get("/admin/users").html.select("#users tbody tr")}
    assert rows["pat@acme.example"] == "Example Directory (SCIM)"
