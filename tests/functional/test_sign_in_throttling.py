"""Password guessing is slowed per account and address, with progressive delays, and
per address beyond a ceiling; the owner is never locked out from another address."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from trainmeuk_identity.auth import throttle
from trainmeuk_identity.models import AuditEvent, LoginFailure
from trainmeuk_identity.testing.factories import PASSWORD

from ..support.app import sign_in, tenant_app

WRONG = "wrong password here"
ATTACKER = "203.0.113.66"
OWNER_HOME = "198.51.100.20"


def age_failures(session_factory, tenant, seconds: float) -> None:
    """As if ``seconds`` had passed since every failure of the tenant."""
    with session_factory() as session, session.begin():
        for row in session.scalars(select(LoginFailure).where(LoginFailure.tenant_id == tenant.id)):
            row.at = row.at - timedelta(seconds=seconds)


def guess(app, tenant, email, address=ATTACKER, password=WRONG):
    return sign_in(tenant_app(app, tenant, REMOTE_ADDR=address), email, password)


def test_the_owner_signs_in_at_once_from_another_address_while_being_guessed(
        app, tenant, factory, session_factory):
    owner = factory.admin(tenant)
    for _ in range(12):
        response = guess(app, tenant, owner.email)
        assert response.status_int in (400, 429)
        age_failures(session_factory, tenant, 1000)  # the attacker waits out each delay
    response = guess(app, tenant, owner.email, OWNER_HOME, password=PASSWORD)
    assert response.status_int == 303


def test_delays_grow_with_each_failure_and_are_answered_429_with_retry_after(
        app, tenant, factory, session_factory, dbsession):
    user = factory.user(tenant)
    for _ in range(throttle.FREE_ATTEMPTS):
        assert guess(app, tenant, user.email).status_int == 400
    waits = []
    for _ in range(4):
        assert guess(app, tenant, user.email).status_int == 400
        refused = guess(app, tenant, user.email)
        assert refused.status_int == 429
        waits.append(int(refused.headers["Retry-After"]))
        assert "Too many failed sign-in attempts" in refused.text
        assert "Wait " in refused.text
        age_failures(session_factory, tenant, waits[-1])
    assert waits == [2, 4, 8, 16]
    # Even the right password waits out the delay from this address...
    guess(app, tenant, user.email, password=WRONG)
    assert guess(app, tenant, user.email, password=PASSWORD).status_int == 429
    # ...and gets in once it has passed.
    age_failures(session_factory, tenant, 60)
    assert guess(app, tenant, user.email, password=PASSWORD).status_int == 303
    events = dbsession.scalars(select(AuditEvent.action).where(AuditEvent.tenant_id == tenant.id)).all()
    assert "login.throttled" in events


def test_the_delay_is_capped(app, tenant, factory, session_factory):
    user = factory.user(tenant)
    with session_factory() as session, session.begin():
        for _ in range(14):  # 2 ** 11 seconds uncapped
            session.add(LoginFailure(tenant_id=tenant.id, email_key=user.email.lower(),
                                     address=ATTACKER))
    refused = guess(app, tenant, user.email)
    assert refused.status_int == 429
    assert int(refused.headers["Retry-After"]) == throttle.MAX_PAIR_DELAY.total_seconds()
    assert "15 minutes" in refused.text


def test_a_sweep_from_one_address_is_slowed_not_blocked(app, tenant, factory, session_factory):
    victims = [factory.user(tenant) for _ in range(2)]
    for i in range(throttle.ADDRESS_CEILING):
        assert guess(app, tenant, f"guess{i}@acme.example").status_int == 400
    # Someone else behind the same address waits a few seconds, no more...
    slowed = guess(app, tenant, victims[0].email, password=PASSWORD)
    assert slowed.status_int == 429
    assert 0 < int(slowed.headers["Retry-After"]) <= throttle.ADDRESS_DELAY.total_seconds()
    age_failures(session_factory, tenant, throttle.ADDRESS_DELAY.total_seconds())
    assert guess(app, tenant, victims[0].email, password=PASSWORD).status_int == 303
    # ...and another address is not affected at all.
    assert guess(app, tenant, victims[1].email, OWNER_HOME,
                 password=PASSWORD).status_int == 303


def test_signing_in_clears_only_that_addresss_failures(app, tenant, factory, session_factory):
    owner = factory.user(tenant)
    for _ in range(throttle.FREE_ATTEMPTS + 1):
        guess(app, tenant, owner.email)
    assert guess(app, tenant, owner.email, OWNER_HOME, password=PASSWORD).status_int == 303
    # The attacker's delay still runs.
    assert guess(app, tenant, owner.email).status_int == 429
