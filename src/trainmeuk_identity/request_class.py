"""One request class for the process, with every request extension on it.

``config.add_request_method`` is how the application and its add-ons (``pyramid_tm``'s
``request.tm``, our ``request.dbsession``, ``request.tenant``, ``request.scim``...)
put attributes on the request. Pyramid applies them to each request as it is made: a
property or reified attribute can only live on a class, so every request gets a class of
its own, made by ``type()`` there and then. That costs each request a class creation
and, worse, gives the interpreter a new type for every request, so no attribute lookup on
a request is ever served from its caches (measured in-process: about 1-7 % of a SCIM
request's CPU, decision 0026).

:func:`includeme` folds the extensions, once every other configuration action has run,
into one subclass of the request factory, registered as the request factory; the
extensions left for Pyramid to apply per request are then none. Requests behave as
before: the same names, the same reified-once semantics, made by the same factory for
the router, ``pyramid.scripting.prepare`` and ``pserve``'s shell alike.
"""

from __future__ import annotations

from typing import Any

from pyramid.interfaces import IRequestExtensions, IRequestFactory
from pyramid.request import Request

#: After every ``add_request_method`` action (Pyramid's own run at the default order, 0).
FOLD_ORDER = 100


def request_class(base: type[Request], extensions: Any) -> type[Request]:
    """``base`` with ``extensions``' methods and descriptors as class attributes."""
    attributes = {**extensions.methods, **extensions.descriptors, "__module__": base.__module__}
    return type(base.__name__, (base,), attributes)


def fold_request_extensions(registry: Any) -> None:
    """Register the request class that carries ``registry``'s request extensions, and
    leave none to be applied per request."""
    extensions = registry.queryUtility(IRequestExtensions)
    if extensions is None or not (extensions.methods or extensions.descriptors):
        return
    base = registry.queryUtility(IRequestFactory, default=Request)
    registry.registerUtility(request_class(base, extensions), IRequestFactory)
    extensions.methods.clear()
    extensions.descriptors.clear()


def includeme(config: Any) -> None:
    config.action(None, fold_request_extensions, args=(config.registry,), order=FOLD_ORDER)
