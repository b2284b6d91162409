"""A SCIM ``password`` is never stored nor echoed, and SCIM cannot deactivate or delete
the tenant's last active administrator (issue 8)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, text

from trainmeuk_identity.models import User

from ...support.scim import ENTERPRISE, ERROR, new_user, patch_op

SECRET = "Sup3r-Secret-Passw0rd!"


def stored_row(dbsession: Any, user_id: str) -> str:
    """Everything the database holds for the account, as text."""
    dbsession.rollback()
    row = dbsession.execute(text("SELECT * FROM users WHERE id = :id"), {"id": user_id}).one()
    return json.dumps([str(v) for v in row])


def test_password_on_create_is_ignored(scim, dbsession):
    body = new_user("pw@acme.example", externalId="pw")
    body["password"] = SECRET
    response = scim.post("/Users", body)
    assert SECRET not in response.text and "password" not in response.json
    user = dbsession.get(User, response.json["id"])
    assert "password" not in {k.casefold() for k in user.scim_resource}
    assert user.password_hash is None
    assert SECRET not in stored_row(dbsession, user.id)
    assert SECRET not in scim.get(f"/Users/{user.id}").text


def test_password_on_replace_and_patch_is_ignored(scim, dbsession):
    user_id = scim.post("/Users", new_user("pw2@acme.example", externalId="pw2")).json["id"]
    body = new_user("pw2@acme.example", externalId="pw2")
    body["Password"] = SECRET
    assert SECRET not in scim.put(f"/Users/{user_id}", body).text
    for operation in ({"op": "replace", "path": "password", "value": SECRET},
                      {"op": "add", "value": {"password": SECRET, "title": "Lead"}},
                      {"op": "Replace", "value": {"PASSWORD": SECRET}}):
        response = scim.patch(f"/Users/{user_id}", patch_op(operation))
        assert SECRET not in response.text and "password" not in response.json
    assert scim.get(f"/Users/{user_id}").json["title"] == "Lead"
    assert SECRET not in stored_row(dbsession, user_id)
    dbsession.rollback()
    assert dbsession.get(User, user_id).password_hash is None


@pytest.fixture
def admin_of_scim(scim, session_factory, tenant) -> str:
    """A SCIM-provisioned account that is the tenant's only active administrator."""
    user_id = scim.post("/Users", new_user("boss@acme.example", externalId="boss")).json["id"]
    with session_factory() as session, session.begin():
        session.get(User, user_id).is_admin = True
    return user_id


def refused(response: Any) -> str:
    assert response.status_int == 409, response.text
    body = response.json
    assert body["schemas"] == [ERROR] and body["status"] == "409"
    assert "only active administrator" in body["detail"]
    return body["detail"]


def is_active(dbsession: Any, user_id: str) -> bool:
    dbsession.rollback()
    return dbsession.scalar(select(User.active).where(User.id == user_id))


@pytest.mark.parametrize("deactivation", [
    {"op": "Replace", "path": "active", "value": "False"},
    {"op": "replace", "value": {"active": False}},
    {"op": "replace", "path": "active", "value": False},
])
def test_the_last_active_admin_cannot_be_deactivated_by_patch(scim, admin_of_scim, dbsession,
                                                             deactivation):
    refused(scim.patch(f"/Users/{admin_of_scim}", patch_op(
        {"op": "replace", "path": "title", "value": "Changed"}, deactivation), status=409))
    assert is_active(dbsession, admin_of_scim)
    assert scim.get(f"/Users/{admin_of_scim}").json["title"] == "Engineer"


def test_the_last_active_admin_cannot_be_deactivated_by_put_or_deleted(scim, admin_of_scim, dbsession):
    body = new_user("boss@acme.example", externalId="boss", active=False)
    refused(scim.put(f"/Users/{admin_of_scim}", body, status=409))
    refused(scim.delete(f"/Users/{admin_of_scim}", status=409))
    assert is_active(dbsession, admin_of_scim)
    assert scim.get(f"/Users/{admin_of_scim}").json["active"] is True


def test_an_admin_can_be_deactivated_while_another_stays(scim, admin_of_scim, factory, tenant,
                                                        dbsession):
    # Another active admin exists: the first may go.
    other = factory.admin(tenant, "second-admin@acme.example")
    scim.patch(f"/Users/{admin_of_scim}", patch_op({"op": "replace", "path": "active", "value": False}))
    assert not is_active(dbsession, admin_of_scim)
    # An inactive admin does not count: the second is now the last one.
    other_id = other.id  # made in the console: visible to SCIM too
    refused(scim.delete(f"/Users/{other_id}", status=409))
    # Reactivating the first makes the second deactivatable again.
    scim.patch(f"/Users/{admin_of_scim}", patch_op({"op": "replace", "path": "active", "value": True}))
    scim.delete(f"/Users/{other_id}")
    assert not is_active(dbsession, other_id)


def test_non_admins_are_deactivated_as_before(scim, admin_of_scim, dbsession):
    user_id = scim.post("/Users", new_user("plain@acme.example", externalId="plain")).json["id"]
    body = new_user("plain@acme.example", externalId="plain", active=False)
    body[ENTERPRISE] = {"department": "Ops"}
    scim.put(f"/Users/{user_id}", body)
    assert not is_active(dbsession, user_id)
