"""Who may provision: the tenant's own token, for its own provider, while SCIM is on."""

from __future__ import annotations

from sqlalchemy import select

from trainmeuk_identity.models import ScimToken, TenantScope
from trainmeuk_identity.scim import log, tokens

from ...support.app import tenant_app
from ...support.scim import ERROR, ScimClient, enable_scim, new_user


def refused(response, status):
    assert response.status_int == status
    assert response.content_type == "application/scim+json"
    assert response.json["schemas"] == [ERROR] and response.json["status"] == str(status)
    return response.json["detail"]


def test_no_token_and_wrong_token_are_401_with_bearer_challenge(app, tenant, scim_token):
    for token in (None, "not-the-token"):
        response = ScimClient(tenant_app(app, tenant), token).get("/Users", status=401)
        refused(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_other_tenants_token_does_nothing_here(app, tenant, other_tenant, session_factory):
    other_token = enable_scim(session_factory, other_tenant)
    enable_scim(session_factory, tenant)
    client = ScimClient(tenant_app(app, tenant), other_token)
    refused(client.get("/Users", status=401), 401)
    refused(client.post("/Users", new_user(), status=401), 401)


def test_token_works_only_for_its_provider_route(app, tenant, scim_token):
    client = ScimClient(tenant_app(app, tenant), scim_token, base="/scim/okta/v2")
    detail = refused(client.get("/Users", status=404), 404)
    assert "okta" in detail


def test_disabled_scim_is_refused_with_where_to_enable_it(app, tenant, scim_token, session_factory):
    with session_factory() as session, session.begin():
        tokens.disable_scim(TenantScope(session, tenant.id), "entra")
    detail = refused(ScimClient(tenant_app(app, tenant), scim_token).get("/Users", status=403), 403)
    assert "disabled" in detail and "Admin → Settings → SSO & Provisioning" in detail
    # Enabling again keeps the token.
    with session_factory() as session, session.begin():
        tokens.enable_scim(TenantScope(session, tenant.id), "entra")
    ScimClient(tenant_app(app, tenant), scim_token).get("/Users")


def test_rotated_token_stops_working(app, tenant, scim_token, session_factory):
    with session_factory() as session, session.begin():
        new = tokens.rotate_token(TenantScope(session, tenant.id), "entra").value
    refused(ScimClient(tenant_app(app, tenant), scim_token).get("/Users", status=401), 401)
    ScimClient(tenant_app(app, tenant), new).get("/Users")


def test_staff_session_cannot_provision(admin_app, scim_token):
    response = admin_app.get("/scim/entra/v2/Users", status=401)
    refused(response, 401)


def test_unknown_tenant_is_a_scim_404(app, scim_token):
    refused(ScimClient(tenant_app(app, "nobody-here"), scim_token).get("/Users", status=404), 404)


def test_last_used_is_recorded(scim, dbsession, scim_token, app):
    scim.get("/Users")
    log.flush_pending(app.registry)  # written with the provisioning log's next batch
    token = dbsession.scalar(select(ScimToken).where(ScimToken.revoked_at.is_(None),
                                                     ScimToken.tenant_id == scim.tenant_id))
    assert token.last_used_at is not None


def test_tenant_url_pasted_with_a_trailing_slash_still_works(scim):
    # Entra appends "/Users" to the Tenant URL as pasted: ".../v2/" gives ".../v2//Users".
    response = scim.get('//Users', filter='userName eq "2b7f1c9e-0c1d-4a55-9d0e-7a1f3c2b4d5e"')
    assert response.json["totalResults"] == 0
    assert response.json["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
