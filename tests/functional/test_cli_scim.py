"""``trainmeuk-identity CONFIG scim ...`` against the test database, run in this process
(the ``console`` fixture; tests/functional/test_console_script.py runs the real script)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from trainmeuk_identity.connections import get_connection
from trainmeuk_identity.models import AuditEvent, TenantScope
from trainmeuk_identity.scim.tokens import find_token

from ..support import cli
from ..support.app import TEST_SECRET


def write_ini(path: Path, url: str, environment: str = "development",
              base: str = "localhost") -> Path:
    return cli.write_ini(path.parent, url, TEST_SECRET * 2, environment=environment, base=base,
                         name=path.name)


@pytest.fixture
def ini(tmp_path, database_url) -> Path:
    return write_ini(tmp_path / "dev.ini", database_url)



def lines(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)


def live(session_factory, token: str) -> bool:
    with session_factory() as session:
        return find_token(session, token) is not None


def test_enable_on_a_fresh_tenant_prints_endpoint_and_token(ini, tenant, session_factory, console):
    result = console(ini, "scim", "enable", "--tenant", tenant.subdomain, "--provider", "entra")
    assert result.returncode == 0, result.stderr
    out = lines(result)
    assert out["endpoint"] == f"http://{tenant.subdomain}.localhost:6543/scim/entra/v2"
    assert len(out["token"]) >= 40
    assert live(session_factory, out["token"])
    with session_factory() as session:
        connection = get_connection(TenantScope(session, tenant.id), "entra")
        assert connection.scim_enabled
        actors = session.scalars(select(AuditEvent.actor).where(
            AuditEvent.tenant_id == tenant.id, AuditEvent.action == "scim.enabled")).all()
    assert actors == ["console"]


def test_enable_again_keeps_the_token_unless_asked_to_rotate(ini, tenant, session_factory, console):
    first = lines(console(ini, "scim", "enable", "--tenant", tenant.subdomain))["token"]
    again = console(ini, "scim", "enable", "--tenant", tenant.subdomain)
    assert again.returncode == 0
    assert "token" not in lines(again)
    assert first[-4:] in again.stdout and first not in again.stdout
    assert live(session_factory, first)

    rotated = lines(console(ini, "scim", "enable", "--tenant", tenant.subdomain, "--rotate"))["token"]
    assert rotated != first
    assert not live(session_factory, first) and live(session_factory, rotated)


def test_rotate_token_prints_a_new_token_and_revokes_the_old(ini, tenant, session_factory, console):
    old = lines(console(ini, "scim", "enable", "--tenant", tenant.subdomain))["token"]
    result = console(ini, "scim", "rotate-token", "--tenant", tenant.subdomain, "--provider", "entra")
    assert result.returncode == 0, result.stderr
    new = lines(result)["token"]
    assert new != old
    assert live(session_factory, new) and not live(session_factory, old)


def test_disable_keeps_the_token(ini, tenant, session_factory, console):
    token = lines(console(ini, "scim", "enable", "--tenant", tenant.subdomain))["token"]
    result = console(ini, "scim", "disable", "--tenant", tenant.subdomain, "--provider", "entra")
    assert result.returncode == 0, result.stderr
    assert "off" in result.stdout
    with session_factory() as session:
        assert not get_connection(TenantScope(session, tenant.id), "entra").scim_enabled
    assert live(session_factory, token)


def test_production_endpoint_is_https_without_port(tmp_path, database_url, tenant, console):
    ini = write_ini(tmp_path / "prod.ini", database_url, environment="production",
                    base="trainmeuk.test")
    result = console(ini, "scim", "enable", "--tenant", tenant.subdomain)
    assert result.returncode == 0, result.stderr
    assert lines(result)["endpoint"] == f"https://{tenant.subdomain}.trainmeuk.test/scim/entra/v2"


def test_base_url_option_replaces_scheme_host_and_port(ini, tenant, console):
    result = console(ini, "scim", "enable", "--tenant", tenant.subdomain,
                 "--base-url", "https://acme.example.org/")
    assert lines(result)["endpoint"] == "https://acme.example.org/scim/entra/v2"


def test_bad_input_is_one_line_and_exit_status_2(ini, tenant, session_factory, console):
    unknown_tenant = console(ini, "scim", "enable", "--tenant", "no-such-tenant")
    assert unknown_tenant.returncode == 2
    assert unknown_tenant.stderr.strip().count("\n") == 0
    assert "no tenant" in unknown_tenant.stderr and unknown_tenant.stdout == ""

    unknown_provider = console(ini, "scim", "enable", "--tenant", tenant.subdomain, "--provider", "okta")
    assert unknown_provider.returncode == 2
    assert "no identity provider called 'okta'" in unknown_provider.stderr
    with session_factory() as session:
        assert get_connection(TenantScope(session, tenant.id), "okta") is None


def test_help_explains_when_a_token_is_printed(ini, console):
    result = console(ini, "scim", "enable", "--help")
    assert result.returncode == 0
    assert "--rotate" in result.stdout and "printed once" in result.stdout
