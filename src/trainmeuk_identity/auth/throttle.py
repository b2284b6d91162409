"""Slowing down password guessing without locking the owner out.

Failures are rows in the database, so every app process sees the same counts. Two
rules, checked before the password is (see README "Sign-in throttling"):

- Per account *and* address: the first ``FREE_ATTEMPTS`` failures in ``PAIR_WINDOW``
  cost nothing; after the n-th failure the next try from that address for that account
  waits ``2 ** (n - FREE_ATTEMPTS)`` seconds, at most ``MAX_PAIR_DELAY``. An attacker
  guessing someone's password from one address slows only themselves: the owner, from
  any other address, still signs in at once.
- Per address, whatever the account: beyond ``ADDRESS_CEILING`` failures in
  ``ADDRESS_WINDOW``, every try from that address waits ``ADDRESS_DELAY`` seconds after
  its last failure. That slows a sweep over many accounts to a crawl but blocks nobody
  (people behind the same office NAT can still sign in, a few seconds apart).

A refused try is answered 429 with ``Retry-After`` and the wait on the sign-in form.
A successful sign-in clears the failures of that account from that address only.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func

from ..models import LoginFailure, TenantScope
from ..models.meta import utcnow

FREE_ATTEMPTS = 3
PAIR_WINDOW = timedelta(hours=1)
MAX_PAIR_DELAY = timedelta(minutes=15)
ADDRESS_CEILING = 20
ADDRESS_WINDOW = timedelta(minutes=15)
ADDRESS_DELAY = timedelta(seconds=5)
KEEP = max(PAIR_WINDOW, ADDRESS_WINDOW)  # older failures are pruned


def pair_delay(failures: int) -> timedelta:
    """How long after the last of ``failures`` failures the next try has to wait."""
    if failures <= FREE_ATTEMPTS:
        return timedelta(0)
    exponent = min(failures - FREE_ATTEMPTS, 20)
    return min(timedelta(seconds=2 ** exponent), MAX_PAIR_DELAY)


def retry_after(scope: TenantScope, email_key: str, address: str) -> int:
    """Seconds this address must wait before trying ``email_key`` again; 0 if it may
    try now."""
    now = utcnow()
    counted = scope.select(LoginFailure).with_only_columns(func.count(), func.max(LoginFailure.at))
    pair_count, pair_last = scope.session.execute(counted.where(
        LoginFailure.email_key == email_key, LoginFailure.address == address,
        LoginFailure.at >= now - PAIR_WINDOW)).one()
    address_count, address_last = scope.session.execute(counted.where(
        LoginFailure.address == address, LoginFailure.at >= now - ADDRESS_WINDOW)).one()
    waits = [_until(pair_last, pair_delay(pair_count or 0), now)]
    if (address_count or 0) >= ADDRESS_CEILING:
        waits.append(_until(address_last, ADDRESS_DELAY, now))
    return max(waits)


def _until(last: datetime | None, delay: timedelta, now: datetime) -> int:
    if last is None or not delay:
        return 0
    if last.tzinfo is None:  # in case a backend's aggregate comes back naive
        last = last.replace(tzinfo=UTC)
    remaining = (last + delay - now).total_seconds()
    return max(0, math.ceil(remaining))


def record_failure(scope: TenantScope, email_key: str, address: str) -> None:
    scope.add(LoginFailure(email_key=email_key, address=address))
    # Old rows serve no purpose; prune this tenant's as we go.
    scope.session.execute(
        delete(LoginFailure).where(LoginFailure.tenant_id == scope.tenant_id,
                                   LoginFailure.at < utcnow() - KEEP)
    )


def clear_failures(scope: TenantScope, email_key: str, address: str) -> None:
    """After a successful sign-in: forget that account's failures from that address
    (failures from other addresses keep slowing whoever made them)."""
    scope.session.execute(
        delete(LoginFailure).where(LoginFailure.tenant_id == scope.tenant_id,
                                   LoginFailure.email_key == email_key,
                                   LoginFailure.address == address)
    )
