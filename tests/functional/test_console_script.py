"""``trainmeuk-identity CONFIG ...`` as operators and acceptance checks run it.

A few cases run the installed script as a real process (database upgrade, tenant create
and list, a refusal's exit status); the rest run its entry function in this process
(the ``console`` fixture), which answers the same way."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from trainmeuk_identity.models import Tenant, User

from ..support import cli
from ..support.app import TEST_SECRET, sign_in, tenant_app

PASSWORD = "a long admin password 42"


@pytest.fixture(scope="module")
def ini(tmp_path_factory, database_url):
    return cli.write_ini(tmp_path_factory.mktemp("cli"), database_url, TEST_SECRET)


@pytest.fixture
def subdomain(factory):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    yield name
    # the tenant is created by the command under test; remove it with the others
    with factory.session_factory() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.subdomain == name))
        if tenant is not None:
            factory.created_tenants.append(tenant.id)


def count(dbsession, model) -> int:
    dbsession.rollback()  # a fresh snapshot: see what the subprocess committed
    return dbsession.scalar(select(func.count()).select_from(model))


def test_db_upgrade_is_idempotent(ini):
    result = cli.run(ini, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert "is at head" in result.stdout


def test_tenant_create_prints_the_id_and_the_admin_can_sign_in(ini, subdomain, app, dbsession,
                                                                console):
    result = cli.run(ini, "tenant", "create", "--subdomain", subdomain, "--name", "Acme Ltd",
                     "--admin-email", "it@acme.example", "--admin-password-stdin",
                     stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    tenant_id = result.stdout.strip()
    tenant = dbsession.get(Tenant, tenant_id)
    assert (tenant.subdomain, tenant.display_name) == (subdomain, "Acme Ltd")

    browser = tenant_app(app, subdomain)
    assert sign_in(browser, "it@acme.example", PASSWORD).status_int == 303
    assert browser.get("/api/session").json["user"]["is_admin"] is True

    listed = console(ini, "tenant", "list")
    assert listed.returncode == 0
    assert any(line.startswith(tenant_id) and subdomain in line for line in listed.stdout.splitlines())


def test_user_create(ini, app, tenant, dbsession, console):
    result = console(ini, "user", "create", "--tenant", tenant.subdomain, "--email",
                     "jo@acme.example", "--name", "Jo Bloggs", "--admin", "--password-stdin",
                     stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    user = dbsession.get(User, result.stdout.strip())
    assert (user.email, user.display_name, user.is_admin, user.tenant_id) == (
        "jo@acme.example", "Jo Bloggs", True, tenant.id)
    assert sign_in(tenant_app(app, tenant), "jo@acme.example", PASSWORD).status_int == 303

    # Without --password-stdin the account exists but has no password (SSO or a link).
    plain = console(ini, "user", "create", "--tenant", tenant.subdomain, "--email", "kim@acme.example")
    assert plain.returncode == 0, plain.stderr
    dbsession.rollback()
    assert dbsession.get(User, plain.stdout.strip()).password_hash is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--subdomain", "www", "--name", "X"], "reserved"),
        (["--subdomain", "admin", "--name", "X"], "reserved"),
        (["--subdomain", "api", "--name", "X"], "reserved"),
        (["--subdomain", "scim", "--name", "X"], "reserved"),
        (["--subdomain=-acme", "--name", "X"], "invalid subdomain"),
        (["--subdomain", "ac_me", "--name", "X"], "invalid subdomain"),
        (["--subdomain", "a" * 64, "--name", "X"], "invalid subdomain"),
        (["--subdomain", "acme.co", "--name", "X"], "invalid subdomain"),
        (["--subdomain", "okname", "--name", "X", "--admin-email", "not-an-email"], "invalid email"),
    ],
)
def test_bad_tenant_input_is_one_line_exit_2_and_changes_nothing(ini, dbsession, args, message,
                                                                  console):
    before = (count(dbsession, Tenant), count(dbsession, User))
    result = console(ini, "tenant", "create", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (count(dbsession, Tenant), count(dbsession, User)) == before


def test_duplicate_subdomain_is_refused(ini, tenant, dbsession, console):
    before = count(dbsession, Tenant)
    result = console(ini, "tenant", "create", "--subdomain", tenant.subdomain, "--name", "Again")
    assert result.returncode == 2
    assert "already exists" in result.stderr
    assert count(dbsession, Tenant) == before


def test_bad_user_input_is_refused(ini, tenant, factory, dbsession, console):
    factory.user(tenant, "taken@acme.example")
    before = count(dbsession, User)
    for args, message in [
        (["--tenant", tenant.subdomain, "--email", "malformed@"], "invalid email"),
        (["--tenant", tenant.subdomain, "--email", "TAKEN@acme.example"], "already exists"),
        (["--tenant", "no-such-tenant", "--email", "a@b.example"], "no tenant"),
    ]:
        result = console(ini, "user", "create", *args)
        assert result.returncode == 2, result
        assert message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    weak = console(ini, "user", "create", "--tenant", tenant.subdomain, "--email", "w@acme.example",
                   "--password-stdin", stdin="short\n")
    assert weak.returncode == 2 and "password" in weak.stderr
    assert count(dbsession, User) == before


def test_providers_lists_the_entra_plugin(ini, console):
    result = console(ini, "providers")
    assert result.returncode == 0, result.stderr
    assert "entra" in result.stdout and "Microsoft Entra ID" in result.stdout


def test_missing_config_file_is_a_usage_error(tmp_path, console):
    result = console(tmp_path / "nope.ini", "tenant", "list")
    assert result.returncode == 2
    assert "no such config file" in result.stderr


def test_the_installed_script_refuses_bad_input_with_one_line_and_exit_status_2(ini, dbsession):
    before = count(dbsession, Tenant)
    result = cli.run(ini, "tenant", "create", "--subdomain", "www", "--name", "X")
    assert result.returncode == 2
    assert "reserved" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert count(dbsession, Tenant) == before
