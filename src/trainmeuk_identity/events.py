"""Event hooks fire after commit: a rolled-back change announces nothing.

``notify(request, "user_provisioned", tenant=..., user=...)`` queues a hook call on
the request's transaction; it runs only if the transaction commits. Outside a request
(console script, worker), pass the transaction manager and plugin manager instead.

Hooks that declare a ``services`` argument get a :class:`HookServices` without the
caller passing one: the request's (with its scheme and port for links), else the
application's, else (console script) one built from the ``settings`` argument.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pluggy
import transaction as transaction_module
from pyramid.request import Request
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HookServices:
    """What an event hook may use beyond its arguments, since it runs after the
    request's transaction has ended: a session factory for its own short transaction,
    the mail worker to wake (None outside the web application), the provider registry,
    and ``base_url(subdomain)``, a tenant's public address for links."""

    settings: Mapping[str, Any]
    session_factory: sessionmaker[Session]
    providers: Any
    base_url: Callable[[str], str]
    mail_worker: Any = None


def registry_services(registry: Any, request: Request | None = None) -> HookServices:
    from .tenancy import tenant_base_url

    settings = registry.settings
    return HookServices(
        settings=settings, session_factory=registry["dbsession_factory"],
        providers=registry.get("providers"), mail_worker=registry.get("mail_worker"),
        base_url=lambda subdomain: tenant_base_url(settings, subdomain, request),
    )


@contextmanager
def standalone_services(settings: Mapping[str, Any], pm: pluggy.PluginManager) -> Iterator[HookServices]:
    """Services for hooks fired by the console script: a database engine of their own."""
    from .models import get_engine, get_session_factory
    from .providers.registry import build_provider_registry
    from .tenancy import tenant_base_url

    engine = get_engine(dict(settings))
    try:
        yield HookServices(settings=settings, session_factory=get_session_factory(engine),
                           providers=build_provider_registry(pm),
                           base_url=lambda subdomain: tenant_base_url(dict(settings), subdomain))
    finally:
        engine.dispose()


def _wants_services(caller: Any) -> bool:
    spec = caller.spec
    return spec is not None and ("services" in spec.argnames or "services" in spec.kwargnames)


def _call_hook(success: bool, pm: pluggy.PluginManager, hook_name: str,
               kwargs: dict[str, Any]) -> None:
    if not success:
        return
    try:
        caller = getattr(pm.hook, hook_name)
        wants_services = _wants_services(caller)
        if not wants_services or kwargs.get("services") is not None:
            caller(**kwargs)
            return
        kwargs = {k: v for k, v in kwargs.items() if k != "services"}
        if getattr(pm, "trainmeuk_services", None) is not None:
            caller(**kwargs, services=pm.trainmeuk_services)
        else:
            with standalone_services(kwargs["settings"], pm) as services:
                caller(**kwargs, services=services)
    except Exception:  # the change is committed; a plugin's failure must not undo it
        log.exception("plugin hook %s failed", hook_name)


def notify_after_commit(tm: transaction_module.TransactionManager, pm: pluggy.PluginManager,
                        hook_name: str, **kwargs: Any) -> None:
    if not hasattr(pm.hook, hook_name):
        raise AttributeError(f"no hook named {hook_name!r}")
    tm.get().addAfterCommitHook(_call_hook, args=(pm, hook_name, kwargs))


def notify(request: Request, hook_name: str, **kwargs: Any) -> None:
    pm = request.registry["plugin_manager"]
    if hasattr(pm.hook, hook_name) and _wants_services(getattr(pm.hook, hook_name)):
        kwargs.setdefault("services", registry_services(request.registry, request))
    notify_after_commit(request.tm, pm, hook_name, **kwargs)


def includeme(config: Any) -> None:
    config.add_request_method(notify, "notify")
    registry = config.registry

    def set_services() -> None:
        # Hooks fired from this application outside a request (e.g. a worker) use
        # these; set once everything (the mail worker too) is configured.
        registry["plugin_manager"].trainmeuk_services = registry_services(registry)

    config.action(None, set_services, order=1000)
