"""Reading SCIM requests and writing SCIM responses (RFC 7644 §3), with scim2-models.

Bodies are size-limited and parsed as JSON here, rewritten from the provider's dialect
by its plugin, then validated by scim2-models under the provider's policy. Every
failure becomes a SCIM exception, rendered once by :mod:`.errors`.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from pydantic import ValidationError
from pyramid.request import Request
from pyramid.response import Response
from scim2_models import (
    Context,
    ListResponse,
    PatchOp,
    PayloadTooLargeException,
    ResponseParameters,
    SCIMException,
    SearchRequest,
)

from . import errors

#: Larger bodies are refused with 413 before they are parsed.
MAX_BODY_BYTES = 1024 * 1024
SCIM_CONTENT_TYPE = "application/scim+json"

_SEARCH_PARAMETERS = {"filter": "filter", "startindex": "startIndex", "count": "count",
                      "attributes": "attributes", "excludedattributes": "excludedAttributes",
                      "sortby": "sortBy", "sortorder": "sortOrder"}


@cache
def parametrised(generic: Any, model: Any) -> Any:
    """``generic[model]`` (e.g. ``ListResponse[UserResource]``), built once per process.

    pydantic keeps parametrised classes only weakly, so a class built per request is
    garbage-collected and built again, at several milliseconds each time."""
    return generic[model]


def read_body(request: Request) -> dict[str, Any]:
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise PayloadTooLargeException(
            detail=f"The request body is {length} bytes; the limit is {MAX_BODY_BYTES}.")
    raw = request.body_file.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLargeException(detail=f"The request body exceeds {MAX_BODY_BYTES} bytes.")
    if not raw.strip():
        raise errors.InvalidSyntaxException(detail="The request has no body; send a JSON object.")
    try:
        payload = json.loads(raw.decode(request.charset or "utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.invalid_json(exc) from None
    if not isinstance(payload, dict):
        raise errors.not_an_object()
    return payload


def validate(model: Any, payload: dict[str, Any], ctx: Context, policy: Any) -> Any:
    try:
        return model.model_validate(payload, scim_ctx=ctx, scim_policy=policy)
    except ValidationError as exc:
        raise errors.from_validation_error(exc) from None
    except SCIMException:
        raise
    except (ValueError, TypeError) as exc:
        raise errors.bad_value(str(exc)) from None


def read_resource(request: Request, model: Any, resource_type: str, ctx: Context) -> Any:
    provider = request.scim.provider
    payload = provider.normalize_scim_request(resource_type, request.method, read_body(request))
    return validate(model, payload, ctx, request.scim.policy)


def read_patch(request: Request, model: Any, resource_type: str) -> PatchOp[Any]:
    provider = request.scim.provider
    payload = provider.normalize_scim_request(resource_type, "PATCH", read_body(request))
    return validate(parametrised(PatchOp, model), payload, Context.RESOURCE_PATCH_REQUEST, request.scim.policy)


def search_from_query(request: Request, model: Any) -> SearchRequest[Any]:
    """``GET ...?filter=...&startIndex=...`` as a SearchRequest (parameter names are
    matched case-insensitively, as clients spell them differently)."""
    values: dict[str, Any] = {}
    for name, value in request.GET.items():
        key = _SEARCH_PARAMETERS.get(name.casefold())
        if key:
            values[key] = value
    return validate(parametrised(SearchRequest, model), values, Context.SEARCH_REQUEST, request.scim.policy)


def search_from_body(request: Request, model: Any) -> SearchRequest[Any]:
    payload = read_body(request)
    return validate(parametrised(SearchRequest, model), payload, Context.SEARCH_REQUEST, request.scim.policy)


def response_parameters(request: Request, model: Any) -> ResponseParameters[Any]:
    values = {_SEARCH_PARAMETERS[k.casefold()]: v for k, v in request.GET.items()
              if k.casefold() in ("attributes", "excludedattributes")}
    return validate(parametrised(ResponseParameters, model), values, Context.DEFAULT, request.scim.policy)


def wants_attribute(params: ResponseParameters[Any], name: str) -> bool:
    """Whether the response may include ``name`` (e.g. a group's members)."""
    def names(paths: list[Any] | None) -> set[str]:
        return {str(p).rsplit(":", 1)[-1].split(".")[0].casefold() for p in paths or []}
    if params.attributes:
        return name.casefold() in names(params.attributes)
    return name.casefold() not in names(params.excluded_attributes)


def dump(resource: Any, ctx: Context, params: ResponseParameters[Any] | None = None) -> dict[str, Any]:
    return resource.model_dump(scim_ctx=ctx, response_parameters=params)


def list_response(model: Any, total: int, start_index: int, resources: list[Any],
                  params: ResponseParameters[Any] | None) -> dict[str, Any]:
    listed = parametrised(ListResponse, model)(total_results=total, start_index=start_index,
                                 items_per_page=len(resources), resources=resources or None)
    return listed.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=params)


def respond(body: dict[str, Any] | None, status: int = 200,
            location: str | None = None) -> Response:
    response = Response(status=status, content_type=SCIM_CONTENT_TYPE, charset="utf-8")
    if body is not None:
        response.text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    else:
        response.content_type = None
    if location:
        response.headers["Location"] = location
    return response
