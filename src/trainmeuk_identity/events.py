"""Event hooks fire after commit: a rolled-back change announces nothing.

``request.notify("user_provisioned", tenant=..., user=...)`` queues a hook call on the
request's transaction; it runs only if the transaction commits. Outside a request
(the console script), call :func:`notify_after_commit` with the transaction manager,
the plugin manager and :func:`hook_services` of the application's registry.

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

from .providers.services import HookServices
from .tenancy import tenant_base_url

__all__ = ["HookServices", "hook_services", "notify", "notify_after_commit"]

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


def _call_hook(success: bool, pm: pluggy.PluginManager, hook_name: str,
               services: HookServices | None, kwargs: dict[str, Any]) -> None:
    if not success:
        return
    try:
        caller = getattr(pm.hook, hook_name)
        spec = caller.spec
        names = set(spec.argnames) | set(spec.kwargnames) if spec is not None else set()
        if "services" in names:
            kwargs = {**kwargs, "services": services}
        if "settings" in names and "settings" not in kwargs and services is not None:
            kwargs = {**kwargs, "settings": services.settings}
        caller(**kwargs)
    except Exception:  # the change is committed; a plugin's failure must not undo it
        log.exception("plugin hook %s failed", hook_name)


def notify_after_commit(tm: transaction_module.TransactionManager, pm: pluggy.PluginManager,
                        hook_name: str, *, services: HookServices | None = None,
                        **kwargs: Any) -> None:
    """Call ``hook_name`` with ``kwargs`` (and ``services``) once ``tm``'s transaction has
    committed. ``services`` is None only where no application exists (tests of this
    machinery with a bare plugin manager)."""
    if not hasattr(pm.hook, hook_name):
        raise AttributeError(f"no hook named {hook_name!r}")
    tm.get().addAfterCommitHook(_call_hook, args=(pm, hook_name, services, kwargs))


def notify(request: Request, hook_name: str, **kwargs: Any) -> None:
    notify_after_commit(request.tm, request.registry["plugin_manager"], hook_name,
                        services=hook_services(request.registry, request), **kwargs)


def includeme(config: Any) -> None:
    config.add_request_method(notify, "notify")
