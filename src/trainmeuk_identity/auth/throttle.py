"""Throttling of repeated password failures, per account and per client address.

Failures are rows in the database, so every app process sees the same counts.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func

from ..models import LoginFailure, TenantScope
from ..models.meta import utcnow

WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT = 5
MAX_PER_ADDRESS = 20


def is_throttled(scope: TenantScope, email_key: str, address: str) -> bool:
    since = utcnow() - WINDOW
    base = scope.select(LoginFailure).with_only_columns(func.count()).where(LoginFailure.at >= since)
    per_account = scope.session.scalar(base.where(LoginFailure.email_key == email_key)) or 0
    if per_account >= MAX_PER_ACCOUNT:
        return True
    per_address = scope.session.scalar(base.where(LoginFailure.address == address)) or 0
    return per_address >= MAX_PER_ADDRESS


def record_failure(scope: TenantScope, email_key: str, address: str) -> None:
    scope.add(LoginFailure(email_key=email_key, address=address))
    # Old rows serve no purpose; prune this tenant's as we go.
    scope.session.execute(
        delete(LoginFailure).where(LoginFailure.tenant_id == scope.tenant_id,
                                   LoginFailure.at < utcnow() - 2 * WINDOW)
    )


def clear_failures(scope: TenantScope, email_key: str) -> None:
    scope.session.execute(
        delete(LoginFailure).where(LoginFailure.tenant_id == scope.tenant_id,
                                   LoginFailure.email_key == email_key)
    )
