"""The caller's row is read positionally into ``CallerToken`` and ``CallerConnection``
(the SCIM hot path builds no mapping per request): the columns the caller query
selects must be those dataclasses' fields, in their order."""

from __future__ import annotations

from dataclasses import fields

from trainmeuk_identity.models import isolation
from trainmeuk_identity.scim.security import CallerConnection, CallerToken


def test_the_caller_columns_are_the_dataclasses_fields_in_order():
    assert tuple(f.name for f in fields(CallerToken)) == isolation.CALLER_TOKEN_COLUMNS
    assert tuple(f.name for f in fields(CallerConnection)) == isolation.CALLER_CONNECTION_COLUMNS


def test_both_caller_sources_name_their_columns_alike():
    """PostgreSQL's function and the query over the tables (SQLite) offer the same
    columns, so one statement shape serves both."""
    on_postgresql = isolation.scim_caller(row_security=True)
    elsewhere = isolation.scim_caller(row_security=False)
    assert list(on_postgresql.c.keys()) == list(elsewhere.c.keys())
    assert list(elsewhere.c.keys()) == [f"token_{n}" for n in isolation.CALLER_TOKEN_COLUMNS] + [
        f"connection_{n}" for n in isolation.CALLER_CONNECTION_COLUMNS]
