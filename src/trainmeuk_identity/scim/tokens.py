"""SCIM bearer tokens: issued on enabling, shown once, stored as a SHA-256 only.

A connection has at most one live token. Regenerating revokes the old one at once.
Disabling SCIM keeps the token (so enabling again needs no change at the identity
provider) but the
endpoint refuses every request while disabled.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..connections import get_or_create_connection
from ..crypto import hash_token, new_token, tokens_equal
from ..models import ProviderConnection, ScimToken, TenantScope
from ..models.meta import utcnow

TOKEN_BYTES = 32


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: the only moment its value is known."""

    value: str
    token: ScimToken


def _issue(scope: TenantScope, connection: ProviderConnection) -> IssuedToken:
    now = utcnow()
    for old in connection.tokens:
        if old.revoked_at is None:
            old.revoked_at = now
    value = new_token(TOKEN_BYTES)
    token = ScimToken(tenant_id=scope.tenant_id, connection_id=connection.id,
                      token_hash=hash_token(value), suffix=value[-4:], created_at=now)
    connection.tokens.append(token)
    return IssuedToken(value=value, token=token)


def enable_scim(scope: TenantScope, provider: str) -> tuple[ProviderConnection, IssuedToken | None]:
    """Enable SCIM; a token is issued only if the connection has none yet."""
    connection = get_or_create_connection(scope, provider)
    connection.scim_enabled = True
    issued = None if connection.active_token is not None else _issue(scope, connection)
    return connection, issued


def rotate_token(scope: TenantScope, provider: str) -> IssuedToken:
    """A new token; the previous one stops working immediately."""
    connection = get_or_create_connection(scope, provider)
    return _issue(scope, connection)


def disable_scim(scope: TenantScope, provider: str) -> ProviderConnection:
    connection = get_or_create_connection(scope, provider)
    connection.scim_enabled = False
    return connection


def find_token(session: Session, presented: str) -> ScimToken | None:
    """The live token whose hash matches ``presented``, in constant time per candidate.

    The lookup is by hash (an index probe, which reveals nothing about the token); the
    final comparison uses ``hmac.compare_digest``. The caller checks the tenant and the
    provider of the token's connection against the request.
    """
    digest = hash_token(presented)
    token = session.scalar(
        select(ScimToken).where(ScimToken.token_hash == digest, ScimToken.revoked_at.is_(None))
    )
    if token is None or not tokens_equal(token.token_hash, digest):
        return None
    return token
