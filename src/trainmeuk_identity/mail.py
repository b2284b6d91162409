"""Outgoing mail through an outbox table, delivered by a background worker.

``enqueue`` adds a message to the outbox in the caller's transaction, so a message
exists only if the change that caused it committed. The worker claims due messages,
sends them over SMTP and retries failures with backoff; an SMTP outage therefore
never fails or slows a request. It is a thread of the one process that serves
(development, tests) or, under the production server, a process of its own beside the
request workers, which wake it through a :class:`Doorbell` (``serving.py``). A message that
carries a set-password link is queued without its token: the worker mints one as it
claims the message for a delivery attempt (``auth/password_links.py``), so the token
exists only in the hash table and in the mail that was sent.
"""

from __future__ import annotations

import logging
import os
import select as fd_select
import signal
import threading
import weakref
from datetime import timedelta
from typing import Any, NamedTuple

from pyramid_mailer.mailer import Mailer
from pyramid_mailer.message import Message
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from .auth import password_links
from .models import OutboxMessage
from .models.meta import utcnow
from .settings import as_bool
from .smtp import SMTPSession, build_mailer

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=5)  # a claimed message is retried if its sender dies
MAX_BACKOFF = timedelta(hours=1)
MAX_ATTEMPTS = 20
POLL_SECONDS = 30.0
BATCH_SIZE = 20
#: After a wake, how long the worker waits for more messages to claim with it.
COALESCE_SECONDS = 1.0


def enqueue(session: Session, *, recipient: str, subject: str, body_text: str,
            body_html: str | None = None, tenant_id: str | None = None,
            set_password_user_id: str | None = None) -> OutboxMessage:
    """Queue a message. With ``set_password_user_id`` (an account of ``tenant_id``), the
    bodies' :data:`~.auth.password_links.TOKEN_PLACEHOLDER` becomes a token minted for
    that account at each delivery attempt."""
    message = OutboxMessage(tenant_id=tenant_id, recipient=recipient, subject=subject,
                            body_text=body_text, body_html=body_html,
                            set_password_user_id=set_password_user_id)
    session.add(message)
    return message


class _Claimed(NamedTuple):
    id: int
    attempts: int
    recipient: str
    subject: str
    body_text: str
    body_html: str | None
    problem: str | None = None  # why it cannot be sent (not attempted, retried later)


