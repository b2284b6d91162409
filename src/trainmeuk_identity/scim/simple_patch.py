"""A provisioning cycle's everyday PATCH of a user, applied without the library's round trip.

Most PATCH requests of a steady cycle replace one or a few text attributes of a user
(``{"op": "Replace", "path": "title", "value": "..."}``). Through scim2-models,
such a request validates the PatchOp, validates the stored user into a model, applies
the operations to it and dumps it back into the row: in-process on PostgreSQL that was
about half the CPU of the request, while the change itself is a few values set.

:func:`replacements` recognises exactly that shape: a body of ``schemas`` (the PatchOp
message alone) and ``Operations``, each operation ``op`` replace (any case), a ``path``
naming one of :data:`TARGETS` (any case) and a ``value`` that is a non-empty string
within the attribute's column size. Anything else gives None and the caller takes the
library's path, which then also gives any error. :func:`fits` then checks the account:
for an attribute inside ``name`` or the enterprise extension, the user must already
have that complex attribute (else the library builds it). :func:`apply` makes the
replacements on the row's columns and on its stored representation, as the library's
path would have left them; the row is the account as read (:class:`.mapping.UserRow`),
which the store then writes in one UPDATE, or a mapped :class:`User`.

``tests/unit/scim/test_simple_patch.py`` checks with hypothesis that both paths leave the
same columns, the same stored representation and the same response, and report a
change alike.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from scim2_models import PatchOp

from ..models import User
from .mapping import ENTERPRISE, PRIVATE_KEYS, UserRow, column_length

PATCH_OP = str(PatchOp.__schema__)


class Target(NamedTuple):
    path: str  # as the schema spells it
    column: str  # the User attribute holding it
    container: str | None  # the stored complex attribute holding it, if any
    key: str  # its key in the container, or in the representation
    limit: int  # the column's size


def _target(path: str, column: str, container: str | None = None) -> Target:
    key = path.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    return Target(path, column, container, key, column_length(getattr(User, column)))


#: The single-valued text attributes a steady cycle replaces, by folded path.
TARGETS: dict[str, Target] = {t.path.casefold(): t for t in (
    _target("title", "job_title"),
    _target("displayName", "display_name"),
    _target("name.givenName", "given_name", "name"),
    _target("name.familyName", "family_name", "name"),
    _target(f"{ENTERPRISE}:department", "department", ENTERPRISE),
    _target(f"{ENTERPRISE}:employeeNumber", "employee_number", ENTERPRISE),
)}

_BODY_KEYS = {"schemas", "Operations"}
_NOT_STORED = ("id", "meta")  # in a payload, never in the stored representation
_OPERATION_KEYS = {"op", "path", "value"}

Replacements = list[tuple[Target, str]]


def replacements(payload: dict[str, Any]) -> Replacements | None:
    """The (attribute, value) pairs of a PATCH body (as the provider normalised it); None
    if it is not that simple. Read before the account is, so that the account is read
    once, as a row or as a mapped object, whichever path the body takes."""
    if payload.keys() != _BODY_KEYS or payload["schemas"] != [PATCH_OP]:
        return None
    operations = payload["Operations"]
    if type(operations) is not list or not operations:
        return None
    found: Replacements = []
    for operation in operations:
        if type(operation) is not dict or operation.keys() != _OPERATION_KEYS:
            return None
        op, path, value = operation["op"], operation["path"], operation["value"]
        if type(op) is not str or op.casefold() != "replace" or type(path) is not str:
            return None
        target = TARGETS.get(path.casefold())
        if target is None or type(value) is not str or not value or len(value) > target.limit:
            return None
        found.append((target, value))
    return found


def fits(found: Replacements, before: dict[str, Any]) -> bool:
    """True if ``found`` can be applied directly to the user whose payload is ``before``
    (:func:`.mapping.user_payload`): each complex attribute it changes is there."""
    return all(target.container is None or type(before.get(target.container)) is dict
               for target, _ in found)


def apply(user: User | UserRow, before: dict[str, Any], found: Replacements) -> bool:
    """Make the replacements on ``user``'s columns and stored representation; False,
    touching nothing, when each value is already the account's.

    As on the library's path, the representation stored is the user's payload before
    (``before``: what was stored with the columns laid over it) with the new values."""
    if all(getattr(user, target.column) == value for target, value in found):
        return False
    stored = {key: value for key, value in before.items() if key not in _NOT_STORED}
    stored.update((key, value) for key, value in (user.scim_resource or {}).items() if key in PRIVATE_KEYS)
    for target, value in found:
        setattr(user, target.column, value)
        if target.container is None:
            stored[target.key] = value
        else:
            stored[target.container] = {**stored[target.container], target.key: value}
    user.scim_resource = stored
    return True


__all__ = ["PATCH_OP", "TARGETS", "Target", "apply", "fits", "replacements"]
