"""The welcome email ("What Happens Automatically": new employee → account created,
welcome email sent), received by a real SMTP server on loopback."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import transaction
from aiosmtpd.controller import Controller
from sqlalchemy import select

from trainmeuk_identity import configure
from trainmeuk_identity.accounts import create_user
from trainmeuk_identity.auth.password_links import TOKEN_PLACEHOLDER
from trainmeuk_identity.connections import get_or_create_connection
from trainmeuk_identity.events import hook_services, notify_after_commit
from trainmeuk_identity.models import OutboxMessage, TenantScope, bind_tenant, get_tm_session
from trainmeuk_identity.models.meta import utcnow

from ..support.app import TEST_SECRET, close_app, make_settings, sign_in, tenant_app
from ..support.cli import write_ini
from ..support.scim import ScimClient, enable_scim, new_user
from ..support.servers import MailSink, free_port


@pytest.fixture
def mail_app(database_url, smtp_server):
    """The application with its mail worker running, delivering to ``smtp_server``; its
    worker stops with the test (any process's worker delivers any queued message, so a
    worker left running would take the next test's mail to its own server)."""
    application = configure(make_settings(database_url, **{
        "trainmeuk.mail_worker": "true", "mail.port": str(smtp_server.port)})).make_wsgi_app()
    yield application
    close_app(application)


@pytest.fixture
def admin(mail_app, tenant, factory):
    user = factory.admin(tenant, name="Ada Admin")
    browser = tenant_app(mail_app, tenant)
    assert sign_in(browser, user.email).status_int == 303
    return browser


def create_in_user_management(browser, email: str, name: str = "New Starter"):
    form = browser.get("/admin/users/new").forms["user-form"]
    form["email"] = email
    form["display_name"] = name
    return form.submit()


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def outbox_for(session_factory, recipient: str) -> list[OutboxMessage]:
    with session_factory() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == recipient)))


def test_account_created_by_an_admin_gets_a_set_password_link(admin, mail_app, tenant, smtp_server):
    assert create_in_user_management(admin, "starter@acme.example").status_int == 303
    message = smtp_server.sink.wait_for("starter@acme.example")
    assert message["Subject"] == "Your TrainMeUK account at Acme Ltd"
    assert "no-reply@trainmeuk.test" in message["From"]
    text = text_of(message)
    assert "Hello New," in text
    link = re.search(r"(http://\S+/set-password/\S+)", text).group(1)
    assert link.startswith(f"http://{tenant.subdomain}.localhost/set-password/")
    assert f"http://{tenant.subdomain}.localhost/login" in text
    assert "Sign in with" not in text
    assert link in html_of(message)

    # The link works once: the person chooses a password and signs in with it.
    person = tenant_app(mail_app, tenant)
    form = person.get(link.split("localhost", 1)[1]).forms[0]
    form["password"] = form["confirm"] = "my own long password 7"
    assert form.submit().status_int == 303
    assert sign_in(person, "starter@acme.example", "my own long password 7").status_int == 303
    person.get(link.split("localhost", 1)[1], status=404)


def test_with_sso_on_the_mail_says_sign_in_with_microsoft(admin, tenant, session_factory, smtp_server):
    with session_factory() as session, session.begin():
        get_or_create_connection(TenantScope(session, tenant.id), "entra").sso_enabled = True
    assert create_in_user_management(admin, "sso.starter@acme.example").status_int == 303
    text = text_of(smtp_server.sink.wait_for("sso.starter@acme.example"))
    assert "“Sign in with Microsoft”" in text
    assert f"http://{tenant.subdomain}.localhost/login" in text
    assert "set-password" not in text


def test_account_provisioned_by_entra_gets_the_mail(mail_app, tenant, session_factory, smtp_server):
    scim = ScimClient(tenant_app(mail_app, tenant), enable_scim(session_factory, tenant))
    scim.post("/Users", new_user("alice.entra@acme.example"))
    message = smtp_server.sink.wait_for("alice.entra@acme.example")
    assert "Hello Alice," in text_of(message)
    assert "/set-password/" in text_of(message)


