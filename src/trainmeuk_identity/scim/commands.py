"""Console commands for SCIM: ``scim enable|rotate-token|disable``.

Output is one ``key: value`` line per fact, so scripts can read it: ``endpoint: <url>``
and, whenever a token was just created, ``token: <token>`` (the only time it is ever
shown). The endpoint URL is ``https://<subdomain>.<base domain>/scim/<provider>/v2``
in production and ``http://<subdomain>.<base domain>:6543/...`` elsewhere (as
``make run`` serves it); ``--base-url`` replaces the scheme, host and port part.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..console import Console, UsageError
from ..models import AuditEvent, TenantScope
from ..tenancy import tenant_base_url
from . import tokens
from .routes import endpoint_url

ENABLE_HELP = """\
Turn SCIM provisioning on for a tenant and print its endpoint URL ("endpoint: ...").
The first time, a bearer token is created and printed once ("token: ..."). If the
tenant already has a token, it is kept (provisioning keeps working) and no token line is
printed, unless --rotate asks for a new one (the old one then stops working)."""


def _provider(ctx: Console, name: str | None) -> str:
    if name is None:  # the one provider that offers SCIM, if only one does
        offering = [p.name for p in ctx.providers if p.supports_scim]
        if len(offering) != 1:
            raise UsageError("name the provider with --provider (installed: "
                             f"{', '.join(offering) or 'none'})")
        name = offering[0]
    provider = ctx.providers.get(name)
    if provider is None:
        known = ", ".join(p.name for p in ctx.providers) or "none installed"
        raise UsageError(f"no identity provider called {name!r} (known: {known})")
    if ctx.providers.get(name, offering="scim") is None:
        raise UsageError(f"provider {name!r} does not offer SCIM provisioning")
    return provider.name


def public_endpoint_url(ctx: Console, subdomain: str, provider: str, base_url: str | None) -> str:
    base = base_url.rstrip("/") if base_url else tenant_base_url(ctx.settings, subdomain)
    return endpoint_url(ctx.request, provider, app_url=base)


def _audit(scope: TenantScope, action: str, provider: str, **detail: Any) -> None:
    scope.add(AuditEvent(actor="console", action=action, target=provider, detail=detail))


def cmd_enable(ctx: Console, args: argparse.Namespace) -> None:
    provider = _provider(ctx, args.provider)
    with ctx.transaction() as (session, _tm):
        tenant = ctx.tenant(session, args.tenant)
        scope = TenantScope(session, tenant.id)
        connection, issued = tokens.enable_scim(scope, provider)
        if issued is None and args.rotate:
            issued = tokens.rotate_token(scope, provider)
        token = issued.token if issued else connection.active_token
        _audit(scope, "scim.enabled", provider, token_suffix=token.suffix if token else None,
               new_token=issued is not None)
        subdomain = tenant.subdomain
        existing_suffix = None if issued else (token.suffix if token else None)
    print(f"endpoint: {public_endpoint_url(ctx, subdomain, provider, args.base_url)}")
    if issued is not None:
        print(f"token: {issued.value}")
    else:
        print(f"note: the existing token ending {existing_suffix} still works; "
              "pass --rotate (or run scim rotate-token) for a new one")


def cmd_rotate_token(ctx: Console, args: argparse.Namespace) -> None:
    provider = _provider(ctx, args.provider)
    with ctx.transaction() as (session, _tm):
        tenant = ctx.tenant(session, args.tenant)
        scope = TenantScope(session, tenant.id)
        issued = tokens.rotate_token(scope, provider)
        _audit(scope, "scim.token.regenerated", provider, token_suffix=issued.token.suffix)
    print(f"token: {issued.value}")


def cmd_disable(ctx: Console, args: argparse.Namespace) -> None:
    provider = _provider(ctx, args.provider)
    with ctx.transaction() as (session, _tm):
        tenant = ctx.tenant(session, args.tenant)
        scope = TenantScope(session, tenant.id)
        tokens.disable_scim(scope, provider)
        _audit(scope, "scim.disabled", provider)
        subdomain = tenant.subdomain
    print(f"scim: off for {subdomain} ({provider}); requests are refused, the token is kept")


def add_commands(commands: Any) -> None:
    """Add the ``scim`` command group to the console script's subparsers."""
    scim = commands.add_parser("scim", help="SCIM provisioning").add_subparsers(
        dest="action", required=True)

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--tenant", required=True, help="the tenant's subdomain, e.g. acme")
        parser.add_argument("--provider", help="identity provider (may be left out when only one "
                                               "offering SCIM is installed)")

    enable = scim.add_parser("enable", help="turn SCIM on; print the endpoint URL and a new token",
                             description=ENABLE_HELP)
    common(enable)
    enable.add_argument("--rotate", action="store_true",
                        help="issue a new token even if one exists (the old one stops working)")
    enable.add_argument("--base-url", metavar="URL",
                        help="public scheme://host[:port] of the tenant, if not the default "
                             "https://<subdomain>.<base domain> (http and port 6543 outside production)")
    enable.set_defaults(func=cmd_enable)

    rotate = scim.add_parser("rotate-token", help="issue a new token (printed once); the old one stops working")
    common(rotate)
    rotate.set_defaults(func=cmd_rotate_token)

    disable = scim.add_parser("disable", help="turn SCIM off; the endpoint refuses requests, the token is kept")
    common(disable)
    disable.set_defaults(func=cmd_disable)
