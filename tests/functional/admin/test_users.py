"""Admin → User Management: find people, create, edit, deactivate, reactivate, admin rights."""

from __future__ import annotations

from sqlalchemy import select

from trainmeuk_identity.models import AuditEvent, User, UserSource

from ...support.app import sign_in, tenant_app
from ...support.sql import recording_statements


def reload(session_factory, user_id: str) -> User:
    with session_factory() as session:
        user = session.get(User, user_id)
        assert user.emails is not None  # loaded while the session is open
        return user


def actions(session_factory, tenant) -> list[str]:
    """The tenant's audit trail of account changes (sign-ins left out)."""
    with session_factory() as session:
        return [a for a in session.scalars(select(AuditEvent.action).where(
            AuditEvent.tenant_id == tenant.id).order_by(AuditEvent.id)) if a.startswith("user.")]


def rows(page) -> list[list[str]]:
    return [[td.get_text(" ", strip=True) for td in tr.find_all("td")]
            for tr in page.html.find(id="users").find("tbody").find_all("tr")]


def test_list_shows_name_email_department_title_status_source_and_last_change(admin_app, tenant, factory):
    factory.user(tenant, "jo@acme.example", name="Jo Bloggs", department="Sales", job_title="Rep",
                 password=None)
    factory.user(tenant, "sam@acme.example", name="Sam Smith", password=None, active=False,
                 source=UserSource.scim, scim_provider="entra")
    page = admin_app.get("/admin/users")
    headers = [th.text for th in page.html.find(id="users").find_all("th")]
    assert headers == ["Name", "Email", "Department", "Job title", "Status", "Source", "Last change"]
    table = {r[1]: r for r in rows(page)}
    assert table["jo@acme.example"][:6] == ["Jo Bloggs", "jo@acme.example", "Sales", "Rep", "Active",
                                            "Created by hand"]
    assert table["sam@acme.example"][4:6] == ["Deactivated", "Microsoft 365 (SCIM)"]
    assert table["jo@acme.example"][6].endswith("UTC")
    assert "Admin" in table[admin_app.admin.email][0]


def test_search_by_name_or_email_ignores_case(admin_app, tenant, factory):
    factory.user(tenant, "jo.bloggs@acme.example", name="Jo Bloggs", password=None)
    factory.user(tenant, "sam@acme.example", name="Sam Smith", password=None)
    assert [r[1] for r in rows(admin_app.get("/admin/users", {"q": "BLOGGS"}))] == ["jo.bloggs@acme.example"]
    assert [r[1] for r in rows(admin_app.get("/admin/users", {"q": "Sam@ACME"}))] == ["sam@acme.example"]
    assert [r[1] for r in rows(admin_app.get("/admin/users", {"q": "sam smith"}))] == ["sam@acme.example"]
    assert "No account matches" in admin_app.get("/admin/users", {"q": "100%_"}).text
    inactive = admin_app.get("/admin/users", {"status": "inactive"})
    assert "No accounts yet" in inactive.text or rows(inactive) == []


def test_other_tenants_users_never_appear(admin_app, other_tenant, factory):
    factory.user(other_tenant, "outsider@globex.example", password=None)
    assert "outsider@globex.example" not in admin_app.get("/admin/users").text
    assert "outsider@globex.example" not in admin_app.get("/admin/users", {"q": "outsider"}).text


def test_paging_costs_the_same_queries_for_any_page(admin_app, app, tenant, factory):
    for i in range(55):
        factory.user(tenant, f"person{i:02d}@acme.example", password=None, department="Ops")
    first = admin_app.get("/admin/users")
    assert len(rows(first)) == 50
    assert "Page 1 of 2" in first.text
    second = admin_app.get(first.html.find("a", rel="next")["href"])
    assert len(rows(second)) == 6  # 55 people and the admin
    assert not {r[1] for r in rows(first)} & {r[1] for r in rows(second)}

    engine = app.registry["db_engine"]
    with recording_statements(engine) as full_page:
        admin_app.get("/admin/users", {"q": "person", "page": "1"})  # 50 rows
    with recording_statements(engine) as short_page:
        admin_app.get("/admin/users", {"q": "person", "page": "2"})  # 5 rows
    assert len(full_page) == len(short_page)


