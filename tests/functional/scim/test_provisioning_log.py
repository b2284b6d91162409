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


def add_entries(session_factory, tenant, statuses):
    with session_factory() as session, session.begin():
        session.add_all([ProvisioningLogEntry(tenant_id=tenant.id, provider="entra", method="GET",
                                              path="/x", operation="query users", status=status,
                                              outcome="success" if status < 400 else "failure",
                                              request_id=str(i)) for i, status in enumerate(statuses)])


def kept(dbsession, tenant) -> list[tuple[int, str]]:
    """(status, request id) of the tenant's entries, oldest first."""
    dbsession.rollback()
    return [tuple(row) for row in dbsession.execute(
        select(ProvisioningLogEntry.status, ProvisioningLogEntry.request_id)
        .where(ProvisioningLogEntry.tenant_id == tenant.id).order_by(ProvisioningLogEntry.id))]


def test_log_is_bounded_per_tenant(dbsession, tenant, session_factory, monkeypatch):
    add_entries(session_factory, tenant, [200] * 30)
    monkeypatch.setattr(log, "KEEP_PER_TENANT", 10)
    with session_factory() as session, session.begin():
        log.prune(session, tenant.id)
    dbsession.rollback()
    assert dbsession.scalar(select(func.count()).select_from(ProvisioningLogEntry).where(
        ProvisioningLogEntry.tenant_id == tenant.id)) == 10


def test_refused_requests_cannot_push_the_others_out(dbsession, tenant, other_tenant, session_factory,
                                                     monkeypatch):
    """A flood without a valid token (401) fills a bound of its own: the newest entries
    of each kind stay, and another tenant's log is not touched."""
    add_entries(session_factory, tenant, [200] * 12 + [401] * 30 + [201] * 2)
    add_entries(session_factory, other_tenant, [401] * 8)
    monkeypatch.setattr(log, "KEEP_PER_TENANT", 10)
    monkeypatch.setattr(log, "KEEP_REFUSED_PER_TENANT", 5)
    with session_factory() as session, session.begin():
        log.prune(session, tenant.id)
    assert kept(dbsession, tenant) == [(200, str(i)) for i in range(4, 12)] \
        + [(401, str(i)) for i in range(37, 42)] + [(201, "42"), (201, "43")]
    assert len(kept(dbsession, other_tenant)) == 8


def test_the_writer_prunes_a_kind_after_enough_entries_of_that_kind(app, dbsession, tenant, session_factory,
                                                                    monkeypatch):
    add_entries(session_factory, tenant, [401] * 8)
    monkeypatch.setattr(log, "PRUNE_EVERY", 20)
    monkeypatch.setattr(log, "KEEP_PER_TENANT", 10)
    monkeypatch.setattr(log, "KEEP_REFUSED_PER_TENANT", 5)
    writer = app.registry[log.REGISTRY_KEY]
    for _ in range(20):  # however the writer's thread splits them into batches
        writer.add(log.row_of(log.PendingEntry(method="GET", path="/scim/entra/v2/Users", tenant_id=tenant.id),
                              200, None, "pruned"))
    writer.flush()
    # 20 let in since the last pruning: cut to 10. No refused one since: not looked at.
    assert [status for status, _ in kept(dbsession, tenant)] == [401] * 8 + [200] * 10
