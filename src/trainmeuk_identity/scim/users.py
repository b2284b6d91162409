"""``/Users``: thin views over :class:`.store.UserStore`, one method per verb."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config, view_defaults
from scim2_models import Context

from . import mapping, protocol, rendering, simple_patch
from .routes import SCIM_VIEW
from .schema import UserResource


class _UserViews:
    def __init__(self, context: Any, request: Request) -> None:
        self.request = request
        self.scim = request.scim
        self.store = request.scim.users

    def _body(self, payload: dict[str, Any], ctx: Context, params: Any = None) -> dict[str, Any]:
        """A user's response body: rendered directly when every attribute is wanted
        (nearly every request), else, or when the renderer is unsure, by the library."""
        if protocol.asks_everything(params):
            body = rendering.render_user(payload)
            if body is not None:
                return body
        return protocol.dump(mapping.user_resource_from(payload), ctx, params)

    def _list(self, search: Any) -> Response:
        page = self.store.query(search)
        payloads = [self.store.payload(u) for u in page.rows]
        if protocol.asks_everything(search):
            bodies = [rendering.render_user(p) for p in payloads]
            if None not in bodies:
                return protocol.respond(rendering.list_body(page.total, page.start_index, bodies))
        resources = [mapping.user_resource_from(p) for p in payloads]
        return protocol.respond(protocol.list_response(
            UserResource, page.total, page.start_index, resources, search))


@view_defaults(route_name="scim.users.collection", **SCIM_VIEW)
class UsersCollection(_UserViews):
    @view_config(request_method="GET")
    def query(self) -> Response:
        return self._list(protocol.search_from_query(self.request, UserResource))

    @view_config(request_method="POST")
    def create(self) -> Response:
        resource = protocol.read_resource(self.request, UserResource, "User",
                                          Context.RESOURCE_CREATION_REQUEST)
        user, new = self.store.create(resource)
        self.scim.describe("create user" if new else "re-attach user", "User", user.id)
        body = self._body(self.store.payload(user), Context.RESOURCE_CREATION_RESPONSE)
        return protocol.respond(body, 201, location=body["meta"]["location"])


@view_defaults(route_name="scim.users.search", **SCIM_VIEW)
class UsersSearch(_UserViews):
    @view_config(request_method="POST")
    def search(self) -> Response:
        return self._list(protocol.search_from_body(self.request, UserResource))


@view_defaults(route_name="scim.users.item", **SCIM_VIEW)
class UserItem(_UserViews):
    @property
    def user_id(self) -> str:
        return protocol.resource_id(self.request, "user")

    @view_config(request_method="GET")
    def get(self) -> Response:
        params = protocol.response_parameters(self.request, UserResource)
        user = self.store.read(self.user_id)
        return protocol.respond(self._body(self.store.payload(user),
                                           Context.RESOURCE_QUERY_RESPONSE, params))

    @view_config(request_method="PUT")
    def replace(self) -> Response:
        user = self.store.get(self.user_id)
        resource = protocol.read_resource(self.request, UserResource, "User",
                                          Context.RESOURCE_REPLACEMENT_REQUEST)
        self.store.save(user, resource)
        return protocol.respond(self._body(self.store.payload(user),
                                           Context.RESOURCE_REPLACEMENT_RESPONSE))

    @view_config(request_method="PATCH")
    def patch(self) -> Response:
        payload = protocol.read_patch_body(self.request, "User")
        # A cycle's everyday replacements are written directly to the row; the rest
        # go through the library, on the account as a mapped object.
        found = simple_patch.replacements(payload)
        if found is not None:
            row = self.store.read(self.user_id)
            before = self.store.payload(row)
            if simple_patch.fits(found, before):
                return self._patched(self.store.replace(row, found, before))
        user = self.store.get(self.user_id)
        patch = protocol.patch_operation(self.request, UserResource, payload)
        return self._patched(self.store.patch(user, patch, self.scim.policy, self.store.payload(user)))

    def _patched(self, after: dict[str, Any]) -> Response:
        params = protocol.response_parameters(self.request, UserResource)
        return protocol.respond(self._body(after, Context.RESOURCE_PATCH_RESPONSE, params))

    @view_config(request_method="DELETE")
    def delete(self) -> Response:
        self.store.delete(self.store.get(self.user_id))
        return protocol.respond(None, 204)
