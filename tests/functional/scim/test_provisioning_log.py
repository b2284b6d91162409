"""Each SCIM request leaves one line in the tenant's provisioning log, failures too."""

from __future__ import annotations

from sqlalchemy import func, select

from trainmeuk_identity.models import ProvisioningLogEntry
from trainmeuk_identity.scim import log

from ...support.app import tenant_app
from ...support.scim import ScimClient, new_user


def entries(dbsession, tenant, app):
    log.flush_pending(app.registry)
    dbsession.rollback()
    return list(dbsession.scalars(select(ProvisioningLogEntry).where(
        ProvisioningLogEntry.tenant_id == tenant.id).order_by(ProvisioningLogEntry.id)))


def test_requests_are_logged_with_outcome(scim, dbsession, tenant, app):
    user = scim.post("/Users", new_user()).json
    scim.post("/Users", new_user(), status=409)
    ScimClient(tenant_app(app, tenant), "wrong").get("/Users", status=401)
    rows = entries(dbsession, tenant, app)
    assert [(r.operation, r.status, r.outcome) for r in rows] == [
        ("create user", 201, "success"), ("create user", 409, "failure"),
        ("query users", 401, "failure")]
    assert rows[0].resource_type == "User" and rows[0].resource_id == user["id"]
    assert rows[0].provider == "entra" and rows[0].method == "POST"
    assert rows[0].path == "/scim/entra/v2/Users" and rows[0].request_id
    assert "already exists" in rows[1].error_detail
    assert "bearer token" in rows[2].error_detail.lower()


def test_log_is_bounded_per_tenant(dbsession, tenant, session_factory, monkeypatch):
    with session_factory() as session, session.begin():
        session.add_all([ProvisioningLogEntry(tenant_id=tenant.id, provider="entra", method="GET",
                                              path="/x", operation="query users", status=200,
                                              outcome="success") for _ in range(30)])
    monkeypatch.setattr(log, "KEEP_PER_TENANT", 10)
    with session_factory() as session, session.begin():
        log.prune(session, tenant.id)
    dbsession.rollback()
    assert dbsession.scalar(select(func.count()).select_from(ProvisioningLogEntry).where(
        ProvisioningLogEntry.tenant_id == tenant.id)) == 10
