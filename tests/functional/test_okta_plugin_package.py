"""A provider shipped as a separate package (plugins/trainmeuk-identity-okta) works
with no change to core code: installed with pip, it is loaded from its entry point,
gets its own settings page, its own SCIM endpoint and its own tokens."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import webtest

from trainmeuk_identity import configure
from trainmeuk_identity.models import TenantScope
from trainmeuk_identity.providers.registry import plugin_distributions
from trainmeuk_identity.scim.tokens import enable_scim

from ..support.app import close_app, make_settings, sign_in, tenant_app

PACKAGE = Path(__file__).resolve().parents[2] / "plugins" / "trainmeuk-identity-okta"


@pytest.fixture(scope="module")
def installed_okta(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps",
         "--no-index", "--target", str(target), str(PACKAGE)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    return target


@pytest.fixture
def okta_app(installed_okta, monkeypatch, database_url):
    monkeypatch.syspath_prepend(str(installed_okta))
    # Other tests import the plugin from its source folder: load the installed copy here.
    for name in [m for m in sys.modules if m.split(".")[0] == "trainmeuk_identity_okta"]:
        monkeypatch.delitem(sys.modules, name)
    app = configure(make_settings(database_url)).make_wsgi_app()
    yield app
    close_app(app)


def test_the_installed_package_adds_okta(okta_app, installed_okta):
    assert sys.modules["trainmeuk_identity_okta"].__file__.startswith(str(installed_okta))
    providers = okta_app.registry["providers"]
    assert "okta" in providers and "entra" in providers
    pm = okta_app.registry["plugin_manager"]
    assert plugin_distributions(pm)["okta"] == "trainmeuk-identity-okta"


def test_okta_has_its_own_settings_form(okta_app, tenant, factory):
    admin = factory.admin(tenant)
    browser = tenant_app(okta_app, tenant)
    sign_in(browser, admin.email)
    page = browser.get("/admin/settings/sso", {"provider": "okta"})
    assert "Okta domain" in page.text and "Authorization server" in page.text
    assert "/scim/okta/v2" in page.text


def test_okta_gets_its_own_scim_endpoint_and_tokens(okta_app, tenant, session_factory):
    with session_factory() as session, session.begin():
        scope = TenantScope(session, tenant.id)
        _, okta_token = enable_scim(scope, "okta")
        _, entra_token = enable_scim(scope, "entra")
    client = tenant_app(okta_app, tenant)

    def get(path: str, token: str, status: int) -> webtest.TestResponse:
        return client.get(path, headers={"Authorization": f"Bearer {token}"}, status=status)

    config = get("/scim/okta/v2/ServiceProviderConfig", okta_token.value, 200)
    assert config.json["patch"]["supported"] is True
    listing = get('/scim/okta/v2/Users?filter=userName eq "nobody@acme.example"', okta_token.value, 200)
    assert listing.json["totalResults"] == 0
    # A token is bound to its provider: Entra's token does not open Okta's endpoint.
    get("/scim/okta/v2/Users", entra_token.value, 401)
    get("/scim/entra/v2/Users", okta_token.value, 401)
