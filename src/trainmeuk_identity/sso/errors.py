"""Why a sign-in failed, said once: for the person, for their admin, for the audit log.

Views raise :class:`SsoFailure` internally and turn it into a page at one place
(``views.py``), which *returns* the page, so the audit record of the failure commits
with it. Never a 500, never a stack trace; the provider's own code and description are
shown as they came, and its wording comes from the provider object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response

from ..audit import record as audit
from ..providers.base import AuthorityError, Provider
from .linking import LinkResult
from .state import StateError
from .tokens import TokenInvalid

START_AGAIN = "Go back to the sign-in page and start again."
ASK_ADMIN = "Ask your organisation's TrainMeUK administrator."


@dataclass
class SsoFailure(Exception):
    reason: str  # short code for the audit log and the sso_login_failed hook
    title: str
    message: str
    what_to_do: str = START_AGAIN
    status: int = 400
    code: str = ""  # the provider's error code (the OAuth error, or the provider's own)
    description: str = ""  # the provider's own description, verbatim
    for_admin: bool = False
    links: dict[str, str] = field(default_factory=dict)
    detail: str = ""  # what exactly failed, for the audit log

    def __post_init__(self) -> None:
        super().__init__(self.detail or self.message)


def from_state(exc: StateError) -> SsoFailure:
    return SsoFailure(reason=exc.reason, title="This sign-in cannot be completed",
                      message="The answer from the identity provider does not belong to a "
                              "sign-in started in this browser for this organisation, or it "
                              "has expired or was already used.", detail=exc.detail)


def from_provider_error(provider: Provider, params: Any, consent_url: str | None,
                        cancelled: bool) -> SsoFailure:
    error = str(params.get("error", ""))[:100]
    description = str(params.get("error_description", ""))[:2000]
    explained = provider.explain_error(error, description)
    code = (explained.code if explained and explained.code else error)
    if cancelled:
        return SsoFailure(reason="cancelled", title="Sign-in cancelled",
                          message=f"You cancelled signing in with {provider.button_label}.",
                          what_to_do="Sign in again whenever you are ready.", status=400,
                          code=code, description=description, detail=f"{error}: {description}")
    consent = provider.needs_consent(error, description)
    failure = SsoFailure(
        reason="consent_required" if consent else "idp_error",
        title=explained.title if explained else f"{provider.button_label} refused the sign-in",
        message=explained.what_happened if explained else
        f"{provider.display_name} answered with an error instead of signing you in.",
        what_to_do=explained.what_to_do if explained else ASK_ADMIN,
        status=403 if consent else 400,
        code=code, description=description, for_admin=bool(explained and explained.for_admin),
        detail=f"{error}: {description}")
    if consent and consent_url:
        failure.links[provider.admin_consent_label] = consent_url
    return failure


def from_token_endpoint(provider: Provider, exc: AuthorityError) -> SsoFailure:
    if exc.unreachable:
        return unreachable(provider, exc)
    explained = provider.explain_error(exc.error, exc.description)
    return SsoFailure(
        reason="token_error",
        title=explained.title if explained else "The sign-in could not be completed",
        message=explained.what_happened if explained else
        f"{provider.display_name} refused to complete the sign-in.",
        what_to_do=explained.what_to_do if explained else ASK_ADMIN,
        code=(explained.code if explained and explained.code else exc.error),
        description=exc.description, for_admin=bool(explained and explained.for_admin),
        detail=f"{exc.error}: {exc.description}")


def unreachable(provider: Provider, exc: AuthorityError) -> SsoFailure:
    return SsoFailure(reason="unreachable", title=f"{provider.display_name} could not be reached",
                      message=f"TrainMeUK could not reach {provider.display_name} to complete "
                              "the sign-in.", what_to_do="Try again in a minute.", status=502,
                      detail=exc.description)


def from_refused_claims(provider: Provider, reason: str, target: str | None) -> SsoFailure:
    """The token was valid but the provider's :meth:`refuse_claims` said no."""
    return SsoFailure(reason="refused_claims", title="You cannot be signed in", message=reason,
                      what_to_do=ASK_ADMIN, status=403,
                      detail=f"{provider.name} refused the claims of {target or 'this person'}: {reason}")


def from_token(exc: TokenInvalid) -> SsoFailure:
    return SsoFailure(reason="invalid_token", title="The sign-in was refused",
                      message="The identity token TrainMeUK received did not pass its checks, "
                              "so nobody was signed in.", what_to_do=START_AGAIN + " " + ASK_ADMIN
                      + " if it keeps happening.", detail=f"{exc.check}: {exc.detail}")


def from_link(result: LinkResult) -> SsoFailure:
    what_to_do = {
        "no_account": "Ask your organisation's TrainMeUK administrator to create your account "
                      "(or to let accounts be created on first sign-in).",
        "ambiguous": ASK_ADMIN + " Two or more accounts share this email address.",
        "linked_elsewhere": ASK_ADMIN,
        "deactivated": ASK_ADMIN,
        "no_email": ASK_ADMIN,
    }.get(result.refusal or "", ASK_ADMIN)
    titles = {"no_account": "No TrainMeUK account for you yet",
              "deactivated": "This account is deactivated"}
    return SsoFailure(reason=result.refusal or "refused",
                      title=titles.get(result.refusal or "", "You cannot be signed in"),
                      message=result.message, what_to_do=what_to_do, status=403,
                      detail=result.message)


def render(request: Request, failure: SsoFailure, *, test: bool = False) -> Response:
    values = {"failure": failure, "test": test, "request_id": getattr(request, "request_id", None),
              "login_url": request.route_path("auth.login")}
    response = render_to_response("sso/error.jinja2", values, request=request)
    response.status = failure.status
    return response


def record(request: Request, provider: str, failure: SsoFailure, *, target: str | None,
           test: bool) -> None:
    """Audit the failure and tell plugins; commits with the returned page."""
    audit(request, "sso.test.failed" if test else "sso.login.failed", target=target,
          outcome="failure", detail={"provider": provider, "reason": failure.reason,
                                     "code": failure.code, "detail": failure.detail[:500]})
    if not test:
        request.notify("sso_login_failed", tenant=request.tenant, provider=provider,
                       reason=failure.reason, detail=failure.detail)
