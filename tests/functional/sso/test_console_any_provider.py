"""``trainmeuk-identity CONFIG sso configure`` for any provider, from the fields the
provider declares (``--set NAME=VALUE``), checked as the admin page checks them. The
second provider (``tests/support/example_provider.py``) is installed the way a
third-party package is: through an entry point of a distribution on ``sys.path``."""

from __future__ import annotations

import pytest

from trainmeuk_identity.connections import get_connection
from trainmeuk_identity.models import TenantScope

from ...support.app import BASE_DOMAIN, TEST_SECRET
from ...support.cli import write_ini

DIST = "example_idp-1.0.dist-info"


@pytest.fixture
def installed_example(tmp_path, monkeypatch):
    dist = tmp_path / "site" / DIST
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: example-idp\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[trainmeuk_identity.providers]\nexample = tests.support.example_provider\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))


@pytest.fixture
def ini(tmp_path, database_url, fake_entra, installed_example):
    return write_ini(tmp_path, database_url, TEST_SECRET, name="sso.ini",
                     trainmeuk_entra_authority=fake_entra.url,
                     **{"trainmeuk_example.authority": fake_entra.url})


@pytest.fixture
def example_app(fake_entra, tenant):
    directory = fake_entra.add_directory()
    app, secret = fake_entra.add_app(
        directory, {f"http://{tenant.subdomain}.{BASE_DOMAIN}/sso/example/callback"})
    return directory, app, secret


def configure(console, ini, tenant, *args, secret=None):
    extra = ("--client-secret-stdin",) if secret is not None else ()
    return console(ini, "sso", "configure", "--tenant", tenant.subdomain, *args, *extra,
                   stdin=(secret + "\n") if secret is not None else None)


def connection(dbsession, tenant, provider="example"):
    dbsession.rollback()
    return get_connection(TenantScope(dbsession, tenant.id), provider)


def test_any_provider_is_configured_from_its_declared_fields(
        ini, tenant, example_app, console, dbsession):
    directory, app, secret = example_app
    done = configure(console, ini, tenant, "--provider", "example", "--set", f"directory={directory.tid}",
                     "--set", f"app_id={app.client_id}", "--enable", secret=secret)
    assert done.returncode == 0, done.stderr
    assert "ok: App ID and secret accepted." in done.stdout
    assert "SSO with Example ID enabled" in done.stdout
    saved = connection(dbsession, tenant)
    assert saved.sso_enabled and saved.settings == {"directory": directory.tid, "app_id": app.client_id}
    assert saved.client_secret_suffix == secret[-4:]

    # Fields not given keep their saved values; the provider is found from the fields.
    again = configure(console, ini, tenant, "--set", f"app_id={app.client_id}", "--create-accounts",
                      "--enable")
    assert again.returncode == 0, again.stderr
    assert connection(dbsession, tenant).sso_create_accounts


def test_bad_input_gets_one_line_exit_2_and_changes_nothing(
        ini, tenant, example_app, console, dbsession):
    directory, app, _ = example_app
    good = ("--provider", "example", "--set", f"directory={directory.tid}", "--set", f"app_id={app.client_id}")
    cases = {
        "has no setting 'colour'": (*good, "--set", "colour=blue"),
        "never goes on the command line": (*good, "--set", "app_secret=hunter2hunter2"),
        "no SSO provider named 'nope' (installed: entra, example)": ("--provider", "nope"),
        "write it as --set NAME=VALUE": (*good, "--set", "directory"),
        "--client-id: Too short.": ("--provider", "example", "--set", f"directory={directory.tid}",
                                    "--set", "app_id=short", "--enable"),
        "name the provider with --provider": ("--enable",),
        "given twice": (*good, "--set", "directory=again"),
        "not saved: App ID or secret refused": (*good, "--enable"),
    }
    for expected, args in cases.items():
        wrong_secret = "not-the-secret" if expected.startswith("not saved") else None
        result = configure(console, ini, tenant, *args, secret=wrong_secret)
        assert result.returncode == 2, (expected, result.stdout, result.stderr)
        assert expected in result.stderr, (expected, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert connection(dbsession, tenant) is None


def test_the_entra_options_still_work_as_aliases_without_provider(
        ini, tenant, fake_entra, console, dbsession):
    d = fake_entra.add_directory()
    app, secret = fake_entra.add_app(d)
    done = configure(console, ini, tenant, "--tenant-id", d.tid, "--client-id", app.client_id,
                     "--enable", secret=secret)
    assert done.returncode == 0, done.stderr
    assert "SSO with Microsoft Entra ID enabled" in done.stdout
    assert connection(dbsession, tenant, "entra").settings["tenant_id"] == d.tid
    both = configure(console, ini, tenant, "--tenant-id", d.tid, "--set", f"tenant_id={d.tid}")
    assert both.returncode == 2 and "both given" in both.stderr
