"""outbox without tokens: a queued set-password link is minted when it is delivered

Revision ID: 0006_outbox_without_tokens
Revises: 0005_row_level_security
Create Date: 2026-12-02 14:00:00

``mail_outbox.set_password_user_id``: the account whose set-password link a queued
message carries; its bodies hold a placeholder where the token goes, and the mail
worker mints the token at each delivery attempt. No new grant: both roles already have
every row privilege on ``mail_outbox`` and ``password_tokens`` (0005).

Data: no row may keep a token in clear. An undelivered message's link becomes the
placeholder and its token row is deleted (nobody received it; delivery mints a new
one); a delivered message's copy loses its token (the link the person received keeps
working until used or expired). The downgrade mints a token in clear for each
undelivered message again, as the code before this revision expects.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = '0006_outbox_without_tokens'
down_revision = '0005_row_level_security'
branch_labels = None
depends_on = None

# Frozen at this revision (auth/password_links.py, auth/__init__.py).
PLACEHOLDER = "{set-password-token}"
REMOVED = "(link-removed)"
LINK = re.compile(r"/set-password/([A-Za-z0-9_-]{20,})")
LIFETIME = timedelta(days=7)

outbox = sa.table(
    "mail_outbox", sa.column("id", sa.Integer), sa.column("tenant_id", sa.String),
    sa.column("body_text", sa.Text), sa.column("body_html", sa.Text),
    sa.column("sent_at", sa.DateTime(timezone=True)),
    sa.column("set_password_user_id", sa.String))
tokens = sa.table(
    "password_tokens", sa.column("id", sa.String), sa.column("tenant_id", sa.String),
    sa.column("user_id", sa.String), sa.column("token_hash", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("expires_at", sa.DateTime(timezone=True)),
    sa.column("used_at", sa.DateTime(timezone=True)))


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('set_password_user_id', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_mail_outbox_set_password_user_id'),
                              ['set_password_user_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_mail_outbox_set_password_user_id_users'),
                                    'users', ['set_password_user_id'], ['id'], ondelete='CASCADE')
    bind = op.get_bind()
    rows = bind.execute(sa.select(outbox).where(
        sa.or_(outbox.c.body_text.like("%/set-password/%"),
               outbox.c.body_html.like("%/set-password/%")))).all()
    for row in rows:
        found = set(LINK.findall(row.body_text or "")) | set(LINK.findall(row.body_html or ""))
        if not found:
            continue
        undelivered = row.sent_at is None
        user_id = None
        for token in found:
            token_row = bind.execute(sa.select(tokens.c.id, tokens.c.user_id).where(
                tokens.c.token_hash == _sha256(token), tokens.c.tenant_id == row.tenant_id,
                tokens.c.used_at.is_(None))).first()
            if undelivered and token_row is not None:
                user_id = token_row.user_id
                bind.execute(sa.delete(tokens).where(tokens.c.id == token_row.id))
        # An undelivered message whose token is no longer live (used, or its account
        # removed) would carry no working link anyway: it goes with the link removed.
        replacement = PLACEHOLDER if user_id is not None else REMOVED
        values = {"body_text": _replace(row.body_text, found, replacement),
                  "body_html": _replace(row.body_html, found, replacement)}
        if user_id is not None:
            values["set_password_user_id"] = user_id
        bind.execute(sa.update(outbox).where(outbox.c.id == row.id).values(**values))


def _replace(body: str | None, found: set[str], replacement: str) -> str | None:
    if body is None:
        return None
    for token in found:
        body = body.replace(token, replacement)
    return body


def downgrade() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    rows = bind.execute(sa.select(outbox).where(outbox.c.set_password_user_id.is_not(None),
                                                outbox.c.sent_at.is_(None))).all()
    for row in rows:
        token = secrets.token_urlsafe(32)
        bind.execute(sa.insert(tokens).values(
            id=str(uuid.uuid4()), tenant_id=row.tenant_id, user_id=row.set_password_user_id,
            token_hash=_sha256(token), created_at=now, expires_at=now + LIFETIME))
        bind.execute(sa.update(outbox).where(outbox.c.id == row.id).values(
            body_text=row.body_text.replace(PLACEHOLDER, token),
            body_html=row.body_html and row.body_html.replace(PLACEHOLDER, token)))
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_mail_outbox_set_password_user_id_users'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_mail_outbox_set_password_user_id'))
        batch_op.drop_column('set_password_user_id')
