"""A PATCH of simple replacements applied directly leaves the account exactly as the
library's path would: the same columns, stored representation and response, and the
same answer to "did anything change"; anything else is left to the library."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from scim2_models import Context, InvalidValueException, PatchOp, SCIMException

from trainmeuk_identity.providers.entra.scim import entra_policy, normalize
from trainmeuk_identity.scim import mapping, simple_patch
from trainmeuk_identity.scim.schema import UserResource

from ...fuzz.strategies import ENTERPRISE, ENTRA_USER, PATCH_OP
from .test_rendering import USERS_URL, incoming_users, names, stored_user

CREATED = datetime(2026, 1, 2, tzinfo=UTC)
COLUMNS = ("user_name", "external_id", "given_name", "family_name", "display_name", "job_title",
           "department", "employee_number", "manager_id", "email", "active", "scim_resource")
PATHS = [t.path for t in simple_patch.TARGETS.values()]


def account(user: Any) -> dict[str, Any]:
    return {**{c: getattr(user, c) for c in COLUMNS},
            "emails": [(e.value, e.type, e.primary) for e in user.emails],
            "payload": mapping.user_payload(user, USERS_URL)}


def library_patch(user: Any, payload: dict[str, Any]) -> bool | None:
    """What UserStore.patch does with the library: None if the library refuses it."""
    policy = entra_policy()
    resource = mapping.user_resource_from(mapping.user_payload(user, USERS_URL))
    try:
        patch = PatchOp[UserResource].model_validate(
            payload, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=policy)
        if not patch.patch(resource, scim_policy=policy):
            return False
        mapping.apply_user(user, resource)
    except (ValidationError, SCIMException, ValueError):
        return None
    return True


def as_row(user: Any) -> mapping.UserRow:
    """The account as the store reads it for a PATCH (UserStore.read)."""
    return mapping.UserRow(
        *(copy.deepcopy(getattr(user, column.key)) for column in mapping.USER_ROW_COLUMNS),
        emails=[mapping.EmailRow(e.value, e.type, e.primary) for e in user.emails])


def row_account(user: Any) -> dict[str, Any]:
    """What the store writes of a row (its fields) and answers (the payload)."""
    return {**{name: getattr(user, name) for name in mapping.UserRow.__dataclass_fields__
               if name != "emails"}, "payload": mapping.user_payload(user, USERS_URL)}


def assert_same(resource: dict[str, Any], body: dict[str, Any]) -> bool:
    """True if the direct path took the body (and agreed with the library), applied to
    a mapped user and to the row the store reads."""
    try:
        by_library = stored_user(resource, created=CREATED, modified=CREATED)
    except (ValidationError, InvalidValueException):  # refused at the door: never stored
        return False
    direct = copy.deepcopy(by_library)
    row = as_row(by_library)
    payload = normalize("User", "PATCH", copy.deepcopy(body))
    found = simple_patch.replacements(payload)
    before = mapping.user_payload(direct, USERS_URL)
    assert mapping.user_payload(row, USERS_URL) == before
    if found is None or not simple_patch.fits(found, before):
        return False
    untouched = account(direct)
    changed = simple_patch.apply(direct, before, found)
    assert simple_patch.apply(row, before, found) is changed
    assert library_patch(by_library, payload) is changed, (resource, body)
    assert account(direct) == account(by_library), (resource, body)
    assert row_account(row) == row_account(by_library), (resource, body)
    if not changed:
        assert account(direct) == untouched
    return True


def recased(path: str, case: Any) -> str:
    return case(path)


operations = st.lists(st.fixed_dictionaries({
    "op": st.sampled_from(["Replace", "replace", "REPLACE", "add", "Remove"]),
    "path": st.one_of(st.builds(recased, st.sampled_from(PATHS), st.sampled_from([str, str.lower, str.upper])),
                      st.sampled_from(["nickName", "name.formatted", "emails[type eq \"work\"].value",
                                       "active", "userName", f"{ENTERPRISE}:manager"])),
    "value": st.one_of(names, st.sampled_from(["", "x" * 300, "Engineer", "Research", "Fuzz"]),
                       st.integers(0, 3), st.booleans(), st.none()),
}), min_size=1, max_size=3)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(incoming_users(), operations)
def test_simple_replacements_leave_the_account_as_the_library_does(resource, ops):
    taken = assert_same(resource, {"schemas": [PATCH_OP], "Operations": ops})
    event("taken directly" if taken else "left to the library")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), st.one_of(names, st.sampled_from(
    ["Engineer", "Research", "Fuzz", "User", "1001", "Fuzz User"]))), min_size=1, max_size=4))
@example([("title", "Engineer")])  # the value it has: nothing changes
@example([("title", "Lead"), ("title", "Engineer")])  # changed, then back
def test_entras_everyday_patch_takes_the_direct_path_and_agrees(pairs):
    body = {"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": path, "value": value} for path, value in pairs]}
    assert assert_same(ENTRA_USER, body)


def test_anything_else_is_left_to_the_library():
    before = {"name": {"givenName": "Pat"}, ENTERPRISE: {"department": "Sales"}}
    replace = {"op": "Replace", "path": "title", "value": "Lead"}
    for body in (
        {"schemas": [PATCH_OP], "Operations": []},
        {"schemas": [PATCH_OP], "Operations": [replace], "extra": 1},
        {"schemas": [PATCH_OP, "urn:x"], "Operations": [replace]},
        {"schemas": [PATCH_OP], "operations": [replace]},
        {"schemas": [PATCH_OP], "Operations": [{**replace, "op": "Add"}]},
        {"schemas": [PATCH_OP], "Operations": [{**replace, "value": ""}]},
        {"schemas": [PATCH_OP], "Operations": [{**replace, "value": "x" * 1000}]},
        {"schemas": [PATCH_OP], "Operations": [{**replace, "value": ["Lead"]}]},
        {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "value": {"title": "Lead"}}]},
        {"schemas": [PATCH_OP], "Operations": [{**replace, "path": "active", "value": "False"}]},
        {"schemas": [PATCH_OP], "Operations": [replace, {**replace, "path": "nickName"}]},
    ):
        assert simple_patch.replacements(body) is None, body
    # A value inside a complex attribute the account has not stored: the library builds it.
    found = simple_patch.replacements(
        {"schemas": [PATCH_OP], "Operations": [{**replace, "path": f"{ENTERPRISE}:department"}]})
    assert found is not None
    assert not simple_patch.fits(found, {"title": "x"})
    assert simple_patch.fits(found, before)
