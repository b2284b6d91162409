"""Microsoft Entra ID (formerly Azure AD): the built-in provider plugin.

Registered through the ``trainmeuk_identity.providers`` entry point like any other
plugin (see setup.cfg), never imported by core code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from . import entra_oidc, entra_scim
from .base import (
    GUID_RE,
    CheckResult,
    ConnectionProbe,
    ErrorExplanation,
    Provider,
    SettingField,
    SsoProfile,
)
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


def validate_client_secret(value: str) -> str | None:
    # A secret's ID is a GUID; its Value never is. Pasting the ID is the usual mistake.
    if GUID_RE.match(value):
        return ("This is the secret's ID, not its Value. In Certificates & secrets copy the "
                "“Value” column (shown only when the secret is created), not “Secret ID”.")
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
            validate=validate_client_secret,
        ),
    )

    def normalize_settings(self, values: dict[str, str]) -> dict[str, str]:
        return {k: (v.lower() if k in {"tenant_id", "client_id"} and isinstance(v, str) else v)
                for k, v in values.items()}

    # OpenID Connect: Entra's endpoints, claims and AADSTS codes (see entra_oidc.py).
    def discovery_url(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        return entra_oidc.discovery_url(settings, app_settings)

    def expected_issuer(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        return entra_oidc.expected_issuer(settings, app_settings)

    def pinned_claims(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        return entra_oidc.pinned_claims(settings)

    def identity_of(self, claims: Mapping[str, Any]) -> tuple[str, str]:
        return entra_oidc.identity_of(claims)

    def profile_from_claims(self, claims: Mapping[str, Any]) -> SsoProfile:
        return entra_oidc.profile_from_claims(claims)

    def explain_error(self, code: str, description: str = "") -> ErrorExplanation | None:
        return entra_oidc.explain_error(code, description)

    def is_cancellation(self, error: str, description: str, params: Mapping[str, Any]) -> bool:
        return entra_oidc.is_cancel(error, description, params)

    def check_connection(self, settings: Mapping[str, Any], client_secret: str | None,
                         app_settings: Mapping[str, Any], probe: ConnectionProbe) -> list[CheckResult]:
        return entra_oidc.check_connection(settings, client_secret, app_settings, probe)

    def admin_consent_url(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any],
                          redirect_uri: str) -> str | None:
        return entra_oidc.admin_consent_url(settings, app_settings, redirect_uri, self.sso_scopes)

    def setup_steps(self, redirect_uri: str) -> list[str]:
        return entra_oidc.setup_steps(redirect_uri)

    def troubleshooting(self, settings: Mapping[str, Any], redirect_uri: str,
                        app_settings: Mapping[str, Any]) -> list[ErrorExplanation]:
        consent = self.admin_consent_url(settings, app_settings, redirect_uri)
        return entra_oidc.troubleshooting(settings, redirect_uri, app_settings, consent)

    # SCIM: Entra's provisioning dialect (see entra_scim.py).
    def scim_policy(self) -> Any:
        return entra_scim.entra_policy()

    def normalize_scim_request(self, resource_type: str, method: str,
                               payload: dict[str, Any]) -> dict[str, Any]:
        return entra_scim.normalize(resource_type, method, payload)


@hookimpl
def register_providers(registry: Any) -> None:
    registry.add(EntraProvider())
