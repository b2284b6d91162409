"""Microsoft Entra's documented user provisioning sequence, request by request."""

from __future__ import annotations

import uuid

import pytest
from scim2_models import NotFoundException
from sqlalchemy import select

from trainmeuk_identity.models import TenantScope, User, bind_tenant
from trainmeuk_identity.scim import simple_patch
from trainmeuk_identity.scim.store import UserStore

from ...support.scim import ENTERPRISE, ERROR, LIST_RESPONSE, new_user, patch_op


def test_test_connection_query_answers_an_empty_list(scim):
    response = scim.get("/Users", filter=f'userName eq "{uuid.uuid4()}"')
    assert response.content_type == "application/scim+json"
    assert response.json == {"schemas": [LIST_RESPONSE], "totalResults": 0, "startIndex": 1,
                             "itemsPerPage": 0}


def test_create_user_with_enterprise_extension(scim, dbsession):
    response = scim.post("/Users", new_user())
    body = response.json
    assert response.content_type == "application/scim+json"
    assert response.headers["Location"] == body["meta"]["location"]
    assert body["userName"] == "alice@acme.example"
    assert body["active"] is True
    assert body[ENTERPRISE]["department"] == "Research"
    assert body[ENTERPRISE]["employeeNumber"] == "1001"
    assert body[ENTERPRISE]["manager"]["value"] == "boss-id"
    assert body["meta"]["resourceType"] == "User"
    user = dbsession.get(User, body["id"])
    assert user.source == "scim" and user.scim_provider == "entra"
    assert user.email == "alice@acme.example" and user.department == "Research"
    assert user.job_title == "Engineer" and user.given_name == "Alice"

    fetched = scim.get(f"/Users/{body['id']}").json
    assert fetched["userName"] == "alice@acme.example"
    assert fetched["emails"] == [{"value": "alice@acme.example", "type": "work", "primary": True}]


def test_filter_by_user_name_is_case_insensitive_and_by_external_id(scim):
    created = scim.post("/Users", new_user("Bob.Jones@acme.example", externalId="ext-bob")).json
    found = scim.get("/Users", filter='userName eq "bob.jones@ACME.example"').json
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == created["id"]
    found = scim.get("/Users", filter='externalId eq "ext-bob"').json
    assert [r["id"] for r in found["Resources"]] == [created["id"]]
    assert scim.get("/Users", filter='externalId eq "EXT-BOB"').json["totalResults"] == 0


def test_duplicate_user_name_is_a_uniqueness_conflict(scim):
    scim.post("/Users", new_user())
    response = scim.post("/Users", new_user("ALICE@acme.example", externalId="other"), status=409)
    assert response.json["schemas"] == [ERROR]
    assert response.json["scimType"] == "uniqueness"
    assert response.json["status"] == "409"


def test_an_external_id_another_user_holds_is_a_uniqueness_conflict_and_creates_nothing(scim, dbsession):
    holder = scim.post("/Users", new_user(externalId="ext-shared")).json
    response = scim.post("/Users", new_user("carla@acme.example", externalId="ext-shared"), status=409)
    assert response.json["scimType"] == "uniqueness" and response.json["status"] == "409"
    assert holder["id"] in response.json["detail"] and "ext-shared" in response.json["detail"]
    assert scim.get("/Users", filter='userName eq "carla@acme.example"').json["totalResults"] == 0


