"""Microsoft Entra ID (formerly Azure AD): a single-tenant app registration in the
customer's own directory, on Microsoft's identity platform v2.0 endpoints.

Written against the public provider interface only, like any third-party plugin. The
authority host is an application setting (``trainmeuk.entra.authority`` /
``TRAINMEUK_ENTRA_AUTHORITY``) so national clouds work and tests use a fake authority
on loopback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode

from .. import (
    AppSetting,
    AuthorityError,
    CheckResult,
    ConnectionProbe,
    ErrorExplanation,
    Provider,
    ScimSetup,
    SettingField,
    SsoProfile,
)
from . import errors, guides, scim

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_GRAPH_HOST = "graph.microsoft.com"
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


def validate_authority(value: str) -> str | None:
    if not value.startswith(("https://", "http://")):
        return "must be a URL such as https://login.microsoftonline.com"
    return None


class EntraProvider(Provider):
    name: ClassVar[str] = "entra"
    display_name: ClassVar[str] = "Microsoft Entra ID"
    button_label: ClassVar[str] = "Microsoft"
    short_name: ClassVar[str] = "Entra"
    directory_name: ClassVar[str] = "Microsoft 365"
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
    app_settings: ClassVar[tuple[AppSetting, ...]] = (
        AppSetting(
            name="authority", default=DEFAULT_AUTHORITY,
            help="Microsoft's sign-in host; national clouds use their own "
                 "(e.g. https://login.microsoftonline.us).",
            aliases=("trainmeuk.entra_authority",), validate=validate_authority),
    )
    client_id_field: ClassVar[str] = "client_id"
    token_endpoint_auth_method = "client_secret_post"
    redirect_uri_help: ClassVar[str] = guides.REDIRECT_URI_HELP
    admin_consent_label: ClassVar[str] = "Admin consent (a Microsoft admin of your organisation opens this)"

    def normalize_settings(self, values: dict[str, str]) -> dict[str, str]:
        return {k: (v.lower() if k in {"tenant_id", "client_id"} and isinstance(v, str) else v)
                for k, v in values.items()}

    # --- OpenID Connect ---------------------------------------------------------

    def authority(self, app_settings: Mapping[str, Any]) -> str:
        return self.app_setting(app_settings, "authority").rstrip("/")

    def discovery_url(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        return f"{self.authority(app_settings)}/{settings['tenant_id']}/v2.0/.well-known/openid-configuration"

    def expected_issuer(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        # v2.0 tokens of a single-tenant app: the issuer names the directory itself.
        return f"{self.authority(app_settings)}/{settings['tenant_id']}/v2.0"

    def pinned_claims(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        # tid pins the directory (the issuer does too, but both must agree); ver refuses
        # v1.0 tokens, whose issuer and claims differ.
        return {"tid": settings["tenant_id"], "ver": "2.0"}

    def identity_of(self, claims: Mapping[str, Any]) -> tuple[str, str]:
        tid, oid = claims.get("tid"), claims.get("oid")
        if not oid:
            raise ValueError("Microsoft sent no object id (oid) for this person; the sign-in "
                             "must request the 'profile' scope.")
        if not tid:
            raise ValueError("Microsoft sent no directory id (tid) for this person.")
        return str(tid).lower(), str(oid).lower()

    def profile_from_claims(self, claims: Mapping[str, Any]) -> SsoProfile:
        def text(name: str) -> str | None:
            value = claims.get(name)
            return value.strip() if isinstance(value, str) and value.strip() else None

        # tid is pinned to the customer's own directory, so its email and UPN may find
        # the account on a first sign-in.
        email, username = text("email"), text("preferred_username")
        hints = tuple(dict.fromkeys(v for v in (email, username) if v))
        return SsoProfile(email=email or (username if username and "@" in username else None),
                          display_name=text("name"), given_name=text("given_name"),
                          family_name=text("family_name"), login_hints=hints)

    def admin_consent_url(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any],
                          redirect_uri: str) -> str | None:
        if not settings.get("tenant_id") or not settings.get("client_id"):
            return None
        query = urlencode({"client_id": settings["client_id"], "scope": self.sso_scopes,
                           "redirect_uri": redirect_uri, "state": "admin-consent"})
        return f"{self.authority(app_settings)}/{settings['tenant_id']}/v2.0/adminconsent?{query}"

    # --- errors and help --------------------------------------------------------

    def explain_error(self, code: str, description: str = "") -> ErrorExplanation | None:
        return errors.explain(code, description)

    def is_cancellation(self, error: str, description: str, params: Mapping[str, Any]) -> bool:
        """The person backed out at Microsoft (cancel, or declined consent)."""
        return (params.get("error_subcode") == "cancel"
                or errors.aadsts_code(description) == "AADSTS65004")

    def needs_consent(self, error: str, description: str) -> bool:
        # access_denied that is not a cancel is how Entra reports a missing approval
        # (AADSTS65001 and kin), next to the standard consent_required.
        return error in errors.CONSENT_ERRORS or error == "access_denied"

    def check_connection_help(self) -> str:
        return (f"On Save, TrainMeUK checks with {self.display_name} that the settings are right "
                "and that the Client ID and Secret are accepted. If it cannot be reached, the "
                "settings are saved with a warning.")

    def setup_steps(self, redirect_uri: str) -> list[str]:
        return guides.sso_steps(redirect_uri)

    def troubleshooting(self, settings: Mapping[str, Any], redirect_uri: str,
                        app_settings: Mapping[str, Any]) -> list[ErrorExplanation]:
        consent = self.admin_consent_url(settings, app_settings, redirect_uri)
        return errors.troubleshooting(settings, redirect_uri, consent)

    # --- save-time check --------------------------------------------------------

    def check_connection(self, settings: Mapping[str, Any], client_secret: str | None,
                         app_settings: Mapping[str, Any], probe: ConnectionProbe) -> list[CheckResult]:
        """The directory exists and is the one named; then the client id and secret are
        accepted (a client-credentials grant for Microsoft Graph, which every app may ask)."""
        tenant_id = settings.get("tenant_id")
        if not tenant_id or not settings.get("client_id"):
            return []
        try:
            metadata = probe.discover(self.discovery_url(settings, app_settings))
        except AuthorityError as exc:
            return [self._directory_problem(exc, tenant_id, self.authority(app_settings))]
        issuer = self.expected_issuer(settings, app_settings)
        if metadata.get("issuer") != issuer:
            return [CheckResult(False, f"The directory's issuer is {metadata.get('issuer')!r}, not "
                                       f"{issuer!r}: use the directory's own ID, not a domain name "
                                       "or a multi-tenant alias.")]
        results = [CheckResult(True, f"Directory {tenant_id} found.")]
        if not client_secret:
            results.append(CheckResult(False, "No client secret saved yet, so the Client ID could "
                                              "not be checked.", conclusive=False))
            return results
        graph = metadata.get("msgraph_host") or DEFAULT_GRAPH_HOST
        try:
            probe.client_credentials(metadata["token_endpoint"], settings["client_id"], client_secret,
                                     f"https://{graph}/.default")
        except (AuthorityError, KeyError) as exc:
            results.append(errors.credentials_problem(exc, settings))
            return results
        results.append(CheckResult(True, "Client ID and Client Secret accepted by Microsoft."))
        return results

    @staticmethod
    def _directory_problem(exc: AuthorityError, tenant_id: str, host: str) -> CheckResult:
        if exc.unreachable:
            return CheckResult(False, f"Could not reach Microsoft at {host} to check the "
                                      f"Tenant ID ({exc.description}).", conclusive=False)
        if errors.aadsts_code(exc.description) == "AADSTS90002" or exc.status in {400, 404}:
            return CheckResult(False, f"Tenant ID {tenant_id} was not found: Microsoft has no "
                                      "directory with this ID. Copy “Directory (tenant) ID” "
                                      "from the app's Overview page.")
        return CheckResult(False, f"Microsoft answered the directory check with an error: "
                                  f"{exc.description}", conclusive=False)

    # --- SCIM: Entra's provisioning dialect (scim.py) ----------------------------

    def scim_setup(self, endpoint_url: str, links: Mapping[str, str]) -> ScimSetup:
        return guides.scim_setup(links)

    def scim_policy(self) -> Any:
        return scim.entra_policy()

    def normalize_scim_request(self, resource_type: str, method: str,
                               payload: dict[str, Any]) -> dict[str, Any]:
        return scim.normalize(resource_type, method, payload)
