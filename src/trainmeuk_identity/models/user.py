"""A person's TrainMeUK account within one tenant."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..folding import fold
from .meta import Base, TenantScoped, Timestamps, UUIDPrimaryKey


class UserSource(enum.StrEnum):
    scim = "scim"  # created by an identity provider's provisioning
    manual = "manual"  # created by an admin or the console script
    sso = "sso"  # created on first sign-in


class User(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_name_key"),
        UniqueConstraint("tenant_id", "external_id"),
        Index("ix_users_tenant_email_key", "tenant_id", "email_key"),
        Index("ix_users_tenant_updated_at", "tenant_id", "updated_at"),
        Index("ix_users_tenant_display_name", "tenant_id", "display_name"),
    )

    user_name: Mapped[str] = mapped_column(String(320))
    user_name_key: Mapped[str] = mapped_column(String(320))
    external_id: Mapped[str | None] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str | None] = mapped_column(String(400))
    email: Mapped[str | None] = mapped_column(String(320))
    email_key: Mapped[str | None] = mapped_column(String(320))
    job_title: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    employee_number: Mapped[str | None] = mapped_column(String(100))
    manager_id: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # The complete SCIM representation as the identity provider last sent it (core,
    # enterprise and any extension attributes), so nothing it sends is lost.
    scim_resource: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[UserSource] = mapped_column(
        Enum(UserSource, native_enum=False, length=16, validate_strings=True),
        default=UserSource.manual,
    )
    # The provider whose provisioning manages this account; None once detached.
    scim_provider: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    # Bumped to end every open session of the account (password change, deactivation).
    auth_epoch: Mapped[int] = mapped_column(default=0)
    deactivated_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]

    emails: Mapped[list[UserEmail]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    # Groups know their members, accounts do not know groups (models/group.py imports
    # this module, not the other way round): the target is named, not imported.
    memberships: Mapped[list[Any]] = relationship(
        "GroupMember", back_populates="user", cascade="all, delete-orphan", lazy="raise",
        passive_deletes=True
    )

    @validates("user_name")
    def _fold_user_name(self, key: str, value: str) -> str:
        self.user_name_key = fold(value) or ""
        return value

    @validates("email")
    def _fold_email(self, key: str, value: str | None) -> str | None:
        self.email_key = fold(value)
        return value

    @property
    def name(self) -> str:
        """What to call the person on screens."""
        if self.display_name:
            return self.display_name
        parts = [p for p in (self.given_name, self.family_name) if p]
        return " ".join(parts) if parts else (self.email or self.user_name)

    @property
    def scim_managed(self) -> bool:
        return self.scim_provider is not None

    def __repr__(self) -> str:
        return f"<User {self.user_name}>"


class UserEmail(TenantScoped, Base):
    """Every email address of a user, so ``emails.value`` filters run in SQL."""

    __tablename__ = "user_emails"
    __table_args__ = (Index("ix_user_emails_tenant_value_key", "tenant_id", "value_key"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str] = mapped_column(String(320))
    value_key: Mapped[str] = mapped_column(String(320))
    type: Mapped[str | None] = mapped_column(String(32))
    primary: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(back_populates="emails")

    @validates("value")
    def _fold_value(self, key: str, value: str) -> str:
        self.value_key = fold(value) or ""
        return value
