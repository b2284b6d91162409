"""Admin → Audit log: paged and filtered by outcome, actor and a search, so a flood of
anonymous failed sign-ins cannot push the real events out of view."""

from __future__ import annotations

from trainmeuk_identity.admin.views import AUDIT_PAGE_SIZE
from trainmeuk_identity.models import AuditEvent

from ...support.app import sign_in, tenant_app


def flood(session_factory, tenant, count: int) -> None:
    with session_factory() as session, session.begin():
        session.add_all(AuditEvent(tenant_id=tenant.id, actor="anonymous", action="login.failed",
                                   target=f"guess{i}@acme.example", outcome="failure",
                                   detail={"reason": "credentials"}, address="203.0.113.9")
                        for i in range(count))


def rows(page) -> list[list[str]]:
    return [[td.get_text(" ", strip=True) for td in tr.find_all("td")]
            for tr in page.html.find(id="audit-log").tbody.find_all("tr")]


def test_real_events_stay_reachable_under_a_flood(admin_app, tenant, session_factory):
    form = admin_app.get("/admin/users/new").forms["user-form"]
    form["email"] = "newstarter@acme.example"
    form.submit()  # a real event: user.created by the admin
    flood(session_factory, tenant, AUDIT_PAGE_SIZE + 30)

    first = admin_app.get("/admin/audit")
    assert len(rows(first)) == AUDIT_PAGE_SIZE
    assert all(r[1] == "anonymous" for r in rows(first))
    # Paging: the older page reaches the admin's own events.
    older = first.click(href="before=", index=0)
    assert any(r[2] == "user.created" for r in rows(older))
    assert "Newest" in older.text

    # Filtering: successes only, or signed-in people only, puts them on the first page.
    for query in ({"outcome": "success"}, {"actor": "staff"}, {"q": "newstarter@acme"}):
        page = admin_app.get("/admin/audit", query)
        actions = [r[2] for r in rows(page)]
        assert "user.created" in actions, query
        assert "login.failed" not in actions, query
    failures = rows(admin_app.get("/admin/audit", {"outcome": "failure", "actor": "anonymous"}))
    assert len(failures) == AUDIT_PAGE_SIZE and {r[4] for r in failures} == {"failure"}


def test_filters_are_kept_across_pages(admin_app, tenant, session_factory):
    flood(session_factory, tenant, AUDIT_PAGE_SIZE + 5)
    page = admin_app.get("/admin/audit", {"outcome": "failure", "actor": "anonymous", "q": "guess"})
    assert page.html.find(id="audit-outcome").find("option", selected=True)["value"] == "failure"
    link = page.html.select_one("a[rel=next]")["href"]
    assert "outcome=failure" in link and "actor=anonymous" in link and "q=guess" in link
    assert len(rows(admin_app.get(link))) == 5


def test_odd_filter_values_are_ignored_not_errors(admin_app):
    for query in ({"before": "abc"}, {"before": "9" * 40}, {"before": "-1"},
                  {"outcome": "maybe"}, {"actor": "\u20ac"}, {"q": "100%_\\"},
                  {"q": "x" * 5000}):
        assert admin_app.get("/admin/audit", query).status_int == 200, query
    assert "Nothing matches these filters" in admin_app.get("/admin/audit", {"q": "no-such-thing"}).text


def test_audit_log_is_for_admins_only(app, tenant, factory):
    person = factory.user(tenant)
    browser = tenant_app(app, tenant)
    sign_in(browser, person.email)
    browser.get("/admin/audit", {"outcome": "failure"}, status=403)
