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
