"""A customer organisation, reached at ``<subdomain>.<base domain>``."""

from __future__ import annotations

import enum
import re

from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, Timestamps, UUIDPrimaryKey

SUBDOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Names that would shadow our own hosts or confuse customers.
RESERVED_SUBDOMAINS = frozenset(
    {
        "www", "admin", "api", "scim", "sso", "login", "auth", "app", "mail", "smtp",
        "static", "assets", "status", "help", "support", "docs", "billing", "id",
        "identity", "account", "accounts", "dashboard", "console", "localhost",
    }
)


class TenantStatus(enum.StrEnum):
    active = "active"
    suspended = "suspended"


def subdomain_problem(subdomain: str) -> str | None:
    """Why ``subdomain`` cannot name a tenant, or None if it can."""
    if not SUBDOMAIN_RE.match(subdomain):
        return (
            f"invalid subdomain {subdomain!r}: use 1-63 lower-case letters, digits "
            "and hyphens, not starting or ending with a hyphen"
        )
    if subdomain in RESERVED_SUBDOMAINS:
        return f"subdomain {subdomain!r} is reserved"
    return None


class Tenant(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "tenants"

    subdomain: Mapped[str] = mapped_column(String(63), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[TenantStatus] = mapped_column(
        Enum(TenantStatus, native_enum=False, length=16, validate_strings=True),
        default=TenantStatus.active,
    )
    # When true, only admins may use a local password; everyone else signs in with SSO.
    require_sso: Mapped[bool] = mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<Tenant {self.subdomain}>"
