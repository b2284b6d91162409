"""Every request is made from one class that carries the request extensions
(``request_class.py``): Pyramid is left none to apply per request, so it makes no
class per request, and requests made outside the router (scripts) have them too."""

from __future__ import annotations

from typing import Any

from pyramid.interfaces import IRequestExtensions, IRequestFactory
from pyramid.scripting import prepare

EXTENSIONS = ("tm", "dbsession", "tenant", "scope", "providers", "plugins", "scim", "notify",
              "wake_mail_worker")


def test_the_request_factory_carries_every_extension_and_none_is_left_per_request(app: Any) -> None:
    factory = app.registry.queryUtility(IRequestFactory)
    assert all(name in vars(factory) for name in EXTENSIONS)
    extensions = app.registry.queryUtility(IRequestExtensions)
    assert extensions.descriptors == {} and extensions.methods == {}


def test_requests_share_the_class_and_reify_per_request(app: Any, testapp: Any) -> None:
    seen: list[Any] = []
    for _ in range(2):
        env = prepare(registry=app.registry)
        try:
            request = env["request"]
            seen.append(type(request))
            assert request.providers is request.providers  # reified: computed once
            assert request.tm is not None
            assert callable(request.notify)
        finally:
            env["closer"]()
    assert seen[0] is seen[1] is app.registry.queryUtility(IRequestFactory)
    # and the application answers through it
    assert testapp.get("/healthz").status_int == 200
