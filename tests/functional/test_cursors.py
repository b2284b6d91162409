"""The app's PostgreSQL cursors describe their results only when asked (models/cursors.py),
and what they then describe is exactly what psycopg's own cursor describes."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from trainmeuk_identity.models.cursors import Description, LazyDescriptionCursor

# One column of each kind a SCIM request reads, a NULL, an unnamed one and a numeric
# with its precision and scale.
MANY_TYPES = (
    "SELECT 'ann'::varchar(40) AS user_name, 7 AS n, true AS active, now() AS at, "
    "gen_random_uuid() AS id, '{\"a\": 1}'::jsonb AS doc, NULL::text AS missing, "
    "1.5::numeric(6, 2) AS amount, 1 + 1"
)


@pytest.fixture
def engine(app):
    """The app's engine for requests. The cursors under test are psycopg's, which only a
    PostgreSQL database has: on SQLite there is nothing to test (.ci/run's PostgreSQL
    pass runs these)."""
    engine = app.registry["db_engine"]
    if engine.dialect.driver != "psycopg":
        pytest.skip(f"no psycopg cursors on {engine.dialect.name} (run by the PostgreSQL pass)")
    return engine


@pytest.fixture
def connection(engine):
    fairy = engine.raw_connection()
    try:
        yield fairy.driver_connection
    finally:
        fairy.rollback()
        fairy.close()


def described(description):
    return None if description is None else [tuple(column) for column in description]


def stock(connection, sql):
    with psycopg.Cursor(connection) as cursor:
        cursor.execute(sql)
        return described(cursor.description)


def test_the_apps_connections_make_lazy_cursors(connection):
    with connection.cursor() as cursor:
        assert type(cursor) is LazyDescriptionCursor
        cursor.execute(MANY_TYPES)
        assert isinstance(cursor.description, Description)


@pytest.mark.parametrize("sql", [MANY_TYPES, "SELECT", "SELECT 1 WHERE false"])
def test_a_description_is_psycopgs(connection, sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        description = cursor.description
        assert len(description) == len(stock(connection, sql))
        assert described(description) == stock(connection, sql)


def test_a_statement_without_rows_has_no_description(connection):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 0")
        assert cursor.description is None
    assert stock(connection, "SET LOCAL statement_timeout = 0") is None


def test_items_slices_and_names(connection):
    with connection.cursor() as cursor:
        cursor.execute(MANY_TYPES)
        description = cursor.description
    assert [column.name for column in description] == [
        "user_name", "n", "active", "at", "id", "doc", "missing", "amount", "?column?"]
    assert description[0].name == "user_name"
    assert description[-1].name == "?column?"
    assert [column.name for column in description[1:3]] == ["n", "active"]
    assert description[7].precision == 6 and description[7].scale == 2
    assert description[0].display_size == 40
    assert "user_name" in repr(description)


def test_a_description_stays_its_results_after_the_cursor_moves_on(connection):
    with connection.cursor() as cursor:
        cursor.execute(MANY_TYPES)
        first = cursor.description  # nothing built yet
        cursor.execute("SELECT 1 AS other")
        assert described(first) == stock(connection, MANY_TYPES)
        assert [column.name for column in cursor.description] == ["other"]


def test_sqlalchemy_reads_names_and_rows_through_it(engine):
    statement = text("SELECT 'ann' AS user_name, 7 AS n")
    with engine.connect() as connection:
        for _ in range(3):  # the first execution reads the names, later ones the cached metadata
            row = connection.execute(statement).one()
            assert row._mapping == {"user_name": "ann", "n": 7}
