"""``trainmeuk-identity CONFIG sso configure --provider okta --set ...``: the console
configures Okta from the fields the plugin declares, with the admin page's validation
and save-time check. The plugin is installed as a third-party package is: through an
entry point of a distribution on ``sys.path``."""

from __future__ import annotations

import pytest

from trainmeuk_identity.connections import get_connection
from trainmeuk_identity.models import TenantScope

from ...support.app import TEST_SECRET
from ...support.cli import write_ini
from ...support.okta import PLUGIN_SOURCE, callback_uri, new_org, okta_plugin


@pytest.fixture
def ini(tmp_path, database_url, fake_okta, monkeypatch):
    okta_plugin()
    dist = tmp_path / "site" / "trainmeuk_identity_okta-0.1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: trainmeuk-identity-okta\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text(
        "[trainmeuk_identity.providers]\nokta = trainmeuk_identity_okta\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.syspath_prepend(str(PLUGIN_SOURCE))
    return write_ini(tmp_path, database_url, TEST_SECRET, name="okta.ini",
                     **{"trainmeuk_okta.base_url_template": fake_okta.base_url_template})


@pytest.fixture
def okta_org(fake_okta, tenant):
    org = new_org(fake_okta, tenant)
    client, secret = fake_okta.add_client(org.realm, {callback_uri(tenant)})
    return org, client, secret


def configure(console, ini, tenant, *args, secret=None):
    extra = ("--client-secret-stdin",) if secret is not None else ()
    return console(ini, "sso", "configure", "--tenant", tenant.subdomain, "--provider", "okta",
                   *args, *extra, stdin=(secret + "\n") if secret is not None else None)


def connection(dbsession, tenant):
    dbsession.rollback()
    return get_connection(TenantScope(dbsession, tenant.id), "okta")


def test_okta_is_configured_and_enabled_from_the_console(ini, tenant, okta_org, console, dbsession):
    org, client, secret = okta_org
    done = configure(console, ini, tenant, "--set", f"domain={org.domain}",
                     "--set", f"client_id={client.client_id}", "--enable", secret=secret)
    assert done.returncode == 0, done.stderr
    assert "accepted by Okta" in done.stdout
    saved = connection(dbsession, tenant)
    assert saved.sso_enabled and saved.settings["domain"] == org.domain
    assert saved.settings.get("authorization_server", "") == ""


def test_a_wrong_secret_is_refused_and_changes_nothing(ini, tenant, okta_org, console, dbsession):
    org, client, _ = okta_org
    done = configure(console, ini, tenant, "--set", f"domain={org.domain}",
                     "--set", f"client_id={client.client_id}", "--enable", secret="wrong")
    assert done.returncode != 0
    assert "Okta did not accept Client ID" in done.stdout + done.stderr
    assert connection(dbsession, tenant) is None


def test_a_bad_domain_is_refused_as_on_the_admin_page(ini, tenant, okta_org, console, dbsession):
    _, client, secret = okta_org
    done = configure(console, ini, tenant, "--set", "domain=acme-admin.okta.com",
                     "--set", f"client_id={client.client_id}", "--enable", secret=secret)
    assert done.returncode != 0
    assert "Admin Console" in done.stdout + done.stderr
    assert connection(dbsession, tenant) is None
