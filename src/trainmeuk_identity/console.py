"""What every console command shares: the application it runs in, its usage error and
reading a secret from standard input.

Commands run inside the application's own registry, loaded from the ini file with
``pyramid.paster.bootstrap`` exactly as the server loads it (same settings, plugins,
database session factory): nothing is wired twice. The console runs no mail worker of
its own; mail it causes waits in the outbox for a server process to deliver.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import transaction
from pyramid.paster import bootstrap
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .events import hook_services, notify_after_commit
from .models import Tenant, get_tm_session
from .providers import ProviderRegistry

#: Settings a script's ``bootstrap`` overrides in the ini (see :func:`trainmeuk_identity.main`).
CONSOLE_OPTIONS = {"trainmeuk.mail_worker": "false"}


class UsageError(Exception):
    """Bad input: printed as one line, exit status 2."""


def read_secret(flag: bool, what: str) -> str | None:
    """The first line of standard input when ``flag`` is set (a secret never goes on
    the command line, where other users could read it)."""
    if not flag:
        return None
    value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise UsageError(f"no {what} on standard input")
    return value


class Console:
    """The application as a command sees it: settings, providers, transactions."""

    def __init__(self, config_uri: str, env: dict[str, Any]) -> None:
        self.config_uri = config_uri
        self.registry = env["registry"]
        self.request = env["request"]
        self.settings = self.registry.settings

    @property
    def providers(self) -> ProviderRegistry:
        return self.registry["providers"]

    @property
    def plugin_manager(self) -> Any:
        return self.registry["plugin_manager"]

    @property
    def database_url(self) -> str:
        return self.registry["db_engine"].url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[tuple[Session, transaction.TransactionManager]]:
        """One transaction: committed if the block ends normally, else rolled back.
        Console commands work across tenants: their session is on the cross-tenant path
        (on PostgreSQL the role ``trainmeuk_cross_tenant``, see models/isolation.py),
        never the requests' restricted one."""
        tm = self.request.tm
        with tm:
            yield get_tm_session(self.registry["cross_tenant_session_factory"], tm), tm

    def tenant(self, session: Session, subdomain: str) -> Tenant:
        tenant = session.scalar(select(Tenant).where(Tenant.subdomain == subdomain.lower()))
        if tenant is None:
            raise UsageError(f"no tenant with subdomain {subdomain!r}")
        return tenant

    def notify(self, tm: transaction.TransactionManager, session: Session, hook: str,
               **kwargs: Any) -> None:
        """Fire ``hook`` after ``tm`` commits (and its hook inside the transaction of
        ``session`` now), with the same services as the web app's."""
        notify_after_commit(tm, self.plugin_manager, hook, services=hook_services(self.registry),
                            session=session, **kwargs)


@contextmanager
def console(config_uri: str) -> Iterator[Console]:
    """The application of ``config_uri``, loaded for one command and closed after it."""
    env = bootstrap(config_uri, options=dict(CONSOLE_OPTIONS))
    try:
        yield Console(config_uri, env)
    finally:
        env["closer"]()
        # Its connections end with the command, also when called in-process (tests).
        for value in list(env["registry"].values()):
            if isinstance(value, Engine):
                value.dispose()
