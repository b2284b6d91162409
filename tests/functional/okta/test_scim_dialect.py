"""SCIM as Okta's provisioning client speaks it, request by request as Okta documents it:
user lookup by userName, create, full-profile PUT, path-less PATCH of ``active``
(Okta never deletes a user), and Group Push (create, rename by PATCH or PUT, members
``add`` / ``remove`` / ``replace``)."""

from __future__ import annotations

import pytest

from ...support.app import tenant_app
from ...support.scim import CORE_GROUP, CORE_USER, ERROR, LIST_RESPONSE, ScimClient, enable_scim, patch_op


@pytest.fixture
def okta_scim(okta_app, tenant, session_factory):
    return ScimClient(tenant_app(okta_app, tenant), enable_scim(session_factory, tenant, "okta"),
                      base="/scim/okta/v2")


def okta_user(user_name="test.user@acme.example", okta_id="00ujl29u0le5T6Aj10h7", **extra):
    """A user as Okta creates it (its documented example: core schema only, an empty
    ``groups``, the password it generates, ``locale``)."""
    body = {
        "schemas": [CORE_USER], "userName": user_name,
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": "Test User", "locale": "en-US", "externalId": okta_id,
        "groups": [], "password": "1mz050nq", "active": True,
    }
    body.update(extra)
    return body


def lookup(scim, user_name):
    return scim.get("/Users", filter=f'userName eq "{user_name}"', startIndex=1, count=100).json


def test_test_connector_configuration(okta_scim):
    users = okta_scim.get("/Users", startIndex=1, count=2).json
    assert users["schemas"] == [LIST_RESPONSE] and users["totalResults"] == 0
    assert isinstance(users["startIndex"], int) and isinstance(users["itemsPerPage"], int)
    assert okta_scim.get("/Groups").json["totalResults"] == 0


def test_a_bad_token_is_401_with_a_scim_error(okta_scim):
    okta_scim.token = "not-a-token"
    response = okta_scim.get("/Users", status=401)
    assert ERROR in response.json["schemas"] and response.json["detail"]


