"""``trainmeuk-identity CONFIG <command> ...``: operate a deployment from the shell.

Bad input gets one line on stderr and exit status 2, and changes nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pyramid.paster import setup_logging
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from ..accounts import AccountError, create_user
from ..auth.passwords import password_problem
from ..console import Console, UsageError, console, read_secret
from ..models import Tenant, TenantScope, User
from ..models.tenant import subdomain_problem
from ..providers import ProviderRegistry
from ..providers.registry import plugin_distributions
from ..scim.commands import add_commands as add_scim_commands
from ..settings import ConfigurationError
from ..sso.commands import add_commands as add_sso_commands


def cmd_db_upgrade(ctx: Console, args: argparse.Namespace) -> None:
    from alembic import command

    command.upgrade(alembic_config(ctx), args.revision)
    print(f"database at {ctx.database_url} is at {args.revision}")


def alembic_config(ctx: Console) -> Any:
    from alembic.config import Config

    root = Path(__file__).resolve().parents[3]
    ini = Path(ctx.config_uri).resolve().parent / "alembic.ini"
    config = Config(str(ini if ini.exists() else root / "alembic.ini"))
    config.set_main_option("script_location", str((ini.parent if ini.exists() else root) / "alembic"))
    config.attributes["database_url"] = ctx.settings["sqlalchemy.url"]
    return config


def cmd_tenant_create(ctx: Console, args: argparse.Namespace) -> None:
    subdomain = args.subdomain.strip().lower()
    problem = subdomain_problem(subdomain)
    if problem:
        raise UsageError(problem)
    if not args.name.strip():
        raise UsageError("--name must not be empty")
    password = read_secret(args.admin_password_stdin, "admin password")
    if password is not None and (problem := password_problem(password)):
        raise UsageError(f"admin password: {problem}")
    with ctx.transaction() as (session, tm):
        if session.scalar(select(Tenant).where(Tenant.subdomain == subdomain)) is not None:
            raise UsageError(f"a tenant with subdomain {subdomain!r} already exists")
        tenant = Tenant(subdomain=subdomain, display_name=args.name.strip())
        session.add(tenant)
        session.flush()
        if args.admin_email:
            try:
                admin = create_user(TenantScope(session, tenant.id), email=args.admin_email,
                                    display_name=args.admin_name, is_admin=True, password=password)
            except AccountError as exc:
                raise UsageError(str(exc)) from None
            session.flush()
            ctx.notify(tm, session, "user_provisioned", tenant=tenant, user=admin, provider=None)
        tenant_id = tenant.id
    print(tenant_id)


def cmd_tenant_list(ctx: Console, args: argparse.Namespace) -> None:
    with ctx.transaction() as (session, _tm):
        for tenant in session.scalars(select(Tenant).order_by(Tenant.subdomain)):
            print(f"{tenant.id}  {tenant.subdomain:<24} {tenant.status:<10} {tenant.display_name}")


def cmd_user_create(ctx: Console, args: argparse.Namespace) -> None:
    password = read_secret(args.password_stdin, "password")
    if password is not None and (problem := password_problem(password)):
        raise UsageError(f"password: {problem}")
    with ctx.transaction() as (session, tm):
        tenant = ctx.tenant(session, args.tenant)
        try:
            user = create_user(TenantScope(session, tenant.id), email=args.email,
                               display_name=args.name, is_admin=args.admin, password=password)
        except AccountError as exc:
            raise UsageError(str(exc)) from None
        session.flush()
        ctx.notify(tm, session, "user_provisioned", tenant=tenant, user=user, provider=None)
        user_id = user.id
    print(user_id)


def cmd_user_list(ctx: Console, args: argparse.Namespace) -> None:
    with ctx.transaction() as (session, _tm):
        tenant = ctx.tenant(session, args.tenant)
        scope = TenantScope(session, tenant.id)
        for user in session.scalars(scope.select(User).order_by(User.user_name_key)):
            flags = ",".join(f for f, on in (("admin", user.is_admin), ("inactive", not user.active)) if on)
            print(f"{user.id}  {user.user_name:<40} {user.source:<7} {flags}")


def cmd_providers(ctx: Console, args: argparse.Namespace) -> None:
    packages = plugin_distributions(ctx.plugin_manager)
    for plugin_name, plugin in ctx.plugin_manager.list_name_plugin():
        if not hasattr(plugin, "register_providers"):
            continue
        found = ProviderRegistry()
        plugin.register_providers(registry=found)
        for provider in found:
            package = packages.get(plugin_name, "(not from a package)")
            print(f"{provider.name:<12} {provider.display_name}  (plugin {plugin_name}, package {package})")


class Parser(argparse.ArgumentParser):
    """Usage errors in one line (``--help`` still shows the full usage)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="trainmeuk-identity",
                                     description="Operate a TrainMeUK Identity deployment.")
    parser.add_argument("config", metavar="CONFIG", help="the ini file, e.g. development.ini")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="action", required=True)
    up = db.add_parser("upgrade", help="migrate the database to the newest schema")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db_upgrade)

    tenant = commands.add_parser("tenant", help="customer organisations").add_subparsers(dest="action", required=True)
    create = tenant.add_parser("create", help="create a tenant (prints its id)")
    create.add_argument("--subdomain", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--admin-email")
    create.add_argument("--admin-name")
    create.add_argument("--admin-password-stdin", action="store_true",
                        help="read the admin's password from the first line of standard input")
    create.set_defaults(func=cmd_tenant_create)
    tenant.add_parser("list", help="list tenants").set_defaults(func=cmd_tenant_list)

    user = commands.add_parser("user", help="accounts").add_subparsers(dest="action", required=True)
    ucreate = user.add_parser("create", help="create an account (prints its id)")
    ucreate.add_argument("--tenant", required=True)
    ucreate.add_argument("--email", required=True)
    ucreate.add_argument("--name")
    ucreate.add_argument("--admin", action="store_true")
    ucreate.add_argument("--password-stdin", action="store_true")
    ucreate.set_defaults(func=cmd_user_create)
    ulist = user.add_parser("list", help="list a tenant's accounts")
    ulist.add_argument("--tenant", required=True)
    ulist.set_defaults(func=cmd_user_list)

    commands.add_parser("providers", help="list installed provider plugins").set_defaults(func=cmd_providers)

    # Feature packages add their own command groups.
    add_scim_commands(commands)
    add_sso_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if not Path(args.config).is_file():
        print(f"trainmeuk-identity: error: no such config file: {args.config}", file=sys.stderr)
        return 2
    setup_logging(args.config)
    try:
        with console(args.config) as ctx:
            args.func(ctx, args)
    except UsageError as exc:
        print(f"trainmeuk-identity: error: {exc}", file=sys.stderr)
        return 2
    except ConfigurationError as exc:
        print(f"trainmeuk-identity: configuration error: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        # Unreachable or not yet migrated: say so in one line, not a traceback.
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        print(f"trainmeuk-identity: database error: {reason} (is the database reachable, "
              f"and has `trainmeuk-identity {args.config} db upgrade` been run?)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
