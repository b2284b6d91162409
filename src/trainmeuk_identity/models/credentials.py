"""Local sign-in: failed attempts (for throttling) and single-use set-password links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, TenantScoped, UUIDPrimaryKey, utcnow


class LoginFailure(TenantScoped, Base):
    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_account", "tenant_id", "email_key", "at"),
        Index("ix_login_failures_address", "tenant_id", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    email_key: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class PasswordToken(UUIDPrimaryKey, TenantScoped, Base):
    """A link that lets a person set their password once (hash stored only)."""

    __tablename__ = "password_tokens"

    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
