"""SCIM request counts per bearer token and time window, shared by every app process.

Each process counts the requests it admits in memory and, every fraction of a second,
adds its counts to these rows in one upsert that returns the totals; see
:mod:`trainmeuk_identity.scim.limits`. A row is keyed by the SHA-256 of the token (the
same digest ``scim_tokens`` stores) and the start of its window, so it holds no secret
and belongs to no tenant's data. Rows of past windows are pruned by the same
background thread, never by a request.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base


class ScimRateCount(Base):
    __tablename__ = "scim_rate_counts"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Unix time (seconds) at which the window starts; windows are aligned on multiples
    # of their length, so every process computes the same start.
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
