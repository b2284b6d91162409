"""Forwarded headers from the reverse proxy, honoured only from the trusted proxy.

The application wraps itself (in :func:`trainmeuk_identity.main`) with waitress's
maintained ``proxy_headers_middleware``, configured from the application's settings,
so the behaviour is the same under waitress (development), gunicorn (production) or
any other server: ``X-Forwarded-Proto``/``-Host``/``-For`` set the request's scheme,
host (hence its tenant) and client address only when the connection comes from
``trainmeuk.trusted_proxy``; from anyone else they are removed before the
application sees them, so a client cannot claim another scheme or tenant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from waitress.proxy_headers import proxy_headers_middleware


def behind_proxy(app: Any) -> Callable[..., Any]:
    """``app`` (a Pyramid router) wrapped so forwarded headers follow the settings."""
    settings = app.registry.settings
    wrapped = proxy_headers_middleware(
        app,
        trusted_proxy=settings["trainmeuk.trusted_proxy"] or None,
        trusted_proxy_count=int(settings["trainmeuk.trusted_proxy_count"]),
        trusted_proxy_headers=set(settings["trainmeuk.trusted_proxy_headers"]),
        clear_untrusted=True,
    )
    # Servers and tests reach the registry through the application they were given.
    wrapped.registry = app.registry  # type: ignore[attr-defined]
    return wrapped
