"""Data factories: tenants and accounts, committed for real (tests isolate by tenant)."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from trainmeuk_identity.accounts import create_user
from trainmeuk_identity.models import Tenant, TenantScope, User

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def unique_subdomain(prefix: str = "t") -> str:
    return f"{prefix}{next(_counter)}-{uuid.uuid4().hex[:8]}"


class Factory:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory
        self.created_tenants: list[str] = []

    def tenant(self, subdomain: str | None = None, name: str = "Acme Ltd", **kw: Any) -> Tenant:
        with self.session_factory() as session, session.begin():
            tenant = Tenant(subdomain=subdomain or unique_subdomain(), display_name=name, **kw)
            session.add(tenant)
        self.created_tenants.append(tenant.id)
        return tenant

    def user(self, tenant: Tenant, email: str | None = None, *, password: str | None = PASSWORD,
             is_admin: bool = False, name: str | None = None, **attrs: Any) -> User:
        email = email or f"user-{uuid.uuid4().hex[:8]}@{tenant.subdomain}.example"
        with self.session_factory() as session, session.begin():
            user = create_user(TenantScope(session, tenant.id), email=email, display_name=name,
                               is_admin=is_admin, password=password)
            for key, value in attrs.items():
                setattr(user, key, value)
        return user

    def admin(self, tenant: Tenant, email: str | None = None, **kw: Any) -> User:
        return self.user(tenant, email or f"admin-{uuid.uuid4().hex[:6]}@{tenant.subdomain}.example",
                         is_admin=True, **kw)

    def cleanup(self) -> None:
        with self.session_factory() as session, session.begin():
            for tenant_id in self.created_tenants:
                tenant = session.get(Tenant, tenant_id)
                if tenant is not None:
                    session.delete(tenant)
        self.created_tenants.clear()
