"""Event hooks fire after commit: a rolled-back change announces nothing.

``notify(request, "user_provisioned", tenant=..., user=...)`` queues a hook call on
the request's transaction; it runs only if the transaction commits. Outside a request
(console script, worker), pass the transaction manager and plugin manager instead.
"""

from __future__ import annotations

import logging
from typing import Any

import pluggy
import transaction as transaction_module
from pyramid.request import Request

log = logging.getLogger(__name__)


def _call_hook(success: bool, pm: pluggy.PluginManager, hook_name: str,
               kwargs: dict[str, Any]) -> None:
    if not success:
        return
    try:
        getattr(pm.hook, hook_name)(**kwargs)
    except Exception:  # the change is committed; a plugin's failure must not undo it
        log.exception("plugin hook %s failed", hook_name)


def notify_after_commit(tm: transaction_module.TransactionManager, pm: pluggy.PluginManager,
                        hook_name: str, **kwargs: Any) -> None:
    if not hasattr(pm.hook, hook_name):
        raise AttributeError(f"no hook named {hook_name!r}")
    tm.get().addAfterCommitHook(_call_hook, args=(pm, hook_name, kwargs))


def notify(request: Request, hook_name: str, **kwargs: Any) -> None:
    notify_after_commit(request.tm, request.registry["plugin_manager"], hook_name, **kwargs)


def includeme(config: Any) -> None:
    config.add_request_method(notify, "notify")
