"""The SMTP relay's certificate is verified, as every outbound TLS connection's is
(the system's trust store, or the bundle ``SSL_CERT_FILE`` names): a welcome mail with
its set-password link never goes to a relay that cannot prove who it is. Both ways of
speaking TLS to a relay are covered: STARTTLS (``mail.tls``, production's default) and
TLS from the first byte (``mail.ssl``, port 465)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from trainmeuk_identity import configure
from trainmeuk_identity.models import OutboxMessage
from trainmeuk_identity.testing.certificates import CertificateAuthority

from ..support.app import close_app, make_settings, tenant_app
from ..support.scim import ScimClient, enable_scim, new_user
from ..support.servers import MailSink, free_port


@dataclass
class Relay:
    sink: MailSink
    port: int
    settings: tuple[str, ...]  # what the app is configured with to speak TLS to it


@pytest.fixture
def authority(tmp_path):
    return CertificateAuthority(tmp_path)


# mail.ssl with mail.tls: production.ini turns mail.tls on, TRAINMEUK_MAIL_SSL adds mail.ssl.
@pytest.fixture(params=[("mail.tls",), ("mail.ssl",), ("mail.ssl", "mail.tls")], ids="+".join)
def relay(request, authority):
    """An SMTP server on loopback with a certificate of ``authority``: offering STARTTLS
    and taking no mail before it, or speaking TLS from the first byte."""
    sink, port = MailSink(), free_port()
    tls = {"ssl_context": authority.server_context()} if "mail.ssl" in request.param \
        else {"tls_context": authority.server_context(), "require_starttls": True}
    controller = Controller(sink, hostname="127.0.0.1", port=port, **tls)
    controller.start()
    yield Relay(sink, port, request.param)
    controller.stop()


@pytest.fixture
def provision(database_url, tenant, session_factory, relay):
    """Provision someone through SCIM on an app whose mail goes to ``relay``."""
    apps = []

    def provision(email: str) -> None:
        application = configure(make_settings(database_url, **{
            "trainmeuk.mail_worker": "true", "mail.host": "127.0.0.1",
            "mail.port": str(relay.port), **dict.fromkeys(relay.settings, "true")})).make_wsgi_app()
        apps.append(application)
        ScimClient(tenant_app(application, tenant), enable_scim(session_factory, tenant)) \
            .post("/Users", new_user(email))

    yield provision
    for application in apps:
        close_app(application)


def outbox_row(session_factory, email: str) -> OutboxMessage | None:
    with session_factory() as session:
        return session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == email)).first()


def test_mail_goes_to_a_relay_whose_certificate_is_trusted(relay, authority, provision, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.cert_file))
    provision("tls@acme.example")
    assert "tls@acme.example" in str(relay.sink.wait_for("tls@acme.example")["To"])


def test_no_mail_goes_to_a_relay_whose_certificate_is_not_trusted(relay, provision, session_factory,
                                                                  monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # the system's store: no test CA in it
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    provision("mitm@acme.example")
    deadline = time.monotonic() + 15
    row = outbox_row(session_factory, "mitm@acme.example")
    while (row is None or not row.last_error) and time.monotonic() < deadline:
        time.sleep(0.05)
        row = outbox_row(session_factory, "mitm@acme.example")
    assert row is not None and row.sent_at is None  # kept, and retried later
    assert "CERTIFICATE_VERIFY_FAILED" in row.last_error
    assert relay.sink.messages == []
