"""A lookup's search built directly (``protocol._plain_search``) is the one the library's
validation makes of the same query: the same filter text and tree, the same request;
and where the shortcut is not sure (anything but a plain ``attribute eq "text"`` on an
attribute the resource declares), it declines and the library decides."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from pyramid.request import Request
from scim2_models import Context, SCIMException, ScimPolicy, SearchRequest

from trainmeuk_identity.providers.entra.scim import entra_policy
from trainmeuk_identity.scim import protocol
from trainmeuk_identity.scim.schema import GroupResource, UserResource

POLICIES = [ScimPolicy(), entra_policy()]
MODELS = [UserResource, GroupResource]


def declared_names(model: Any) -> list[str]:
    return [f.serialization_alias or f.alias or name for name, f in model.model_fields.items()]


NAMES = [*sorted({n for m in MODELS for n in declared_names(m)}), "foo", "userNames", "x1"]


def spelt(name: str, data: st.DataObject) -> str:
    flips = data.draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(c.swapcase() if flip else c for c, flip in zip(name, flips, strict=True))


def library(model: Any, text: str, policy: Any) -> Any:
    try:
        return protocol.parametrised(SearchRequest, model).model_validate(
            {"filter": text}, scim_ctx=Context.SEARCH_REQUEST, scim_policy=policy)
    except (ValidationError, SCIMException, ValueError):
        return None


def assert_agrees(model: Any, text: str) -> bool:
    """True if the shortcut was taken (and agreed)."""
    fast = protocol._plain_search(model, text)
    if fast is None:
        return False
    for policy in POLICIES:
        slow = library(model, text, policy)
        assert slow is not None, text
        assert str(fast.filter) == str(slow.filter) == text
        assert fast.filter.ast == slow.filter.ast
        assert fast.filter.models == slow.filter.models
        assert fast.model_dump() == slow.model_dump()
    return True


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data(), model=st.sampled_from(MODELS), name=st.sampled_from(NAMES),
       op=st.sampled_from(["eq"] * 6 + ["EQ", "ne", "co"]),
       value=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12) | st.text(max_size=12),
       gap=st.sampled_from([" "] * 6 + ["  ", "\t"]))
@example(data=None, model=UserResource, name="userName", op="eq", value="kim@acme.example", gap=" ")
def test_the_shortcut_agrees_with_the_library_or_declines(data: Any, model: Any, name: str, op: str,
                                                          value: str, gap: str) -> None:
    if data is not None:
        name = spelt(name, data)
    event("taken" if assert_agrees(model, f'{name}{gap}{op}{gap}"{value}"') else "declined")


@pytest.mark.parametrize("text", [
    'userName eq "kim@acme.example"', 'externalId eq "8e1f"', 'displayName eq "Kim Lee"',
    'username eq "Kim@Acme.example"', 'emails eq "kim@acme.example"', 'id eq "4a1c"',
])
def test_a_lookup_as_providers_send_it_takes_the_shortcut(text: str) -> None:
    assert assert_agrees(UserResource, text)


@pytest.mark.parametrize("text", [
    'userName eq "a\\"b"', 'userName eq "a\\\\b"', 'userName eq "tab\there"', 'userName  eq "x"',
    ' userName eq "x"', 'userName eq "x" ', 'userName eq x', 'name.givenName eq "Kim"',
    'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"', 'unknownThing eq "x"',
    'userName eq "x" and active eq true', 'emails[value eq "x"]', 'userName EQ "x"',
])
def test_anything_else_is_left_to_the_library(text: str) -> None:
    assert protocol._plain_search(UserResource, text) is None


def test_a_lookup_query_is_answered_by_the_shortcut_without_the_providers_policy():
    """``GET /Users?filter=...`` alone takes the shortcut: it never asks for the
    provider's policy (``request.scim``), which only the library's validation needs."""
    request = Request.blank("/scim/entra/v2/Users?filter=userName%20eq%20%22kim@acme.example%22")
    search = protocol.search_from_query(request, UserResource)
    assert search.model_dump() == library(UserResource, 'userName eq "kim@acme.example"', POLICIES[0]).model_dump()
    with pytest.raises(AttributeError):  # anything else goes to the library, with the policy
        protocol.search_from_query(Request.blank("/scim/entra/v2/Users?filter=active%20eq%20true"),
                                   UserResource)
