"""``trainmeuk-identity CONFIG sso configure --provider google --set ...``: the console
configures Google from the fields the plugin declares, with the admin page's validation
and save-time check, and ``--create-accounts`` chooses just-in-time accounts. The plugin
is installed as a third-party package is: through an entry point of a distribution on
``sys.path``."""

from __future__ import annotations

import pytest

from trainmeuk_identity.connections import get_connection
from trainmeuk_identity.models import TenantScope

from ...support.app import TEST_SECRET, tenant_app
from ...support.cli import write_ini
from ...support.google import PLUGIN_SOURCE, callback_uri, google_plugin, sign_in_with_google


@pytest.fixture
def ini(tmp_path, database_url, fake_google, monkeypatch):
    google_plugin()
    dist = tmp_path / "site" / "trainmeuk_identity_google-0.1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: trainmeuk-identity-google\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text(
        "[trainmeuk_identity.providers]\ngoogle = trainmeuk_identity_google\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.syspath_prepend(str(PLUGIN_SOURCE))
    return write_ini(tmp_path, database_url, TEST_SECRET, name="google.ini",
                     **{"trainmeuk_google.authority": fake_google.authority})


@pytest.fixture
def client(fake_google, tenant):
    return fake_google.add_google_client({callback_uri(tenant)})


def configure(console, ini, tenant, *args, secret=None):
    extra = ("--client-secret-stdin",) if secret is not None else ()
    return console(ini, "sso", "configure", "--tenant", tenant.subdomain, "--provider", "google",
                   *args, *extra, stdin=(secret + "\n") if secret is not None else None)


def connection(dbsession, tenant):
    dbsession.rollback()
    return get_connection(TenantScope(dbsession, tenant.id), "google")


def test_google_is_configured_and_enabled_from_the_console(ini, tenant, client, console, dbsession):
    done = configure(console, ini, tenant, "--set", f"client_id={client[0].client_id}",
                     "--set", "hosted_domains=Acme.example,acme-group.example", "--enable",
                     secret=client[1])
    assert done.returncode == 0, done.stderr
    assert "Found Google's sign-in service" in done.stdout
    assert "checked at the first sign-in" in done.stderr  # a warning, not a refusal
    saved = connection(dbsession, tenant)
    assert saved.sso_enabled and not saved.sso_create_accounts
    assert saved.settings["hosted_domains"] == "acme.example,acme-group.example"
    assert saved.settings["client_id"] == client[0].client_id
    assert saved.client_secret_suffix == client[1][-4:]


def test_create_accounts_is_chosen_from_the_console_and_used_at_sign_in(
        ini, tenant, client, console, dbsession, google_app, fake_google):
    done = configure(console, ini, tenant, "--set", f"client_id={client[0].client_id}",
                     "--set", "hosted_domains=acme.example", "--enable", "--create-accounts",
                     secret=client[1])
    assert done.returncode == 0, done.stderr
    assert connection(dbsession, tenant).sso_create_accounts

    web = tenant_app(google_app, tenant)
    person = fake_google.add_account("lee@acme.example", hd="acme.example")
    sign_in_with_google(web, fake_google, person, status=303)
    assert web.get("/api/session").json["user"]["email"] == "lee@acme.example"

    # Turned off again (fields and secret kept): the next newcomer is told to ask.
    done = configure(console, ini, tenant, "--enable", "--no-create-accounts")
    assert done.returncode == 0, done.stderr
    assert not connection(dbsession, tenant).sso_create_accounts
    other = tenant_app(google_app, tenant)
    newcomer = fake_google.add_account("max@acme.example", hd="acme.example")
    assert "No TrainMeUK account for you yet" in sign_in_with_google(
        other, fake_google, newcomer, status=403).text


@pytest.mark.parametrize(("domains", "problem"), [
    ("acme.example,gmail.com", "Google's personal mail"),
    ("it@acme.example", "is an email address"),
    ("*", "wildcard"),
])
def test_a_bad_domain_list_is_refused_as_on_the_admin_page(domains, problem, ini, tenant, client,
                                                           console, dbsession):
    done = configure(console, ini, tenant, "--set", f"client_id={client[0].client_id}",
                     "--set", f"hosted_domains={domains}", "--enable", secret=client[1])
    assert done.returncode == 2
    assert "--set hosted_domains" in done.stderr and problem in done.stderr
    assert connection(dbsession, tenant) is None


def test_the_secret_never_goes_on_the_command_line(ini, tenant, client, console, dbsession):
    done = configure(console, ini, tenant, "--set", f"client_id={client[0].client_id}",
                     "--set", "hosted_domains=acme.example", "--set", f"client_secret={client[1]}")
    assert done.returncode == 2 and "--client-secret-stdin" in done.stderr
    assert connection(dbsession, tenant) is None


def test_google_offers_no_scim_from_the_console(ini, tenant, console):
    done = console(ini, "scim", "enable", "--tenant", tenant.subdomain, "--provider", "google")
    assert done.returncode == 2
    assert "does not offer SCIM provisioning" in done.stderr
