"""psycopg cursors whose ``description`` is built only when someone reads it.

psycopg builds ``cursor.description`` anew on every access: one :class:`psycopg.Column`
per result column, each decoding its name and looking its type up in the connection's
type registry. SQLAlchemy reads the description after every statement, but once a
statement's compiled form has its result metadata cached (from the second execution on)
it only checks that the description is not None and never looks inside. Profiled
under the load benchmark, building those lists was about 6 % of a worker's time, and
half the driver's cost of the SCIM caller lookup (decision 0027).

:class:`LazyDescriptionCursor` answers with a :class:`Description`: a sequence of the
same :class:`psycopg.Column` objects, built from the result it was taken from the first
time anything reads an item or iterates, and then kept. Its length needs no columns.
``tests/functional/test_cursors.py`` checks it against psycopg's own description, also after
the cursor has moved on to another result.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import psycopg
from psycopg.pq import ExecStatus

#: The statuses for which psycopg describes columns even when there are none ("SELECT ;").
_TUPLES = frozenset({ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK})


class _ResultOf:
    """What :class:`psycopg.Column` reads of a cursor, pinned to one result: the
    description stays that result's even after the cursor runs another statement."""

    __slots__ = ("_encoding", "adapters", "pgresult")

    def __init__(self, cursor: psycopg.Cursor[Any], pgresult: Any) -> None:
        self.pgresult = pgresult
        self._encoding = cursor._encoding
        self.adapters = cursor.adapters


class Description(Sequence[psycopg.Column]):
    """The columns of one result, built on first use."""

    __slots__ = ("_columns", "_cursor", "_length", "_result")

    def __init__(self, cursor: psycopg.Cursor[Any], pgresult: Any) -> None:
        self._cursor: psycopg.Cursor[Any] | None = cursor
        self._result = pgresult
        self._length: int = pgresult.nfields
        self._columns: list[psycopg.Column] | None = None

    def _built(self) -> list[psycopg.Column]:
        if self._columns is None:
            assert self._cursor is not None
            source = _ResultOf(self._cursor, self._result)
            self._columns = [psycopg.Column(source, i) for i in range(self._length)]  # type: ignore[arg-type]
            self._cursor = self._result = None
        return self._columns

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> psycopg.Column: ...
    @overload
    def __getitem__(self, index: slice) -> list[psycopg.Column]: ...
    def __getitem__(self, index: int | slice) -> psycopg.Column | list[psycopg.Column]:
        return self._built()[index]

    def __iter__(self) -> Iterator[psycopg.Column]:
        return iter(self._built())

    def __repr__(self) -> str:
        return repr(self._built())


class LazyDescriptionCursor(psycopg.Cursor[Any]):
    """A psycopg cursor whose :attr:`description` is a :class:`Description`."""

    @property
    def description(self) -> Description | None:  # type: ignore[override]
        result = self.pgresult
        # The same test as psycopg's own description.
        if result and (result.nfields or result.status in _TUPLES):
            return Description(self, result)
        return None


def use_lazy_description(dbapi_connection: Any, connection_record: Any) -> None:
    """An engine's ``connect`` listener: the connection's cursors are
    :class:`LazyDescriptionCursor`."""
    dbapi_connection.cursor_factory = LazyDescriptionCursor


__all__ = ["Description", "LazyDescriptionCursor", "use_lazy_description"]
