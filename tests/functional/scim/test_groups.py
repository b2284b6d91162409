"""Groups as Entra provisions them: create, members in both dialects, excludedAttributes."""

from __future__ import annotations

from sqlalchemy import func, select

from trainmeuk_identity.models import GroupMember

from ...support.scim import CORE_GROUP, new_user, patch_op

ADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


def users(scim, n):
    return [scim.post("/Users", new_user(f"user{i}@acme.example", externalId=f"e{i}")).json["id"]
            for i in range(n)]


def member_ids(scim, group_id):
    return sorted(m["value"] for m in scim.get(f"/Groups/{group_id}").json.get("members", []))


def test_create_group_with_the_adscim_schema_and_members(scim):
    a, _ = users(scim, 2)
    body = scim.post("/Groups", {"schemas": [CORE_GROUP, ADSCIM], "displayName": "All Staff",
                                 "externalId": "grp-1", "members": [{"value": a}]}).json
    assert body["schemas"] == [CORE_GROUP]
    assert body["displayName"] == "All Staff" and body["meta"]["resourceType"] == "Group"
    assert [m["value"] for m in body["members"]] == [a]
    found = scim.get("/Groups", filter='displayName eq "all staff"',
                     excludedAttributes="members").json
    assert found["totalResults"] == 1 and "members" not in found["Resources"][0]
    one = scim.get(f"/Groups/{body['id']}", excludedAttributes="members").json
    assert one["id"] == body["id"] and "members" not in one


def test_members_added_and_removed_in_both_dialects(scim):
    a, b, c = users(scim, 3)
    gid = scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "Team"}).json["id"]
    scim.patch(f"/Groups/{gid}", patch_op(
        {"op": "Add", "path": "members", "value": [{"value": a}, {"value": b}]}), status=204)
    assert member_ids(scim, gid) == sorted([a, b])
    scim.patch(f"/Groups/{gid}", patch_op(
        {"op": "Remove", "path": "members", "value": [{"value": a}]}), status=204)
    assert member_ids(scim, gid) == [b]
    scim.patch(f"/Groups/{gid}", patch_op(
        {"op": "add", "path": "members", "value": [{"value": c}]},
        {"op": "remove", "path": f'members[value eq "{b}"]'}), status=204)
    assert member_ids(scim, gid) == [c]
    # Adding a member twice is harmless.
    scim.patch(f"/Groups/{gid}", patch_op(
        {"op": "add", "path": "members", "value": [{"value": c}]}), status=204)
    assert member_ids(scim, gid) == [c]


def test_filter_groups_by_member(scim):
    a, b = users(scim, 2)
    gid = scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "G",
                                "members": [{"value": a}]}).json["id"]
    found = scim.get("/Groups", filter=f'members.value eq "{a}"', excludedAttributes="members").json
    assert [r["id"] for r in found["Resources"]] == [gid]
    found = scim.get("/Groups", filter=f'id eq "{gid}" and members eq "{b}"').json
    assert found["totalResults"] == 0


def test_rename_group_with_path_less_replace(scim):
    gid = scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "Old"}).json["id"]
    scim.patch(f"/Groups/{gid}", patch_op(
        {"op": "Replace", "value": {"id": gid, "displayName": "New"}}), status=204)
    assert scim.get(f"/Groups/{gid}").json["displayName"] == "New"


def test_unknown_member_is_invalid_value_and_changes_nothing(scim, dbsession):
    (a,) = users(scim, 1)
    gid = scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "G"}).json["id"]
    response = scim.patch(f"/Groups/{gid}", patch_op(
        {"op": "Add", "path": "members", "value": [{"value": a}, {"value": "nope"}]}), status=400)
    assert response.json["scimType"] == "invalidValue"
    assert dbsession.scalar(select(func.count()).select_from(GroupMember)
                            .where(GroupMember.group_id == gid)) == 0


def test_put_and_delete_group(scim):
    a, b = users(scim, 2)
    gid = scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "G",
                                "members": [{"value": a}]}).json["id"]
    body = scim.put(f"/Groups/{gid}", {"schemas": [CORE_GROUP], "displayName": "G2",
                                       "members": [{"value": b}]}).json
    assert body["displayName"] == "G2" and [m["value"] for m in body["members"]] == [b]
    scim.delete(f"/Groups/{gid}")
    scim.get(f"/Groups/{gid}", status=404)


def test_duplicate_group_name_conflicts(scim):
    scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "Dup"})
    response = scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "DUP"}, status=409)
    assert response.json["scimType"] == "uniqueness"


def test_deleted_user_leaves_its_groups(scim):
    (a,) = users(scim, 1)
    gid = scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "G",
                                "members": [{"value": a}]}).json["id"]
    scim.delete(f"/Users/{a}")
    assert member_ids(scim, gid) == []


def test_members_with_null_ref_as_entra_sends_them(scim):
    a, b = users(scim, 2)
    gid = scim.post("/Groups", {"schemas": [CORE_GROUP, ADSCIM], "externalId": "g-ext",
                                "displayName": "Ref", "meta": {"resourceType": "Group"}}).json["id"]
    scim.patch(f"/Groups/{gid}", patch_op({"op": "Add", "path": "members", "value": [
        {"$ref": None, "value": a}, {"$ref": None, "value": b}]}), status=204)
    scim.patch(f"/Groups/{gid}", patch_op({"op": "Remove", "path": "members", "value": [
        {"$ref": None, "value": a}]}), status=204)
    assert member_ids(scim, gid) == [b]
