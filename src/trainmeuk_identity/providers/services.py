"""What an event hook may use beyond its arguments (part of the plugin contract)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from .base import ProviderRegistry


@dataclass(frozen=True)
class HookServices:
    """Handed to every event hook, which (but for ``user_provisioning``) runs after the
    request's transaction has ended: the application settings, a session factory for a
    short transaction of the hook's own, the mail worker to wake (None where the
    application runs none, e.g. the console script), the provider registry, and
    ``base_url(subdomain)``, a tenant's public address for links. Built by
    :func:`trainmeuk_identity.events.hook_services`.

    The session factory is the requests' own: on PostgreSQL its sessions see no
    tenant's rows until bound to one, so a hook binds its session to the tenant it works
    for first (``trainmeuk_identity.models.bind_tenant(session, tenant.id)``, as the
    welcome email does; see docs/decisions/0015-row-level-security.md)."""

    settings: Mapping[str, Any]
    session_factory: sessionmaker[Session]
    providers: ProviderRegistry
    base_url: Callable[[str], str]
    mail_worker: Any = None
