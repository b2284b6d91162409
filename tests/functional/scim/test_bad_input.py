"""Bad requests get a SCIM Error with the right status and scimType, and change nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from trainmeuk_identity.models import User

from ...support.scim import CORE_USER, ERROR, new_user, patch_op


def error(response, status, scim_type=None):
    assert response.status_int == status
    assert response.content_type == "application/scim+json"
    body = response.json
    assert body["schemas"] == [ERROR] and body["status"] == str(status) and body["detail"]
    assert body.get("scimType") == scim_type
    return body


def user_count(dbsession, tenant):
    dbsession.rollback()
    return dbsession.scalar(select(func.count()).select_from(User).where(User.tenant_id == tenant.id))


def test_malformed_json(scim, dbsession, tenant):
    error(scim.post("/Users", b'{"userName": ', status=400), 400, "invalidSyntax")
    error(scim.post("/Users", b'[1, 2]', status=400), 400, "invalidSyntax")
    assert user_count(dbsession, tenant) == 0


def test_unknown_core_attribute_of_user_is_kept_not_refused(scim):
    body = new_user()
    body["favouriteColour"] = "blue"
    scim.post("/Users", body)


def test_missing_user_name_is_invalid_value(scim, dbsession, tenant):
    body = new_user()
    del body["userName"]
    error(scim.post("/Users", body, status=400), 400, "invalidValue")
    assert user_count(dbsession, tenant) == 0


def test_wrong_schema_is_refused(scim):
    response = scim.post("/Users", {"schemas": ["urn:example:not-a-user"], "userName": "x"},
                         status=400)
    assert response.json["scimType"] in {"invalidSyntax", "invalidValue"}


def test_body_too_large_is_413(scim, dbsession, tenant):
    body = new_user()
    body["nickName"] = "x" * (1024 * 1024 + 10)
    error(scim.post("/Users", body, status=413), 413)
    assert user_count(dbsession, tenant) == 0


def test_bad_patch_path_changes_nothing(scim):
    user = scim.post("/Users", new_user()).json
    response = scim.patch(f"/Users/{user['id']}", patch_op(
        {"op": "replace", "path": "displayName", "value": "Changed"},
        {"op": "replace", "path": "no.such[thing", "value": "x"}), status=400)
    assert response.json["scimType"] in {"invalidPath", "invalidFilter", "invalidSyntax"}
    assert scim.get(f"/Users/{user['id']}").json["displayName"] == "Alice Smith"


def test_patch_of_read_only_id_is_mutability(scim):
    user = scim.post("/Users", new_user()).json
    response = scim.patch(f"/Users/{user['id']}", patch_op(
        {"op": "replace", "path": "id", "value": "another"}), status=400)
    error(response, 400, "mutability")


def test_bad_patch_op_is_invalid_value(scim):
    user = scim.post("/Users", new_user()).json
    error(scim.patch(f"/Users/{user['id']}", patch_op({"op": "explode", "path": "title"}),
                     status=400), 400, "invalidValue")


def test_unmatched_replace_filter_is_no_target(scim):
    user = scim.post("/Users", new_user()).json
    error(scim.patch(f"/Users/{user['id']}", patch_op(
        {"op": "replace", "path": 'emails[type eq "home" or value eq "x@y.z"].value', "value": "a@b.c"}),
        status=400), 400, "noTarget")


def test_renaming_to_a_taken_user_name_is_uniqueness(scim):
    scim.post("/Users", new_user("one@acme.example", externalId="1"))
    two = scim.post("/Users", new_user("two@acme.example", externalId="2")).json
    error(scim.patch(f"/Users/{two['id']}", patch_op(
        {"op": "replace", "path": "userName", "value": "ONE@acme.example"}), status=409),
        409, "uniqueness")


def test_unknown_user_and_endpoint_are_404(scim):
    error(scim.get("/Users/does-not-exist", status=404), 404)
    error(scim.patch("/Users/does-not-exist", patch_op(
        {"op": "replace", "path": "title", "value": "x"}), status=404), 404)
    error(scim.get("/Nothing", status=404), 404)


def test_wrong_method_is_405(scim):
    response = scim.app.post("/scim/entra/v2/ServiceProviderConfig", "{}", headers={
        "Authorization": f"Bearer {scim.token}", "Content-Type": "application/scim+json"},
        status=405)
    error(response, 405)
    error(scim.app.delete("/scim/entra/v2/Users", headers={
        "Authorization": f"Bearer {scim.token}"}, status=405), 405)


def test_discovery(scim):
    config = scim.get("/ServiceProviderConfig").json
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = scim.get("/ResourceTypes").json
    assert {r["name"] for r in types["Resources"]} == {"User", "Group"}
    assert scim.get("/ResourceTypes/User").json["schema"] == CORE_USER
    schemas = {s["id"] for s in scim.get("/Schemas").json["Resources"]}
    assert CORE_USER in schemas and "urn:ietf:params:scim:schemas:core:2.0:Group" in schemas
    assert scim.get(f"/Schemas/{CORE_USER}").json["name"] == "User"
    error(scim.get("/Schemas/urn:nope", status=404), 404)
