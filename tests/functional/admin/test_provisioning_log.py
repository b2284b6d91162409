"""Admin → Provisioning log: what Entra asked and what TrainMeUK answered."""

from __future__ import annotations

from datetime import timedelta

from trainmeuk_identity.models import ProvisioningLogEntry
from trainmeuk_identity.models.meta import utcnow
from trainmeuk_identity.scim import log

from ...support.app import sign_in, tenant_app


def add_entries(session_factory, tenant, count: int, **overrides) -> None:
    start = utcnow() - timedelta(minutes=count)
    with session_factory() as session, session.begin():
        for i in range(count):
            failed = i % 10 == 9
            values = {
                "tenant_id": tenant.id, "at": start + timedelta(minutes=i), "provider": "entra",
                "method": "POST", "path": "/scim/entra/v2/Users", "operation": "create user",
                "resource_type": "User", "resource_id": f"user-{i:03d}",
                "status": 409 if failed else 201, "outcome": "failure" if failed else "success",
                "error_detail": f"userName user{i}@acme.example is already taken" if failed else None,
                "request_id": f"req-{i:03d}", "duration_ms": 12}
            values.update(overrides)
            session.add(ProvisioningLogEntry(**values))


def log_rows(page) -> list[list[str]]:
    return [[td.get_text(" ", strip=True) for td in tr.find_all("td")]
            for tr in page.html.find(id="provisioning-log").find("tbody").find_all("tr")]


def test_newest_first_with_operation_resource_outcome_detail_and_request_id(admin_app, tenant, session_factory):
    add_entries(session_factory, tenant, 10)
    page = admin_app.get("/admin/provisioning-log")
    headers = [th.text for th in page.html.find(id="provisioning-log").find_all("th")]
    assert headers == ["Time", "Operation", "Resource", "Outcome", "Error detail", "Request id"]
    rows = log_rows(page)
    assert len(rows) == 10
    newest = rows[0]
    assert newest[1].startswith("create user") and "POST /scim/entra/v2/Users" in newest[1]
    assert newest[2] == "User user-009"
    assert newest[3].startswith("409 failed")
    assert newest[4] == "userName user9@acme.example is already taken"
    assert newest[5] == "req-009"
    assert rows[-1][5] == "req-000"


def test_filter_by_outcome_and_page_to_older_entries(admin_app, tenant, session_factory):
    add_entries(session_factory, tenant, 120)
    failures = log_rows(admin_app.get("/admin/provisioning-log", {"outcome": "failure"}))
    assert len(failures) == 12 and all("failed" in r[3] for r in failures)
    first = admin_app.get("/admin/provisioning-log")
    assert len(log_rows(first)) == 50
    older = admin_app.get(first.html.find("a", rel="next")["href"])
    ids = [r[5] for r in log_rows(first)] + [r[5] for r in log_rows(older)]
    assert ids == [f"req-{i:03d}" for i in range(119, 19, -1)]
    last = admin_app.get(older.html.find("a", rel="next")["href"])
    assert [r[5] for r in log_rows(last)][-1] == "req-000"
    assert last.html.find("a", rel="next") is None


def test_only_this_tenants_entries_and_only_for_admins(app, admin_app, tenant, other_tenant, factory, session_factory):
    add_entries(session_factory, other_tenant, 3, request_id="other-tenant")
    page = admin_app.get("/admin/provisioning-log")
    assert "other-tenant" not in page.text
    assert "No provisioning requests yet" in page.text
    staff = factory.user(tenant)
    browser = tenant_app(app, tenant)
    sign_in(browser, staff.email)
    browser.get("/admin/provisioning-log", status=403)


def test_entras_requests_are_listed_with_the_error_it_was_sent(app, admin_app, tenant, session_factory):
    from ...support.scim import ScimClient, enable_scim, new_user

    scim = ScimClient(tenant_app(app, tenant), enable_scim(session_factory, tenant))
    scim.post("/Users", new_user("dup@acme.example"))
    scim.post("/Users", new_user("dup@acme.example", externalId="other"), status=409)
    log.flush_pending(app.registry)  # as the writer's next batch would, within a second
    rows = log_rows(admin_app.get("/admin/provisioning-log", {"outcome": "failure"}))
    assert len(rows) == 1
    assert rows[0][3].startswith("409 failed") and rows[0][4]
    everything = log_rows(admin_app.get("/admin/provisioning-log"))
    assert len(everything) == 2 and everything[1][3].startswith("201 OK")
