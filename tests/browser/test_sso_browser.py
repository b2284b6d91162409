"""Sign in with Microsoft in real Chromium, against the fake Entra authority."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from trainmeuk_identity import configure

from ..support.app import close_app, make_settings
from ..support.browser import sign_in_with_password
from ..support.fake_entra import FakeEntra
from ..support.servers import LiveServer
from ..support.sso import connect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeEntra]:
    server = FakeEntra().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def settings(database_url: str, fake: FakeEntra) -> dict[str, Any]:
    return make_settings(database_url, **{"trainmeuk.entra_authority": fake.url})


@pytest.fixture(scope="module")
def sso_live(settings: dict[str, Any]) -> Iterator[LiveServer]:
    application = configure(dict(settings)).make_wsgi_app()
    server = LiveServer(application).start()
    yield server
    server.stop()
    close_app(application)


def test_sign_in_with_microsoft_in_chromium(page, sso_live, fake, settings, tenant, factory,
                                            session_factory):
    base = sso_live.url(tenant.subdomain)
    connected = connect(session_factory, settings, fake, tenant,
                        extra_redirect_uris={f"{base}/sso/entra/callback"})
    factory.user(tenant, "sam@acme.example", name="Sam Staff")
    fake.sign_in_as(connected.directory, fake.add_user(connected.directory, "sam@acme.example"))

    page.goto(base + "/login")
    page.click("text=Sign in with Microsoft")
    page.wait_for_url(base + "/")
    assert "Welcome, Sam Staff" in page.content()
    assert page.evaluate("fetch('/api/session').then(r => r.json())")["user"]["email"] == "sam@acme.example"


def test_redirect_uri_copy_button_copies_the_exact_uri(page, sso_live, tenant, factory):
    base = sso_live.url(tenant.subdomain)
    admin = factory.admin(tenant)
    sign_in_with_password(page, base, admin.email)
    page.goto(base + "/admin/settings/sso")
    page.click("#sso-copy-redirect-uri")
    assert page.evaluate("navigator.clipboard.readText()") == f"{base}/sso/entra/callback"


def test_test_sign_in_opens_a_new_tab_and_keeps_the_admin_signed_in(
        page, sso_live, fake, settings, tenant, factory, session_factory):
    base = sso_live.url(tenant.subdomain)
    connected = connect(session_factory, settings, fake, tenant, enable=False,
                        extra_redirect_uris={f"{base}/sso/entra/callback"})
    admin = factory.admin(tenant, name="Ada Admin")
    sign_in_with_password(page, base, admin.email)
    page.goto(base + "/admin/settings/sso")
    fake.sign_in_as(connected.directory, fake.add_user(connected.directory, "someone@acme.example"))
    with page.context.expect_page() as opened:
        page.click("#sso-test")
    tab = opened.value
    tab.wait_for_selector("#sso-test-result")
    assert "someone@acme.example" in tab.content()
    page.reload()
    assert page.evaluate("fetch('/api/session').then(r => r.json())")["user"]["id"] == admin.id
