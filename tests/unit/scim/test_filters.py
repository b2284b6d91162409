"""SCIM filters become SQLAlchemy expressions through the declared attribute maps.

A filter is read as the endpoint reads it: validated as a SearchRequest under the Entra
dialect's policy (``scim/protocol.py``), then turned into SQL by ``filters.to_sql``.
"""

from __future__ import annotations

import pytest
from scim2_models import Context, InvalidFilterException, SearchRequest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from trainmeuk_identity.models import Group, User
from trainmeuk_identity.providers.entra import EntraProvider
from trainmeuk_identity.scim import filters, protocol, store
from trainmeuk_identity.scim.group_store import GROUP_ATTRIBUTES
from trainmeuk_identity.scim.schema import GroupResource, UserResource, scim_service
from trainmeuk_identity.scim.store import USER_ATTRIBUTES

SQLITE = sqlite.dialect()
POLICY = scim_service(EntraProvider()).policy


def sql(text: str, model=UserResource, attributes=USER_ATTRIBUTES, table=User,
        dialect=SQLITE) -> tuple[str, dict]:
    search = protocol.validate(protocol.parametrised(SearchRequest, model), {"filter": text},
                               Context.SEARCH_REQUEST, POLICY)
    where = filters.to_sql(search.filter, attributes, dialect.name)
    compiled = select(table.id).where(where).compile(dialect=dialect)
    return str(compiled), compiled.params


def test_user_name_compares_folded_values_as_parameters():
    text, params = sql('userName eq "Bob@Example.COM"')
    assert "users.user_name_key = " in text
    assert "bob@example.com" in params.values()
    assert "bob@example.com" not in text  # a bound parameter, never SQL text


def test_case_insensitive_contains_lowers_the_column_and_escapes_wildcards():
    text, params = sql('displayName co "50%_off"')
    assert "lower(users.display_name) LIKE" in text
    assert "%50\\%\\_off%" in params.values()


def test_case_exact_attributes_compare_substrings_not_like():
    text, _ = sql('externalId sw "AB"')
    assert "substr(users.external_id" in text and "LIKE" not in text
    pg_text, _ = sql('externalId co "AB"', dialect=postgresql.dialect())
    assert "strpos(users.external_id" in pg_text


def test_multi_valued_attributes_become_exists():
    text, params = sql('emails[type eq "work" and value ew "@acme.example"]')
    assert text.count("EXISTS") == 1 and "user_emails.user_id = users.id" in text
    assert "work" in params.values()
    text, _ = sql('emails.value eq "a@b.c" or emails pr')
    assert text.count("EXISTS") == 2


def test_logic_and_null_safety():
    text, _ = sql('not (title eq "x") and (active eq true or displayName ne "y")')
    assert "NOT (users.job_title IS NOT NULL AND lower(users.job_title) = " in text
    assert "users.display_name IS NULL OR lower(users.display_name) != " in text


def test_dates_are_typed():
    _, params = sql('meta.lastModified gt "2026-01-02T03:04:05Z"')
    (value,) = [v for v in params.values() if hasattr(v, "year")]
    assert (value.year, value.tzinfo is not None) == (2026, True)


def test_group_members_value():
    text, params = sql('members.value eq "u1"', GroupResource, GROUP_ATTRIBUTES, Group)
    assert "EXISTS" in text and "group_members.group_id = groups.id" in text
    assert "u1" in params.values()


@pytest.mark.parametrize("text", ['userName eq', 'unknown eq "x"', 'active lt true',
                                  'addresses.locality eq "x"', 'userName eq "a" or'])
def test_bad_or_unsupported_filters_are_invalid_filter(text):
    with pytest.raises(InvalidFilterException):
        sql(text)


def parsed(text: str, model=UserResource):
    return protocol.validate(protocol.parametrised(SearchRequest, model), {"filter": text},
                             Context.SEARCH_REQUEST, POLICY).filter


@pytest.mark.parametrize(("first", "second", "value"), [
    ('userName eq "Bob@Example.COM"', 'USERNAME eq "ann@example.com"', "ann@example.com"),
    ('displayName eq "Bob"', 'displayName eq "ANN"', "ann"),
    ('externalId eq "x-1"', 'externalId eq "X-2"', "X-2"),
])
def test_one_equality_reuses_one_statement_per_attribute(first, second, value):
    """A provider's lookup (``attribute eq "text"``) runs a statement built once; the
    value is bound when it runs, and the statement says what to_sql would have said."""
    one, _, reusable = store.filtered(store.READ_USERS, parsed(first), USER_ATTRIBUTES, "sqlite")
    other, values, _ = store.filtered(store.READ_USERS, parsed(second), USER_ATTRIBUTES, "sqlite")
    assert reusable and one is other
    assert values == {filters.FILTER_VALUE.key: value}
    built = store.READ_USERS.where(filters.to_sql(parsed(second), USER_ATTRIBUTES, "sqlite"))
    rendered = [str(s.compile(dialect=SQLITE)).replace("filter_value", "param_1")
                for s in (other, built)]
    assert rendered[0] == rendered[1]


@pytest.mark.parametrize("text", [
    'userName ne "a"', 'emails.value eq "a@example.com"', 'active eq true',
    'userName eq "a" or userName eq "b"', 'title eq null',
])
def test_other_filters_build_their_own_statement(text):
    _, values, reusable = store.filtered(store.READ_USERS, parsed(text), USER_ATTRIBUTES, "sqlite")
    assert not reusable and values == {}
