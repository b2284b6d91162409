"""Request ids: one per request, in its response header, log lines and error pages."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from pyramid.request import Request
from pyramid.response import Response

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "trainmeuk_request_id", default="-"
)

# An id from the reverse proxy is kept if it looks like one; anything else is replaced.
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdFormatter(logging.Formatter):
    """A formatter whose format may use ``%(request_id)s``."""

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return super().format(record)


def request_id_tween_factory(handler: Callable[[Request], Response], registry: Any):
    def request_id_tween(request: Request) -> Response:
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if _ACCEPTABLE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = current_request_id.set(request_id)
        try:
            response = handler(request)
            response.headers["X-Request-Id"] = request_id
            return response
        finally:
            current_request_id.reset(token)

    return request_id_tween

