"""SCIM resources ⇄ our rows.

A user row keeps the attributes TrainMeUK uses in indexed columns (userName, name,
emails, title, department, ...) and the whole representation the identity provider
last sent in ``scim_resource``, so nothing it sends is lost (phone numbers, addresses,
extension attributes). Reading builds the resource from ``scim_resource`` with the
columns laid over it: the columns are the truth, since admins edit them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from scim2_models import Context, EnterpriseUser, ScimPolicy

from ..folding import fold
from ..models import Group, User, UserEmail
from . import errors
from .schema import GroupResource, UserResource

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = str(EnterpriseUser.__schema__)
KNOWN_SCHEMAS = {CORE_USER.casefold(), ENTERPRISE.casefold(), CORE_GROUP.casefold()}

#: Keys of ``scim_resource`` that are ours, never part of the SCIM representation.
DETACHED_AT = "_detached_at"  # set when provisioning deleted the account (DELETE)
DETACHED_FROM = "_detached_from"
PRIVATE_KEYS = (DETACHED_AT, DETACHED_FROM)

#: Attributes never stored, whatever the provider sends: a SCIM ``password`` is ignored
#: (accounts sign in through SSO or a password set in TrainMeUK, never one provisioned).
IGNORED_ATTRIBUTES = frozenset({"password"})

# Reading back what was stored keeps anything unknown instead of refusing it.
_STORED = ScimPolicy(unknown=ScimPolicy.Unknown.keep)


def column_length(column: Any) -> int:
    return int(column.property.columns[0].type.length)


# (SCIM attribute, how to read it from the resource, its column's size, compared folded)
# — read from the model once, so a value too long for its column is a 400 naming it,
# never a database error.
_USER_LENGTHS: tuple[tuple[str, Any, int, bool], ...] = (
    ("userName", lambda r: r.user_name, column_length(User.user_name), True),
    ("externalId", lambda r: r.external_id, column_length(User.external_id), False),
    ("name.givenName", lambda r: r.name.given_name if r.name else None, column_length(User.given_name), False),
    ("name.familyName", lambda r: r.name.family_name if r.name else None, column_length(User.family_name), False),
    ("displayName", lambda r: r.display_name, column_length(User.display_name), False),
    ("title", lambda r: r.title, column_length(User.job_title), False),
)
_EXTENSION_LENGTHS: tuple[tuple[str, Any, int], ...] = (
    ("department", lambda e: e.department, column_length(User.department)),
    ("employeeNumber", lambda e: e.employee_number, column_length(User.employee_number)),
    ("manager.value", lambda e: e.manager.value if e.manager else None, column_length(User.manager_id)),
)
_EMAIL_VALUE = column_length(UserEmail.value)
_EMAIL_TYPE = column_length(UserEmail.type)
_GROUP_LENGTHS: tuple[tuple[str, Any, int, bool], ...] = (
    ("displayName", lambda r: r.display_name, column_length(Group.display_name), True),
    ("externalId", lambda r: r.external_id, column_length(Group.external_id), False),
)


def _check_length(attribute: str, value: Any, limit: int, folded: bool = False) -> None:
    if value is None:
        return
    text = str(value)
    length = max(len(text), len(fold(text) or "")) if folded else len(text)
    if length > limit:
        raise errors.too_long(attribute, limit, length)


def check_user_lengths(resource: Any) -> None:
    for attribute, read, limit, folded in _USER_LENGTHS:
        _check_length(attribute, read(resource), limit, folded)
    extension = resource[EnterpriseUser]
    if extension is not None:
        for attribute, read, limit in _EXTENSION_LENGTHS:
            _check_length(f"{ENTERPRISE}:{attribute}", read(extension), limit)
    for email in resource.emails or []:
        _check_length("emails.value", email.value, _EMAIL_VALUE, True)
        _check_length("emails.type", email.type, _EMAIL_TYPE)


def check_group_lengths(resource: Any) -> None:
    for attribute, read, limit, folded in _GROUP_LENGTHS:
        _check_length(attribute, read(resource), limit, folded)


def _iso(value: datetime) -> str:
    return value.isoformat()


def without_private(row_resource: dict[str, Any] | None) -> dict[str, Any]:
    """The stored representation without our own bookkeeping keys."""
    data = dict(row_resource or {})
    for key in PRIVATE_KEYS:
        data.pop(key, None)
    return data


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    if value is None or value == "":
        data.pop(key, None)
    else:
        data[key] = value


def _meta(resource_type: str, created: datetime, modified: datetime, location: str) -> dict[str, Any]:
    return {"resourceType": resource_type, "created": _iso(created),
            "lastModified": _iso(modified), "location": location}


# -- users ------------------------------------------------------------------------------
class EmailRow(NamedTuple):
    """What a read needs of a ``user_emails`` row."""

    value: str
    type: str | None
    primary: bool


@dataclass(slots=True)
class UserRow:
    """What a read needs of a ``users`` row, read as columns (no mapped object): a GET
    builds nothing it does not render. Its fields are :data:`USER_ROW_COLUMNS`, in order."""

    id: str
    user_name: str
    external_id: str | None
    given_name: str | None
    family_name: str | None
    display_name: str | None
    job_title: str | None
    department: str | None
    employee_number: str | None
    manager_id: str | None
    active: bool
    scim_resource: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    emails: list[EmailRow] = field(default_factory=list)


USER_ROW_COLUMNS = tuple(getattr(User, name) for name in UserRow.__dataclass_fields__ if name != "emails")
EMAIL_ROW_COLUMNS = tuple(getattr(UserEmail, name) for name in EmailRow._fields)


def user_payload(user: User | UserRow, users_url: str) -> dict[str, Any]:
    """The user as a SCIM payload: stored representation, columns laid over it."""
    data = without_private(user.scim_resource)
    schemas = [s for s in data.get("schemas", []) if isinstance(s, str)
               and s.casefold() in KNOWN_SCHEMAS] or [CORE_USER]
    data["id"] = user.id
    data["userName"] = user.user_name
    _set(data, "externalId", user.external_id)
    name = {k: v for k, v in (data.get("name") or {}).items()
            if k not in ("givenName", "familyName")}
    _set(name, "givenName", user.given_name)
    _set(name, "familyName", user.family_name)
    _set(data, "name", name or None)
    _set(data, "displayName", user.display_name)
    _set(data, "title", user.job_title)
    data["active"] = bool(user.active)
    emails = [{"value": e.value, **({"type": e.type} if e.type else {}),
               **({"primary": True} if e.primary else {})} for e in user.emails]
    # The stored emails carry what the rows do not (display); use them while they agree.
    stored = data.get("emails") if isinstance(data.get("emails"), list) else []
    if _email_keys(stored) == _email_keys(emails):
        emails = stored
    _set(data, "emails", emails or None)

    ext_key = next((k for k in data if k.casefold() == ENTERPRISE.casefold()), ENTERPRISE)
    extension = {k: v for k, v in (data.pop(ext_key, None) or {}).items()
                 if k not in ("department", "employeeNumber", "manager")}
    _set(extension, "department", user.department)
    _set(extension, "employeeNumber", user.employee_number)
    if user.manager_id:
        extension["manager"] = {"value": user.manager_id, "$ref": f"{users_url}/{user.manager_id}"}
    if extension:
        data[ENTERPRISE] = extension
        if ENTERPRISE.casefold() not in {s.casefold() for s in schemas}:
            schemas.append(ENTERPRISE)
    else:
        schemas = [s for s in schemas if s.casefold() != ENTERPRISE.casefold()]
    data["schemas"] = schemas
    data["meta"] = user_meta(user, users_url)
    return data


def user_meta(user: User | UserRow, users_url: str) -> dict[str, Any]:
    return _meta("User", user.created_at, user.updated_at, f"{users_url}/{user.id}")


def _email_keys(emails: list[Any]) -> list[tuple[Any, Any, bool]]:
    return [(e.get("value"), e.get("type"), bool(e.get("primary"))) for e in emails
            if isinstance(e, dict)]


def user_resource_from(payload: dict[str, Any]) -> Any:
    return UserResource.model_validate(payload, scim_ctx=Context.DEFAULT, scim_policy=_STORED)


def _primary_email(resource: Any) -> str | None:
    emails = [e for e in (resource.emails or []) if e.value]
    for choose in (lambda e: e.primary, lambda e: str(e.type or "").lower() == "work",
                   lambda e: True):
        for email in emails:
            if choose(email):
                return str(email.value)
    return None


def _email_rows(resource: Any) -> list[tuple[str, str | None, bool]]:
    """(value, type, primary) per address, ``primary`` as the provider sent it."""
    return [(str(e.value), str(e.type) if e.type else None, bool(e.primary))
            for e in resource.emails or [] if e.value]


def _dump(resource: Any) -> dict[str, Any]:
    data = resource.model_dump(scim_ctx=Context.DEFAULT)
    for key in ("id", "meta"):
        data.pop(key, None)
    # Attributes of schemas we do not publish, kept as the provider spelled them.
    data.update({k: v for k, v in resource.unknown_attributes.items() if k not in data})
    for key in [k for k in data if k.casefold() in IGNORED_ATTRIBUTES]:
        del data[key]
    return data


def apply_user(user: User, resource: Any) -> None:
    """Write ``resource`` into the row's columns and stored representation.

    ``active`` is left to the caller, which deactivates through ``accounts``."""
    check_user_lengths(resource)
    user.user_name = resource.user_name
    user.external_id = resource.external_id or None
    name = resource.name
    user.given_name = (name.given_name if name else None) or None
    user.family_name = (name.family_name if name else None) or None
    user.display_name = resource.display_name or None
    user.job_title = resource.title or None
    extension = resource[EnterpriseUser]
    user.department = (extension.department if extension else None) or None
    user.employee_number = (extension.employee_number if extension else None) or None
    manager = extension.manager if extension else None
    user.manager_id = (manager.value if manager else None) or None

    wanted = _email_rows(resource)
    current = [(e.value, e.type, e.primary) for e in user.emails]
    if wanted != current:
        user.emails = [UserEmail(tenant_id=user.tenant_id, value=v, type=t, primary=p)
                       for v, t, p in wanted]
    # The account's email (sign-in, mail) is the primary address, else the work one.
    user.email = _primary_email(resource)
    private = {k: v for k, v in (user.scim_resource or {}).items() if k in PRIVATE_KEYS}
    user.scim_resource = {**_dump(resource), **private}


def changed_attributes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """SCIM attribute names whose value differs (enterprise ones by their own name)."""
    names = []
    for key in sorted(set(before) | set(after)):
        if key in ("meta", "schemas"):
            continue
        old, new = before.get(key), after.get(key)
        if key.casefold() == ENTERPRISE.casefold():
            old, new = old or {}, new or {}
            names += [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
        elif old != new:
            names.append(key)
    return names


# -- groups -----------------------------------------------------------------------------
def group_payload(group: Group, groups_url: str, users_url: str,
                  members: list[tuple[str, str | None]] | None) -> dict[str, Any]:
    data = without_private(group.scim_resource)
    data.pop("members", None)
    data["schemas"] = [CORE_GROUP]
    data["id"] = group.id
    data["displayName"] = group.display_name
    _set(data, "externalId", group.external_id)
    if members:
        data["members"] = [{"value": user_id, "$ref": f"{users_url}/{user_id}", "type": "User",
                            **({"display": display} if display else {})}
                           for user_id, display in members]
    data["meta"] = _meta("Group", group.created_at, group.updated_at, f"{groups_url}/{group.id}")
    return data


def group_resource(group: Group, groups_url: str, users_url: str,
                   members: list[tuple[str, str | None]] | None) -> Any:
    return GroupResource.model_validate(group_payload(group, groups_url, users_url, members),
                                        scim_ctx=Context.DEFAULT, scim_policy=_STORED)


def apply_group(group: Group, resource: Any) -> None:
    """Write everything but the members (stored as rows, not in the document)."""
    check_group_lengths(resource)
    group.display_name = resource.display_name
    group.external_id = resource.external_id or None
    data = _dump(resource)
    data.pop("members", None)
    group.scim_resource = data


def member_ids(resource: Any) -> list[str]:
    return [str(m.value) for m in (resource.members or []) if m.value]


__all__ = ["EMAIL_ROW_COLUMNS", "USER_ROW_COLUMNS", "EmailRow", "UserRow", "apply_group", "apply_user",
           "changed_attributes", "group_payload", "group_resource", "member_ids", "user_payload",
           "user_resource_from"]
