"""Single-use set-password links: only their hash is ever stored.

A link carries a random token; ``password_tokens`` keeps its SHA-256. A message that
will carry a link (the welcome email) is queued with :data:`TOKEN_PLACEHOLDER` where the
token goes and the account it is for; the mail worker mints the token when it delivers
the message (:func:`mint_for_delivery`), so no table ever holds one in clear, not even
the outbox. Minting a token for an account withdraws that account's unused ones: only
the newest link works, so each delivery attempt of a retried message replaces the link
of the attempt before it (decision 0004).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..crypto import hash_token, new_token
from ..models import PasswordToken, TenantScope, User
from ..models.meta import utcnow

SET_PASSWORD_LINK_LIFETIME = timedelta(days=7)

#: Stands for the token in a queued message's link until the mail worker mints it.
#: A name or organisation containing this text only ever shows the recipient their own link.
TOKEN_PLACEHOLDER = "{set-password-token}"


def new_password_token(scope: TenantScope, user_id: str) -> str:
    """Store a single-use set-password token for the account ``user_id`` of the scope's
    tenant (its hash only), withdrawing the account's unused ones; return the token,
    which exists nowhere else."""
    scope.session.execute(
        delete(PasswordToken).where(PasswordToken.tenant_id == scope.tenant_id,
                                    PasswordToken.user_id == user_id,
                                    PasswordToken.used_at.is_(None))
        .execution_options(synchronize_session=False))
    token = new_token()
    scope.add(PasswordToken(user_id=user_id, token_hash=hash_token(token),
                            expires_at=utcnow() + SET_PASSWORD_LINK_LIFETIME))
    return token


def mint_for_delivery(session: Session, tenant_id: str | None, user_id: str) -> str | None:
    """A fresh token for the account ``user_id`` of tenant ``tenant_id``, for the message
    being delivered now (the mail worker's cross-tenant session); None when that tenant
    has no such account any more."""
    if tenant_id is None:
        return None
    # Only whether the account is still there: not the account and its addresses.
    found = session.scalar(select(User.id).where(User.id == user_id, User.tenant_id == tenant_id))
    if found is None:
        return None
    return new_password_token(TenantScope(session, tenant_id), found)


def fill_in(body: str, token: str) -> str:
    """``body`` with the minted token where the placeholder stood."""
    return body.replace(TOKEN_PLACEHOLDER, token)
