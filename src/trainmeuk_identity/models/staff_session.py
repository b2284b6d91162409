"""Signed-in staff sessions, recorded server-side so they can be ended at once.

The session cookie (encrypted) carries a random session id; only its hash is stored
here. A request is signed in only while its row exists, so deleting rows ends
sessions in every app process at once: signing out deletes one, "sign out
everywhere" deletes all of a person's (and moves their auth epoch).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, TenantScoped, utcnow


class StaffSession(TenantScoped, Base):
    __tablename__ = "staff_sessions"
    __table_args__ = (Index("ix_staff_sessions_user_expires", "user_id", "expires_at"),)

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha-256 of the id
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    address: Mapped[str | None] = mapped_column(String(64))
