"""The Host header, checked before anything else reads it.

Tenants are chosen by the Host header, and every absolute URL the service makes
(redirects, SCIM ``meta.location``, the SCIM endpoint and Redirect URI shown on the
settings page, set-password links outside production) is built from it. So a request
whose Host is not a plain ``hostname[:port]`` is refused with 400 before routing:
labels of letters, digits and hyphens separated by dots, then optionally ``:`` and a
port of digits only. No userinfo (``@``), path, spaces, brackets or anything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pyramid.request import Request
from pyramid.response import Response

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"(?P<name>{_LABEL}(?:\.{_LABEL})*\.?)(?::(?P<port>[0-9]{{1,5}}))?")
MAX_HOSTNAME_LENGTH = 253

BAD_HOST_TITLE = "Bad request"
BAD_HOST_MESSAGE = ("The address this request was sent to (its Host header) is not a valid "
                    "host name. Use the organisation's address, such as acme.trainmeuk.com.")


BAD_PATH_MESSAGE = ("The address this request was sent to is not valid: its path has "
                    "percent-encoded bytes that are not UTF-8 text.")


def decodable_path(request: Request) -> bool:
    """Whether the URL path is UTF-8 text once percent-decoded (routing needs it)."""
    try:
        request.path_info  # noqa: B018 - decoding it is the check
    except UnicodeDecodeError:
        return False
    return True


def split_host(host: str | None) -> tuple[str, str | None] | None:
    """``("acme.example.com", "8443")`` for ``acme.example.com:8443``, ``(name, None)``
    without a port; None unless ``host`` is exactly a host name and an optional port."""
    if not host:
        return None
    match = _HOST.fullmatch(host)
    if match is None:
        return None
    name, port = match.group("name"), match.group("port")
    if len(name.rstrip(".")) > MAX_HOSTNAME_LENGTH:
        return None
    if port is not None and not 0 < int(port) <= 65535:
        return None
    return name, port


def valid_host(host: str | None) -> bool:
    return split_host(host) is not None


def host_check_tween_factory(handler: Callable[[Request], Response], registry: Any):
    def host_check_tween(request: Request) -> Response:
        try:
            host = request.host
        except (KeyError, UnicodeError):  # no Host and no SERVER_NAME; undecodable
            host = None
        message = None if valid_host(host) else BAD_HOST_MESSAGE
        if message is None and not decodable_path(request):
            message = BAD_PATH_MESSAGE
        if message is not None:
            from .errors import error_response

            return error_response(request, 400, BAD_HOST_TITLE, message,
                                  template="error_plain.jinja2")
        return handler(request)

    return host_check_tween

