"""Console commands for SSO: ``sso configure``.

``trainmeuk-identity CONFIG sso configure --tenant acme --provider entra --tenant-id <guid>
--client-id <guid> --client-secret-stdin [--enable]`` validates and checks the values
exactly as the admin page does. A check that cannot be made (Microsoft unreachable) is
printed as a warning and the settings are saved; a check that fails for certain refuses
``--enable`` (exit 2) unless ``--skip-check`` is given.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..console import Console, UsageError, read_secret
from ..models import AuditEvent, TenantScope
from ..providers.base import AuthorityError, CheckResult, ConnectionProbe
from .configure import save_sso_settings, secret_field
from .oidc import HttpProbe


class _NoProbe:
    """Used with --skip-check: every check reports that it was not made."""

    def discover(self, url: str) -> dict[str, Any]:
        raise AuthorityError("check skipped (--skip-check)", unreachable=True)

    def client_credentials(self, token_endpoint: str, client_id: str, client_secret: str,
                           scope: str) -> dict[str, Any]:
        raise AuthorityError("check skipped (--skip-check)", unreachable=True)


def cmd_sso_configure(ctx: Console, args: argparse.Namespace) -> None:
    secret = read_secret(args.client_secret_stdin, "client secret")
    providers = ctx.providers
    provider = providers.get(args.provider, offering="sso")
    if provider is None:
        names = ", ".join(p.name for p in providers if p.supports_sso) or "none"
        raise UsageError(f"no SSO provider named {args.provider!r} (installed: {names})")
    values = {"tenant_id": args.tenant_id or "", "client_id": args.client_id or ""}
    probe: ConnectionProbe = _NoProbe() if args.skip_check else HttpProbe()
    with ctx.transaction() as (session, _tm):
        tenant = ctx.tenant(session, args.tenant)
        scope = TenantScope(session, tenant.id)
        outcome = save_sso_settings(
            scope, tenant, provider, values=values, secret=secret, enable=args.enable,
            create_accounts=args.create_accounts, require_sso=args.require_sso,
            app_settings=ctx.settings, probe=probe)
        if outcome.errors:
            name, message = next(iter(outcome.errors.items()))
            option = {"tenant_id": "--tenant-id", "client_id": "--client-id",
                      secret_field(provider): "--client-secret-stdin"}.get(name, name)
            raise UsageError(f"{option}: {message}")
        if not outcome.saved:
            failed = next(c for c in outcome.checks if not c.ok and c.conclusive)
            raise UsageError(f"not saved: {failed.message}")
        scope.add(AuditEvent(actor="console", action="sso.settings.saved", target=provider.name,
                             outcome="success",
                             detail={"changed": ", ".join(outcome.changes) or "nothing",
                                     "sso_enabled": "on" if args.enable else "off",
                                     "warnings": len(outcome.warnings)}))
    for check in outcome.checks:
        _report(check)
    state = "enabled" if args.enable else "saved (not enabled)"
    print(f"SSO with {provider.display_name} {state} for tenant {args.tenant}")


def _report(check: CheckResult) -> None:
    if check.ok:
        print(f"ok: {check.message}")
    else:
        print(f"warning: {check.message}", file=sys.stderr)


def add_commands(commands: Any) -> None:
    """Add the ``sso`` command group to the console script's subparsers."""
    sso = commands.add_parser("sso", help="single sign-on").add_subparsers(dest="action", required=True)
    configure = sso.add_parser("configure", help="set a tenant's SSO connection (checked like the admin page)")
    configure.add_argument("--tenant", required=True, help="the tenant's subdomain")
    configure.add_argument("--provider", default="entra", help="identity provider (default: entra)")
    configure.add_argument("--tenant-id", required=True, help="Directory (tenant) ID")
    configure.add_argument("--client-id", required=True, help="Application (client) ID")
    configure.add_argument("--client-secret-stdin", action="store_true",
                           help="read the client secret's Value from the first line of standard "
                                "input (omit to keep the saved one)")
    configure.add_argument("--enable", action="store_true", help="enable SSO (otherwise it is off)")
    configure.add_argument("--create-accounts", action=argparse.BooleanOptionalAction, default=None,
                           help="create an account on a first sign-in when none matches")
    configure.add_argument("--require-sso", action=argparse.BooleanOptionalAction, default=None,
                           help="everyone but admins must sign in with SSO")
    configure.add_argument("--skip-check", action="store_true",
                           help="save without checking the values with the provider")
    configure.set_defaults(func=cmd_sso_configure)
