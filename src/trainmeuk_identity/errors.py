"""Errors in the caller's language, chosen by path: SCIM Error JSON under ``/scim/``,
JSON under ``/api/``, HTML pages for people. Never a stack trace; always the request id.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from pyramid.httpexceptions import HTTPException, HTTPForbidden, HTTPFound, HTTPNotFound
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

log = logging.getLogger(__name__)


class UnknownTenant(HTTPNotFound):
    """No organisation at this address (raised by :mod:`.tenancy`)."""


SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def audience(request: Request) -> str:
    # The raw path: it may not even decode (a request refused for that is answered here).
    path = request.environ.get("PATH_INFO", "")
    if path.startswith("/scim/"):
        return "scim"
    if path.startswith("/api/") or path == "/healthz":
        return "json"
    return "html"


def scim_error_response(status: int, detail: str, scim_type: str | None = None,
                        headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"schemas": [SCIM_ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    response = Response(json_body=body, status=status, content_type="application/scim+json",
                        charset="utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(request: Request, status: int, title: str, message: str,
                   *, template: str = "error.jinja2", extra: dict[str, Any] | None = None) -> Response:
    kind = audience(request)
    if kind == "scim":
        return scim_error_response(status, message)
    if kind == "json":
        return Response(json_body={"error": title, "message": message,
                                   "request_id": getattr(request, "request_id", None)},
                        status=status)
    values = {"status": status, "title": title, "message": message,
              "request_id": getattr(request, "request_id", None)}
    values.update(extra or {})
    response = render_to_response(template, values, request=request)
    response.status = status
    return response


def unknown_tenant(exc: UnknownTenant, request: Request) -> Response:
    return error_response(
        request, 404, "No organisation at this address",
        f"There is no organisation at {request.host.split(':')[0]}. Check the address "
        "with your organisation's TrainMeUK administrator.",
        template="no_tenant.jinja2",
    )


def not_found(exc: HTTPNotFound, request: Request) -> Response:
    return error_response(request, 404, "Page not found",
                          "There is nothing at this address.")


def forbidden(exc: HTTPForbidden, request: Request) -> Response:
    kind = audience(request)
    signed_in = request.authenticated_userid is not None
    if kind == "html" and not signed_in and request.method == "GET":
        return HTTPFound(location=request.route_url("auth.login") + "?" + urlencode({"next": request.path_qs}))
    if not signed_in and kind == "json":
        return error_response(request, 401, "Not signed in", "Sign in first.")
    return error_response(request, 403, "Not allowed",
                          "Your account is not allowed to do this. Ask an administrator "
                          "of your organisation if you need access.")


def http_exception(exc: HTTPException, request: Request) -> Response:
    if exc.code is not None and exc.code < 400:
        return exc
    return error_response(request, exc.code or 500, exc.title, exc.detail or exc.explanation)


def database_unavailable(exc: Exception, request: Request) -> Response:
    log.error("database unavailable: %s", exc)
    return error_response(request, 503, "Service unavailable",
                          "TrainMeUK is briefly unavailable. Please try again in a minute.",
                          template="error_plain.jinja2")


def unexpected(exc: Exception, request: Request) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path_info)
    return error_response(request, 500, "Something went wrong",
                          "Something went wrong on our side. If it keeps happening, tell "
                          "support the request id below.", template="error_plain.jinja2")


def includeme(config: Any) -> None:
    config.add_exception_view(unknown_tenant, UnknownTenant)
    config.add_notfound_view(not_found)
    config.add_forbidden_view(forbidden)
    config.add_exception_view(http_exception, HTTPException)
    config.add_exception_view(database_unavailable, OperationalError)
    config.add_exception_view(database_unavailable, InterfaceError)
    config.add_exception_view(database_unavailable, PoolTimeoutError)
    config.add_exception_view(unexpected, Exception)
