"""Sign-in page, sign-out, the session API, the home page, set-password links."""

from __future__ import annotations

import math
import re
from typing import Any

from pyramid.httpexceptions import HTTPFound, HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.security import forget, remember
from pyramid.view import view_config

from ..accounts import find_by_login, set_password
from ..audit import record as audit
from ..connections import sso_providers
from ..crypto import hash_token
from ..folding import fold
from ..models import PasswordToken, TenantScope, User
from ..models.meta import utcnow
from ..permissions import Permission
from ..security import StaffIdentity, end_all_sessions
from . import throttle
from .passwords import hash_password, needs_rehash, password_problem, verify_password

WRONG_CREDENTIALS = "The email address or password is not right."
THROTTLED = ("Too many failed sign-in attempts from your network. Wait {wait} and try "
             "again, or ask your organisation's TrainMeUK administrator to help.")
def sso_only(buttons: list[dict[str, str]]) -> str:
    """Why a password sign-in was refused when the tenant requires SSO, naming its
    providers: "Your organisation signs in with <provider>. Use “Sign in with ...” below."."""
    if not buttons:
        return "Your organisation signs in with single sign-on, which is not available right now."
    names = " or ".join(b["button_label"] for b in buttons)
    labels = " or ".join(f"“{b['label']}”" for b in buttons)
    return f"Your organisation signs in with {names}. Use {labels} below."


# A path on this site, of printable ASCII only (no spaces, controls or other
# characters: a Location header carries Latin-1 at most, and URLs are percent-encoded).
_SAME_SITE_PATH = re.compile(r"/(?![/\\])[!-\[\]-~]*")
MAX_NEXT_LENGTH = 2048


def safe_next(value: object) -> str:
    """Only same-site relative paths: ``/x`` yes; ``//evil``, ``https://evil``, ``/\\evil``,
    anything with a space, a control or a non-ASCII character no. Never fails: anything
    else is ``/`` (the home page)."""
    if not isinstance(value, str) or len(value) > MAX_NEXT_LENGTH:
        return "/"
    return value if _SAME_SITE_PATH.fullmatch(value) else "/"


def next_param(request: Request, source: str = "params") -> str:
    """The validated ``next`` of ``request.params`` (or ``request.POST``); ``/`` also
    when the query or form is not valid UTF-8."""
    try:
        return safe_next(getattr(request, source).get("next"))
    except UnicodeDecodeError:
        return "/"


def sso_buttons(request: Request) -> list[dict[str, str]]:
    """The "Sign in with ..." buttons of the providers this tenant has SSO enabled for."""
    return [{"label": f"Sign in with {provider.button_label}",
             "url": request.route_path("sso.login", provider=provider.name),
             "provider": provider.name,
             "button_label": provider.button_label}
            for provider in sso_providers(request.scope, request.providers)]


def login_page(request: Request, *, email: str = "", error: str | None = None,
               status: int = 200) -> dict[str, Any]:
    request.response.status = status
    return {
        "email": email,
        "error": error,
        "next": next_param(request),
        "sso_buttons": sso_buttons(request),
        "require_sso": request.tenant.require_sso,
    }


def _seconds(wait: int) -> str:
    if wait >= 120:
        return f"{math.ceil(wait / 60)} minutes"
    return "1 second" if wait == 1 else f"{wait} seconds"


@view_config(route_name="auth.login", request_method="GET", renderer="login.jinja2")
def login_form(request: Request) -> Any:
    if isinstance(request.identity, StaffIdentity):
        return HTTPFound(location=next_param(request))
    return login_page(request)


