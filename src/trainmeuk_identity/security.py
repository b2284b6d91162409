"""Who is calling: a staff session or a SCIM bearer token, never both.

The security policy dispatches on the route context's ``__authn__``: staff routes are
authenticated by the session cookie, SCIM routes by the bearer token policy of
``scim/security.py``; the app factory composes the two. A SCIM token therefore cannot
satisfy an admin permission, and a signed-in admin's cookie cannot provision.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.request import Request, RequestLocalCache
from pyramid.session import BaseCookieSessionFactory
from sqlalchemy import delete
from sqlalchemy.orm import Session, lazyload

from .crypto import InvalidToken, KeyRing, hash_token, new_token
from .models import StaffSession, User
from .models.meta import utcnow
from .permissions import Principal

SESSION_COOKIE = "tmk_session"
SESSION_IDLE_TIMEOUT = 8 * 60 * 60  # seconds without a request before a session ends
SESSION_AUTH_KEY = "auth"
SESSION_MAX_AGE = timedelta(days=7)  # however active, a session ends after this long


@dataclass
class StaffIdentity:
    user: User
    tenant_id: str
    principals: list[str] = field(default_factory=list)


class AuthenticationPolicy(Protocol):
    def identity(self, request: Request) -> Any: ...
    def principals(self, request: Request, identity: Any) -> list[str]: ...


class StaffSessionPolicy:
    """Identity from the session cookie, re-checked against the database every request,
    in one query: the cookie's session id must have a live row in ``staff_sessions``
    (signing out deletes it), for this tenant, of an account that exists, is active
    and whose auth epoch has not moved (password change, deactivation)."""

    def identity(self, request: Request) -> StaffIdentity | None:
        tenant = request.tenant
        auth = request.session.get(SESSION_AUTH_KEY)
        if tenant is None or not isinstance(auth, dict):
            return None
        session_id = auth.get("sid")
        if auth.get("tenant_id") != tenant.id or not isinstance(session_id, str):
            return None
        user = request.dbsession.scalar(
            request.scope.select(User)
            .join(StaffSession, StaffSession.user_id == User.id)
            .where(StaffSession.id_hash == hash_token(session_id),
                   StaffSession.tenant_id == tenant.id,
                   StaffSession.expires_at > utcnow())
            .options(lazyload(User.emails))
        )
        if user is None or user.id != auth.get("user_id") or not user.active \
                or user.auth_epoch != auth.get("epoch"):
            request.session.invalidate()
            return None
        principals = [Principal.staff]
        if user.is_admin:
            principals.append(Principal.admin)
        return StaffIdentity(user=user, tenant_id=tenant.id, principals=principals)

    def principals(self, request: Request, identity: StaffIdentity) -> list[str]:
        return list(identity.principals)


def start_session(request: Request, user: User) -> str:
    """Record a new server-side session for ``user``; return its id (for the cookie).
    The person's expired sessions are pruned as we go."""
    session_id = new_token()
    now = utcnow()
    request.dbsession.execute(
        delete(StaffSession).where(StaffSession.tenant_id == user.tenant_id,
                                   StaffSession.user_id == user.id,
                                   StaffSession.expires_at <= now))
    request.dbsession.add(StaffSession(
        id_hash=hash_token(session_id), tenant_id=user.tenant_id, user_id=user.id,
        created_at=now, expires_at=now + SESSION_MAX_AGE, address=request.client_addr))
    return session_id


def end_session(request: Request) -> None:
    """Delete this request's server-side session, if it has one."""
    auth = request.session.get(SESSION_AUTH_KEY)
    tenant = request.tenant
    if tenant is None or not isinstance(auth, dict) or not isinstance(auth.get("sid"), str):
        return
    request.dbsession.execute(
        delete(StaffSession).where(StaffSession.tenant_id == tenant.id,
                                   StaffSession.id_hash == hash_token(auth["sid"])))


def end_all_sessions(session: Session, user: User) -> None:
    """End every session of ``user``, in every process: the rows go and the auth epoch
    moves (so a cookie of any age is refused)."""
    user.auth_epoch += 1
    session.execute(delete(StaffSession).where(StaffSession.tenant_id == user.tenant_id,
                                               StaffSession.user_id == user.id))


class SecurityPolicy:
    def __init__(self, policies: dict[str, AuthenticationPolicy]) -> None:
        self.policies = policies
        self.acl = ACLHelper()
        # Pyramid asks for the identity many times per request (views, templates,
        # permission checks): resolve it once, and again after remember/forget.
        self._identities = RequestLocalCache(self._resolve_identity)

    def _policy(self, request: Request) -> AuthenticationPolicy | None:
        # No context yet (outside routing, e.g. tweens): nobody is authenticated.
        method = getattr(getattr(request, "context", None), "__authn__", None)
        return self.policies.get(method) if method else None

    def _resolve_identity(self, request: Request) -> Any:
        policy = self._policy(request)
        return policy.identity(request) if policy else None

    def identity(self, request: Request) -> Any:
        if self._policy(request) is None:  # before routing: not cached, nobody yet
            return None
        return self._identities.get_or_create(request)

    def authenticated_userid(self, request: Request) -> str | None:
        identity = request.identity
        if isinstance(identity, StaffIdentity):
            return identity.user.id
        return getattr(identity, "userid", None)

    def permits(self, request: Request, context: Any, permission: str) -> Any:
        principals = [Everyone]
        identity = request.identity
        policy = self._policy(request)
        if identity is not None and policy is not None:
            principals.append(Authenticated)
            principals.extend(policy.principals(request, identity))
        return self.acl.permits(context, principals, permission)

    def remember(self, request: Request, userid: str, **kw: Any) -> list[Any]:
        user: User = kw["user"]
        request.session.invalidate()  # a fresh session id: no fixation
        self._identities.clear(request)
        request.session[SESSION_AUTH_KEY] = {
            "sid": start_session(request, user),
            "user_id": user.id,
            "tenant_id": user.tenant_id,
            "epoch": user.auth_epoch,
            "at": utcnow().isoformat(),
        }
        return []

    def forget(self, request: Request, **kw: Any) -> list[Any]:
        self._identities.clear(request)
        end_session(request)
        request.session.invalidate()
        return []


class _EncryptedJSONSerializer:
    """Session cookies are encrypted and authenticated with the "session" key ring."""

    def __init__(self, keyring: KeyRing) -> None:
        self.keyring = keyring

    def dumps(self, appstruct: Any) -> bytes:
        return self.keyring.encrypt(json.dumps(appstruct, separators=(",", ":")).encode()).encode()

    def loads(self, bstruct: bytes) -> Any:
        try:
            return json.loads(self.keyring.decrypt(bstruct, ttl=SESSION_IDLE_TIMEOUT * 3))
        except (InvalidToken, ValueError) as exc:
            raise ValueError("invalid session cookie") from exc


def includeme(config: Any) -> None:
    settings = config.get_settings()
    session_factory = BaseCookieSessionFactory(
        _EncryptedJSONSerializer(KeyRing(settings["trainmeuk.secret_keys"], "session")),
        cookie_name=SESSION_COOKIE,
        # No Domain attribute: a host-only cookie, never sent to another tenant's host.
        domain=None,
        path="/",
        secure=settings["trainmeuk.cookie_secure"],
        httponly=True,
        samesite="Lax",
        timeout=SESSION_IDLE_TIMEOUT,
        reissue_time=60,
        set_on_exception=True,
    )
    config.set_session_factory(session_factory)
    # CSRF on every unsafe request by default; machine endpoints opt out explicitly.
    config.set_default_csrf_options(require_csrf=True)
