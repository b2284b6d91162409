"""Groups pushed by provisioning, and their members (users of the same tenant)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..folding import fold
from .meta import Base, TenantScoped, Timestamps, UUIDPrimaryKey
from .user import User


class Group(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "groups"
    __table_args__ = (
        UniqueConstraint("tenant_id", "display_name_key"),
        UniqueConstraint("tenant_id", "external_id"),
    )

    display_name: Mapped[str] = mapped_column(String(400))
    display_name_key: Mapped[str] = mapped_column(String(400))
    external_id: Mapped[str | None] = mapped_column(String(255))
    # Attributes beyond the indexed columns (extension schemas and the like).
    scim_resource: Mapped[dict[str, Any]] = mapped_column(default=dict)
    scim_provider: Mapped[str | None] = mapped_column(String(64))

    # Never loaded implicitly: a group may have tens of thousands of members.
    members: Mapped[list[GroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan", lazy="raise", passive_deletes=True
    )

    @validates("display_name")
    def _fold_display_name(self, key: str, value: str) -> str:
        self.display_name_key = fold(value) or ""
        return value


class GroupMember(TenantScoped, Base):
    __tablename__ = "group_members"
    __table_args__ = (Index("ix_group_members_user_id", "user_id"),)

    group_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )

    group: Mapped[Group] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")
