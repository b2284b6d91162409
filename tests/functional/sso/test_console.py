"""``trainmeuk-identity CONFIG sso configure ...``, run in this process (the ``console`` fixture)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from trainmeuk_identity.connections import get_connection
from trainmeuk_identity.models import AuditEvent, TenantScope

from ...support.app import TEST_SECRET
from ...support.cli import write_ini
from ...support.fake_entra import new_guid


@pytest.fixture
def ini(tmp_path, database_url, fake_entra):
    return write_ini(tmp_path, database_url, TEST_SECRET, name="sso.ini",
                     trainmeuk_entra_authority=fake_entra.url)


def configure(run, ini, tenant, tid, client_id, secret=None, *extra):
    args = ["sso", "configure", "--tenant", tenant.subdomain, "--provider", "entra",
            "--tenant-id", tid, "--client-id", client_id, *extra]
    if secret is not None:
        args.append("--client-secret-stdin")
    return run(ini, *args, stdin=(secret + "\n") if secret is not None else None)


def test_configure_checks_saves_and_enables(ini, tenant, fake_entra, dbsession, console):
    d = fake_entra.add_directory()
    app, secret = fake_entra.add_app(d)
    done = configure(console, ini, tenant, d.tid, app.client_id, secret, "--enable")
    assert done.returncode == 0, done.stderr
    assert "Client ID and Client Secret accepted" in done.stdout
    assert secret not in done.stdout + done.stderr
    connection = get_connection(TenantScope(dbsession, tenant.id), "entra")
    assert connection.sso_enabled and connection.settings["client_id"] == app.client_id
    assert connection.client_secret_suffix == secret[-4:]
    event = dbsession.scalar(select(AuditEvent).where(AuditEvent.tenant_id == tenant.id,
                                                      AuditEvent.action == "sso.settings.saved"))
    assert event.actor == "console"


def test_bad_input_is_one_line_and_exit_2(ini, tenant, fake_entra, dbsession, console):
    d = fake_entra.add_directory()
    app, secret = fake_entra.add_app(d)
    for args in [("common", app.client_id, secret), ("x", app.client_id, secret),
                 (d.tid, app.client_id, "")]:
        result = configure(console, ini, tenant, *args, "--enable")
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    wrong = configure(console, ini, tenant, d.tid, app.client_id, "Abc8Q~wrong-secret-value-000000",
                      "--enable")
    assert wrong.returncode == 2 and "AADSTS7000215" in wrong.stderr
    unknown = configure(console, ini, tenant, d.tid, app.client_id, secret, "--enable")
    assert unknown.returncode == 0
    nosuch = console(ini, "sso", "configure", "--tenant", "no-such-tenant", "--tenant-id", d.tid,
                 "--client-id", app.client_id)
    assert nosuch.returncode == 2
    assert get_connection(TenantScope(dbsession, tenant.id), "entra").sso_enabled


def test_unreachable_authority_saves_with_a_warning(ini, tenant, fake_entra, console):
    fake_entra.down = True
    result = configure(console, ini, tenant, new_guid(), new_guid(), "Abc8Q~some-secret-value-000000",
                       "--enable")
    assert result.returncode == 0, result.stderr
    assert "warning:" in result.stderr