def test_account_provisioned_inactive_gets_no_mail(mail_app, tenant, session_factory):
    scim = ScimClient(tenant_app(mail_app, tenant), enable_scim(session_factory, tenant))
    scim.post("/Users", new_user("dormant@acme.example", active=False))
    assert outbox_for(session_factory, "dormant@acme.example") == []


def test_the_message_is_queued_in_the_creating_transaction(mail_app, tenant, session_factory, smtp_server):
    """The outbox message commits with the account, or rolls back with it."""
    pm = mail_app.registry["plugin_manager"]
    services = hook_services(mail_app.registry)
    tm = transaction.TransactionManager(explicit=True)

    def create(email: str):
        tm.begin()
        session = get_tm_session(mail_app.registry["dbsession_factory"], tm)
        bind_tenant(session, tenant.id)  # as a request does: row-level security on PostgreSQL
        user = create_user(TenantScope(session, tenant.id), email=email)
        session.flush()
        notify_after_commit(tm, pm, "user_provisioned", tenant=tenant, user=user, provider=None,
                            services=services, session=session)
        return session

    def queued(session, email: str) -> list[str]:
        return [m.recipient for m in session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == email))]

    session = create("never@acme.example")
    assert queued(session, "never@acme.example") == ["never@acme.example"]
    tm.abort()
    # Same path, committed: that one is delivered, and the aborted one never was.
    session = create("kept@acme.example")
    assert queued(session, "kept@acme.example") == ["kept@acme.example"]
    tm.commit()
    smtp_server.sink.wait_for("kept@acme.example")
    assert outbox_for(session_factory, "never@acme.example") == []
    assert smtp_server.sink.to("never@acme.example") == []


def wait_until(condition, attempts: int = 200):
    """Poll (bounded) for something another thread does; fails if it never happens."""
    for _ in range(attempts):
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("condition never became true")


def test_smtp_outage_neither_fails_the_request_and_the_mail_follows_later(database_url, tenant, factory,
                                                                         session_factory):
    port = free_port()  # nothing listens here yet: the mail server is down
    application = configure(make_settings(database_url, **{
        "trainmeuk.mail_worker": "true", "mail.port": str(port)})).make_wsgi_app()
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    try:
        admin_user = factory.admin(tenant)
        browser = tenant_app(application, tenant)
        sign_in(browser, admin_user.email)
        assert create_in_user_management(browser, "patient@acme.example").status_int == 303
        assert browser.get("/admin/users", {"q": "patient"}).status_int == 200

        failed = wait_until(lambda: [m for m in outbox_for(session_factory, "patient@acme.example")
                                     if m.last_error and m.next_attempt_at > utcnow()])
        assert failed[0].sent_at is None and failed[0].attempts >= 1

        controller.start()  # the mail server is back
        with session_factory() as session, session.begin():
            row = session.get(OutboxMessage, failed[0].id)
            row.next_attempt_at = utcnow() - timedelta(seconds=1)  # its retry is due now
        application.registry["mail_worker"].wake()
        message = sink.wait_for("patient@acme.example")
        assert "patient@acme.example" in text_of(message)
        delivered = wait_until(lambda: [m for m in outbox_for(session_factory, "patient@acme.example")
                                        if m.sent_at is not None])
        assert delivered[0].last_error is None and delivered[0].attempts >= 2
    finally:
        close_app(application)
        if controller.loop.is_running():
            controller.stop()


def test_account_created_from_the_console_is_queued_with_the_public_address(tmp_path, database_url, tenant,
                                                                           session_factory, console):
    ini = write_ini(tmp_path, database_url, TEST_SECRET, environment="development", name="dev.ini")
    result = console(ini, "user", "create", "--tenant", tenant.subdomain, "--email", "console@acme.example",
                 "--name", "Con Sole")
    assert result.returncode == 0, result.stderr
    [queued] = outbox_for(session_factory, "console@acme.example")
    assert queued.sent_at is None  # the application's worker delivers it
    # The link's token is minted when the worker delivers the mail; the outbox holds none.
    assert f"http://{tenant.subdomain}.localhost:6543/set-password/{TOKEN_PLACEHOLDER}" in queued.body_text

