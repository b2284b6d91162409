"""Users under SCIM: query, create, replace, patch and delete, for one tenant.

The tenant is explicit (a :class:`TenantScope`); so is the provider, which becomes the
account's ``scim_provider``. Changes that other parts react to (welcome email, ended
sessions) are announced through ``events`` and fire only after commit.

Visibility follows what provisioning clients need: every account of the tenant is
visible, including deactivated ones and ones created by hand (so a client's match on
userName adopts them), except accounts that provisioning deleted: those are detached
and answer 404 until a POST of their userName re-attaches them, with their history.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scim2_models import ConflictException, NotFoundException, SearchRequest, UniquenessException
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    Update,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import accounts
from ..folding import fold
from ..models import GroupMember, TenantScope, User, UserEmail, UserSource
from ..models.meta import utcnow
from ..models.scoping import TENANT, prepared
from . import filters, mapping, simple_patch
from .schema import DEFAULT_COUNT, MAX_RESULTS, UserResource

Events = Callable[..., None]
Listening = Callable[[str], bool]

USER_ATTRIBUTES = filters.AttributeMap(
    columns={
        f"{mapping.CORE_USER}:id": filters.Column(User.id),
        f"{mapping.CORE_USER}:externalId": filters.Column(User.external_id),
        f"{mapping.CORE_USER}:userName": filters.Column(User.user_name_key, folded=True),
        f"{mapping.CORE_USER}:displayName": filters.Column(User.display_name),
        f"{mapping.CORE_USER}:name.givenName": filters.Column(User.given_name),
        f"{mapping.CORE_USER}:name.familyName": filters.Column(User.family_name),
        f"{mapping.CORE_USER}:title": filters.Column(User.job_title),
        f"{mapping.CORE_USER}:active": filters.Column(User.active),
        f"{mapping.CORE_USER}:meta.created": filters.Column(User.created_at),
        f"{mapping.CORE_USER}:meta.lastModified": filters.Column(User.updated_at),
        f"{mapping.CORE_USER}:emails.value": filters.Column(
            UserEmail.value_key, folded=True, related=UserEmail, link=UserEmail.user_id == User.id),
        f"{mapping.CORE_USER}:emails.type": filters.Column(
            UserEmail.type, related=UserEmail, link=UserEmail.user_id == User.id),
        f"{mapping.CORE_USER}:emails.primary": filters.Column(
            UserEmail.primary, related=UserEmail, link=UserEmail.user_id == User.id),
        f"{mapping.ENTERPRISE}:department": filters.Column(User.department),
        f"{mapping.ENTERPRISE}:employeeNumber": filters.Column(User.employee_number),
        f"{mapping.ENTERPRISE}:manager.value": filters.Column(User.manager_id),
    },
    collections={f"{mapping.CORE_USER}:emails": (UserEmail, UserEmail.user_id == User.id)},
)


def visible() -> ColumnElement[bool]:
    """Not detached by a provisioning DELETE."""
    return User.scim_resource[mapping.DETACHED_AT].as_string().is_(None)


#: Visible users of the scope's tenant, with their emails in the same query; built once.
VISIBLE_USERS = prepared(User).where(visible()).options(joinedload(User.emails))
_USER_ID = bindparam("user_id", type_=String)
_USER_BY_ID = VISIBLE_USERS.where(User.id == _USER_ID)
_USER_ORDER = (User.created_at, User.id)

#: The same users as reads need them: columns (:class:`.mapping.UserRow`), no mapped
#: objects; the tenant explicit (:data:`TENANT`, bound by ``TenantScope.read``).
READ_USERS = select(*mapping.USER_ROW_COLUMNS).where(User.tenant_id == TENANT, visible())
_EMAILS = UserEmail.__table__
_EMAIL_START = len(mapping.USER_ROW_COLUMNS)


def _with_emails(users: Select[Any]) -> Select[Any]:
    """``users`` (a select of :data:`.mapping.USER_ROW_COLUMNS`) with their emails, in
    one statement: a row per email, or one with NULLs for a user with none, in
    ``users``' order (creation, id) and each user's emails in the order they were stored."""
    found = users.subquery("found")
    return (select(found, *(_EMAILS.c[column.key] for column in mapping.EMAIL_ROW_COLUMNS))
            .select_from(found.outerjoin(_EMAILS, and_(_EMAILS.c.user_id == found.c.id,
                                                       _EMAILS.c.tenant_id == TENANT)))
            .order_by(found.c.created_at, found.c.id, _EMAILS.c.id))


_READ_USER_BY_ID = _with_emails(READ_USERS.where(User.id == _USER_ID))

#: A POST's clash: the account of the userName (folded) and any holding the externalId,
#: in one query, as rows (id, user_name_key, visible) of the tenant (:data:`TENANT`);
#: built once per process (values bound when it runs).
_USER_NAME_KEY = bindparam("user_name_key", type_=String)
_EXTERNAL_ID = bindparam("external_id", type_=String)
_CLASHES = select(User.id, User.user_name_key, visible().label("visible")).where(User.tenant_id == TENANT)
_CLASH_OF_USER_NAME = _CLASHES.where(User.user_name_key == _USER_NAME_KEY)
_CLASH_OF_USER_NAME_OR_EXTERNAL_ID = _CLASHES.where(
    or_(User.user_name_key == _USER_NAME_KEY, User.external_id == _EXTERNAL_ID))


@functools.lru_cache(maxsize=128)  # every set simple_patch can write: 63 × with or without updated_at
def _update_user(attributes: tuple[str, ...]) -> Update:
    """UPDATE of a visible user of the tenant (:data:`TENANT`, ``user_id``) setting the
    named attributes, each to the value bound as ``new_<attribute>``; built once per set
    of attributes (a provisioning cycle's everyday PATCHes use a handful). A user that a
    DELETE detached meanwhile is not visible and is not updated."""
    columns = User.__mapper__.columns
    return (update(User.__table__)
            .where(User.tenant_id == TENANT, User.id == _USER_ID, visible())
            .values({columns[name]: bindparam(f"new_{name}", type_=columns[name].type)
                     for name in attributes}))


def _user_rows(rows: Any) -> list[mapping.UserRow]:
    """The users of :func:`_with_emails`' rows, in their order, each with its emails."""
    users: dict[str, mapping.UserRow] = {}
    for row in rows:
        user = users.get(row[0])
        if user is None:
            user = users[row[0]] = mapping.UserRow(*row[:_EMAIL_START])
        if row[_EMAIL_START] is not None:
            user.emails.append(mapping.EmailRow(*row[_EMAIL_START:]))
    return list(users.values())


@dataclass
class Page:
    total: int
    start_index: int
    rows: list[Any]


def page_bounds(search: SearchRequest[Any]) -> tuple[int, int]:
    start = max(search.start_index or 1, 1)
    count = DEFAULT_COUNT if search.count is None else max(0, min(search.count, MAX_RESULTS))
    return start, count


def run_query(scope: TenantScope, stmt: Select[Any], order: tuple[Any, ...],
              search: SearchRequest[Any], values: dict[str, Any] | None = None,
              *, reusable: bool = False) -> Page:
    """One page of ``stmt`` (run with ``values`` bound); the total costs a second query
    only when the page does not tell it (a full page, or a start past the end).
    ``reusable``: ``stmt`` is built once per process, so its page and count statements
    are too."""
    start, count = page_bounds(search)
    paged, counted = (_paging if reusable else _paging.__wrapped__)(stmt, order)
    values = values or {}
    rows: list[Any] = []
    if count:
        rows = list(scope.execute(paged, **values, page_offset=start - 1,
                                  page_limit=count).scalars().unique())
    total = _known_total(start, count, len(rows))
    if total is None:
        total = scope.execute(counted, **values).scalar() or 0
    return Page(total=total, start_index=start, rows=rows)


def _known_total(start: int, count: int, found: int) -> int | None:
    """The total the page tells (a short page that is not past the end), else None."""
    if count and found < count and (found or start == 1):
        return start - 1 + found
    return None


@functools.lru_cache(maxsize=128)
def _read_paging(stmt: Select[Any]) -> tuple[Select[Any], Select[Any]]:
    """A page of ``stmt`` (a select of :data:`READ_USERS`' columns, offset and limit
    bound when it runs) with the page's users' emails, and its count."""
    paged, counted = _paging.__wrapped__(stmt, _USER_ORDER)
    return _with_emails(paged), counted


@functools.lru_cache(maxsize=128)
def _paging(stmt: Select[Any], order: tuple[Any, ...]) -> tuple[Select[Any], Select[Any]]:
    """``stmt``'s page (offset and limit bound when it runs) and its count."""
    paged = stmt.order_by(*order).offset(bindparam("page_offset", type_=Integer)) \
        .limit(bindparam("page_limit", type_=Integer))
    return paged, select(func.count()).select_from(stmt.order_by(None).subquery())


def filtered(stmt: Select[Any], scim_filter: Any, attributes: filters.AttributeMap,
             dialect: str) -> tuple[Select[Any], dict[str, Any], bool]:
    """``stmt`` restricted by ``scim_filter``, the values to run it with, and whether it
    is reusable: a one-comparison equality (nearly every provider's lookup) reuses a
    statement built once per attribute; any other filter builds its own."""
    if scim_filter is None:
        return stmt, {}, True
    found = filters.equality(scim_filter, attributes, dialect)
    if found is None:
        return stmt.where(filters.to_sql(scim_filter, attributes, dialect)), {}, False
    key = (stmt, found.shape)
    reused = _EQUALITIES.get(key)
    if reused is None:
        reused = _EQUALITIES[key] = stmt.where(found.condition())
    return reused, {filters.FILTER_VALUE.key: found.value}, True


#: (statement, equality shape) -> the statement with that equality; as many as there
#: are filterable attributes.
_EQUALITIES: dict[tuple[Select[Any], tuple[str, bool]], Select[Any]] = {}


def flush_unique(scope: TenantScope, what: str) -> None:
    """Flush, turning a unique-constraint race (two creates at once) into a 409."""
    try:
        scope.session.flush()
    except IntegrityError:
        raise UniquenessException(detail=f"{what} already exists in TrainMeUK.") from None


def _no_user(user_id: str) -> NotFoundException:
    return NotFoundException(detail=f"No user with id {user_id!r} in TrainMeUK.")


class UserStore:
    def __init__(self, scope: TenantScope, provider: str, users_url: str, events: Events,
                 listening: Listening = lambda event: True) -> None:
        self.scope = scope
        self.provider = provider
        self.users_url = users_url
        self.events = events
        self.listening = listening  # whether anyone takes ``events``' event of that name
        self.dialect = scope.session.get_bind().dialect.name

    # -- reading ------------------------------------------------------------------------
    def query(self, search: SearchRequest[Any]) -> Page:
        """A page of users as rows (:class:`.mapping.UserRow`): what GET and .search render."""
        stmt, values, reusable = filtered(READ_USERS, search.filter, USER_ATTRIBUTES, self.dialect)
        start, count = page_bounds(search)
        paged, counted = (_read_paging if reusable else _read_paging.__wrapped__)(stmt)
        users = _user_rows(self.scope.read(paged, **values, page_offset=start - 1,
                                           page_limit=count)) if count else []
        total = _known_total(start, count, len(users))
        if total is None:
            total = self.scope.read(counted, **values).scalar() or 0
        return Page(total=total, start_index=start, rows=users)

    def read(self, user_id: str) -> mapping.UserRow:
        """The user as a row, for reading (GET)."""
        users = _user_rows(self.scope.read(_READ_USER_BY_ID, user_id=user_id))
        if not users:
            raise _no_user(user_id)
        return users[0]

    def get(self, user_id: str) -> User:
        """The user as a mapped object, for changing it."""
        user = self.scope.execute(_USER_BY_ID, user_id=user_id).scalars().unique().first()
        if user is None:
            raise _no_user(user_id)
        return user

    def payload(self, user: User | mapping.UserRow) -> dict[str, Any]:
        return mapping.user_payload(user, self.users_url)

    # -- writing ------------------------------------------------------------------------
    def _by_user_name(self, user_name: str) -> User | None:
        return self.scope.session.scalar(
            self.scope.select(User).where(User.user_name_key == fold(user_name)))

    def _check_external_id(self, resource: Any, user: User | None) -> None:
        if not resource.external_id:
            return
        other = self.scope.session.scalar(
            self.scope.select(User).where(User.external_id == resource.external_id))
        if other is not None and other is not user:
            raise UniquenessException(
                detail=f"Another user (id {other.id}) already has externalId "
                       f"{resource.external_id!r}.")

    def create(self, resource: Any) -> tuple[User, bool]:
        """A new account, or a detached one re-attached; True if it is new."""
        key = fold(resource.user_name)
        if resource.external_id:
            found = self.scope.read(_CLASH_OF_USER_NAME_OR_EXTERNAL_ID, user_name_key=key,
                                    external_id=resource.external_id).all()
        else:
            found = self.scope.read(_CLASH_OF_USER_NAME, user_name_key=key).all()
        existing = next((row for row in found if row.user_name_key == key), None)
        if existing is not None and existing.visible:
            raise UniquenessException(
                detail=f"A user with userName {resource.user_name!r} already exists in "
                       f"TrainMeUK (id {existing.id}).")
        other = next((row for row in found if row is not existing), None)
        if other is not None:
            raise UniquenessException(
                detail=f"Another user (id {other.id}) already has externalId "
                       f"{resource.external_id!r}.")
        if existing is not None:  # detached by a DELETE: re-attached, with its history
            detached = self.scope.get(User, existing.id)
            if detached is None:  # deleted since the read above, in another transaction
                raise _no_user(existing.id)
            self._reattach(detached, resource)
            return detached, False
        user = self.scope.add(User(user_name=resource.user_name, source=UserSource.scim,
                                   scim_provider=self.provider, scim_resource={}))
        mapping.apply_user(user, resource)
        user.active = resource.active is not False
        if not user.active:
            user.deactivated_at = utcnow()
        flush_unique(self.scope, f"A user with userName {resource.user_name!r}")
        self.events("user_provisioned", user=user)
        return user, True

    def _reattach(self, user: User, resource: Any) -> None:
        user.scim_resource = mapping.without_private(user.scim_resource)
        user.scim_provider = self.provider
        mapping.apply_user(user, resource)
        self._set_active(user, resource.active is not False, reason="disabled")
        flush_unique(self.scope, f"A user with userName {resource.user_name!r}")

    def _keep_an_admin(self, user: User) -> None:
        """Refuse to deactivate the tenant's last active administrator: nobody could
        administer the organisation (the admin console refuses it too). The active
        admins' rows are locked, in id order, so two requests deactivating the last two
        at once are serialised and the second sees that the first has gone."""
        with self.scope.session.no_autoflush:  # this account's row is locked in order too
            admins = self.scope.session.scalars(
                select(User.id).where(User.tenant_id == self.scope.tenant_id,
                                      User.is_admin.is_(True), User.active.is_(True))
                .order_by(User.id).with_for_update()).all()
        if not any(admin != user.id for admin in admins):
            raise ConflictException(
                detail=f"{user.user_name} is the only active administrator of this organisation "
                       "in TrainMeUK; deactivating or deleting it would leave nobody able to "
                       "administer the organisation. Make another account an administrator in "
                       "TrainMeUK (Admin → Users) first, then retry.")

    def _set_active(self, user: User, active: bool, *, reason: str) -> bool:
        if not active and user.active and user.is_admin:
            self._keep_an_admin(user)
        if active and accounts.reactivate(user):
            self.events("user_reactivated", user=user)
            return True
        if not active and accounts.deactivate(user):
            self.events("user_deactivated", user=user, reason=reason)
            return True
        return False

    def save(self, user: User, resource: Any, before: dict[str, Any] | None = None) -> dict[str, Any]:
        """Make the account what ``resource`` says (PUT, and PATCH after applying it);
        returns the account's SCIM payload after the change. ``before`` is its payload
        before, when the caller has it already."""
        if before is None:
            before = mapping.user_payload(user, self.users_url)
        if (resource.external_id or None) != user.external_id:
            self._check_external_id(resource, user)
        if fold(resource.user_name) != user.user_name_key:
            other = self._by_user_name(resource.user_name)
            if other is not None and other is not user:
                raise UniquenessException(
                    detail=f"Another user (id {other.id}) already has userName {resource.user_name!r}.")
        # Editing an account created by hand adopts it: provisioning manages it from now on.
        user.scim_provider = self.provider
        mapping.apply_user(user, resource)
        if resource.active is not None:
            self._set_active(user, bool(resource.active), reason="disabled")
        return self._saved(user, before)

    def _after(self, user: User | mapping.UserRow, before: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The account's payload after a change and the attributes that changed; the
        account's modification time is now if any did."""
        after = mapping.user_payload(user, self.users_url)
        changed = [c for c in mapping.changed_attributes(before, after) if c != "active"]
        if changed:
            user.updated_at = utcnow()
            after["meta"] = mapping.user_meta(user, self.users_url)
        return after, changed

    def _saved(self, user: User, before: dict[str, Any]) -> dict[str, Any]:
        """The account's payload after a change, announced if any attribute changed."""
        after, changed = self._after(user, before)
        if changed:
            self.events("user_updated", user=user, changed=changed)
        flush_unique(self.scope, f"A user with userName {user.user_name!r}")
        return after

    def patch(self, user: User, patch: Any, policy: Any, before: dict[str, Any]) -> dict[str, Any]:
        """Apply ``patch`` to the account whose payload is ``before``; returns its payload
        after it."""
        resource = mapping.user_resource_from(before)
        if not patch.patch(resource, scim_policy=policy):
            return before
        return self.save(user, resource, before)

    def replace(self, row: mapping.UserRow, found: simple_patch.Replacements,
                before: dict[str, Any]) -> dict[str, Any]:
        """A PATCH of simple replacements (:mod:`.simple_patch`) to the account read as
        ``row`` (:meth:`read`), left as :meth:`patch` would leave it but written in one
        UPDATE of the columns it sets: no mapped object is loaded or flushed (the ORM's
        load and unit of work cost more than the change). Returns the payload after it."""
        if not simple_patch.apply(row, before, found):
            return before
        after, changed = self._after(row, before)
        values = {target.column: getattr(row, target.column) for target, _ in found}
        values["scim_resource"] = row.scim_resource
        values["scim_provider"] = self.provider  # adopted, as save() does
        if changed:
            values["updated_at"] = row.updated_at
        written = self.scope.write(_update_user(tuple(sorted(values))), user_id=row.id,
                                   **{f"new_{name}": value for name, value in values.items()})
        if written.rowcount != 1:  # deleted or detached since it was read
            raise _no_user(row.id)
        # A plugin taking user_updated gets the account as a mapped object, as on every
        # other path; it is loaded (after the UPDATE) only if one does.
        if changed and self.listening("user_updated"):
            self.events("user_updated", user=self.get(row.id), changed=changed)
        return after

    def delete(self, user: User) -> None:
        """Deactivate and detach; the account and its training data stay."""
        self._set_active(user, False, reason="deleted")
        user.scim_provider = None
        user.scim_resource = {**(user.scim_resource or {}), mapping.DETACHED_AT: utcnow().isoformat(),
                              mapping.DETACHED_FROM: self.provider}
        user.updated_at = utcnow()
        # Group memberships come from provisioning too; the account leaves its groups.
        self.scope.session.execute(delete(GroupMember).where(
            GroupMember.tenant_id == self.scope.tenant_id, GroupMember.user_id == user.id))


__all__ = ["Page", "UserResource", "UserStore", "filtered", "page_bounds", "run_query", "visible"]
