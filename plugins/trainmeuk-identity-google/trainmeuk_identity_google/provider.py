"""The Google provider: settings fields, OpenID Connect endpoints and claims.

One issuer serves every Google account, ``https://accounts.google.com``, so the issuer
check alone would let in anyone with a Google account: a sign-in is accepted only when
the id_token's ``hd`` claim is one of the tenant's Workspace domains and Google has
verified the email (:mod:`.domains`). A person is keyed by Google's ``sub``, which
never changes and is never reused; never by email.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

from trainmeuk_identity.providers import (
    AppSetting,
    CheckResult,
    ConnectionProbe,
    ErrorExplanation,
    Provider,
    SettingField,
    SsoProfile,
)

from . import checks, domains, explanations, guides

DEFAULT_AUTHORITY = "https://accounts.google.com"
CLIENT_ID_SUFFIX = ".apps.googleusercontent.com"
CLIENT_ID_RE = re.compile(r"^[0-9]+-[A-Za-z0-9_]+\.apps\.googleusercontent\.com$")


def validate_client_id(value: str) -> str | None:
    if value.startswith("GOCSPX-"):
        return "This is a Client secret. The Client ID ends with .apps.googleusercontent.com."
    if not CLIENT_ID_RE.match(value):
        return ("This is not a Google OAuth Client ID: it looks like "
                "1234567890-abc123.apps.googleusercontent.com.")
    return None


def validate_client_secret(value: str) -> str | None:
    if value.endswith(CLIENT_ID_SUFFIX):
        return "This is the Client ID. Paste the Client secret shown beside it."
    return None


def validate_authority(value: str) -> str | None:
    parts = urlsplit(value)
    if (parts.scheme != "https" or not parts.hostname or parts.username or parts.query
            or parts.fragment or parts.path not in {"", "/"}):
        return "must be an https:// address with no path, such as https://accounts.google.com"
    return None


class GoogleProvider(Provider):
    name: ClassVar[str] = "google"
    display_name: ClassVar[str] = "Google Workspace"
    button_label: ClassVar[str] = "Google"
    short_name: ClassVar[str] = "Google"
    settings_fields: ClassVar[tuple[SettingField, ...]] = (
        SettingField(name="client_id", label="Client ID",
                     placeholder="1234567890-abc123.apps.googleusercontent.com",
                     help="From Google Cloud console → APIs & Services → Credentials → the "
                          "TrainMeUK OAuth client (Web application).",
                     validate=validate_client_id),
        SettingField(name="client_secret", label="Client Secret", secret=True,
                     help="Shown beside the Client ID when the OAuth client is created.",
                     validate=validate_client_secret),
        SettingField(name="hosted_domains", label="Hosted domains", placeholder="acme.com",
                     help="Your Google Workspace domain; several separated by commas. Only "
                          "accounts of these Workspace domains can sign in: personal Google "
                          "accounts and other organisations' are refused, whatever their "
                          "email address.",
                     validate=domains.validate),
    )
    app_settings: ClassVar[tuple[AppSetting, ...]] = (
        AppSetting(name="authority", default=DEFAULT_AUTHORITY,
                   help="Google's sign-in service, also the exact issuer of its id_tokens. "
                        "Production keeps https://accounts.google.com; a test authority on "
                        "loopback sets its own address.",
                   validate=validate_authority),
    )
    # Google's token endpoint takes the secret in the form body, as its own examples do.
    token_endpoint_auth_method: ClassVar[str] = "client_secret_post"  # type: ignore[assignment]
    supports_scim: ClassVar[bool] = False
    redirect_uri_help: ClassVar[str] = ("Paste it into the OAuth client's Authorised redirect "
                                        "URIs in the Google Cloud console, exactly as shown.")

    def normalize_settings(self, values: dict[str, str]) -> dict[str, str]:
        if isinstance(values.get("hosted_domains"), str):
            values = {**values, "hosted_domains": domains.normalize(values["hosted_domains"])}
        return values

    # --- OpenID Connect -------------------------------------------------------------------
    def authority(self, app_settings: Mapping[str, Any]) -> str:
        return self.app_setting(app_settings, "authority").rstrip("/")

    def expected_issuer(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        return self.authority(app_settings)

    def expected_issuers(self, settings: Mapping[str, Any],
                         app_settings: Mapping[str, Any]) -> tuple[str, ...]:
        """Both issuers Google documents for its id_tokens, exactly:
        ``https://accounts.google.com`` and ``accounts.google.com``."""
        authority = self.authority(app_settings)
        return authority, authority.removeprefix("https://")

    def discovery_url(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        return f"{self.authority(app_settings)}/.well-known/openid-configuration"

    def authorization_params(self, settings: Mapping[str, Any]) -> dict[str, str]:
        """``hd=<domain>`` when the tenant has one Workspace domain: Google's account
        chooser then offers that domain's accounts. A hint only; the ``hd`` claim is
        what is checked."""
        hosted = domains.parse(settings.get("hosted_domains"))
        return {"hd": hosted[0]} if len(hosted) == 1 else {}

    def identity_of(self, claims: Mapping[str, Any]) -> tuple[str, str]:
        issuer, subject = claims.get("iss"), claims.get("sub")
        if not isinstance(issuer, str) or not issuer or not isinstance(subject, str) or not subject:
            raise ValueError("Google sent no issuer or account id (sub) for this person.")
        # Both documented spellings of Google's issuer name the same accounts.
        return ("https://" + issuer.removeprefix("https://")), subject

    def refuse_claims(self, claims: Mapping[str, Any], settings: Mapping[str, Any]) -> str | None:
        return domains.refusal(claims, settings)

    def profile_from_claims(self, claims: Mapping[str, Any]) -> SsoProfile:
        def text(name: str) -> str | None:
            value = claims.get(name)
            return value.strip() if isinstance(value, str) and value.strip() else None

        email = text("email") if claims.get("email_verified") is True else None
        given, family = text("given_name"), text("family_name")
        name = text("name") or " ".join(n for n in (given, family) if n) or None
        return SsoProfile(email=email, display_name=name, given_name=given, family_name=family,
                          login_hints=(email,) if email else ())

    def explain_error(self, code: str, description: str = "") -> ErrorExplanation | None:
        return explanations.explain(code, description)

    def troubleshooting(self, settings: Mapping[str, Any], redirect_uri: str,
                        app_settings: Mapping[str, Any]) -> list[ErrorExplanation]:
        return explanations.troubleshooting(settings, redirect_uri)

    def check_connection(self, settings: Mapping[str, Any], client_secret: str | None,
                         app_settings: Mapping[str, Any], probe: ConnectionProbe) -> list[CheckResult]:
        return checks.check_connection(
            settings, client_secret, probe, issuer=self.expected_issuer(settings, app_settings),
            discovery_url=self.discovery_url(settings, app_settings))

    def check_connection_help(self) -> str:
        return ("On Save, TrainMeUK checks that Google's sign-in service answers as expected. "
                "Google cannot check the Client ID and Secret before someone signs in: after "
                "saving, use Test sign-in.")

    def setup_steps(self, redirect_uri: str) -> list[str]:
        return guides.sso_steps(redirect_uri)
