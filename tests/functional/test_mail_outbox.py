"""The outbox worker's bookkeeping (no other worker runs in this module)."""

from __future__ import annotations


def test_a_claim_never_marks_a_newer_message_that_reused_its_id(tenant, session_factory):
    """A message deleted while being sent (its tenant removed) may see its id given to a
    new message on SQLite; finishing the old claim must leave the new message due."""
    from trainmeuk_identity.mail import MailWorker
    from trainmeuk_identity.models import OutboxMessage

    worker = MailWorker(session_factory, mailer=None, sender="x@trainmeuk.test")  # sends nothing
    with session_factory() as session, session.begin():
        session.add(OutboxMessage(tenant_id=tenant.id, recipient="old@acme.example", subject="s",
                                  body_text="b"))
    claimed = [m for m in worker._claim() if m.recipient == "old@acme.example"]
    with session_factory() as session, session.begin():
        session.delete(session.get(OutboxMessage, claimed[0].id))
        session.flush()
        session.add(OutboxMessage(id=claimed[0].id, tenant_id=tenant.id, recipient="new@acme.example",
                                  subject="s", body_text="b"))
    worker._record(claimed[0], None)
    with session_factory() as session:
        row = session.get(OutboxMessage, claimed[0].id)
        assert (row.recipient, row.sent_at, row.attempts) == ("new@acme.example", None, 0)


def test_a_set_password_link_is_minted_only_for_an_account_of_the_messages_own_tenant(
        tenant, other_tenant, factory, session_factory):
    """The worker works across tenants; a message of one tenant naming another tenant's
    account gets no token (and is not sent): a link is only ever minted in its own tenant."""
    from sqlalchemy import select

    from trainmeuk_identity import mail
    from trainmeuk_identity.auth.password_links import TOKEN_PLACEHOLDER
    from trainmeuk_identity.mail import MailWorker
    from trainmeuk_identity.models import PasswordToken

    own, stranger = factory.user(tenant, password=None), factory.user(other_tenant, password=None)
    with session_factory() as session, session.begin():
        for user in (own, stranger):
            mail.enqueue(session, recipient=user.email, subject="Welcome", tenant_id=tenant.id,
                         body_text=f"/set-password/{TOKEN_PLACEHOLDER}\n", set_password_user_id=user.id)
    worker = MailWorker(session_factory, mailer=None, sender="x@trainmeuk.test")  # sends nothing
    claimed = {m.recipient: m for m in worker._claim()}

    assert claimed[stranger.email].problem is not None
    assert TOKEN_PLACEHOLDER in claimed[stranger.email].body_text
    assert claimed[own.email].problem is None
    assert TOKEN_PLACEHOLDER not in claimed[own.email].body_text
    with session_factory() as session:
        minted = {(t.user_id, t.tenant_id) for t in session.scalars(select(PasswordToken).where(
            PasswordToken.user_id.in_([own.id, stranger.id])))}
    assert minted == {(own.id, tenant.id)}