def test_admin_creates_an_account(admin_app, tenant, session_factory):
    form = admin_app.get("/admin/users/new").forms["user-form"]
    form["email"] = "New.Starter@Acme.example"
    form["display_name"] = "New Starter"
    form["department"] = "Finance"
    form["job_title"] = "Analyst"
    response = form.submit()
    assert response.status_int == 303
    page = response.follow()
    assert "Account created for New.Starter@acme.example" in page.text
    with session_factory() as session:
        user = session.scalar(select(User).where(User.tenant_id == tenant.id,
                                                 User.user_name_key == "new.starter@acme.example"))
        assert (user.display_name, user.department, user.job_title) == ("New Starter", "Finance", "Analyst")
        assert user.active and not user.is_admin and user.source == UserSource.manual
    assert "user.created" in actions(session_factory, tenant)
    assert rows(admin_app.get("/admin/users", {"q": "starter"}))[0][1] == "New.Starter@acme.example"


def test_form_errors_appear_beside_the_field(admin_app, tenant, factory):
    factory.user(tenant, "taken@acme.example", password=None)
    form = admin_app.get("/admin/users/new").forms["user-form"]
    form["email"] = "not an address"
    response = form.submit(status=400)
    assert "invalid email address" in response.html.find(id="email-error").text
    form = response.forms["user-form"]
    assert form["email"].value == "not an address"  # what was typed is kept
    form["email"] = "TAKEN@acme.example"
    response = form.submit(status=400)
    assert "already exists" in response.html.find(id="email-error").text
    form = response.forms["user-form"]
    form["email"] = "fine@acme.example"
    form["job_title"] = "x" * 201
    response = form.submit(status=400)
    assert "at most 200 characters" in response.html.find(id="job_title-error").text


def test_admin_edits_a_manual_account(admin_app, tenant, factory, session_factory):
    user = factory.user(tenant, "jo@acme.example", name="Jo Bloggs", password=None)
    form = admin_app.get(f"/admin/users/{user.id}").forms["user-form"]
    form["department"] = "Marketing"
    form["email"] = "joanna@acme.example"
    assert form.submit().follow().status_int == 200
    fresh = reload(session_factory, user.id)
    assert fresh.department == "Marketing"
    assert fresh.email == fresh.user_name == "joanna@acme.example"
    assert [e.value for e in fresh.emails] == ["joanna@acme.example"]
    assert actions(session_factory, tenant)[-1] == "user.updated"


def test_scim_managed_fields_are_read_only(admin_app, tenant, factory, session_factory):
    user = factory.user(tenant, "sam@acme.example", name="Sam Smith", password=None,
                        source=UserSource.scim, scim_provider="entra", department="Sales")
    page = admin_app.get(f"/admin/users/{user.id}")
    assert "Microsoft 365 is the source of this account" in page.html.find(id="scim-managed-note").text
    for name in ("email", "display_name", "department", "job_title"):
        assert page.html.find(id=name).has_attr("disabled")
    csrf = page.forms["user-form"]["csrf_token"].value
    response = admin_app.post(f"/admin/users/{user.id}", {"csrf_token": csrf, "action": "save",
                                                           "email": "sam@acme.example",
                                                           "department": "Hacked"}, status=400)
    assert "change them there" in response.text
    assert reload(session_factory, user.id).department == "Sales"
    # Admin rights are TrainMeUK's own and stay editable.
    assert page.forms["admin-rights-form"].submit().status_int == 303
    assert reload(session_factory, user.id).is_admin


