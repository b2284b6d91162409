"""Discovery (RFC 7644 §4): ServiceProviderConfig, ResourceTypes, Schemas.

What is published comes from the provider's :class:`scim2_models.ScimProvider`, the
same description that validates requests, so the two cannot disagree. Other methods
than GET answer 405, as do unsupported methods on every SCIM route.
"""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from scim2_models import (
    Context,
    ListResponse,
    Meta,
    NotFoundException,
    NotImplementedException,
    ResourceType,
    Schema,
)

from . import protocol
from .errors import MethodNotAllowed
from .routes import ROUTES, SCIM_VIEW


def _with_meta(obj: Any, resource_type: str, location: str) -> Any:
    obj = obj.model_copy(deep=True)
    obj.meta = Meta(resource_type=resource_type, location=location)
    return obj


def _resource_types(request: Request) -> list[ResourceType]:
    base = request.scim.base_url
    return [_with_meta(rt, "ResourceType", f"{base}/ResourceTypes/{rt.id}")
            for rt in request.scim.service.resource_types]


def _schemas(request: Request) -> list[Schema]:
    base = request.scim.base_url
    return [_with_meta(s, "Schema", f"{base}/Schemas/{s.id}") for s in request.scim.service.schemas]


def _listed(model: Any, items: list[Any]) -> Response:
    body = protocol.parametrised(ListResponse, model)(total_results=len(items), start_index=1,
                                                    items_per_page=len(items), resources=items)
    return protocol.respond(body.model_dump(scim_ctx=Context.SEARCH_RESPONSE))


def _one(items: list[Any], wanted: str, what: str) -> Response:
    for item in items:
        if str(item.id).casefold() == wanted.casefold():
            return protocol.respond(item.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=f"No {what} {wanted!r} is published here.")


@view_config(route_name="scim.service_provider_config", request_method="GET", **SCIM_VIEW)
def service_provider_config(request: Request) -> Response:
    config = _with_meta(request.scim.service.config, "ServiceProviderConfig",
                        f"{request.scim.base_url}/ServiceProviderConfig")
    return protocol.respond(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


@view_config(route_name="scim.resource_types.collection", request_method="GET", **SCIM_VIEW)
def resource_types(request: Request) -> Response:
    return _listed(ResourceType, _resource_types(request))


@view_config(route_name="scim.resource_types.item", request_method="GET", **SCIM_VIEW)
def resource_type(request: Request) -> Response:
    return _one(_resource_types(request), request.matchdict["id"], "resource type")


@view_config(route_name="scim.schemas.collection", request_method="GET", **SCIM_VIEW)
def schemas(request: Request) -> Response:
    return _listed(Schema, _schemas(request))


@view_config(route_name="scim.schemas.item", request_method="GET", **SCIM_VIEW)
def schema(request: Request) -> Response:
    return _one(_schemas(request), request.matchdict["id"], "schema")


@view_config(route_name="scim.search", request_method="POST", **SCIM_VIEW)
def search_all(request: Request) -> Response:
    # RFC 7644 §3.4.3 lets a server decline searching several resource types at once.
    raise NotImplementedException(
        detail="Searching Users and Groups together is not supported; POST to "
               "/Users/.search or /Groups/.search instead.")


def method_not_allowed(request: Request) -> Response:
    route = request.matched_route.name
    allowed = next(methods for name, _, methods in ROUTES if name == route)
    request.scim_allowed_methods = ", ".join(allowed)
    raise MethodNotAllowed(detail=f"{request.method} is not supported here; use "
                                  f"{' or '.join(allowed)}.")


def add_method_not_allowed(config: Any) -> None:
    """A fallback view on every route, chosen only when no method-specific view matches."""
    for name, _, methods in ROUTES:
        if methods:
            config.add_view(method_not_allowed, route_name=name, **SCIM_VIEW)
