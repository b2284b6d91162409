"""The ceiling of the stack: a bare Pyramid app answering every SCIM request of the
load benchmark with a fixed body and the status the real endpoint gives, no database,
no authentication. Served by the same ``[server:main]`` as production.ini
(``use = call:bench.ceiling:main``), it shows what the server and Pyramid alone cost."""

from __future__ import annotations

import json
from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response
from pyramid.router import Router

SCIM_TYPE = "application/scim+json"
USER_ID = "2819c223-7f76-453a-919d-413861904646"
USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "id": USER_ID, "externalId": "ext-000001", "userName": "employee000001@bench.example",
    "active": True, "displayName": "Employee 1", "title": "Associate",
    "name": {"givenName": "Employee", "familyName": "000001", "formatted": "Employee 1"},
    "emails": [{"value": "employee000001@bench.example", "type": "work", "primary": True}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
        "department": "Sales", "employeeNumber": "1"},
    "meta": {"resourceType": "User", "created": "2026-01-01T00:00:00Z",
             "lastModified": "2026-01-01T00:00:00Z",
             "location": f"https://t01.trainmeuk.com/scim/entra/v2/Users/{USER_ID}"},
}
LIST = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 1, "startIndex": 1, "itemsPerPage": 1, "Resources": [USER]}
USER_BODY = json.dumps(USER).encode()
LIST_BODY = json.dumps(LIST).encode()
CONFIG_BODY = json.dumps({"schemas": [
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]}).encode()


def _answer(body: bytes | None, status: int = 200) -> Response:
    if body is None:
        return Response(status=status)
    return Response(body=body, status=status, content_type=SCIM_TYPE, charset="utf-8")


def users(request: Request) -> Response:
    if request.method == "POST":
        return _answer(USER_BODY, 201)
    return _answer(LIST_BODY)


def user(request: Request) -> Response:
    return _answer(USER_BODY)


def group(request: Request) -> Response:
    return _answer(None, 204)


def config(request: Request) -> Response:
    return _answer(CONFIG_BODY)


ROUTES = (("users", "/Users"), ("user", "/Users/{id}"), ("group", "/Groups/{id}"),
          ("config", "/ServiceProviderConfig"))


def scim_app(settings: dict[str, Any], views: dict[str, Any]) -> Router:
    """A bare Pyramid app with the SCIM routes the load benchmark calls, one view each."""
    with Configurator(settings=settings) as cfg:
        for name, pattern in ROUTES:
            cfg.add_route(name, "/scim/{provider}/v2" + pattern)
            cfg.add_view(views[name], route_name=name)
        return cfg.make_wsgi_app()


def main(global_config: dict[str, Any], **settings: Any) -> Router:
    return scim_app(settings, {"users": users, "user": user, "group": group, "config": config})


def ini(server_section: str, app: str = "bench.ceiling") -> str:
    """An ini serving ``app``'s ``main`` (this module's by default) with
    ``server_section`` (production's, verbatim)."""
    return f"[app:main]\nuse = call:{app}:main\n\n{server_section}\n"
