"""The outbox worker's bookkeeping (no other worker runs in this module)."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from trainmeuk_identity import mail
from trainmeuk_identity.models import OutboxMessage
from trainmeuk_identity.models.meta import utcnow
from trainmeuk_identity.smtp import build_mailer

from ..support.servers import MailSink, free_port


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
    worker._record([(claimed[0], None)])
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


class RefusingSink(MailSink):
    """Accepts every message but those to refused-...: the relay answers 550 to them."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused-"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def relay():
    sink = RefusingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield sink, controller.port
    controller.stop()


def queue(session_factory, tenant, recipients):
    with session_factory() as session, session.begin():
        for recipient in recipients:
            mail.enqueue(session, recipient=recipient, subject="Welcome", body_text="Hello",
                         tenant_id=tenant.id)


def outbox(session_factory, recipients):
    with session_factory() as session:
        return {m.recipient: m for m in session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient.in_(recipients)))}


def test_a_batch_goes_over_one_smtp_connection(tenant, session_factory, relay):
    sink, port = relay
    worker = mail.MailWorker(session_factory, build_mailer({"mail.port": str(port)}), sender="x@trainmeuk.test")
    recipients = [f"batch{n}-{tenant.id[:8]}@acme.example" for n in range(5)]
    queue(session_factory, tenant, recipients)
    worker.deliver_due()
    assert all(sink.to(r) for r in recipients)
    assert len({sink.peers[r] for r in recipients}) == 1
    assert all(m.sent_at is not None and m.last_error is None for m in outbox(session_factory, recipients).values())


def test_a_refused_message_is_retried_and_the_rest_of_its_batch_still_goes(tenant, session_factory, relay):
    sink, port = relay
    worker = mail.MailWorker(session_factory, build_mailer({"mail.port": str(port)}), sender="x@trainmeuk.test")
    first, refused, *rest = recipients = [f"{name}@acme.example" for name in (
        f"first-{tenant.id[:8]}", f"refused-{tenant.id[:8]}", f"second-{tenant.id[:8]}", f"third-{tenant.id[:8]}")]
    queue(session_factory, tenant, recipients)
    worker.deliver_due()
    assert [bool(sink.to(r)) for r in recipients] == [True, False, True, True]
    # The refusal closed the connection; the next message opened another.
    assert sink.peers[first] != sink.peers[rest[0]] == sink.peers[rest[1]]
    sent = outbox(session_factory, recipients)
    assert sent[refused].sent_at is None and "550" in sent[refused].last_error
    assert sent[refused].next_attempt_at > utcnow() and sent[refused].attempts == 1
    assert all(sent[r].sent_at is not None for r in (first, *rest))


def test_messages_to_one_account_in_one_batch_carry_its_one_new_link(tenant, factory, session_factory):
    """Minting is done for the whole batch: an account with two messages in it gets one
    token, in both, and any token it had before is withdrawn."""
    from trainmeuk_identity.auth.password_links import TOKEN_PLACEHOLDER, new_password_token
    from trainmeuk_identity.crypto import hash_token
    from trainmeuk_identity.models import PasswordToken, TenantScope

    user = factory.user(tenant, password=None)
    with session_factory() as session, session.begin():
        earlier = new_password_token(TenantScope(session, tenant.id), user.id)
        for _ in range(2):
            mail.enqueue(session, recipient=user.email, subject="Welcome", tenant_id=tenant.id,
                         body_text=f"/set-password/{TOKEN_PLACEHOLDER}\n", set_password_user_id=user.id)
    worker = mail.MailWorker(session_factory, mailer=None, sender="x@trainmeuk.test")  # sends nothing
    bodies = {m.body_text for m in worker._claim() if m.recipient == user.email}
    assert len(bodies) == 1
    token = bodies.pop().removeprefix("/set-password/").strip()
    with session_factory() as session:
        live = session.scalars(select(PasswordToken.token_hash).where(PasswordToken.user_id == user.id)).all()
    assert live == [hash_token(token)] and token != earlier
