"""Microsoft Entra ID's SCIM dialect: what its provisioning service sends, made standard.

Entra speaks two dialects and a tenant cannot be told apart by what it sends first:
the default one (``Add``/``Replace``/``Remove``, ``"active": "False"``, member removal
as ``path: "members"`` with a ``value`` list, path-less value maps) and the
``aadOptscim062020`` one (lower-case ops, booleans, ``members[value eq "..."]``, one
path-less ``replace`` whose keys are dotted paths). scim2-models reads most of both
under the policy below; :func:`normalize` rewrites the few shapes it does not take:

- ``manager`` as a bare id string, as ``{"value": id}`` without ``$ref``, or as an
  empty value meaning "no manager";
- a ``Remove`` of ``manager`` that carries the old value;
- the non-standard ADSCIM schema URI Entra lists on every group it creates.
"""

from __future__ import annotations

import copy
from typing import Any

from scim2_models import ScimPolicy

ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MANAGER_PATH = f"{ENTERPRISE_URN}:manager".casefold()
# Listed in ``schemas`` of every group Entra creates; it defines nothing we store.
ADSCIM_GROUP_SCHEMA = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


def entra_policy() -> ScimPolicy:
    return ScimPolicy(
        # Attributes of extensions we do not publish (e.g. a customer's own extension
        # attributes mapped in Entra) are kept in the stored representation, not refused.
        unknown=ScimPolicy.Unknown.keep,
        # ``Remove`` with a ``value`` selects what to remove (members, emails, ...).
        remove_value_as_filter=ScimPolicy.RemoveValue.apply,
        # ``Add`` on ``phoneNumbers[type eq "mobile"].value`` creates the mobile entry.
        unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
    )


def _manager_value(value: Any) -> Any:
    """``"id"`` / ``{"value": "id"}`` -> ``{"value": "id", "$ref": "../Users/id"}``;
    an empty value -> None (no manager)."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, str):
        value = {"value": value} if value.strip() else None
    if isinstance(value, dict):
        manager_id = value.get("value")
        if not manager_id:
            return None
        value = dict(value)
        value.setdefault("$ref", f"../Users/{manager_id}")
    return value


def _normalize_extension(extension: Any) -> None:
    if isinstance(extension, dict):
        for key in list(extension):
            if key.casefold() == "manager":
                manager = _manager_value(extension[key])
                if manager is None:
                    del extension[key]
                else:
                    extension[key] = manager


def _normalize_resource(resource_type: str, payload: dict[str, Any]) -> None:
    schemas = payload.get("schemas")
    if isinstance(schemas, list):
        payload["schemas"] = [s for s in schemas if not (isinstance(s, str) and s.casefold()
                                                         == ADSCIM_GROUP_SCHEMA.casefold())]
    if resource_type == "User":
        for key in list(payload):
            if key.casefold() == ENTERPRISE_URN.casefold():
                _normalize_extension(payload[key])


def _normalize_operation(operation: Any) -> Any:
    if not isinstance(operation, dict):
        return operation
    op = str(operation.get("op", "")).lower()
    path = operation.get("path")
    if isinstance(path, str) and path.strip().casefold() == MANAGER_PATH:
        if op == "remove":
            operation.pop("value", None)
        elif "value" in operation:
            manager = _manager_value(operation["value"])
            if manager is None:
                return {"op": "remove", "path": path}
            operation["value"] = manager
    elif path is None and isinstance(operation.get("value"), dict):
        value = operation["value"]
        for key in list(value):
            if key.casefold() == MANAGER_PATH:
                manager = _manager_value(value[key])
                if manager is None:
                    del value[key]
                else:
                    value[key] = manager
            elif key.casefold() == ENTERPRISE_URN.casefold():
                _normalize_extension(value[key])
    return operation


def normalize(resource_type: str, method: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Rewrite an Entra request body into standard SCIM (a copy; the input is kept)."""
    payload = copy.deepcopy(payload)
    if method == "PATCH":
        operations = payload.get("Operations")
        if isinstance(operations, list):
            payload["Operations"] = [_normalize_operation(op) for op in operations]
    elif method in {"POST", "PUT"}:
        _normalize_resource(resource_type, payload)
    return payload
