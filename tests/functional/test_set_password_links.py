"""Set-password links are minted when the welcome mail is delivered: no table holds the
token in clear (not even the outbox), a link works once, a retried delivery's link
replaces the one before it, and a link works only at its own organisation's address."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from trainmeuk_identity import configure
from trainmeuk_identity.auth.password_links import TOKEN_PLACEHOLDER
from trainmeuk_identity.models import OutboxMessage, PasswordToken
from trainmeuk_identity.models.meta import utcnow

from ..support.app import close_app, make_settings, sign_in, tenant_app
from ..support.scim import ScimClient, enable_scim, new_user
from ..support.servers import MailSink, free_port

LINK = re.compile(r"http://[^/\s]+(/set-password/([A-Za-z0-9_-]+))")
NEW_PASSWORD = "a long chosen passphrase 9"


@pytest.fixture
def mail_app(database_url, smtp_server):
    """The application with its mail worker running, delivering to ``smtp_server``; its
    worker stops with the test (any process's worker delivers any queued message, so a
    worker left running would take the next test's mail to its own server)."""
    application = configure(make_settings(database_url, **{
        "trainmeuk.mail_worker": "true", "mail.port": str(smtp_server.port)})).make_wsgi_app()
    yield application
    close_app(application)


def link_in(message) -> tuple[str, str]:
    """The set-password link's path and token in a delivered mail (text and HTML agree)."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    path, token = LINK.search(text).groups()
    assert path in html
    return path, token


def provision(app, tenant, session_factory, email: str):
    scim = ScimClient(tenant_app(app, tenant), enable_scim(session_factory, tenant))
    return scim.post("/Users", new_user(email)).json["id"]


def choose_password(app, tenant, path: str):
    person = tenant_app(app, tenant)
    form = person.get(path).forms[0]
    form["password"] = form["confirm"] = NEW_PASSWORD
    return form.submit()


def tables_holding(session_factory, needle: str) -> list[str]:
    """Every table.column of the database (all of them, not only the models') whose
    value, read as text, contains ``needle``."""
    found = []
    with session_factory() as session:
        inspector = sa.inspect(session.connection())
        for table_name in inspector.get_table_names():
            for col in inspector.get_columns(table_name):
                table = sa.table(table_name, sa.column(col["name"]))
                hit = session.execute(sa.select(sa.literal(1)).select_from(table).where(
                    sa.cast(table.c[col["name"]], sa.Text).contains(needle, autoescape=True)
                ).limit(1)).first()
                if hit:
                    found.append(f"{table_name}.{col['name']}")
    return found


def test_no_table_holds_the_token_a_provisioned_persons_mail_carries(
        mail_app, tenant, session_factory, smtp_server):
    user_id = provision(mail_app, tenant, session_factory, "scanned@acme.example")
    path, token = link_in(smtp_server.sink.wait_for("scanned@acme.example"))

    assert tables_holding(session_factory, token) == []
    assert tables_holding(session_factory, path) == []
    with session_factory() as session:
        queued = session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.recipient == "scanned@acme.example")).one()
        assert queued.set_password_user_id == user_id
        assert f"/set-password/{TOKEN_PLACEHOLDER}" in queued.body_text
        assert f"/set-password/{TOKEN_PLACEHOLDER}" in queued.body_html
        # What is stored is the token's hash, for that account of that tenant.
        [stored] = session.scalars(sa.select(PasswordToken).where(PasswordToken.user_id == user_id))
        assert stored.tenant_id == tenant.id and stored.token_hash != token


def test_the_delivered_link_works_exactly_once(mail_app, tenant, session_factory, smtp_server):
    provision(mail_app, tenant, session_factory, "once@acme.example")
    path, _ = link_in(smtp_server.sink.wait_for("once@acme.example"))

    assert choose_password(mail_app, tenant, path).status_int == 303
    assert sign_in(tenant_app(mail_app, tenant), "once@acme.example", NEW_PASSWORD).status_int == 303
    tenant_app(mail_app, tenant).get(path, status=404)


def test_a_link_works_only_at_its_own_organisations_address(
        mail_app, tenant, other_tenant, session_factory, smtp_server):
    provision(mail_app, tenant, session_factory, "mine@acme.example")
    provision(mail_app, other_tenant, session_factory, "theirs@globex.example")
    mine, _ = link_in(smtp_server.sink.wait_for("mine@acme.example"))
    theirs, _ = link_in(smtp_server.sink.wait_for("theirs@globex.example"))

    tenant_app(mail_app, other_tenant).get(mine, status=404)
    tenant_app(mail_app, tenant).get(theirs, status=404)
    # Each still works where it belongs.
    assert choose_password(mail_app, tenant, mine).status_int == 303
    assert choose_password(mail_app, other_tenant, theirs).status_int == 303


@dataclass
class RefusingFirstSink(MailSink):
    """Keeps every message it is sent but answers the first one "451, try again later",
    as a mail server that had trouble after receiving it may: the worker retries it."""

    refused: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await super().handle_DATA(server, session, envelope)
        if self.refused == 0:
            self.refused += 1
            return "451 4.3.0 Try again later"
        return "250 OK"


def wait_until(condition, attempts: int = 400):
    for _ in range(attempts):
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("condition never became true")


def test_each_delivery_attempt_mints_a_new_link_and_the_earlier_one_stops_working(
        database_url, tenant, session_factory):
    port = free_port()
    sink = RefusingFirstSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    application = configure(make_settings(database_url, **{
        "trainmeuk.mail_worker": "true", "mail.port": str(port)})).make_wsgi_app()
    try:
        provision(application, tenant, session_factory, "retried@acme.example")
        first, first_token = link_in(sink.wait_for("retried@acme.example"))

        def refused_row():
            with session_factory() as session:
                row = session.scalars(sa.select(OutboxMessage).where(
                    OutboxMessage.recipient == "retried@acme.example")).one()
                return row if row.last_error and row.next_attempt_at > utcnow() else None

        row = wait_until(refused_row)
        assert "451" in row.last_error and row.sent_at is None
        with session_factory() as session, session.begin():
            session.get(OutboxMessage, row.id).next_attempt_at = utcnow() - timedelta(seconds=1)
        application.registry["mail_worker"].wake()
        wait_until(lambda: len(sink.to("retried@acme.example")) == 2)
        second, second_token = link_in(sink.to("retried@acme.example")[-1])

        assert second_token != first_token
        tenant_app(application, tenant).get(first, status=404)
        assert choose_password(application, tenant, second).status_int == 303
        tenant_app(application, tenant).get(second, status=404)
        assert tables_holding(session_factory, first_token) == []
        assert tables_holding(session_factory, second_token) == []
    finally:
        close_app(application)
        controller.stop()