def test_deactivate_ends_sessions_and_reactivate_lets_them_back(app, admin_app, tenant, factory, session_factory):
    user = factory.user(tenant, "leaver@acme.example")
    their_browser = tenant_app(app, tenant)
    assert sign_in(their_browser, user.email).status_int == 303
    their_browser.get("/api/session", status=200)

    page = admin_app.get(f"/admin/users/{user.id}")
    response = page.forms["activation-form"].submit()
    assert "can no longer sign in" in response.follow().text
    assert not reload(session_factory, user.id).active
    their_browser.get("/api/session", status=401)
    assert sign_in(tenant_app(app, tenant), user.email).status_int == 403

    page = admin_app.get(f"/admin/users/{user.id}")
    assert page.forms["activation-form"]["action"].value == "reactivate"
    page.forms["activation-form"].submit()
    assert reload(session_factory, user.id).active
    assert sign_in(tenant_app(app, tenant), user.email).status_int == 303
    assert actions(session_factory, tenant)[-2:] == ["user.deactivated", "user.reactivated"]


def test_grant_and_remove_admin_rights(app, admin_app, tenant, factory, session_factory):
    user = factory.user(tenant, "deputy@acme.example")
    admin_app.get(f"/admin/users/{user.id}").forms["admin-rights-form"].submit()
    assert reload(session_factory, user.id).is_admin
    deputy = tenant_app(app, tenant)
    sign_in(deputy, user.email)
    deputy.get("/admin/users", status=200)

    form = admin_app.get(f"/admin/users/{user.id}").forms["admin-rights-form"]
    assert form["action"].value == "remove_admin"
    form.submit()
    assert not reload(session_factory, user.id).is_admin
    deputy.get("/admin/users", status=403)
    assert actions(session_factory, tenant)[-2:] == ["user.admin_granted", "user.admin_removed"]


def test_an_admin_cannot_lock_themselves_out(admin_app, tenant, session_factory):
    me = admin_app.admin
    page = admin_app.get(f"/admin/users/{me.id}")
    assert page.html.find(id="activation-form").find("button").has_attr("disabled")
    csrf = page.forms["user-form"]["csrf_token"].value
    for action in ("deactivate", "remove_admin"):
        response = admin_app.post(f"/admin/users/{me.id}", {"csrf_token": csrf, "action": action},
                                  status=400)
        assert "another administrator has to" in response.html.find(id="form-error").text
    fresh = reload(session_factory, me.id)
    assert fresh.active and fresh.is_admin
    admin_app.get("/admin/users", status=200)


def test_changes_need_the_csrf_token(admin_app, tenant, factory, session_factory):
    user = factory.user(tenant, password=None)
    admin_app.post(f"/admin/users/{user.id}", {"action": "deactivate"}, status=400)
    admin_app.post("/admin/users/new", {"email": "x@acme.example"}, status=400)
    assert reload(session_factory, user.id).active


def test_non_admins_get_403_and_other_tenants_accounts_404(app, admin_app, tenant, other_tenant, factory):
    staff = factory.user(tenant)
    browser = tenant_app(app, tenant)
    sign_in(browser, staff.email)
    browser.get("/admin/users", status=403)
    browser.get(f"/admin/users/{staff.id}", status=403)
    browser.get("/admin/users/new", status=403)
    stranger = factory.user(other_tenant, password=None)
    admin_app.get(f"/admin/users/{stranger.id}", status=404)
    csrf = admin_app.get("/admin/users/new").forms["user-form"]["csrf_token"].value
    admin_app.post(f"/admin/users/{stranger.id}", {"csrf_token": csrf, "action": "deactivate"},
                   status=404)


def test_a_user_provisioned_by_entra_appears_with_microsoft_365_as_source(app, admin_app, tenant, session_factory):
    from ...support.scim import ScimClient, enable_scim, new_user

    scim = ScimClient(tenant_app(app, tenant), enable_scim(session_factory, tenant))
    scim.post("/Users", new_user("test.user@acme.example", displayName="Test User"))
    [row] = rows(admin_app.get("/admin/users", {"q": "test.user"}))
    assert row[:6] == ["Test User", "test.user@acme.example", "Research", "Engineer", "Active",
                       "Microsoft 365 (SCIM)"]
