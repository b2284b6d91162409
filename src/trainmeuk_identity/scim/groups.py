"""``/Groups``: thin views over :class:`.group_store.GroupStore`, one method per verb.

Members are read only when the response carries them: provisioning clients ask for groups with
``excludedAttributes=members``, and a PATCH answers 204 without reading the group back.
"""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config, view_defaults
from scim2_models import Context

from . import protocol
from .routes import SCIM_VIEW
from .schema import GroupResource


class _GroupViews:
    def __init__(self, context: Any, request: Request) -> None:
        self.request = request
        self.scim = request.scim
        self.store = request.scim.groups

    def _resources(self, groups: list[Any], params: Any) -> list[Any]:
        members = self.store.members(groups) if protocol.wants_attribute(params, "members") else {}
        return [self.store.resource(g, members.get(g.id)) for g in groups]

    def _list(self, search: Any) -> Response:
        page = self.store.query(search)
        return protocol.respond(protocol.list_response(
            GroupResource, page.total, page.start_index, self._resources(page.rows, search), search))

    def _one(self, group: Any, ctx: Context, status: int = 200, params: Any = None) -> Response:
        params = params or protocol.response_parameters(self.request, GroupResource)
        body = protocol.dump(self._resources([group], params)[0], ctx, params)
        location = body["meta"]["location"] if status == 201 else None
        return protocol.respond(body, status, location=location)


@view_defaults(route_name="scim.groups.collection", **SCIM_VIEW)
class GroupsCollection(_GroupViews):
    @view_config(request_method="GET")
    def query(self) -> Response:
        return self._list(protocol.search_from_query(self.request, GroupResource))

    @view_config(request_method="POST")
    def create(self) -> Response:
        resource = protocol.read_resource(self.request, GroupResource, "Group",
                                          Context.RESOURCE_CREATION_REQUEST)
        group = self.store.create(resource)
        self.scim.describe("create group", "Group", group.id)
        return self._one(group, Context.RESOURCE_CREATION_RESPONSE, 201)


@view_defaults(route_name="scim.groups.search", **SCIM_VIEW)
class GroupsSearch(_GroupViews):
    @view_config(request_method="POST")
    def search(self) -> Response:
        return self._list(protocol.search_from_body(self.request, GroupResource))


@view_defaults(route_name="scim.groups.item", **SCIM_VIEW)
class GroupItem(_GroupViews):
    @property
    def group_id(self) -> str:
        return protocol.resource_id(self.request, "group")

    @view_config(request_method="GET")
    def get(self) -> Response:
        params = protocol.response_parameters(self.request, GroupResource)
        return self._one(self.store.get(self.group_id), Context.RESOURCE_QUERY_RESPONSE,
                         params=params)

    @view_config(request_method="PUT")
    def replace(self) -> Response:
        group = self.store.get_for_change(self.group_id)
        resource = protocol.read_resource(self.request, GroupResource, "Group",
                                          Context.RESOURCE_REPLACEMENT_REQUEST)
        self.store.replace(group, resource)
        return self._one(group, Context.RESOURCE_REPLACEMENT_RESPONSE)

    @view_config(request_method="PATCH")
    def patch(self) -> Response:
        group = self.store.get_for_change(self.group_id)
        self.store.patch(group, protocol.read_patch(self.request, GroupResource, "Group"),
                         self.scim.policy)
        if not protocol.query(self.request):  # no attributes asked for: nothing to read back
            return protocol.respond(None, 204)
        return self._one(group, Context.RESOURCE_PATCH_RESPONSE)

    @view_config(request_method="DELETE")
    def delete(self) -> Response:
        self.store.delete(self.store.get(self.group_id))
        return protocol.respond(None, 204)
