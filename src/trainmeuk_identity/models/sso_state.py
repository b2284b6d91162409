"""SSO sign-in states already used: the one-time half of the state cookie.

The state cookie itself carries everything a callback needs, so any app process can
finish a sign-in; this table only remembers which state ids were consumed, so a
copied cookie and callback URL cannot be played a second time within the cookie's
lifetime. The primary key makes "first use wins" atomic across processes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, TenantScoped, utcnow


class SsoStateUse(TenantScoped, Base):
    __tablename__ = "sso_state_uses"

    state_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(default=utcnow)
    # After this the cookie's own expiry refuses the state; the row may be pruned.
    expires_at: Mapped[datetime] = mapped_column(index=True)
