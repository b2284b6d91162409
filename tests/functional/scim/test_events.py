"""Provisioning announces its changes to plugins, after commit only."""

from __future__ import annotations

from typing import Any

import pytest

from trainmeuk_identity import configure
from trainmeuk_identity.providers import hookimpl

from ...support.app import close_app, tenant_app
from ...support.scim import ScimClient, new_user, patch_op


class Recorder:
    """A plugin that writes down every account event it is told about."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    @hookimpl
    def user_provisioned(self, tenant, user, provider, settings):
        self.calls.append(("provisioned", user.user_name, {"provider": provider,
                                                           "active": user.active}))

    @hookimpl
    def user_updated(self, tenant, user, provider, changed):
        self.calls.append(("updated", user.user_name, {"changed": changed}))

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
    scim.patch(f"/Users/{user_id}", patch_op(
        {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
                                  "department", "value": "Legal"},
        {"op": "Replace", "path": "title", "value": "Counsel"}))
    scim.patch(f"/Users/{user_id}", patch_op({"op": "Replace", "path": "active", "value": "False"}))
    scim.patch(f"/Users/{user_id}", patch_op({"op": "replace", "path": "active", "value": True}))
    scim.delete(f"/Users/{user_id}")
    scim.post("/Users", new_user("eve@acme.example"))
    assert recorder.calls == [
        ("provisioned", "eve@acme.example", {"provider": "entra", "active": True}),
        ("updated", "eve@acme.example", {"changed": ["title", "department"]}),
        ("deactivated", "eve@acme.example", {"reason": "disabled"}),
        ("reactivated", "eve@acme.example", {}),
        ("deactivated", "eve@acme.example", {"reason": "deleted"}),
        ("reactivated", "eve@acme.example", {}),
    ]
