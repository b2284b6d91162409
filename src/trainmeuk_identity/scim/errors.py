"""Every refusal under ``/scim/`` as a SCIM Error document (RFC 7644 §3.12).

Protocol errors are raised as scim2-models exceptions anywhere in the SCIM code and
rendered here, once. Their ``detail`` is shown verbatim to the customer's admin in the
identity provider's provisioning logs, so it says what to fix (in the provider's words:
``Provider.short_name`` and the field names of its ``scim_setup``). Other HTTP errors under /scim
(404, 503, 500) are rendered as SCIM Errors by the application's own error views.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pyramid.httpexceptions import HTTPForbidden
from pyramid.request import Request
from pyramid.response import Response
from scim2_models import (
    Error,
    InvalidSyntaxException,
    InvalidValueException,
    SCIMException,
)

from ..errors import scim_error_response
from .section import scim_setup
from .security import Refusal

SCIM_PATH = r"^/scim/"

DISABLED_DETAIL = (
    "SCIM provisioning is disabled for this organisation in TrainMeUK. An administrator "
    "can enable it under Admin → Settings → SSO & Provisioning (Enable SCIM)."
)
NO_TOKEN_DETAIL = (
    "No bearer token was sent. In {provider}, paste the SCIM Bearer Token from TrainMeUK "
    "(Admin → Settings → SSO & Provisioning) into {token_field}."
)
BAD_TOKEN_DETAIL = (
    "The bearer token is not valid for this organisation's SCIM endpoint. Copy the SCIM "
    "Endpoint URL and Bearer Token again from TrainMeUK (Admin → Settings → SSO & "
    "Provisioning); a regenerated token replaces the old one at once."
)


class MethodNotAllowed(SCIMException):
    status = 405
    _default_detail = "This SCIM endpoint does not support that HTTP method"


class UnsupportedMediaType(SCIMException):
    status = 415
    _default_detail = "Send SCIM requests as application/scim+json in UTF-8"


def error_response(exc: SCIMException, headers: dict[str, str] | None = None) -> Response:
    error = exc.to_error()
    return scim_error_response(int(error.status or exc.status), error.detail or exc.detail,
                               error.scim_type or None, headers=headers)


def from_validation_error(exc: ValidationError) -> SCIMException:
    """The first problem of a payload that did not validate, as a SCIM exception."""
    errors = Error.from_validation_errors(exc)
    first = errors[0] if errors else Error(status=400, detail=str(exc))
    return SCIMException.from_error(first)


def invalid_json(exc: Exception) -> SCIMException:
    return InvalidSyntaxException(detail=f"The request body is not valid JSON: {exc}")


def not_an_object() -> SCIMException:
    return InvalidSyntaxException(detail="The request body must be a JSON object.")


def bad_value(detail: str) -> SCIMException:
    return InvalidValueException(detail=detail)


def too_deep(limit: int) -> SCIMException:
    return InvalidSyntaxException(
        detail=f"The request body nests objects or arrays more than {limit} levels deep; "
               "SCIM resources never need that many.")


def unstorable_text(where: str) -> SCIMException:
    return InvalidValueException(
        detail=f"The value of '{where}' contains a NUL character (\\u0000) or an unpaired "
               "surrogate (\\ud800-\\udfff), which TrainMeUK cannot store; send plain "
               "UTF-8 text.")


def too_long(attribute: str, limit: int, length: int) -> SCIMException:
    return InvalidValueException(
        detail=f"'{attribute}' is {length} characters long; TrainMeUK stores at most {limit}. "
               f"Shorten it in the identity provider (or map a shorter attribute to it).")


def scim_exception_view(exc: SCIMException, request: Request) -> Response:
    headers = {"Allow": request.scim_allowed_methods} if (
        exc.status == 405 and getattr(request, "scim_allowed_methods", None)) else None
    return error_response(exc, headers)


def scim_forbidden_view(exc: HTTPForbidden, request: Request) -> Response:
    """401 for a missing or wrong token, 403 while SCIM is switched off, 404 for a
    provider that does not exist (no token can be valid for it)."""
    name = getattr(getattr(request, "context", None), "provider_name", None)
    provider = request.providers.get(name) if name else None
    if provider is None:
        return scim_error_response(404, f"There is no SCIM endpoint for provider {name!r} "
                                        "at this address.")
    refusal = getattr(request, "scim_refusal", Refusal.no_token)
    if refusal is Refusal.scim_disabled:
        return scim_error_response(403, DISABLED_DETAIL)
    if refusal is Refusal.no_token:
        detail = NO_TOKEN_DETAIL.format(provider=provider.short_name,
                                        token_field=scim_setup(request, provider).token_field)
    else:
        detail = BAD_TOKEN_DETAIL
    return scim_error_response(401, detail, headers={"WWW-Authenticate": 'Bearer realm="SCIM"'})


def includeme(config: Any) -> None:
    config.add_exception_view(scim_exception_view, SCIMException)
    # More predicates than the application's own forbidden view, so it wins under /scim.
    config.add_forbidden_view(scim_forbidden_view, path_info=SCIM_PATH)
