"""Console commands for SSO: ``sso configure``.

``trainmeuk-identity CONFIG sso configure --tenant acme --provider NAME --set
domain=login.acme.example --set client_id=... --client-secret-stdin [--enable]`` sets any
provider's connection from the fields the provider declares, validated and checked
exactly as the admin page does. ``--tenant-id`` and ``--client-id`` are short for
``--set tenant_id=...`` and ``--set client_id=...``; fields not given keep their saved
values. A check that cannot be made (the provider unreachable) is printed as a warning
and the settings are saved; a check that fails for certain refuses ``--enable`` (exit
2) unless ``--skip-check`` is given. Bad input changes nothing.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..connections import get_connection
from ..console import Console, UsageError, read_secret
from ..models import AuditEvent, TenantScope
from ..providers.base import AuthorityError, CheckResult, ConnectionProbe, Provider
from .configure import save_sso_settings, secret_field
from .oidc import HttpProbe

#: Options kept from the first, single-provider version: short for ``--set <field>=``.
FIELD_OPTIONS = {"tenant_id": "--tenant-id", "client_id": "--client-id"}


class _NoProbe:
    """Used with --skip-check: every check reports that it was not made."""

    def discover(self, url: str) -> dict[str, Any]:
        raise AuthorityError("check skipped (--skip-check)", unreachable=True)

    def client_credentials(self, token_endpoint: str, client_id: str, client_secret: str,
                           scope: str) -> dict[str, Any]:
        raise AuthorityError("check skipped (--skip-check)", unreachable=True)


def given_fields(args: argparse.Namespace) -> dict[str, str]:
    """``--set name=value`` and the alias options, as field name -> value."""
    given: dict[str, str] = {}
    for item in args.set or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set {item!r}: write it as --set NAME=VALUE")
        if name.strip() in given:
            raise UsageError(f"--set {name.strip()}: given twice")
        given[name.strip()] = value
    for name, option in FIELD_OPTIONS.items():
        value = getattr(args, name)
        if value is not None:
            if name in given:
                raise UsageError(f"{option} and --set {name}=... both given")
            given[name] = value
    return given


def choose_provider(ctx: Console, requested: str | None, given: dict[str, str]) -> Provider:
    sso = [p for p in ctx.providers if p.supports_sso]
    names = ", ".join(p.name for p in sso) or "none"
    if requested is not None:
        provider = ctx.providers.get(requested, offering="sso")
        if provider is None:
            raise UsageError(f"no SSO provider named {requested!r} (installed: {names})")
        return provider
    # Without --provider: the one provider whose fields are all those given.
    fitting = [p for p in sso if set(given) <= {f.name for f in p.settings_fields}]
    if len(sso) == 1 or (given and len(fitting) == 1):
        return sso[0] if len(sso) == 1 else fitting[0]
    raise UsageError(f"name the provider with --provider (installed: {names})")


def check_fields(provider: Provider, given: dict[str, str]) -> None:
    fields = {f.name: f for f in provider.settings_fields}
    for name in given:
        field = fields.get(name)
        option = _option(provider, name) if field is not None else f"--set {name}"
        if field is None:
            known = ", ".join(f.name for f in provider.settings_fields if not f.secret)
            raise UsageError(f"{option}: {provider.display_name} has no setting {name!r} "
                             f"(its settings: {known})")
        if field.secret:
            raise UsageError(f"{option}: a secret never goes on the command line; "
                             "use --client-secret-stdin")


def _option(provider: Provider, name: str) -> str:
    """The command-line option that sets field ``name``, for error messages."""
    if name == secret_field(provider):
        return "--client-secret-stdin"
    if name == "require_sso":
        return "--require-sso"
    if name == provider.client_id_field:
        return "--client-id"
    return FIELD_OPTIONS.get(name, f"--set {name}")


def cmd_sso_configure(ctx: Console, args: argparse.Namespace) -> None:
    given = given_fields(args)
    provider = choose_provider(ctx, args.provider, given)
    if args.client_id is not None and provider.client_id_field != "client_id":
        given[provider.client_id_field] = given.pop("client_id")
    check_fields(provider, given)
    secret = read_secret(args.client_secret_stdin, "client secret")
    if secret is not None and secret_field(provider) is None:
        raise UsageError(f"--client-secret-stdin: {provider.display_name} has no secret setting")
    probe: ConnectionProbe = _NoProbe() if args.skip_check else HttpProbe()
    with ctx.transaction() as (session, _tm):
        tenant = ctx.tenant(session, args.tenant)
        scope = TenantScope(session, tenant.id)
        saved = get_connection(scope, provider.name)
        values = {**(saved.settings if saved is not None else {}), **given}
        outcome = save_sso_settings(
            scope, tenant, provider, values=values, secret=secret, enable=args.enable,
            create_accounts=args.create_accounts, require_sso=args.require_sso,
            app_settings=ctx.settings, probe=probe)
        if outcome.errors:
            name, message = next(iter(outcome.errors.items()))
            raise UsageError(f"{_option(provider, name)}: {message}")
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
    configure = sso.add_parser(
        "configure", help="set a tenant's SSO connection (checked like the admin page)",
        description="Set a tenant's connection to an identity provider from the fields the "
                    "provider declares (those of its form under Admin → Settings → SSO & "
                    "Provisioning; a field it does not know is refused with the list of its "
                    "fields). Fields not given keep their saved values.")
    configure.add_argument("--tenant", required=True, help="the tenant's subdomain")
    configure.add_argument("--provider", help="identity provider, as `providers` lists it (may be left out when "
                                              "only one is installed, or the fields name one)")
    configure.add_argument("--set", action="append", metavar="NAME=VALUE",
                           help="a setting field of the provider, e.g. --set client_id=abc123 "
                                "(repeat for each field; never the secret)")
    configure.add_argument("--tenant-id", help="short for --set tenant_id=... (Directory (tenant) ID)")
    configure.add_argument("--client-id", help="the provider's client identifier (short for --set "
                                               "client_id=..., or the provider's own name of it)")
    configure.add_argument("--client-secret-stdin", action="store_true",
                           help="read the client secret from the first line of standard input "
                                "(omit to keep the saved one)")
    configure.add_argument("--enable", action="store_true", help="enable SSO (otherwise it is off)")
    configure.add_argument("--create-accounts", action=argparse.BooleanOptionalAction, default=None,
                           help="create an account on a first sign-in when none matches")
    configure.add_argument("--require-sso", action=argparse.BooleanOptionalAction, default=None,
                           help="everyone but admins must sign in with SSO")
    configure.add_argument("--skip-check", action="store_true",
                           help="save without checking the values with the provider")
    configure.set_defaults(func=cmd_sso_configure)
