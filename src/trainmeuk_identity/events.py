"""Event hooks fire after commit: a rolled-back change announces nothing.

``request.notify("user_provisioned", tenant=..., user=...)`` queues a hook call on the
request's transaction; it runs only if the transaction commits. Outside a request
(the console script), call :func:`notify_after_commit` with the transaction manager,
the plugin manager and :func:`hook_services` of the application's registry.

An event may also have a hook that runs *inside* the transaction, before commit
(:data:`IN_TRANSACTION`: ``user_provisioning`` for ``user_provisioned``): given the
change's session, it is called at once, so the rows it adds commit or roll back with
the change (the welcome email's outbox message is never lost between the commit and a
second transaction, nor queued for an account that was rolled back). Its exceptions are
not caught: they fail the change.

Every event hook gets the same :class:`HookServices`, built one way
(:func:`hook_services`), and a hook whose specification takes ``settings`` gets
``services.settings``: callers pass neither.
"""

from __future__ import annotations

import logging
from typing import Any

import pluggy
import transaction as transaction_module
from pyramid.request import Request
from sqlalchemy.orm import Session

from .providers.services import HookServices
from .tenancy import tenant_base_url

__all__ = ["IN_TRANSACTION", "HookServices", "hook_services", "notify", "notify_after_commit"]

#: event hook (after commit) -> its hook inside the transaction, given the session
IN_TRANSACTION = {"user_provisioned": "user_provisioning"}

log = logging.getLogger(__name__)


def hook_services(registry: Any, request: Request | None = None) -> HookServices:
    """The services of the application ``registry``; links use the scheme and port of
    ``request`` when there is one (see :func:`trainmeuk_identity.tenancy.tenant_base_url`)."""
    settings = registry.settings
    return HookServices(
        settings=settings, session_factory=registry["dbsession_factory"],
        providers=registry["providers"], mail_worker=registry.get("mail_worker"),
        base_url=lambda subdomain: tenant_base_url(settings, subdomain, request),
    )


def _call(pm: pluggy.PluginManager, hook_name: str, services: HookServices | None,
          kwargs: dict[str, Any]) -> None:
    """Call ``hook_name`` with ``kwargs``, and ``services`` and ``settings`` where its
    specification takes them."""
    caller = getattr(pm.hook, hook_name)
    spec = caller.spec
    names = set(spec.argnames) | set(spec.kwargnames) if spec is not None else set()
    if "services" in names:
        kwargs = {**kwargs, "services": services}
    if "settings" in names and "settings" not in kwargs and services is not None:
        kwargs = {**kwargs, "settings": services.settings}
    caller(**kwargs)


def _call_hook(success: bool, pm: pluggy.PluginManager, hook_name: str,
               services: HookServices | None, kwargs: dict[str, Any]) -> None:
    if not success:
        return
    try:
        _call(pm, hook_name, services, kwargs)
    except Exception:  # the change is committed; a plugin's failure must not undo it
        log.exception("plugin hook %s failed", hook_name)


def notify_after_commit(tm: transaction_module.TransactionManager, pm: pluggy.PluginManager,
                        hook_name: str, *, services: HookServices | None = None,
                        session: Session | None = None, **kwargs: Any) -> None:
    """Call ``hook_name`` with ``kwargs`` (and ``services``) once ``tm``'s transaction has
    committed; and, given the transaction's ``session``, its hook inside the transaction
    (:data:`IN_TRANSACTION`) now. ``services`` is None only where no application exists
    (tests of this machinery with a bare plugin manager)."""
    if not hasattr(pm.hook, hook_name):
        raise AttributeError(f"no hook named {hook_name!r}")
    before_commit = IN_TRANSACTION.get(hook_name)
    if before_commit is not None and session is not None:
        _call(pm, before_commit, services, {**kwargs, "session": session})
    tm.get().addAfterCommitHook(_call_hook, args=(pm, hook_name, services, kwargs))


def notify(request: Request, hook_name: str, **kwargs: Any) -> None:
    notify_after_commit(request.tm, request.registry["plugin_manager"], hook_name,
                        services=hook_services(request.registry, request),
                        session=request.dbsession if hook_name in IN_TRANSACTION else None,
                        **kwargs)


def includeme(config: Any) -> None:
    config.add_request_method(notify, "notify")
