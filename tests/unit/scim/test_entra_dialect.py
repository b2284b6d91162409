"""Entra's SCIM dialect, rewritten into standard SCIM before scim2-models reads it."""

from __future__ import annotations

from scim2_models import Context, PatchOp, ScimPolicy

from trainmeuk_identity.providers.entra import EntraProvider
from trainmeuk_identity.providers.entra.scim import (
    ADSCIM_GROUP_SCHEMA,
    ENTERPRISE_URN,
    normalize,
)
from trainmeuk_identity.scim.schema import UserResource

MANAGER = f"{ENTERPRISE_URN}:manager"


def test_policy_takes_entra_removals_and_unmatched_filters():
    policy = EntraProvider().scim_policy()
    assert policy.remove_value_as_filter is ScimPolicy.RemoveValue.apply
    assert policy.unmatched_path_filter is ScimPolicy.UnmatchedPathFilter.create


def test_manager_forms_become_value_and_ref():
    body = normalize("User", "POST", {"userName": "a", ENTERPRISE_URN: {"manager": "m1"}})
    assert body[ENTERPRISE_URN]["manager"] == {"value": "m1", "$ref": "../Users/m1"}
    ops = normalize("User", "PATCH", {"Operations": [
        {"op": "Add", "path": MANAGER, "value": {"value": "m2"}},
        {"op": "Replace", "path": MANAGER, "value": ""},
        {"op": "Remove", "path": MANAGER, "value": [{"value": "m2"}]},
        {"op": "replace", "value": {MANAGER: "m3"}},
    ]})["Operations"]
    assert ops[0]["value"] == {"value": "m2", "$ref": "../Users/m2"}
    assert ops[1] == {"op": "remove", "path": MANAGER}
    assert ops[2] == {"op": "Remove", "path": MANAGER}
    assert ops[3]["value"][MANAGER]["value"] == "m3"


def test_adscim_group_schema_is_dropped():
    body = normalize("Group", "POST", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                                                   ADSCIM_GROUP_SCHEMA], "displayName": "g"})
    assert body["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:Group"]


def test_both_patch_dialects_validate_under_the_policy():
    policy = EntraProvider().scim_policy()
    for operations in (
        [{"op": "Replace", "path": "active", "value": "False"},
         {"op": "Remove", "path": "emails", "value": [{"value": "a@b.c"}]}],
        [{"op": "replace", "value": {"name.givenName": "A", "active": False}}],
    ):
        payload = normalize("User", "PATCH", {"schemas": [
            "urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})
        patch = PatchOp[UserResource].model_validate(
            payload, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=policy)
        assert len(patch.operations) == len(operations)


def test_input_is_not_modified():
    original = {"Operations": [{"op": "Add", "path": MANAGER, "value": "m"}]}
    normalize("User", "PATCH", original)
    assert original["Operations"][0]["value"] == "m"
