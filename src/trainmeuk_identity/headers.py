"""Security headers on every response.

HTML pages get a strict Content-Security-Policy: scripts, styles, images and fonts
only from this origin (the package's own ``static/``), no inline script or style, no
plugins, no framing (``frame-ancestors 'none'``, and ``X-Frame-Options`` for older
browsers), forms posting only to this origin. Signing in with a provider is a link
(GET) that redirects to the provider, and the provider returns by GET
(``response_mode=query``), so ``form-action 'self'`` suffices.

Every response gets ``X-Content-Type-Options: nosniff`` and
``Referrer-Policy: same-origin``; ``Strict-Transport-Security`` in production only
(development runs on plain http). Responses that do not set their own caching (only the
static files do) get ``Cache-Control: no-store``: pages, JSON and SCIM answers carry
people's data, tokens and CSRF tokens, and are never worth caching.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyramid.request import Request
from pyramid.response import Response

from .settings import is_production

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])
HSTS = "max-age=31536000; includeSubDomains"


def security_headers_tween_factory(handler: Callable[[Request], Response], registry: Any):
    production = is_production(registry.settings)

    def security_headers_tween(request: Request) -> Response:
        response = handler(request)
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if (response.content_type or "").startswith("text/html"):
            headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            headers.setdefault("X-Frame-Options", "DENY")
        if "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
        if production:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    return security_headers_tween

