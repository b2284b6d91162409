"""The link between an account and a person's immutable identity at a provider."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, TenantScoped, UUIDPrimaryKey, utcnow
from .user import User


class SsoIdentity(UUIDPrimaryKey, TenantScoped, Base):
    """``(issuer_tenant, subject)`` is what ``Provider.identity_of`` returns: e.g. a
    directory id and the person's object id in it."""

    __tablename__ = "sso_identities"
    __table_args__ = (UniqueConstraint("tenant_id", "provider", "issuer_tenant", "subject"),)

    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(64))
    issuer_tenant: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
