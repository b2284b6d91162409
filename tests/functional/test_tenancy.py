"""Tenants by Host header, and isolation between them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from trainmeuk_identity.models import Tenant, TenantScope, TenantStatus, User, bind_tenant
from trainmeuk_identity.models.scoping import TENANT, CrossTenantRead, CrossTenantWrite, prepared

from ..support.app import sign_in, tenant_app


def test_unknown_subdomain_is_a_404_page_saying_no_organisation(app):
    response = tenant_app(app, "no-such-org").get("/login", status=404)
    assert "No organisation at this address" in response.text
    assert "no-such-org.localhost" in response.text


def test_suspended_tenant_is_not_served(app, factory):
    suspended = factory.tenant(status=TenantStatus.suspended)
    tenant_app(app, suspended).get("/login", status=404)


def test_bare_base_domain_serves_the_landing_page(app):
    response = tenant_app(app, None).get("/")
    assert "Staff sign in at their organisation's own address" in response.text
    tenant_app(app, None).get("/login", status=404)


def test_host_outside_the_base_domain_is_not_found(app):
    import webtest

    browser = webtest.TestApp(app, extra_environ={"HTTP_HOST": "acme.evil.example"})
    browser.get("/", status=404)
    browser.get("/login", status=404)


def test_host_header_is_case_and_port_insensitive(app, tenant):
    import webtest

    browser = webtest.TestApp(app, extra_environ={"HTTP_HOST": f"{tenant.subdomain.upper()}.LocalHost:8080"})
    assert browser.get("/login").status_int == 200


def test_a_session_of_tenant_a_does_nothing_on_tenant_b(app, tenant, other_tenant, factory):
    a_admin = factory.admin(tenant)
    b_admin = factory.admin(other_tenant)
    on_a = tenant_app(app, tenant)
    assert sign_in(on_a, a_admin.email).status_int == 303
    cookie = on_a.cookies["tmk_session"]

    # The same cookie presented to tenant B's host (as if a browser leaked it).
    on_b = tenant_app(app, other_tenant)
    on_b.set_cookie("tmk_session", cookie)
    assert on_b.get("/api/session", status=401).json["user"] is None
    on_b.get("/admin", status=302)
    # Tenant A's admin cannot sign in on B with A's credentials either.
    assert sign_in(tenant_app(app, other_tenant), a_admin.email).status_int == 400
    assert b_admin.tenant_id == other_tenant.id


def test_same_email_in_two_tenants_are_two_accounts(app, tenant, other_tenant, factory):
    one = factory.user(tenant, "sam@shared.example", name="Sam at Acme")
    two = factory.user(other_tenant, "sam@shared.example", name="Sam at Globex")
    assert one.id != two.id
    on_b = tenant_app(app, other_tenant)
    sign_in(on_b, "sam@shared.example")
    assert on_b.get("/api/session").json["user"]["display_name"] == "Sam at Globex"


def test_a_tenant_bound_session_cannot_read_or_write_another_tenants_rows(
    session_factory, tenant, other_tenant, factory
):
    theirs = factory.user(other_tenant)
    with session_factory() as session:
        bind_tenant(session, tenant.id)
        # Even a query that forgets the tenant filter sees only this tenant's rows.
        assert session.scalar(select(User).where(User.id == theirs.id)) is None
        assert session.get(User, theirs.id) is None
        scope = TenantScope(session, tenant.id)
        assert scope.get(User, theirs.id) is None
        assert session.scalar(select(Tenant).where(Tenant.id == other_tenant.id)) is not None

    with session_factory() as session:
        row = session.get(User, theirs.id)  # loaded without a tenant binding
        bind_tenant(session, tenant.id)
        row.display_name = "changed through the wrong tenant"
        with pytest.raises(CrossTenantWrite):
            session.flush()
        session.rollback()


def test_a_statement_built_once_runs_only_for_the_sessions_tenant(
    session_factory, tenant, other_tenant, factory
):
    """Hot paths build their statements once (``scoping.prepared``) and bind the tenant
    when they run; the session refuses to run one for another tenant than its own
    instead of adding its own tenant filter again."""
    mine, theirs = factory.user(tenant), factory.user(other_tenant)
    users = prepared(User)
    with session_factory() as session:
        bind_tenant(session, tenant.id)
        found = TenantScope(session, tenant.id).execute(users).scalars().all()
        assert [u.id for u in found] == [mine.id]
        with pytest.raises(CrossTenantRead):
            TenantScope(session, other_tenant.id).execute(users)
        with pytest.raises(CrossTenantRead):
            session.execute(users)  # no tenant given at all
    with session_factory() as session:  # a session bound to no tenant: the one it is given
        found = TenantScope(session, other_tenant.id).execute(users).scalars().all()
        assert [u.id for u in found] == [theirs.id]


def test_a_core_read_runs_only_for_the_sessions_tenant(session_factory, tenant, other_tenant, factory):
    """Reads that want rows, not mapped objects (``TenantScope.read``, SCIM's GETs), run
    on the session's connection, past the session's own checks: the scope refuses to
    run one for another tenant than the session's, and the statement names its tenant."""
    mine, theirs = factory.user(tenant), factory.user(other_tenant)
    users = select(User.id).where(User.tenant_id == TENANT)
    with session_factory() as session:
        bind_tenant(session, tenant.id)
        assert TenantScope(session, tenant.id).read(users).scalars().all() == [mine.id]
        with pytest.raises(CrossTenantRead):
            TenantScope(session, other_tenant.id).read(users)
    with session_factory() as session:  # a session bound to no tenant: the one it is given
        assert TenantScope(session, other_tenant.id).read(users).scalars().all() == [theirs.id]
