"""Microsoft Entra ID (formerly Azure AD): the built-in provider plugin.

Registered through the ``trainmeuk_identity.providers`` entry point like any other
plugin (see setup.cfg), never imported by core code.
"""

from __future__ import annotations

from typing import Any, ClassVar

from . import entra_scim
from .base import GUID_RE, Provider, SettingField
from .hookspecs import hookimpl

# Multi-tenant aliases Entra accepts in place of a directory id; a single-tenant app
# (what the setup guide registers) must be addressed by its own directory's id.
MULTI_TENANT_ALIASES = frozenset({"common", "organizations", "consumers"})


def validate_directory_id(value: str) -> str | None:
    if value.lower() in MULTI_TENANT_ALIASES:
        return (
            f"“{value}” is not your directory's ID. Your app is registered for "
            "“Accounts in this organisational directory only”, so TrainMeUK needs the "
            "Directory (tenant) ID from the app's Overview page: a GUID such as "
            "72f988bf-86f1-41af-91ab-2d7cd011db47."
        )
    if not GUID_RE.match(value):
        return (
            "The Tenant ID is a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47: copy "
            "“Directory (tenant) ID” from the app's Overview page in Entra."
        )
    return None


def validate_client_id(value: str) -> str | None:
    if not GUID_RE.match(value):
        return (
            "The Client ID is a GUID such as 00001111-aaaa-2222-bbbb-3333cccc4444: copy "
            "“Application (client) ID” from the app's Overview page in Entra."
        )
    return None


class EntraProvider(Provider):
    name: ClassVar[str] = "entra"
    display_name: ClassVar[str] = "Microsoft Entra ID"
    button_label: ClassVar[str] = "Microsoft"
    settings_fields: ClassVar[tuple[SettingField, ...]] = (
        SettingField(
            name="tenant_id",
            label="Tenant ID",
            help="Directory (tenant) ID, from the app's Overview page.",
            placeholder="00000000-0000-0000-0000-000000000000",
            validate=validate_directory_id,
        ),
        SettingField(
            name="client_id",
            label="Client ID",
            help="Application (client) ID, from the app's Overview page.",
            placeholder="00000000-0000-0000-0000-000000000000",
            validate=validate_client_id,
        ),
        SettingField(
            name="client_secret",
            label="Client Secret",
            help="The secret's Value (not its Secret ID), from Certificates & secrets.",
            secret=True,
        ),
    )

    def normalize_settings(self, values: dict[str, Any]) -> dict[str, Any]:
        return {k: (v.lower() if k in {"tenant_id", "client_id"} and isinstance(v, str) else v)
                for k, v in values.items()}

    # SCIM: Entra's provisioning dialect (see entra_scim.py).
    def scim_policy(self) -> Any:
        return entra_scim.entra_policy()

    def normalize_scim_request(self, resource_type: str, method: str,
                               payload: dict[str, Any]) -> dict[str, Any]:
        return entra_scim.normalize(resource_type, method, payload)


@hookimpl
def register_providers(registry: Any) -> None:
    registry.add(EntraProvider())
