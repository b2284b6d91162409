"""Our own stored users rendered as SCIM responses without a second validation.

A user's response body is :func:`.mapping.user_payload` (the stored representation
with the columns laid over it) as scim2-models would dump it: validated into
``User[EnterpriseUser]``, then dumped for a response with every attribute. That round
trip runs the library's validators and serialisers of every nested model in Python, and
was about a quarter of the CPU of a ``GET /Users?filter=`` (in-process on PostgreSQL,
7.0 → 5.1 ms with this module); yet the payload is our own data, written through that
validation.

:func:`render_user` gives the same body directly: a projection of the payload on the
schema, read from the models once. Attribute names are matched case-insensitively and
written as the schema spells them; attributes no schema declares are left out, as are
``returned: never`` and ``returned: request`` ones, empty values, empty entries and
empty complex attributes; timestamps are written as pydantic writes them; email
addresses and references go through the library's own types, as before. Anything
it is not sure to render exactly as the library would (a value of another type, an
unknown enumeration value, a certificate, a document without the core schema) makes it
return None, and the caller takes the library's path: the body is then the library's,
whatever it holds. ``tests/unit/scim/test_rendering.py`` checks the two agree
(hypothesis): on users stored as a POST stores them, and on payloads of any shape, where
the renderer must also give up wherever the library refuses.
"""

from __future__ import annotations

import enum
import functools
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.networks import EmailStr
from scim2_models import ListResponse, Reference, Returned

from .mapping import CORE_USER
from .schema import UserResource

LIST_RESPONSE = str(ListResponse.__schema__)


class Unusual(Exception):
    """A value the projection does not render itself: use the library's path."""


class _Attribute(NamedTuple):
    name: str  # as the schema spells it
    render: Any  # value -> rendered value (raises Unusual)
    shown: bool  # False: returned never, or only on request (checked, not written)


def _text(value: Any) -> str:
    if type(value) is not str:
        raise Unusual
    return value


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise Unusual
    return value


def _validated(kind: Any) -> Any:
    """Text checked and normalised by the library's own type (email addresses,
    references): the same value, or the same refusal."""
    adapter = TypeAdapter(kind)

    def render(value: Any) -> str:
        try:
            return str(adapter.validate_python(_text(value)))
        except ValidationError:
            raise Unusual from None
    return render


def _timestamp(value: Any) -> str:
    """An ISO 8601 timestamp as pydantic writes a datetime: ``Z`` for UTC."""
    try:
        parsed = datetime.fromisoformat(_text(value))
    except ValueError:
        raise Unusual from None
    text = parsed.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _choice(values: frozenset[str]) -> Any:
    def render(value: Any) -> str:
        if _text(value) not in values:
            raise Unusual
        return value
    return render


def _many(render: Any) -> Any:
    def many(value: Any) -> list[Any]:
        if type(value) is not list:
            raise Unusual
        items = [render(item) for item in value]
        return [item for item in items if item != {}]
    return many


def _unusual(value: Any) -> Any:
    raise Unusual


def _scalar(kind: Any) -> Any:
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return _choice(frozenset(str(member.value) for member in kind))
    if kind is EmailStr or (isinstance(kind, type) and issubclass(kind, Reference)):
        return _validated(kind)
    if kind is datetime:
        return _timestamp
    if kind is bool:
        return _boolean
    if kind is str:
        return _text
    return _unusual  # bytes (certificates), anything else: the library renders it


@functools.cache
def _attributes(model: type[BaseModel]) -> dict[str, _Attribute]:
    """The model's attributes by lower-cased name, with how each value is rendered;
    built once per model."""
    found: dict[str, _Attribute] = {}
    for field_name, field in model.model_fields.items():
        name = field.serialization_alias or field.alias or field_name
        returned = model.get_field_annotation(field_name, Returned)
        kind = model.get_field_root_type(field_name)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            render = functools.partial(_complex, kind)
        else:
            render = _scalar(kind)
        if model.get_field_multiplicity(field_name):
            render = _many(render)
        # never in a response that asks for nothing in particular
        shown = returned not in (Returned.never, Returned.request)
        # Looked up as the library does: the name or the field's, lower-cased.
        found[name.lower()] = found[field_name.lower()] = _Attribute(name, render, shown)
    return found


def _project(model: type[BaseModel], data: dict[str, Any], top: bool) -> dict[str, Any]:
    attributes = _attributes(model)
    rendered: dict[str, Any] = {}
    seen: set[str] = set()
    for key, value in data.items():
        attribute = attributes.get(key.lower()) if type(key) is str else None
        if attribute is None:
            continue  # declared by no schema: not part of a response
        if attribute.name in seen:
            raise Unusual  # one attribute spelt twice: the library keeps the last
        seen.add(attribute.name)
        if attribute.name == "schemas":
            if not top:
                raise Unusual
            rendered["schemas"] = attribute.render(value)
            continue
        if value is None:
            continue
        value = attribute.render(value)
        if attribute.shown and value != [] and value != {}:
            rendered[attribute.name] = value
    return rendered


def _complex(model: type[BaseModel], value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise Unusual
    return _project(model, value, top=False)


def render_user(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The response body of the user ``payload`` with every attribute, exactly as
    scim2-models would dump it; None when the library's path must render it."""
    try:
        body = _project(UserResource, payload, top=True)
    except Unusual:
        return None
    asserted = body.get("schemas", [])
    if asserted and CORE_USER not in asserted:
        return None  # the library refuses it: let it say so
    # As the library writes it: the model's schemas, then any other the document
    # asserted; an extension's only while the body carries its attributes.
    schemas = [CORE_USER, *_EXTENSIONS]
    schemas += [s for s in dict.fromkeys(asserted) if s not in schemas]
    body["schemas"] = [s for s in schemas if s not in _EXTENSIONS or s in body]
    return body


_EXTENSIONS = tuple(str(urn) for urn in UserResource.get_extension_models())


def list_body(total: int, start_index: int, resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A ListResponse of rendered resources, as the library writes one."""
    body: dict[str, Any] = {"schemas": [LIST_RESPONSE], "totalResults": total,
                            "startIndex": start_index, "itemsPerPage": len(resources)}
    if resources:
        body["Resources"] = resources
    return body


__all__ = ["list_body", "render_user"]