class Doorbell:
    """How request processes wake a mail process: a pipe made before the server forks,
    so every process it forks holds both ends. Ringing writes a byte and never blocks
    (when the pipe is full, wakes are pending already); waiting reads them all. It
    stands in for the worker's ``threading.Event`` (``set``, ``wait``, ``clear``)."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    def set(self) -> None:
        try:
            os.write(self._write, b"\0")
        except BlockingIOError:
            pass

    def wait(self, timeout: float | None = None) -> bool:
        ready, _, _ = fd_select.select([self._read], [], [], timeout)
        self.clear()
        return bool(ready)

    def clear(self) -> None:
        try:
            while os.read(self._read, 4096):
                pass
        except BlockingIOError:
            pass


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


class MailWorker:
    """Delivers the outbox. ``wake()`` after a commit makes delivery immediate."""

    def __init__(self, session_factory: sessionmaker[Session], mailer: Mailer,
                 sender: str, poll_seconds: float = POLL_SECONDS) -> None:
        self.session_factory = session_factory
        self.mailer = mailer
        self.sender = sender
        self.poll_seconds = poll_seconds
        self.enabled = False  # runs in every process of this app (see _after_fork)
        # A Doorbell once a mail process delivers instead (hand_over_to_process)
        self._wake: threading.Event | Doorbell = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        _WORKERS.add(self)

    def start(self) -> None:
        self.enabled = True
        if self._thread is not None and self._thread.is_alive() and not self._stop.is_set():
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(self._stop,),
                                        name="mail-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.enabled = False
        self._halt()

    def _halt(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._wake.set()
            self._thread.join(timeout=10)

    def hand_over_to_process(self, doorbell: Doorbell) -> None:
        """What a server master does before it forks: stop this process's thread, and
        let the processes it forks wake the one mail process through ``doorbell`` rather
        than each start a thread (see serving.py)."""
        self._halt()
        self._wake = doorbell

    def wake(self) -> None:
        self._wake.set()

    def _after_fork(self) -> None:
        """In a forked child: the parent's thread does not exist here and its events
        may be mid-use, so start over with new ones; unless a mail process delivers,
        when the doorbell (made to cross forks) stays and no thread starts."""
        self._stop = threading.Event()
        self._thread = None
        if isinstance(self._wake, Doorbell):
            return
        self._wake = threading.Event()
        if self.enabled:
            self.start()

    def run_as_process(self, parent: int, check_seconds: float = 5.0) -> None:
        """The main thread of a mail process that ``parent`` forked: deliver in a thread
        until SIGTERM, SIGINT or SIGQUIT arrives or ``parent`` is gone, then stop as a
        worker process does, finishing the message in hand. The signals are taken
        synchronously, so nothing runs inside a signal handler."""
        stop_signals = {signal.SIGTERM, signal.SIGINT, signal.SIGQUIT}
        signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)  # the thread inherits it
        self.start()
        while os.getppid() == parent and signal.sigtimedwait(stop_signals, check_seconds) is None:
            pass
        self.stop()

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                # A short batch was everything due; a full one may have left more.
                while self.deliver_due() >= BATCH_SIZE and not stop.is_set():
                    pass
            except Exception:
                log.exception("mail delivery pass failed")
            woken = self._wake.wait(self.poll_seconds)
            self._wake.clear()
            if woken:
                # Messages committed at about the same time (an initial provisioning
                # cycle's welcome mails) go out in one claim, not one claim each.
                stop.wait(COALESCE_SECONDS)

    def _claim(self) -> list[_Claimed]:
        now = utcnow()
        with self.session_factory() as session, session.begin():
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now,
                       OutboxMessage.attempts < MAX_ATTEMPTS)
                .order_by(OutboxMessage.id)
                .limit(BATCH_SIZE)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.attempts += 1
                row.next_attempt_at = now + CLAIM_LEASE
            # Committed with the claim, before sending: the link works when it arrives.
            tokens = password_links.mint_for_delivery(
                session, [(row.tenant_id, row.set_password_user_id) for row in rows
                          if row.set_password_user_id is not None])
            return [self._prepare(row, tokens) for row in rows]

    @staticmethod
    def _prepare(row: OutboxMessage, tokens: dict[tuple[str, str], str]) -> _Claimed:
        """The message as it will be sent, with the set-password token (if any) minted for
        this delivery, which replaced the one an earlier attempt minted."""
        claimed = _Claimed(row.id, row.attempts, row.recipient, row.subject, row.body_text,
                           row.body_html)
        if row.set_password_user_id is None:
            return claimed
        token = tokens.get((row.tenant_id, row.set_password_user_id))
        if token is None:
            return claimed._replace(problem="its set-password link's account is not in its organisation")
        return claimed._replace(body_text=password_links.fill_in(row.body_text, token),
                                body_html=row.body_html and password_links.fill_in(row.body_html, token))

    def deliver_due(self) -> int:
        """Send what is due, over one SMTP connection; returns how many were claimed."""
        claimed = self._claim()
        outcomes: list[tuple[_Claimed, str | None]] = []
        with SMTPSession(self.mailer) as smtp:
            for message in claimed:
                error = message.problem
                if error is not None:
                    log.warning("mail %s to %s not sent: %s", message.id, message.recipient, error)
                else:
                    error = self._send(smtp, message)
                outcomes.append((message, error))
        self._record(outcomes)
        return len(claimed)

    def _send(self, smtp: SMTPSession, message: _Claimed) -> str | None:
        """Send one message; the error if it was not delivered."""
        try:
            smtp.send(Message(subject=message.subject, sender=self.sender, recipients=[message.recipient],
                              body=message.body_text, html=message.body_html))
        except Exception as exc:  # network, refusal, TLS: all retried
            error = f"{type(exc).__name__}: {exc}"
            log.warning("mail %s to %s not delivered: %s", message.id, message.recipient, error)
            return error
        return None

    def _record(self, outcomes: list[tuple[_Claimed, str | None]]) -> None:
        """Mark claimed messages sent, or due again after a backoff: one statement for
        the batch. Only the rows the claim took: if one was deleted meanwhile (its tenant
        removed), SQLite may have given its id to a new message."""
        if not outcomes:
            return
        now = utcnow()
        rows = [{"claimed_id": message.id, "claimed_attempts": message.attempts,
                 "claimed_recipient": message.recipient,
                 "sent": now if error is None else None,
                 "error": None if error is None else error[:2000],
                 "due": None if error is None else now + backoff(message.attempts)}
                for message, error in outcomes]
        with self.session_factory() as session, session.begin():
            session.connection().execute(_RECORD, rows)


# A sent message keeps the due time of its claim; a failed one is due after a backoff.
_RECORD = (update(OutboxMessage)
           .where(OutboxMessage.id == bindparam("claimed_id"),
                  OutboxMessage.attempts == bindparam("claimed_attempts"),
                  OutboxMessage.recipient == bindparam("claimed_recipient"),
                  OutboxMessage.sent_at.is_(None))
           .values(sent_at=bindparam("sent"), last_error=bindparam("error"),
                   next_attempt_at=func.coalesce(bindparam("due"), OutboxMessage.next_attempt_at)))


# Every mail worker of this process, restarted in each forked child: one thread per
# process, and claims (SELECT ... FOR UPDATE SKIP LOCKED, a lease) keep processes
# from sending a message twice.
_WORKERS: weakref.WeakSet[MailWorker] = weakref.WeakSet()


def _restart_workers_after_fork() -> None:
    for worker in list(_WORKERS):
        worker._after_fork()


os.register_at_fork(after_in_child=_restart_workers_after_fork)


def wake_worker_after_commit(request: Any) -> None:
    worker: MailWorker | None = request.registry.get("mail_worker")
    if worker is not None:
        request.tm.get().addAfterCommitHook(lambda ok: ok and worker.wake())


def includeme(config: Any) -> None:
    settings = config.get_settings()
    # The outbox of every tenant: the cross-tenant path (models/isolation.py).
    worker = MailWorker(config.registry["cross_tenant_session_factory"], build_mailer(settings),
                        sender=settings["mail.default_sender"])
    config.registry["mail_worker"] = worker
    if as_bool(settings["trainmeuk.mail_worker"]):
        worker.start()
    config.add_request_method(wake_worker_after_commit, "wake_mail_worker")

