"""Outgoing SMTP: the relay's connections, their TLS, and one connection per batch.

pyramid_mailer (over repoze.sendmail) builds the connection from the ``mail.*``
settings; the classes here fix what it gets wrong for us (line ends, unverified TLS),
and :class:`SMTPSession` sends a batch of the outbox over one
connection where repoze.sendmail opens one per message.
"""

from __future__ import annotations

import re
import smtplib
from typing import Any

from pyramid_mailer.mailer import Mailer, SMTP_SSLMailer
from pyramid_mailer.message import Message
from repoze.sendmail.encoding import encode_message

from .tls import tls_context

_BARE_LF = re.compile(rb"(?<!\r)\n")


class _CRLFMixin:
    """repoze.sendmail's encoding gives smtplib bytes with bare LF line ends, which
    smtplib sends as they are; SMTP wants CRLF (RFC 5321), and strict servers refuse the
    message as one over-long line. A refused or failed message closes the connection
    (the relay may have dropped it; :class:`SMTPSession` then opens another)."""

    def sendmail(self, from_addr: Any, to_addrs: Any, msg: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(msg, bytes):
            msg = _BARE_LF.sub(b"\r\n", msg)
        try:
            return super().sendmail(from_addr, to_addrs, msg, *args, **kwargs)  # type: ignore[misc]
        except BaseException:
            self.close()  # type: ignore[attr-defined]
            raise


class CRLFSMTP(_CRLFMixin, smtplib.SMTP):
    def starttls(self, *args: Any, **kwargs: Any) -> Any:
        # repoze.sendmail calls starttls() without a context, and smtplib then uses an
        # unverified one: the relay's certificate must be verified like any other
        # outbound TLS (trust store or SSL_CERT_FILE, tls.py).
        kwargs.setdefault("context", tls_context())
        return super().starttls(*args, **kwargs)


class CRLFSMTPSSL(_CRLFMixin, smtplib.SMTP_SSL):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("context", tls_context())  # as for STARTTLS above
        super().__init__(*args, **kwargs)


def build_mailer(settings: dict[str, Any]) -> Mailer:
    mail_settings = {k: v for k, v in settings.items() if k.startswith("mail.")}
    mail_settings.setdefault("mail.host", "localhost")
    mailer = Mailer.from_settings(mail_settings, prefix="mail.")
    # With mail.ssl, pyramid_mailer's SMTP_SSLMailer opens its connection with
    # ``self.smtp`` (it never reads ``smtp_ssl``, nor does a plain mailer): give each
    # mailer its TLS-from-the-start or its plain (STARTTLS) class accordingly.
    ssl_mailer = isinstance(mailer.smtp_mailer, SMTP_SSLMailer)
    mailer.smtp_mailer.smtp = CRLFSMTPSSL if ssl_mailer else CRLFSMTP
    return mailer


class SMTPSession:
    """One SMTP connection for a batch of messages (``with SMTPSession(mailer) as smtp``).

    repoze.sendmail opens a connection for every message: connect, EHLO, STARTTLS and its
    handshake, login, one message, QUIT. Here the first message opens one the same way
    (the mailer's own factory: its host, port, timeout and TLS class; STARTTLS where the
    relay offers it unless ``mail.tls`` is off, and required with it on; login when
    credentials are set), the next messages reuse it, and the end of the batch says QUIT.
    A message that fails closes the connection, since the relay may have dropped it: the
    next message opens another.
    """

    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> SMTPSession:
        return self

    def __exit__(self, *exc: Any) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()

    def send(self, message: Message) -> None:
        content = encode_message(message.to_message())
        if self.connection is None:
            self.connection = self._open()
        try:
            self.connection.sendmail(message.sender, message.send_to, content)
        except BaseException:
            self.connection = None  # closed by sendmail (_CRLFMixin)
            raise

    def _open(self) -> smtplib.SMTP:
        settings = self.mailer.smtp_mailer
        connection = settings.smtp_factory()
        try:
            code, reply = connection.ehlo()
            if not 200 <= code < 300:
                code, reply = connection.helo()
                if not 200 <= code < 300:
                    raise smtplib.SMTPHeloError(code, reply)
            if not isinstance(connection, smtplib.SMTP_SSL):  # mail.ssl: TLS already
                if connection.has_extn("starttls") and not settings.no_tls:
                    connection.starttls()
                    connection.ehlo()
                elif settings.force_tls:
                    raise smtplib.SMTPNotSupportedError(
                        "mail.tls is on and the relay does not offer STARTTLS")
            if settings.username is not None and settings.password is not None:
                connection.login(settings.username, settings.password)
        except BaseException:
            connection.close()
            raise
        return connection
