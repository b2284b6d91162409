"""The alembic migrations build exactly the schema the models declare."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from alembic import command
from trainmeuk_identity.auth.password_links import TOKEN_PLACEHOLDER, new_password_token
from trainmeuk_identity.crypto import hash_token
from trainmeuk_identity.models import PasswordToken, TenantScope, get_session_factory, metadata
from trainmeuk_identity.testing.factories import Factory

from ..support.app import ROOT, migrate


def test_models_and_migrations_agree(database_url):
    # database_url is migrated to head by the session fixture.
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_one_head_and_every_table_created(database_url):
    config = Config()
    config.set_main_option("script_location", f"{ROOT}/alembic")
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
    engine = create_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(metadata.tables) <= tables


def test_upgrade_head_on_an_empty_sqlite_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    migrate(url)
    migrate(url)  # a second run changes nothing and does not fail
    engine = create_engine(url)
    try:
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _alembic(url: str) -> Config:
    config = Config(f"{ROOT}/alembic.ini")
    config.set_main_option("script_location", f"{ROOT}/alembic")
    config.attributes["database_url"] = url
    return config


def test_0006_leaves_no_set_password_token_in_the_outbox_and_its_downgrade_restores_links(tmp_path):
    """Messages queued before 0006 carry their token in clear: an undelivered one gets the
    placeholder back (its token row goes; delivery mints a new one), a delivered one's
    copy loses its token. The downgrade mints a token in clear again, as the old code did."""
    url = f"sqlite:///{tmp_path / 'outbox.sqlite'}"
    config = _alembic(url)
    command.upgrade(config, "0005_row_level_security")
    engine = create_engine(url)
    try:
        factory = Factory(get_session_factory(engine))
        tenant = factory.tenant()
        waiting, delivered = factory.user(tenant, password=None), factory.user(tenant, password=None)
        outbox = sa.table("mail_outbox", *(sa.column(c) for c in (
            "id", "tenant_id", "recipient", "subject", "body_text", "body_html", "created_at",
            "attempts", "next_attempt_at", "sent_at")))
        tokens = {}
        with get_session_factory(engine)() as session, session.begin():
            now = sa.func.current_timestamp()
            for user, sent in ((waiting, None), (delivered, now)):
                token = tokens[user.id] = new_password_token(TenantScope(session, tenant.id), user.id)
                link = f"http://{tenant.subdomain}.localhost/set-password/{token}"
                session.execute(sa.insert(outbox).values(
                    tenant_id=tenant.id, recipient=user.email, subject="Welcome",
                    body_text=f"Choose your password: {link}\n",
                    body_html=f'<a href="{link}">Choose your password</a>',
                    created_at=now, attempts=0, next_attempt_at=now, sent_at=sent))

        command.upgrade(config, "head")
        with engine.connect() as connection:
            rows = {r.recipient: r for r in connection.execute(sa.text(
                "SELECT recipient, body_text, body_html, set_password_user_id FROM mail_outbox"))}
            live = set(connection.scalars(sa.select(PasswordToken.token_hash)))
        for row in rows.values():
            assert not any(t in row.body_text or t in row.body_html for t in tokens.values())
        assert rows[waiting.email].set_password_user_id == waiting.id
        assert f"/set-password/{TOKEN_PLACEHOLDER}" in rows[waiting.email].body_html
        assert rows[delivered.email].set_password_user_id is None
        assert TOKEN_PLACEHOLDER not in rows[delivered.email].body_text
        # The undelivered link's token is gone; the delivered one still works for its reader.
        assert live == {hash_token(tokens[delivered.id])}

        command.downgrade(config, "0005_row_level_security")
        with engine.connect() as connection:
            body = connection.scalar(sa.text("SELECT body_text FROM mail_outbox WHERE recipient = :r"),
                                     {"r": waiting.email})
            live = set(connection.scalars(sa.select(PasswordToken.token_hash)))
        token = body.split("/set-password/", 1)[1].split()[0]
        assert hash_token(token) in live and TOKEN_PLACEHOLDER not in body
        command.upgrade(config, "head")
    finally:
        engine.dispose()
