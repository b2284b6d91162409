"""What SQL a request costs: members are read only when asked for, pages cost the same,
and each request of Entra's steady mix costs a small, fixed number of statements."""

from __future__ import annotations

from sqlalchemy import event

from trainmeuk_identity.models import User
from trainmeuk_identity.scim import protocol

from ...support.scim import CORE_GROUP, ENTERPRISE, new_user, patch_op
from ...support.sql import recording_statements

BACKGROUND = ("provisioning_log", "UPDATE scim_tokens", "scim_rate_counts")


def _request_cost(statement: str) -> bool:
    # The provisioning log, the token's last use and the shared rate counts are written
    # by background threads in batches: not the request's cost. Nor is SQLite's BEGIN.
    return not any(b in statement for b in BACKGROUND) and not statement.startswith("BEGIN")


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


def _cost(app, call) -> list[str]:
    call()  # warm: nothing is built on a first request that the count should see
    with statements(app) as seen:
        call()
    return seen


def test_entras_steady_mix_costs_a_fixed_number_of_statements(app, scim):
    """The caller (tenant, token and connection) is one query; the work is one or two."""
    ids = [scim.post("/Users", new_user(f"m{i}@acme.example", externalId=f"m{i}")).json["id"]
           for i in range(3)]
    gid = scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "Staff"}).json["id"]
    ops = iter(("add", "remove") * 2)
    titles = iter(("Analyst", "Lead analyst"))
    costs = {
        "GET filter": _cost(app, lambda: scim.get("/Users", filter='userName eq "m1@acme.example"')),
        "GET miss": _cost(app, lambda: scim.get(
            "/Users", filter='userName eq "9a1c7e1b-0b7f-4d5e-8c2a-3f1e2d4c5b6a"')),
        "GET id": _cost(app, lambda: scim.get(f"/Users/{ids[0]}")),
        "PATCH user": _cost(app, lambda: scim.patch(f"/Users/{ids[1]}", patch_op(
            {"op": "Replace", "path": "title", "value": next(titles)},
            {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Finance"}))),
        "PATCH group": _cost(app, lambda: scim.patch(f"/Groups/{gid}", patch_op(
            {"op": next(ops).capitalize(), "path": "members", "value": [{"value": ids[2]}]}),
            status=204)),
    }
    counts = {name: len(seen) for name, seen in costs.items()}
    # caller + query; the total is not counted when the page tells it.
    assert counts["GET filter"] == counts["GET miss"] == counts["GET id"] == 2, costs
    # caller + user + UPDATE.
    assert counts["PATCH user"] == 3, costs
    # caller + UPDATE ... RETURNING (the group, locked) + known users + INSERT or DELETE.
    assert counts["PATCH group"] <= 4, costs


def test_creating_a_user_checks_user_name_and_external_id_in_one_query(app, scim):
    scim.post("/Users", new_user("first@acme.example", externalId="first"))
    with statements(app) as seen:
        scim.post("/Users", new_user("second@acme.example", externalId="second"))
    request_part = [s for s in seen if "password_tokens" not in s and "mail_outbox" not in s]
    selects_of_users = [s for s in request_part[:4] if s.lstrip().startswith("SELECT users.")]
    assert len(selects_of_users) == 1, seen


def test_creating_a_user_and_queueing_its_welcome_is_one_transaction(app, scim):
    scim.post("/Users", new_user("first@acme.example", externalId="first"))
    with statements(app) as seen:
        scim.post("/Users", new_user("second@acme.example", externalId="second"))
    shape = [" ".join(s.split()[:3]) for s in seen]
    # caller; the account of this userName or externalId; the account and its address;
    # the tenant's SSO connections (what the mail says) and the welcome message. No
    # second transaction that sets the tenant again and reloads the account.
    assert len(seen) == 6, shape
    assert [s for s in shape if s.startswith("INSERT")] == [
        "INSERT INTO users", "INSERT INTO user_emails", "INSERT INTO mail_outbox"], shape
    assert not any("set_config" in s for s in seen[1:]), shape


def test_no_model_class_is_built_per_request(scim):
    scim.get("/Users", filter='userName eq "nobody@acme.example"')
    before = protocol.parametrised.cache_info()
    for _ in range(3):
        scim.get("/Users", filter='userName eq "nobody@acme.example"')
        scim.patch("/Users/unknown-id", patch_op({"op": "replace", "path": "title", "value": "x"}),
                   status=404)
    assert protocol.parametrised.cache_info().misses == before.misses


def test_an_everyday_patch_writes_the_row_without_loading_a_mapped_user(scim):
    """Entra's everyday PATCH is read and written as a row (decision 0025); a PATCH the
    library applies loads the account as a mapped object."""
    user_id = scim.post("/Users", new_user("row@acme.example")).json["id"]
    loaded: list[str] = []

    def on_load(target, context):
        loaded.append(target.id)

    event.listen(User, "load", on_load)
    try:
        scim.patch(f"/Users/{user_id}", patch_op({"op": "Replace", "path": "title", "value": "Lead"}))
        assert loaded == []
        scim.patch(f"/Users/{user_id}", patch_op({"op": "Add", "path": "nickName", "value": "Ro"}))
        assert loaded == [user_id]
    finally:
        event.remove(User, "load", on_load)
    assert scim.get(f"/Users/{user_id}").json["title"] == "Lead"