def test_patch_in_entra_default_dialect(scim, dbsession):
    user_id = scim.post("/Users", new_user()).json["id"]
    body = scim.patch(f"/Users/{user_id}", patch_op(
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "alice.new@acme.example"},
        {"op": "Replace", "path": "name.givenName", "value": "Alicia"},
        {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Sales"},
        {"op": "Replace", "value": {"title": "Director", "displayName": "Alicia Smith"}},
        {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+44 7700 900000"},
        {"op": "Replace", "path": "active", "value": "False"},
    )).json
    assert body["emails"][0]["value"] == "alice.new@acme.example"
    assert body["name"]["givenName"] == "Alicia"
    assert body[ENTERPRISE]["department"] == "Sales"
    assert body["title"] == "Director" and body["active"] is False
    assert body["phoneNumbers"] == [{"value": "+44 7700 900000", "type": "mobile"}]
    user = dbsession.get(User, user_id)
    assert user.email == "alice.new@acme.example" and not user.active
    assert user.department == "Sales" and user.job_title == "Director"
    # Disabled users stay visible to GET and to filters.
    assert scim.get(f"/Users/{user_id}").json["active"] is False
    assert scim.get("/Users", filter='userName eq "alice@acme.example"').json["totalResults"] == 1


def test_patch_in_aad_optscim062020_dialect(scim, dbsession):
    user_id = scim.post("/Users", new_user()).json["id"]
    body = scim.patch(f"/Users/{user_id}", patch_op(
        {"op": "replace", "value": {"name.givenName": "Ali", "name.familyName": "Smythe",
                                    "active": False, f"{ENTERPRISE}:department": "Ops"}},
    )).json
    assert body["name"]["givenName"] == "Ali" and body["name"]["familyName"] == "Smythe"
    assert body["active"] is False and body[ENTERPRISE]["department"] == "Ops"
    body = scim.patch(f"/Users/{user_id}", patch_op(
        {"op": "replace", "path": "active", "value": True},
        {"op": "remove", "path": f"{ENTERPRISE}:manager"},
    )).json
    assert body["active"] is True and "manager" not in body[ENTERPRISE]
    assert dbsession.get(User, user_id).manager_id is None


def test_everyday_replacements_answer_and_store_as_the_librarys_path(scim, dbsession):
    """Entra's everyday PATCH (replace title, department, ... by path) is applied directly;
    the same change sent as a path-less replace goes through the library: the accounts
    end up and are answered alike."""
    by_path = scim.post("/Users", new_user("pat@acme.example")).json
    by_value = scim.post("/Users", new_user("sam@acme.example")).json
    changes = {"title": "Director", "displayName": "Alicia Smith", "name.givenName": "Alicia",
               f"{ENTERPRISE}:department": "Sales", f"{ENTERPRISE}:employeeNumber": "2002"}
    by_path_body = patch_op(
        *({"op": "Replace", "path": path, "value": value} for path, value in changes.items()))
    # The first body is the shape the direct path takes (for this user's payload), the other not.
    found = simple_patch.replacements(by_path_body)
    assert found is not None and simple_patch.fits(found, by_path)
    assert simple_patch.replacements(patch_op({"op": "Replace", "value": changes})) is None
    direct = scim.patch(f"/Users/{by_path['id']}", by_path_body).json
    library = scim.patch(f"/Users/{by_value['id']}", patch_op({"op": "Replace", "value": changes})).json

    def alike(body, user_id):
        user = dbsession.get(User, user_id)
        dbsession.refresh(user)
        stored = {k: v for k, v in user.scim_resource.items() if k not in ("userName", "externalId", "emails")}
        columns = (user.job_title, user.display_name, user.given_name, user.department, user.employee_number)
        shown = {k: v for k, v in body.items() if k not in ("id", "userName", "externalId", "emails", "meta")}
        return stored, columns, shown, body["meta"]["lastModified"] > body["meta"]["created"]

    assert alike(direct, by_path["id"]) == alike(library, by_value["id"])
    assert direct["title"] == "Director" and direct[ENTERPRISE]["department"] == "Sales"
    assert scim.get(f"/Users/{by_path['id']}").json == direct
    # The same values again change nothing: the account is not touched.
    again = scim.patch(f"/Users/{by_path['id']}", patch_op(
        {"op": "Replace", "path": "title", "value": "Director"})).json
    assert again == direct


def test_a_patch_does_not_bring_back_an_account_deleted_since_it_was_read(scim, session_factory, tenant):
    """The everyday PATCH writes the row it read in one UPDATE; if a DELETE detached the
    account in between, the UPDATE finds nothing and the PATCH answers 404 instead of
    writing the old representation back over the detached one."""
    user_id = scim.post("/Users", new_user("gil@acme.example")).json["id"]
    found = simple_patch.replacements(patch_op({"op": "Replace", "path": "title", "value": "Chief"}))
    with session_factory() as session:
        bind_tenant(session, tenant.id)
        store = UserStore(TenantScope(session, tenant.id), "entra", "https://x/Users",
                          events=lambda *args, **kwargs: None)
        row = store.read(user_id)
        session.rollback()  # the read's transaction ends: the DELETE can run now
        scim.delete(f"/Users/{user_id}")
        with pytest.raises(NotFoundException):
            store.replace(row, found, store.payload(row))
        session.rollback()
    scim.get(f"/Users/{user_id}", status=404)
    assert scim.get("/Users", filter='userName eq "gil@acme.example"').json["totalResults"] == 0


def test_manager_as_bare_string(scim):
    user_id = scim.post("/Users", new_user()).json["id"]
    body = scim.patch(f"/Users/{user_id}", patch_op(
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": "mgr-42"})).json
    assert body[ENTERPRISE]["manager"]["value"] == "mgr-42"
    assert body[ENTERPRISE]["manager"]["$ref"].endswith("/Users/mgr-42")


def test_put_replaces_the_user(scim):
    user_id = scim.post("/Users", new_user()).json["id"]
    replacement = new_user(displayName="Alice Jones", title="CTO")
    replacement["name"] = {"givenName": "Alice", "familyName": "Jones"}
    body = scim.put(f"/Users/{user_id}", replacement).json
    assert body["id"] == user_id and body["displayName"] == "Alice Jones"
    assert body["name"] == {"givenName": "Alice", "familyName": "Jones"}


def test_delete_deactivates_detaches_and_then_404(scim, dbsession):
    user_id = scim.post("/Users", new_user()).json["id"]
    scim.delete(f"/Users/{user_id}")
    response = scim.get(f"/Users/{user_id}", status=404)
    assert response.json["schemas"] == [ERROR] and response.json["status"] == "404"
    assert scim.get("/Users", filter='userName eq "alice@acme.example"').json["totalResults"] == 0
    user = dbsession.get(User, user_id)
    assert user is not None and not user.active and user.scim_provider is None

    # Provisioned again: the same account comes back, with its history.
    again = scim.post("/Users", new_user()).json
    assert again["id"] == user_id and again["active"] is True
    dbsession.rollback()
    assert dbsession.get(User, user_id).scim_provider == "entra"


def test_manually_created_accounts_are_visible_and_adopted(scim, factory, tenant, dbsession):
    manual = factory.user(tenant, "carol@acme.example", name="Carol Danvers")
    found = scim.get("/Users", filter='userName eq "carol@acme.example"').json
    assert [r["id"] for r in found["Resources"]] == [manual.id]
    scim.patch(f"/Users/{manual.id}", patch_op(
        {"op": "Add", "path": "externalId", "value": "ext-carol"}))
    user = dbsession.scalar(select(User).where(User.id == manual.id))
    assert user.scim_provider == "entra" and user.external_id == "ext-carol"
