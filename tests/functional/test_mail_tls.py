"""The SMTP relay's certificate is verified, as every outbound TLS connection's is
(the system's trust store, or the bundle ``SSL_CERT_FILE`` names): a welcome mail with
its set-password link never goes to a relay that cannot prove who it is."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from trainmeuk_identity import configure
from trainmeuk_identity.models import OutboxMessage
from trainmeuk_identity.testing.certificates import CertificateAuthority

from ..support.app import close_app, make_settings, tenant_app
from ..support.scim import ScimClient, enable_scim, new_user
from ..support.servers import MailSink, free_port


@pytest.fixture
def authority(tmp_path):
    return CertificateAuthority(tmp_path)


@pytest.fixture
def relay(authority):
    """An SMTP server on loopback that offers STARTTLS with a certificate of
    ``authority`` and takes no mail before it."""
    sink, port = MailSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port,
                            tls_context=authority.server_context(), require_starttls=True)
    controller.start()
    yield sink, port
    controller.stop()


def provision_someone(database_url, tenant, session_factory, port: int, email: str):
    application = configure(make_settings(database_url, **{
        "trainmeuk.mail_worker": "true", "mail.host": "127.0.0.1", "mail.port": str(port),
        "mail.tls": "true"})).make_wsgi_app()
    ScimClient(tenant_app(application, tenant), enable_scim(session_factory, tenant)) \
        .post("/Users", new_user(email))
    return application


def outbox_row(session_factory, email: str) -> OutboxMessage | None:
    with session_factory() as session:
        return session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == email)).first()


def test_mail_goes_over_starttls_to_a_relay_whose_certificate_is_trusted(
        database_url, tenant, session_factory, relay, authority, monkeypatch):
    sink, port = relay
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.cert_file))
    application = provision_someone(database_url, tenant, session_factory, port, "tls@acme.example")
    try:
        assert "tls@acme.example" in str(sink.wait_for("tls@acme.example")["To"])
    finally:
        close_app(application)


def test_no_mail_goes_to_a_relay_whose_certificate_is_not_trusted(
        database_url, tenant, session_factory, relay, monkeypatch):
    sink, port = relay
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # the system's store: no test CA in it
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    application = provision_someone(database_url, tenant, session_factory, port, "mitm@acme.example")
    try:
        deadline = time.monotonic() + 15
        row = outbox_row(session_factory, "mitm@acme.example")
        while (row is None or not row.last_error) and time.monotonic() < deadline:
            time.sleep(0.05)
            row = outbox_row(session_factory, "mitm@acme.example")
        assert row is not None and row.sent_at is None
        assert "CERTIFICATE_VERIFY_FAILED" in row.last_error  # kept, and retried later
        assert sink.to("mitm@acme.example") == []
    finally:
        close_app(application)


@pytest.fixture
def smtps_relay(authority):
    """An SMTP server on loopback speaking TLS from the first byte (``mail.ssl``)."""
    sink, port = MailSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, ssl_context=authority.server_context())
    controller.start()
    yield sink, port
    controller.stop()


def smtps_app(database_url, port: int):
    return configure(make_settings(database_url, **{
        "trainmeuk.mail_worker": "true", "mail.host": "127.0.0.1", "mail.port": str(port),
        "mail.ssl": "true"})).make_wsgi_app()


def test_mail_goes_over_smtps_to_a_relay_whose_certificate_is_trusted(
        database_url, tenant, session_factory, smtps_relay, authority, monkeypatch):
    sink, port = smtps_relay
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.cert_file))
    application = smtps_app(database_url, port)
    try:
        ScimClient(tenant_app(application, tenant), enable_scim(session_factory, tenant)) \
            .post("/Users", new_user("smtps@acme.example"))
        assert "smtps@acme.example" in str(sink.wait_for("smtps@acme.example")["To"])
    finally:
        close_app(application)


def test_no_mail_goes_over_smtps_to_a_relay_whose_certificate_is_not_trusted(
        database_url, tenant, session_factory, smtps_relay, monkeypatch):
    """``mail.ssl`` (TLS from the first byte, port 465) verifies the relay the same way."""
    sink, port = smtps_relay
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    application = smtps_app(database_url, port)
    try:
        ScimClient(tenant_app(application, tenant), enable_scim(session_factory, tenant)) \
            .post("/Users", new_user("smtps@acme.example"))
        deadline = time.monotonic() + 15
        row = outbox_row(session_factory, "smtps@acme.example")
        while (row is None or not row.last_error) and time.monotonic() < deadline:
            time.sleep(0.05)
            row = outbox_row(session_factory, "smtps@acme.example")
        assert row is not None and row.sent_at is None
        assert "CERTIFICATE_VERIFY_FAILED" in row.last_error
        assert sink.messages == []
    finally:
        close_app(application)
