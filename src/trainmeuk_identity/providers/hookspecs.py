"""The hooks a TrainMeUK Identity plugin may implement.

A plugin is a module or object with functions marked ``@hookimpl`` (re-exported from
``trainmeuk_identity.providers``), installed as a package that declares an entry point
in the ``trainmeuk_identity.providers`` group. The built-in identity provider is such a
plugin. Every hook is called with keyword arguments; a plugin may accept only the
ones it needs.

Event hooks (``user_*``, ``sso_login_*``) are called after the change has been
committed, never for a change that was rolled back. Their exceptions are logged and
do not affect the request, which has already succeeded. One event also has a hook
called inside the change's transaction, before commit: ``user_provisioning``, for
rows that must commit or roll back with the account. Every event hook may accept
``services`` (a :class:`trainmeuk_identity.providers.services.HookServices`): what it
needs to act after the request's transaction has ended, namely the application
settings, a session factory for a short transaction of its own, the mail worker, the
provider registry and ``base_url(subdomain)`` for links. Callers never pass it:
``request.notify`` and ``notify_after_commit`` fill it in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..models import Tenant, User
    from .base import ProviderRegistry
    from .services import HookServices

PROJECT = "trainmeuk_identity"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_providers(registry: ProviderRegistry) -> None:
    """Register identity providers: call ``registry.add(provider)`` for each.

    ``provider`` is an instance of :class:`trainmeuk_identity.providers.base.Provider`.
    Its ``name`` becomes part of the URLs (``/sso/<name>/callback``,
    ``/scim/<name>/v2``) and of stored data, so it must never change.

    Called once when the application starts. Added in 0.1.
    """


@hookspec
def user_provisioned(tenant: Tenant, user: User, provider: str | None,
                     settings: dict[str, Any], services: HookServices | None = None) -> None:
    """An account was created, by provisioning (``provider`` names the provider), by
    an admin or the console (``provider`` is None), or on a first SSO sign-in.

    The welcome email is an implementation of this hook. ``user.source`` tells how the
    account was created and ``user.active`` whether it can sign in yet. ``settings``
    are the application settings. Added in 0.1.

    It also gets ``services`` (see the module docstring).
    """


@hookspec
def user_provisioning(tenant: Tenant, user: User, provider: str | None, session: Session,
                      settings: dict[str, Any], services: HookServices | None = None) -> None:
    """An account is being created (as for ``user_provisioned``): called inside the
    creating transaction, once the account's row is written and before commit.

    ``session`` is that transaction's session (on PostgreSQL, bound to ``tenant`` when
    the change comes from a request). What the hook adds to it commits with the account
    or rolls back with it: a message put in the outbox here is never lost between the
    commit and a transaction of the hook's own, nor queued for an account that was
    rolled back. The welcome email queues its message here and wakes the mail worker in
    ``user_provisioned``. Do only database work here (no network, no mail: queue it and
    act after commit), keep it short, and do not commit or roll back ``session``. An
    exception is not caught: it fails the change (a SCIM request answers 500 and the
    identity provider retries it). Added in 0.2.
    """


@hookspec
def user_updated(tenant: Tenant, user: User, provider: str | None,
                 changed: list[str], services: HookServices | None = None) -> None:
    """An account's profile changed; ``changed`` lists the SCIM attribute names that
    did (e.g. ``["department", "title"]``). Added in 0.1, with ``services``.
    """


@hookspec
def user_deactivated(tenant: Tenant, user: User, provider: str | None, reason: str,
                     services: HookServices | None = None) -> None:
    """An account was deactivated: it can no longer sign in and its open sessions
    have ended. ``reason`` is ``"disabled"`` (``active: false``), ``"deleted"``
    (removed from provisioning; the account and its training data are kept) or
    ``"admin"``. Added in 0.1, with ``services``.
    """


@hookspec
def user_reactivated(tenant: Tenant, user: User, provider: str | None,
                     services: HookServices | None = None) -> None:
    """A deactivated account was activated again, by provisioning (``active: true``,
    or a new POST for a detached account) or by an admin. Added in 0.1, with ``services``.
    """


@hookspec
def sso_login_succeeded(tenant: Tenant, user: User, provider: str,
                        claims: dict[str, Any], services: HookServices | None = None) -> None:
    """Someone signed in through ``provider``; ``claims`` are the validated id_token
    claims. Added in 0.1, with ``services``.
    """


@hookspec
def sso_login_failed(tenant: Tenant, provider: str, reason: str, detail: str,
                     services: HookServices | None = None) -> None:
    """A sign-in through ``provider`` was refused. ``reason`` is a short code
    (``"invalid_token"``, ``"no_account"``, ``"deactivated"``, ``"idp_error"``, ...)
    and ``detail`` says what happened, for the audit log. Added in 0.1, with ``services``.
    """
