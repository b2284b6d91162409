"""The Google provider is a separate package (plugins/trainmeuk-identity-google) that works
with no change to core code: installed with pip, it is loaded from its entry point and
gets its sign-in button and its own settings page, and no SCIM endpoint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trainmeuk_identity import configure
from trainmeuk_identity.providers.registry import plugin_distributions

from ...support.app import close_app, make_settings, sign_in, tenant_app

PACKAGE = Path(__file__).resolve().parents[3] / "plugins" / "trainmeuk-identity-google"


@pytest.fixture(scope="module")
def installed_google(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps",
         "--no-index", "--target", str(target), str(PACKAGE)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    return target


@pytest.fixture
def installed_app(installed_google, monkeypatch, database_url):
    monkeypatch.syspath_prepend(str(installed_google))
    app = configure(make_settings(database_url)).make_wsgi_app()
    yield app
    close_app(app)


def test_the_installed_package_adds_google(installed_app):
    providers = installed_app.registry["providers"]
    assert "google" in providers and "entra" in providers
    assert plugin_distributions(installed_app.registry["plugin_manager"])["google"] == (
        "trainmeuk-identity-google")
    assert installed_app.registry.settings["trainmeuk.google.authority"] == "https://accounts.google.com"


def test_google_has_its_own_settings_form_and_no_scim(installed_app, tenant, factory):
    admin = factory.admin(tenant)
    browser = tenant_app(installed_app, tenant)
    sign_in(browser, admin.email)
    page = browser.get("/admin/settings/sso", {"provider": "google"})
    assert "Hosted domains" in page.text and "Client ID" in page.text
    assert page.html.select_one("#scim") is None
