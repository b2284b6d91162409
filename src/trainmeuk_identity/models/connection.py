"""A tenant's connection to one identity provider: SSO settings and SCIM tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, TenantScoped, Timestamps, UUIDPrimaryKey


class ProviderConnection(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "provider_connections"
    __table_args__ = (UniqueConstraint("tenant_id", "provider"),)

    provider: Mapped[str] = mapped_column(String(64))
    # Non-secret settings the provider declares (e.g. a directory id and a client id).
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The client secret, encrypted with the "client-secret" key ring; never shown back.
    client_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    client_secret_suffix: Mapped[str | None] = mapped_column(String(8))
    client_secret_set_at: Mapped[datetime | None]
    sso_enabled: Mapped[bool] = mapped_column(default=False)
    # Create an account on a first SSO sign-in when none matches.
    sso_create_accounts: Mapped[bool] = mapped_column(default=False)
    scim_enabled: Mapped[bool] = mapped_column(default=False)

    tokens: Mapped[list[ScimToken]] = relationship(
        back_populates="connection", cascade="all, delete-orphan", lazy="select"
    )  # read when asked for (the settings page, issuing a token), not with every connection

    @property
    def active_token(self) -> ScimToken | None:
        live = [t for t in self.tokens if t.revoked_at is None]
        return max(live, key=lambda t: t.created_at) if live else None


class ScimToken(UUIDPrimaryKey, TenantScoped, Base):
    """A SCIM bearer token. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "scim_tokens"

    connection_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("provider_connections.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    suffix: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    connection: Mapped[ProviderConnection] = relationship(back_populates="tokens")
