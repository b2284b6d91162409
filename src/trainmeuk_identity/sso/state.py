"""What survives between the redirect to the identity provider and its callback.

A signed, encrypted, short-lived cookie (the "sso-state" key ring) carries the state,
nonce, PKCE verifier, where to go afterwards and the mode (sign-in or an admin's test),
bound to the tenant and provider it was made for. Nothing is kept in process memory, so
any app process can finish a sign-in another one began. Each state is good once: its
id is recorded in ``sso_state_uses`` when the callback consumes it, and the primary key
makes the first use win even when two processes race.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from pyramid.request import Request
from pyramid.response import Response
from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from ..crypto import InvalidToken, KeyRing
from ..models import SsoStateUse, TenantScope
from ..models.meta import utcnow

STATE_TTL_SECONDS = 600  # ten minutes to sign in at the provider
COOKIE_PREFIX = "tmk_sso_"
KEY_PURPOSE = "sso-state"


class StateError(Exception):
    """The callback's state is missing, forged, expired, foreign or already used."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class PendingSignIn:
    state: str
    nonce: str
    verifier: str
    tenant_id: str
    provider: str
    redirect_uri: str
    next: str = "/"
    mode: str = "login"  # "login" or "test" (an admin trying the settings out)
    admin_user_id: str | None = None

    @property
    def state_id(self) -> str:
        """What is stored for one-time use: a digest, never the state itself."""
        return hashlib.sha256(self.state.encode()).hexdigest()


def new_pending(*, tenant_id: str, provider: str, redirect_uri: str, next_path: str,
                mode: str = "login", admin_user_id: str | None = None) -> PendingSignIn:
    return PendingSignIn(
        state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32),
        # RFC 7636: 43-128 characters of the unreserved set; 64 bytes -> 86 characters.
        verifier=secrets.token_urlsafe(64), tenant_id=tenant_id, provider=provider,
        redirect_uri=redirect_uri, next=next_path, mode=mode, admin_user_id=admin_user_id,
    )


def cookie_name(state: str) -> str:
    # One cookie per sign-in in progress, so two tabs do not overwrite each other.
    return COOKIE_PREFIX + hashlib.sha256(state.encode()).hexdigest()[:16]


def _keyring(request: Request) -> KeyRing:
    return KeyRing(request.registry.settings["trainmeuk.secret_keys"], KEY_PURPOSE)


def _cookie_path(provider: str) -> str:
    return f"/sso/{provider}/"


def set_cookie(request: Request, response: Response, pending: PendingSignIn) -> None:
    value = _keyring(request).encrypt(json.dumps(asdict(pending), separators=(",", ":")).encode())
    response.set_cookie(
        cookie_name(pending.state), value, max_age=STATE_TTL_SECONDS,
        path=_cookie_path(pending.provider), secure=request.registry.settings["trainmeuk.cookie_secure"],
        # Lax: sent on the provider's top-level GET redirect back to us (response_mode=query).
        httponly=True, samesite="Lax",
    )


def clear_cookie(response: Response, state: str, provider: str) -> None:
    response.delete_cookie(cookie_name(state), path=_cookie_path(provider))


def load(request: Request, provider: str, state: str | None) -> PendingSignIn:
    """The sign-in this browser started for this tenant and provider, or StateError."""
    if not state:
        raise StateError("missing_state", "The provider's answer carried no state.")
    raw = request.cookies.get(cookie_name(state))
    if not raw:
        raise StateError("unknown_state", "No sign-in in progress in this browser matches the "
                                          "provider's answer (expired, or started elsewhere).")
    try:
        data: dict[str, Any] = json.loads(_keyring(request).decrypt(raw, ttl=STATE_TTL_SECONDS))
        pending = PendingSignIn(**data)
    except (InvalidToken, ValueError, TypeError):
        raise StateError("invalid_state", "The sign-in cookie is expired or was tampered with.") from None
    if not hmac.compare_digest(pending.state.encode(), state.encode()):
        raise StateError("state_mismatch", "The provider's answer does not match the sign-in "
                                           "this browser started.")
    tenant = request.tenant
    if tenant is None or pending.tenant_id != tenant.id or pending.provider != provider:
        raise StateError("wrong_tenant", "This sign-in was started for another organisation "
                                         "or provider.")
    return pending


def consume(scope: TenantScope, pending: PendingSignIn) -> None:
    """Mark the state used; StateError if it already was (by any process)."""
    session = scope.session
    now = utcnow()
    # One statement: the row is added unless the state was used before (by any process).
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    added = session.scalar(
        insert(SsoStateUse).values(state_id=pending.state_id, tenant_id=scope.tenant_id, used_at=now,
                                   expires_at=now + timedelta(seconds=STATE_TTL_SECONDS))
        .on_conflict_do_nothing().returning(SsoStateUse.state_id))
    if added is None:
        raise StateError("replayed_state", "This sign-in answer was already used once.")
    # Rows past the cookie's lifetime prove nothing more; prune this tenant's as we go.
    session.execute(delete(SsoStateUse).where(SsoStateUse.tenant_id == scope.tenant_id,
                                              SsoStateUse.expires_at < now))
