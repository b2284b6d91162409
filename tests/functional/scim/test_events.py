"""Provisioning announces its changes to plugins, after commit only; and a new account
to ``user_provisioning`` inside its transaction, whose failure fails the change."""

from __future__ import annotations

from typing import Any

import pytest

from trainmeuk_identity import configure
from trainmeuk_identity.models import User
from trainmeuk_identity.providers import hookimpl

from ...support.app import close_app, tenant_app
from ...support.scim import ScimClient, new_user, patch_op


class Recorder:
    """A plugin that writes down every account event it is told about."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    @hookimpl
    def user_provisioning(self, tenant, user, provider, session):
        if user.user_name.startswith("refused"):
            raise RuntimeError("this plugin refuses the account")
        # Inside the creating transaction: the session holds the new account, flushed.
        in_transaction = session.get(User, user.id) is user and user in session
        self.calls.append(("provisioning", user.user_name, {"in transaction": in_transaction}))

    @hookimpl
    def user_provisioned(self, tenant, user, provider, settings):
        self.calls.append(("provisioned", user.user_name, {"provider": provider,
                                                           "active": user.active}))

    @hookimpl
    def user_updated(self, tenant, user, provider, changed):
        # After commit, the account as it is now, its addresses loaded.
        self.calls.append(("updated", user.user_name, {
            "changed": changed, "now": (user.job_title, user.department, user.scim_provider),
            "emails": [e.value for e in user.emails]}))

    @hookimpl
    def user_deactivated(self, tenant, user, provider, reason):
        self.calls.append(("deactivated", user.user_name, {"reason": reason}))

    @hookimpl
    def user_reactivated(self, tenant, user, provider):
        self.calls.append(("reactivated", user.user_name, {}))


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def events_app(app_settings, recorder):
    application = configure({**app_settings, "trainmeuk.plugins.extra": [recorder]}).make_wsgi_app()
    yield application
    close_app(application)


def test_account_lifecycle_events(events_app, recorder, tenant, scim_token):
    recorder.calls.clear()
    scim = ScimClient(tenant_app(events_app, tenant), scim_token)
    user_id = scim.post("/Users", new_user("eve@acme.example")).json["id"]
    scim.post("/Users", new_user("eve@acme.example"), status=409)  # rolled back: no event
    for _ in range(2):  # the second time changes nothing: no event
        scim.patch(f"/Users/{user_id}", patch_op(
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
                                      "department", "value": "Legal"},
            {"op": "Replace", "path": "title", "value": "Counsel"}))
    scim.patch(f"/Users/{user_id}", patch_op({"op": "Replace", "path": "active", "value": "False"}))
    scim.patch(f"/Users/{user_id}", patch_op({"op": "replace", "path": "active", "value": True}))
    scim.delete(f"/Users/{user_id}")
    scim.post("/Users", new_user("eve@acme.example"))
    assert recorder.calls == [
        ("provisioning", "eve@acme.example", {"in transaction": True}),
        ("provisioned", "eve@acme.example", {"provider": "entra", "active": True}),
        ("updated", "eve@acme.example", {"changed": ["title", "department"],
                                         "now": ("Counsel", "Legal", "entra"),
                                         "emails": ["eve@acme.example"]}),
        ("deactivated", "eve@acme.example", {"reason": "disabled"}),
        ("reactivated", "eve@acme.example", {}),
        ("deactivated", "eve@acme.example", {"reason": "deleted"}),
        ("reactivated", "eve@acme.example", {}),
    ]


def test_a_failing_hook_inside_the_transaction_fails_the_change(events_app, recorder, tenant, scim_token):
    recorder.calls.clear()
    scim = ScimClient(tenant_app(events_app, tenant), scim_token)
    refused = scim.post("/Users", new_user("refused@acme.example"), status=500)
    assert refused.json["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert refused.json["status"] == "500"
    # Nothing was created and nothing announced: the identity provider retries the POST.
    assert scim.get("/Users", filter='userName eq "refused@acme.example"').json["totalResults"] == 0
    assert recorder.calls == []
