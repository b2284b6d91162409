"""What SQL a request costs: members are read only when asked for, pages cost the same."""

from __future__ import annotations

from ...support.sql import recording_statements
from .conftest import CORE_GROUP, new_user, patch_op


def _request_cost(statement: str) -> bool:
    # The provisioning log and the token's last use are written after the request, in a
    # transaction of their own (pruning now and then): not the request's cost.
    return "provisioning_log" not in statement and "UPDATE scim_tokens" not in statement


def statements(app):
    return recording_statements(app.registry["db_engine"], keep=_request_cost)


def touching_members(seen):
    return [s for s in seen if "group_members" in s]


def test_excluded_members_are_not_read(app, scim):
    ids = [scim.post("/Users", new_user(f"q{i}@acme.example", externalId=f"q{i}")).json["id"]
           for i in range(3)]
    gid = scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "G",
                                "members": [{"value": i} for i in ids]}).json["id"]
    with statements(app) as seen:
        scim.get(f"/Groups/{gid}", excludedAttributes="members")
        scim.get("/Groups", filter='displayName eq "G"', excludedAttributes="members")
    assert touching_members(seen) == []
    with statements(app) as seen:
        body = scim.get(f"/Groups/{gid}").json
    assert len(body["members"]) == 3 and len(touching_members(seen)) == 1


def test_adding_a_member_is_one_insert_not_a_reload(app, scim):
    ids = [scim.post("/Users", new_user(f"r{i}@acme.example", externalId=f"r{i}")).json["id"]
           for i in range(4)]
    gid = scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "G",
                                "members": [{"value": i} for i in ids[:3]]}).json["id"]
    with statements(app) as seen:
        scim.patch(f"/Groups/{gid}", patch_op(
            {"op": "add", "path": "members", "value": [{"value": ids[3]}]}), status=204)
    member_sql = touching_members(seen)
    assert len(member_sql) == 1 and member_sql[0].lstrip().upper().startswith("INSERT")


def test_a_page_costs_the_same_whatever_its_size(app, scim):
    for i in range(12):
        scim.post("/Users", new_user(f"p{i}@acme.example", externalId=f"p{i}"))
    counts = []
    for count in (2, 12):
        with statements(app) as seen:
            assert len(scim.get("/Users", count=count).json["Resources"]) == count
        counts.append(len(seen))
    assert counts[0] == counts[1]