def test_lookup_then_create_then_lookup(okta_scim):
    assert lookup(okta_scim, "test.user@acme.example")["totalResults"] == 0
    created = okta_scim.post("/Users", okta_user()).json
    assert created["userName"] == "test.user@acme.example" and created["active"] is True
    assert created["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert "password" not in created
    # Okta compares userName case-insensitively.
    found = lookup(okta_scim, "Test.User@ACME.example")
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == created["id"]


def test_a_duplicate_create_is_409(okta_scim):
    okta_scim.post("/Users", okta_user())
    response = okta_scim.post("/Users", okta_user("TEST.USER@acme.example"), status=409)
    assert ERROR in response.json["schemas"] and response.json["scimType"] == "uniqueness"


def test_profile_updates_are_a_full_put(okta_scim):
    created = okta_scim.post("/Users", okta_user()).json
    body = okta_user(name={"givenName": "Tess", "familyName": "Userton"}, displayName="Tess Userton",
                     emails=[{"primary": True, "value": "tess@acme.example", "type": "work"}])
    # Okta sends back what it read, with id, meta and groups, and may send a password.
    body.update(id=created["id"], meta={"resourceType": "User"})
    updated = okta_scim.put(f"/Users/{created['id']}", body).json
    assert updated["id"] == created["id"]
    assert updated["name"]["givenName"] == "Tess" and updated["displayName"] == "Tess Userton"
    assert [e["value"] for e in updated["emails"]] == ["tess@acme.example"]
    assert "password" not in updated
    assert okta_scim.get(f"/Users/{created['id']}").json["name"]["familyName"] == "Userton"


def test_deactivate_and_reactivate_by_path_less_patch(okta_scim):
    created = okta_scim.post("/Users", okta_user()).json
    off = okta_scim.patch(f"/Users/{created['id']}", patch_op(
        {"op": "replace", "value": {"active": False}})).json
    assert off["active"] is False
    # Deactivated people stay readable, by id and by the lookup Okta makes.
    assert okta_scim.get(f"/Users/{created['id']}").json["active"] is False
    assert lookup(okta_scim, "test.user@acme.example")["Resources"][0]["active"] is False
    on = okta_scim.patch(f"/Users/{created['id']}", patch_op(
        {"op": "replace", "value": {"active": True}})).json
    assert on["active"] is True


def test_paging_is_stable(okta_scim):
    ids = {okta_scim.post("/Users", okta_user(f"u{i}@acme.example", okta_id=f"00u{i}")).json["id"]
           for i in range(5)}
    seen = []
    for start in (1, 3, 5):
        page = okta_scim.get("/Users", startIndex=start, count=2).json
        assert page["startIndex"] == start and page["totalResults"] == 5
        seen += [r["id"] for r in page["Resources"]]
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    again = [r["id"] for s in (1, 3, 5) for r in okta_scim.get("/Users", startIndex=s, count=2).json["Resources"]]
    assert again == seen


def members(scim, gid):
    return sorted(m["value"] for m in scim.get(f"/Groups/{gid}").json.get("members", []))


def test_group_push(okta_scim):
    a, b, c = (okta_scim.post("/Users", okta_user(f"{n}@acme.example", okta_id=f"00u{n}")).json["id"]
               for n in "abc")
    # Okta looks for the group before pushing it.
    assert okta_scim.get("/Groups", filter='displayName eq "Test SCIMv2"', startIndex=1,
                         count=100).json["totalResults"] == 0
    group = okta_scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "Test SCIMv2",
                                       "members": []}).json
    gid = group["id"]
    assert group["displayName"] == "Test SCIMv2" and group.get("members", []) == []

    # Rename: a path-less replace carrying the group's id and new name.
    okta_scim.patch(f"/Groups/{gid}", patch_op(
        {"op": "replace", "value": {"id": gid, "displayName": "Test SCIMv2 (renamed)"}}), status="2*")
    assert okta_scim.get(f"/Groups/{gid}").json["displayName"] == "Test SCIMv2 (renamed)"

    okta_scim.patch(f"/Groups/{gid}", patch_op(
        {"op": "add", "path": "members", "value": [{"value": a, "display": "a@acme.example"},
                                                   {"value": b, "display": "b@acme.example"}]}),
        status="2*")
    assert members(okta_scim, gid) == sorted([a, b])
    okta_scim.patch(f"/Groups/{gid}", patch_op(
        {"op": "remove", "path": f'members[value eq "{a}"]'}), status="2*")
    assert members(okta_scim, gid) == [b]
    okta_scim.patch(f"/Groups/{gid}", patch_op(
        {"op": "replace", "path": "members", "value": [{"value": a, "display": "a@acme.example"},
                                                       {"value": c, "display": "c@acme.example"}]}),
        status="2*")
    assert members(okta_scim, gid) == sorted([a, c])

    # A rename (and full membership) by PUT, as Okta also sends it.
    put = okta_scim.put(f"/Groups/{gid}", {
        "schemas": [CORE_GROUP], "id": gid, "displayName": "Test SCIMv2 (PUT)",
        "members": [{"value": b, "display": "b@acme.example"}]}).json
    assert put["displayName"] == "Test SCIMv2 (PUT)"
    assert members(okta_scim, gid) == [b]

    okta_scim.delete(f"/Groups/{gid}")
    okta_scim.get(f"/Groups/{gid}", status=404)
    # The people are untouched by the group's removal.
    assert okta_scim.get(f"/Users/{b}").json["active"] is True


def test_a_rename_to_another_groups_name_is_409_and_changes_nothing(okta_scim):
    one = okta_scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "One", "members": []}).json
    okta_scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "Two", "members": []})
    response = okta_scim.patch(f"/Groups/{one['id']}", patch_op(
        {"op": "replace", "value": {"id": one["id"], "displayName": "two"}}), status=409)
    assert ERROR in response.json["schemas"]
    assert okta_scim.get(f"/Groups/{one['id']}").json["displayName"] == "One"


def test_a_rename_naming_another_group_id_is_refused(okta_scim):
    one = okta_scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "One", "members": []}).json
    two = okta_scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "Two", "members": []}).json
    okta_scim.patch(f"/Groups/{one['id']}", patch_op(
        {"op": "replace", "value": {"id": two["id"], "displayName": "Renamed"}}), status=400)
    assert okta_scim.get(f"/Groups/{one['id']}").json["displayName"] == "One"


def test_custom_attributes_under_an_extension_are_kept(okta_scim):
    extension = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
    body = okta_user(schemas=[CORE_USER, extension], **{extension: {"costCentre": "R&D"}})
    created = okta_scim.post("/Users", body).json
    assert created["userName"] == "test.user@acme.example"
