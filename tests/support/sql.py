"""Recording the SQL statements an engine sends, for tests of what a request costs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event


@contextmanager
def recording_statements(engine: Any, keep: Callable[[str], bool] = lambda s: True) -> Iterator[list[str]]:
    """Collects every statement ``engine`` sends while the block runs (those ``keep``
    accepts) from the thread that runs the block, the one WebTest runs the request in:
    what background threads send meanwhile (the provisioning-log writer, the SCIM rate
    counts' sync, with SQLite's BEGIN IMMEDIATE) is not the request's cost."""
    seen: list[str] = []
    owner = threading.get_ident()

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if threading.get_ident() == owner and keep(statement):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
