"""Sessions that commit and abort with a transaction manager (zope.sqlalchemy), joined
at the cost of a dictionary entry.

``zope.sqlalchemy.register(session)`` adds seven event listeners to the one session it
is given, and SQLAlchemy builds listener collections for that instance: in the profile
of the served app under load it cost about 4 % of a SCIM request's CPU, every request.
Here the same listeners (zope.sqlalchemy's own ``ZopeTransactionEvents``) are added
once to the session factory, and each session carries, in its ``info``, the events
object of its own transaction manager (pyramid_tm gives each request its own), which
they call. A session made without one is not joined to any manager.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from zope.sqlalchemy.datamanager import ZopeTransactionEvents

_EVENTS_KEY = "trainmeuk.transaction_events"


def _session(session: Session, *_: Any) -> Session:
    return session


def _session_of_context(context: Any) -> Session:
    return context.session  # ORMExecuteState, and the bulk update/delete contexts


# Each Session event zope.sqlalchemy listens to, and where its listener finds the session.
_EVENTS: dict[str, Callable[..., Session]] = {
    "after_begin": _session, "after_attach": _session, "after_flush": _session,
    "before_commit": _session, "after_bulk_update": _session_of_context,
    "after_bulk_delete": _session_of_context, "do_orm_execute": _session_of_context,
}

_joined_factories: weakref.WeakSet[sessionmaker[Any]] = weakref.WeakSet()
_lock = threading.Lock()


def _relay(name: str, session_of: Callable[..., Session]) -> Callable[..., None]:
    def listener(*args: Any) -> None:
        events = session_of(*args).info.get(_EVENTS_KEY)
        if events is not None:
            getattr(events, name)(*args)
    return listener


def _listen_once(factory: sessionmaker[Any]) -> None:
    if factory in _joined_factories:
        return
    with _lock:
        if factory not in _joined_factories:
            for name, session_of in _EVENTS.items():
                event.listen(factory, name, _relay(name, session_of))
            _joined_factories.add(factory)


def joined_session(factory: sessionmaker[Any], transaction_manager: Any,
                   info: dict[str, Any] | None = None) -> Session:
    """A new session of ``factory`` that commits and aborts with ``transaction_manager``
    (what ``zope.sqlalchemy.register(session, transaction_manager=...)`` gives)."""
    _listen_once(factory)
    events = ZopeTransactionEvents(transaction_manager=transaction_manager)
    return factory(info={**(info or {}), _EVENTS_KEY: events})


def mark_changed(session: Session) -> None:
    """Tell ``session``'s transaction manager that it wrote through Core, on its
    connection: zope.sqlalchemy commits a session only if it knows the session wrote,
    and only flushes and ORM statements tell it themselves. Nothing for a session
    joined to no manager."""
    events = session.info.get(_EVENTS_KEY)
    if events is not None:
        events.mark_changed(session)
