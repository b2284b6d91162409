"""Sessions joined to a transaction manager: each commits and aborts with its own
manager (pyramid_tm gives every request one), however many share the factory."""

from __future__ import annotations

import transaction
from sqlalchemy import select

from trainmeuk_identity.models import Tenant, get_tm_session
from trainmeuk_identity.testing.factories import unique_subdomain


def test_each_session_follows_its_own_manager(session_factory, dbsession, factory):
    kept, dropped = transaction.TransactionManager(explicit=True), \
        transaction.TransactionManager(explicit=True)
    kept.begin()
    dropped.begin()
    kept_session = get_tm_session(session_factory, kept)
    dropped_session = get_tm_session(session_factory, dropped)
    kept_name, dropped_name = unique_subdomain(), unique_subdomain()
    # One writer at a time (SQLite has one write lock), but both managers open throughout.
    kept_session.add(Tenant(subdomain=kept_name, display_name="Kept Ltd"))
    kept_session.flush()
    kept.commit()
    dropped_session.add(Tenant(subdomain=dropped_name, display_name="Dropped Ltd"))
    dropped_session.flush()
    dropped.abort()
    stored = dbsession.execute(select(Tenant.id, Tenant.subdomain).where(
        Tenant.subdomain.in_([kept_name, dropped_name]))).all()
    factory.created_tenants.extend(row.id for row in stored)  # removed after the test
    assert [row.subdomain for row in stored] == [kept_name]
    # Both sessions were closed with their transactions (zope.sqlalchemy's default).
    assert not kept_session.in_transaction() and not dropped_session.in_transaction()


def test_a_session_made_without_a_manager_is_left_alone(session_factory, dbsession):
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    get_tm_session(session_factory, manager)  # the factory now relays to managers
    with session_factory() as plain:
        plain.add(Tenant(subdomain=(name := unique_subdomain()), display_name="Plain Ltd"))
        plain.flush()
        manager.commit()  # commits nothing of the plain session's
        plain.rollback()
    assert dbsession.scalar(select(Tenant).where(Tenant.subdomain == name)) is None
