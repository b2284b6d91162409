"""Tenants for the load benchmark: each with SCIM on for Entra, a bearer token, users
and one group with members, written with the app's own code (token issuing, the SCIM
resource-to-row mapping) straight into the database, which takes seconds where
provisioning them over HTTP would take minutes."""

from __future__ import annotations

from dataclasses import dataclass, field

from scim2_models import Context
from sqlalchemy import create_engine, text

from trainmeuk_identity.models import Group, GroupMember, Tenant, TenantScope, User, UserSource
from trainmeuk_identity.scim import mapping, tokens
from trainmeuk_identity.scim.schema import GroupResource, UserResource

from .cycle import CORE_GROUP, entra_user
from .harness import in_process_app

PROVIDER = "entra"


@dataclass
class SeededTenant:
    """What a client needs to act as this tenant's Entra provisioning job."""

    index: int
    subdomain: str
    token: str
    dialect: str  # "default" (capitalised ops) or "aad062020"
    users: list[tuple[str, str]] = field(default_factory=list)  # (id, userName)
    group_id: str = ""
    members: list[str] = field(default_factory=list)


def subdomain(index: int) -> str:
    return f"t{index:02d}"


def seed(url: str, tenants: int, users: int, members: int, first: int = 1) -> list[SeededTenant]:
    """``tenants`` tenants t<first>.., half in each PATCH dialect, ``users`` users each
    and one group of the first ``members`` of them."""
    app = in_process_app(url, base_domain="trainmeuk.com")
    factory = app.registry["cross_tenant_session_factory"]
    seeded = []
    try:
        for index in range(first, first + tenants):
            with factory() as session, session.begin():
                tenant = Tenant(subdomain=subdomain(index), display_name=f"Load tenant {index}")
                session.add(tenant)
                session.flush()
                scope = TenantScope(session, tenant.id)
                _, issued = tokens.enable_scim(scope, PROVIDER)
                assert issued is not None
                rows = [_user(scope, index, i) for i in range(users)]
                session.flush()
                group = _group(scope, index)
                session.flush()
                for row in rows[:members]:
                    scope.add(GroupMember(group_id=group.id, user_id=row.id))
                seeded.append(SeededTenant(
                    index=index, subdomain=tenant.subdomain, token=issued.value,
                    dialect="default" if index % 2 else "aad062020",
                    users=[(row.id, row.user_name) for row in rows], group_id=group.id,
                    members=[row.id for row in rows[:members]]))
    finally:
        app.registry["mail_worker"].stop()
        app.registry["db_engine"].dispose()
    analyze(url)
    return seeded


def analyze(url: str) -> None:
    """Refresh the planner's statistics, as autovacuum keeps them in a running deployment:
    tables filled a moment ago have none, and plans made then (psycopg prepares a
    statement after a few runs and keeps its plan) would scan a whole tenant's rows."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def _user(scope: TenantScope, tenant: int, i: int) -> User:
    body = entra_user(i)
    body["userName"] = body["emails"][0]["value"] = f"employee{i:06d}@t{tenant:02d}.example"
    resource = UserResource.model_validate(body, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    user = scope.add(User(user_name=resource.user_name, source=UserSource.scim,
                          scim_provider=PROVIDER, scim_resource={}))
    mapping.apply_user(user, resource)
    user.active = True
    return user


def _group(scope: TenantScope, tenant: int) -> Group:
    resource = GroupResource.model_validate(
        {"schemas": [CORE_GROUP], "displayName": "All Staff", "externalId": f"grp-{tenant:02d}"},
        scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    group = scope.add(Group(display_name=resource.display_name, scim_provider=PROVIDER,
                            scim_resource={}))
    mapping.apply_group(group, resource)
    return group