@view_config(route_name="auth.login", request_method="POST", renderer="login.jinja2")
def login_submit(request: Request) -> Any:
    scope: TenantScope = request.scope
    email = request.POST.get("email", "").strip()[:320]
    password = request.POST.get("password", "")[:1024]
    address = request.client_addr or "unknown"
    key = fold(email) or ""
    if not email or not password:
        return login_page(request, email=email, error="Enter your email address and password.", status=400)
    wait = throttle.retry_after(scope, key, address)
    if wait:
        audit(request, "login.throttled", target=email, outcome="failure", detail={"wait": wait})
        request.response.headers["Retry-After"] = str(wait)
        return login_page(request, email=email, error=THROTTLED.format(wait=_seconds(wait)),
                          status=429)

    matches = [u for u in find_by_login(scope, email) if u.password_hash]
    user = matches[0] if len(matches) == 1 else None
    if user is None or not verify_password(user.password_hash, password):
        if user is None:
            verify_password(None, password)  # same cost as a wrong password
        throttle.record_failure(scope, key, address)
        audit(request, "login.failed", target=email, outcome="failure", detail={"reason": "credentials"})
        return login_page(request, email=email, error=WRONG_CREDENTIALS, status=400)
    if not user.active:
        audit(request, "login.failed", target=email, outcome="failure", detail={"reason": "deactivated"})
        return login_page(request, email=email, status=403,
                          error="This account is deactivated. Ask your organisation's TrainMeUK administrator.")
    if request.tenant.require_sso and not user.is_admin:
        return login_page(request, email=email, error=sso_only(sso_buttons(request)), status=403)

    throttle.clear_failures(scope, key, address)
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    audit(request, "login.succeeded", target=user.email or user.user_name, detail={"method": "password"})
    headers = remember(request, user.id, user=user)
    return HTTPSeeOther(location=next_param(request, "POST"), headers=headers)


@view_config(route_name="auth.logout", request_method="POST")
def logout(request: Request) -> Any:
    headers = forget(request)
    return HTTPSeeOther(location=request.route_path("auth.login"), headers=headers)


@view_config(route_name="auth.logout_everywhere", request_method="POST",
             permission=Permission.SessionRead)
def logout_everywhere(request: Request) -> Any:
    """End every session of the signed-in person, on every device, this one included."""
    user = request.identity.user
    end_all_sessions(request.dbsession, user)
    audit(request, "sessions.ended", target=user.email or user.user_name,
          detail={"by": "self"})
    headers = forget(request)
    return HTTPSeeOther(location=request.route_path("auth.login"), headers=headers)


@view_config(route_name="api.session", request_method="GET", renderer="json")
def session_api(request: Request) -> Any:
    identity = request.identity
    if not isinstance(identity, StaffIdentity):
        request.response.status = 401
        return {"tenant": request.tenant.subdomain, "user": None, "error": "not signed in"}
    user = identity.user
    return {
        "tenant": request.tenant.subdomain,
        "user": {"id": user.id, "email": user.email, "display_name": user.name,
                 "is_admin": user.is_admin},
    }


@view_config(route_name="home", request_method="GET", renderer="home.jinja2",
             permission=Permission.SessionRead)
def home(request: Request) -> dict[str, Any]:
    return {"user": request.identity.user}


@view_config(route_name="landing", request_method="GET", renderer="landing.jinja2")
def landing(request: Request) -> dict[str, Any]:
    return {}


def _live_password_token(request: Request) -> PasswordToken:
    token = request.matchdict["token"]
    row = request.dbsession.scalar(
        request.scope.select(PasswordToken).where(PasswordToken.token_hash == hash_token(token))
    )
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        raise HTTPNotFound("This link has expired or was already used. Ask your "
                           "organisation's TrainMeUK administrator for a new one.")
    return row


@view_config(route_name="auth.set_password", request_method="GET", renderer="set_password.jinja2")
def set_password_form(request: Request) -> dict[str, Any]:
    row = _live_password_token(request)
    return {"error": None, "user": request.scope.get(User, row.user_id)}


@view_config(route_name="auth.set_password", request_method="POST", renderer="set_password.jinja2")
def set_password_submit(request: Request) -> Any:
    row = _live_password_token(request)
    user = request.scope.get(User, row.user_id)
    if user is None or not user.active:
        raise HTTPNotFound("This account is not active.")
    password = request.POST.get("password", "")
    problem = password_problem(password)
    if not problem and password != request.POST.get("confirm", ""):
        problem = "The two passwords are not the same."
    if problem:
        request.response.status = 400
        return {"error": problem, "user": user}
    set_password(user, password)
    row.used_at = utcnow()
    audit(request, "password.set", target=user.email or user.user_name)
    return HTTPSeeOther(location=request.route_path("auth.login"))

