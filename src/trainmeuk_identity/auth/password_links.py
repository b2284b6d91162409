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

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import delete, insert, select
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
    account = (scope.tenant_id, user_id)
    return _store_tokens(scope.session, {account})[account]


def mint_for_delivery(session: Session, accounts: Iterable[tuple[str | None, str]]) -> dict[tuple[str, str], str]:
    """Fresh tokens for the messages being delivered now (the mail worker's cross-tenant
    session), one per account named as (tenant id, user id), as :func:`new_password_token`
    stores them; an account its tenant no longer has gets none. One statement each for
    the whole batch: which accounts are there, withdrawing, storing."""
    wanted = {(tenant_id, user_id) for tenant_id, user_id in accounts if tenant_id is not None}
    if not wanted:
        return {}
    # Only whether each account is still there, and in the tenant its message names.
    found = {(tenant_id, user_id) for user_id, tenant_id in session.execute(
        select(User.id, User.tenant_id).where(User.id.in_({user_id for _, user_id in wanted})))}
    return _store_tokens(session, found & wanted) if found & wanted else {}


def _store_tokens(session: Session, accounts: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """A new token for each account (tenant id, user id), its hash stored and the
    account's unused tokens withdrawn: only the newest link works."""
    session.execute(
        delete(PasswordToken).where(PasswordToken.user_id.in_({user_id for _, user_id in accounts}),
                                    PasswordToken.used_at.is_(None))
        .execution_options(synchronize_session=False))
    tokens = {account: new_token() for account in sorted(accounts)}
    expires = utcnow() + SET_PASSWORD_LINK_LIFETIME
    session.execute(insert(PasswordToken), [
        {"tenant_id": tenant_id, "user_id": user_id, "token_hash": hash_token(token), "expires_at": expires}
        for (tenant_id, user_id), token in tokens.items()])
    return tokens


def fill_in(body: str, token: str) -> str:
    """``body`` with the minted token where the placeholder stood."""
    return body.replace(TOKEN_PLACEHOLDER, token)
