"""Declarative base, naming convention and the column types every model shares."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, MetaData, String, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

# Constraint names are deterministic, so alembic can drop what it created.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use trainmeuk_identity.models.meta.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


# JSONB on PostgreSQL (indexable, compact), JSON text elsewhere.
JSONDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSONDocument}


class UUIDPrimaryKey:
    """An opaque, non-enumerable id, also used as the SCIM ``id``."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TenantScoped:
    """Every tenant-owned row carries an indexed, non-null ``tenant_id``.

    Queries on a request's session are filtered to the request's tenant
    automatically (see :mod:`trainmeuk_identity.models.scoping`).
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[str]:
        return mapped_column(
            String(36), ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
        )
