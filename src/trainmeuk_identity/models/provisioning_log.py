"""One line per SCIM request, kept per tenant up to a bound, for the admin to read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, TenantScoped, utcnow


class ProvisioningLogEntry(TenantScoped, Base):
    __tablename__ = "provisioning_log"
    __table_args__ = (Index("ix_provisioning_log_tenant_id_id", "tenant_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    provider: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(400))
    operation: Mapped[str] = mapped_column(String(64))  # "create user", "patch group", ...
    resource_type: Mapped[str | None] = mapped_column(String(32))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(16))  # "success" / "failure"
    error_detail: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
    duration_ms: Mapped[int | None]
