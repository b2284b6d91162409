"""Groups under SCIM, with members kept as rows and changed one statement at a time.

A group may have tens of thousands of members. Adding or removing one is an INSERT or
DELETE on ``group_members``, never "load every member, change the list, write it
back": its cost does not depend on the group's size, and two PATCHes adding
different members at once both take effect. A group's members are read only when
the response includes them (``excludedAttributes=members`` reads none).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scim2_models import (
    InvalidFilterException,
    InvalidPathException,
    InvalidValueException,
    NotFoundException,
    PatchOp,
    SearchRequest,
    TooManyException,
    UniquenessException,
)
from scim2_models.path import (
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
)
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..folding import fold
from ..models import Group, GroupMember, TenantScope, User
from ..models.meta import utcnow
from ..models.scoping import prepared
from . import filters, mapping
from .schema import GroupResource
from .store import Page, filtered, flush_unique, run_query, visible

GROUP_ATTRIBUTES = filters.AttributeMap(
    columns={
        f"{mapping.CORE_GROUP}:id": filters.Column(Group.id),
        f"{mapping.CORE_GROUP}:externalId": filters.Column(Group.external_id),
        f"{mapping.CORE_GROUP}:displayName": filters.Column(Group.display_name_key, folded=True),
        f"{mapping.CORE_GROUP}:meta.created": filters.Column(Group.created_at),
        f"{mapping.CORE_GROUP}:meta.lastModified": filters.Column(Group.updated_at),
        f"{mapping.CORE_GROUP}:members.value": filters.Column(
            GroupMember.user_id, related=GroupMember, link=GroupMember.group_id == Group.id),
    },
    collections={f"{mapping.CORE_GROUP}:members": (GroupMember, GroupMember.group_id == Group.id)},
)

#: The scope's tenant's groups; built once.
TENANT_GROUPS = prepared(Group)
_GROUP_ORDER = (Group.created_at, Group.id)


#: Members added or removed by one request (docs/scim.md): each is a bound parameter of
#: one statement, and databases cap those (PostgreSQL at 65,535).
MAX_MEMBERS_PER_REQUEST = 10_000


def _filtered_ids(node: FilterNode) -> list[str]:
    """The ids ``members[value eq "a" or value eq "b"]`` names."""
    if isinstance(node, Comparison) and node.op == CompareOperator.eq \
            and node.attr_path.attr.casefold() == "value" and node.attr_path.sub_attr is None:
        filters.check_value(node)
        return [str(node.value)]
    if isinstance(node, LogicalExpr) and node.op == LogicalOperator.or_:
        return [i for term in node.terms for i in _filtered_ids(term)]
    raise InvalidFilterException(
        detail=f"Members can be selected only by id, as members[value eq \"<id>\"]; got "
               f"members[{node}].")


def _member_values(value: Any) -> list[str]:
    entries = value if isinstance(value, list) else [value]
    ids = []
    for entry in entries:
        if isinstance(entry, dict) and entry.get("value"):
            ids.append(str(entry["value"]))
        elif isinstance(entry, str) and entry:
            ids.append(entry)
        elif entry not in (None, {}, ""):
            raise InvalidValueException(
                detail=f"A member must be given as {{\"value\": \"<user id>\"}}; got {entry!r}.")
    return ids


def _at_most(ids: list[str]) -> list[str]:
    if len(ids) > MAX_MEMBERS_PER_REQUEST:
        raise TooManyException(
            detail=f"The request names {len(ids)} members; TrainMeUK takes at most "
                   f"{MAX_MEMBERS_PER_REQUEST} in one request. Send the rest in further "
                   "PATCH requests.")
    return ids


class GroupStore:
    def __init__(self, scope: TenantScope, provider: str, groups_url: str, users_url: str) -> None:
        self.scope = scope
        self.provider = provider
        self.groups_url = groups_url
        self.users_url = users_url
        self.dialect = scope.session.get_bind().dialect.name

    # -- reading ------------------------------------------------------------------------
    def query(self, search: SearchRequest[Any]) -> Page:
        stmt, values, reusable = filtered(TENANT_GROUPS, search.filter, GROUP_ATTRIBUTES,
                                          self.dialect)
        return run_query(self.scope, stmt, _GROUP_ORDER, search, values, reusable=reusable)

    def get(self, group_id: str) -> Group:
        group = self.scope.session.scalar(self.scope.select(Group).where(Group.id == group_id))
        if group is None:
            raise NotFoundException(detail=f"No group with id {group_id!r} in TrainMeUK.")
        return group

    def get_for_change(self, group_id: str) -> Group:
        """The group, its row locked and its modification time set, in one statement:
        concurrent changes of one group queue on its row, in order."""
        group = self.scope.session.scalars(
            update(Group).where(Group.tenant_id == self.scope.tenant_id, Group.id == group_id)
            .values(updated_at=utcnow()).returning(Group)
            .execution_options(synchronize_session=False)).first()
        if group is None:
            raise NotFoundException(detail=f"No group with id {group_id!r} in TrainMeUK.")
        return group

    def members(self, groups: list[Group]) -> dict[str, list[tuple[str, str | None]]]:
        """Members of ``groups`` in one query: (user id, display name) per group id."""
        found: dict[str, list[tuple[str, str | None]]] = {g.id: [] for g in groups}
        if not groups:
            return found
        rows = self.scope.session.execute(
            select(GroupMember.group_id, User.id, User.display_name, User.user_name)
            .join(User, User.id == GroupMember.user_id)
            .where(GroupMember.tenant_id == self.scope.tenant_id,
                   GroupMember.group_id.in_(list(found)))
            .order_by(GroupMember.group_id, User.id))
        for group_id, user_id, display_name, user_name in rows:
            found[group_id].append((user_id, display_name or user_name))
        return found

    def resource(self, group: Group, members: list[tuple[str, str | None]] | None) -> Any:
        return mapping.group_resource(group, self.groups_url, self.users_url, members)

    # -- members --------------------------------------------------------------------------
    def _known_users(self, ids: Iterable[str]) -> list[str]:
        wanted = _at_most(list(dict.fromkeys(ids)))
        if not wanted:
            return []
        known = set(self.scope.session.scalars(
            select(User.id).where(User.tenant_id == self.scope.tenant_id, User.id.in_(wanted),
                                  visible())))
        missing = [i for i in wanted if i not in known]
        if missing:
            raise InvalidValueException(
                detail=f"No user with id {missing[0]!r} in TrainMeUK; provision the user "
                       "before adding it to a group.")
        return wanted

    def add_members(self, group: Group, ids: Iterable[str]) -> None:
        wanted = self._known_users(ids)
        if not wanted:
            return
        rows = [{"tenant_id": self.scope.tenant_id, "group_id": group.id, "user_id": i}
                for i in wanted]
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        self.scope.session.execute(insert(GroupMember).values(rows).on_conflict_do_nothing())

    def remove_members(self, group: Group, ids: Iterable[str] | None) -> None:
        """Remove ``ids`` (every member when None)."""
        stmt = delete(GroupMember).where(GroupMember.tenant_id == self.scope.tenant_id,
                                         GroupMember.group_id == group.id)
        if ids is not None:
            ids = _at_most(list(dict.fromkeys(ids)))
            if not ids:
                return
            stmt = stmt.where(GroupMember.user_id.in_(ids))
        self.scope.session.execute(stmt)

    # -- writing ------------------------------------------------------------------------
    def _check_unique(self, resource: Any, group: Group | None) -> None:
        other = self.scope.session.scalar(self.scope.select(Group).where(
            Group.display_name_key == fold(resource.display_name)))
        if other is not None and other is not group:
            raise UniquenessException(
                detail=f"A group named {resource.display_name!r} already exists in TrainMeUK "
                       f"(id {other.id}).")
        if resource.external_id:
            other = self.scope.session.scalar(self.scope.select(Group).where(
                Group.external_id == resource.external_id))
            if other is not None and other is not group:
                raise UniquenessException(
                    detail=f"Another group (id {other.id}) already has externalId "
                           f"{resource.external_id!r}.")

    def create(self, resource: Any) -> Group:
        self._check_unique(resource, None)
        group = self.scope.add(Group(display_name=resource.display_name,
                                     scim_provider=self.provider, scim_resource={}))
        mapping.apply_group(group, resource)
        flush_unique(self.scope, f"A group named {resource.display_name!r}")
        self.add_members(group, mapping.member_ids(resource))
        return group

    def replace(self, group: Group, resource: Any) -> Group:
        """``group`` comes from :meth:`get_for_change`."""
        self._check_unique(resource, group)
        mapping.apply_group(group, resource)
        group.scim_provider = self.provider
        self.remove_members(group, None)
        self.add_members(group, mapping.member_ids(resource))
        flush_unique(self.scope, f"A group named {resource.display_name!r}")
        return group

    def patch(self, group: Group, patch: PatchOp[Any], policy: Any) -> Group:
        """Member operations run as statements; the others patch the member-less group.
        ``group`` comes from :meth:`get_for_change`."""
        others = []
        for operation in patch.operations or []:
            op = operation.op.value
            path = operation.path
            binding = path.resolve() if path is not None else None
            if path is not None and binding is None:
                raise InvalidPathException(
                    detail=f"A group has no attribute {str(path)[:200]!r}; TrainMeUK groups "
                           "take displayName, externalId and members.")
            if binding is not None and binding.field_name == "members":
                self._patch_members(group, op, path, operation.value)
            elif path is None and isinstance(operation.value, dict) and any(
                    k.casefold() == "members" for k in operation.value):
                value = dict(operation.value)
                key = next(k for k in value if k.casefold() == "members")
                self._patch_members(group, op, None, value.pop(key))
                if value:
                    # Already validated as part of the request: not validated again.
                    others.append(type(operation).model_construct(op=operation.op, value=value))
            else:
                others.append(operation)
        if others:
            resource = self.resource(group, None)
            if type(patch).model_construct(operations=others).patch(resource, scim_policy=policy):
                self._check_unique(resource, group)
                mapping.apply_group(group, resource)
                flush_unique(self.scope, f"A group named {resource.display_name!r}")
        return group

    def _patch_members(self, group: Group, op: str, path: Any, value: Any) -> None:
        value_filter = path.value_filter if path is not None else None
        if value_filter is not None:
            if op != "remove" or str(path).rstrip("]").endswith("."):
                raise InvalidValueException(
                    detail="Members can only be removed by id through a filtered path.")
            self.remove_members(group, _filtered_ids(value_filter))
        elif op == "add":
            self.add_members(group, _member_values(value))
        elif op == "remove":
            self.remove_members(group, None if value is None else _member_values(value))
        else:  # replace: the members are exactly these
            self.remove_members(group, None)
            self.add_members(group, _member_values(value))

    def delete(self, group: Group) -> None:
        self.remove_members(group, None)
        self.scope.session.delete(group)


__all__ = ["GROUP_ATTRIBUTES", "GroupResource", "GroupStore"]
