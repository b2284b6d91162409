"""The Okta provider: settings fields, OpenID Connect endpoints and claims.

An Okta org has the *org authorization server*, issuer ``https://<domain>``, with its
endpoints under ``/oauth2/v1/``, and (with API Access Management) *custom* ones, issuer
``https://<domain>/oauth2/<id>`` (``default`` is the usual id). Every id_token's ``iss``
must be exactly the configured one. A person is keyed by the org and their Okta user id
(``sub``), the same in every authorization server of the org, so switching between the
org and a custom server keeps everyone's link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from trainmeuk_identity.providers import (
    AppSetting,
    CheckResult,
    ConnectionProbe,
    ErrorExplanation,
    Provider,
    ScimSetup,
    SettingField,
    SsoProfile,
)

from . import checks, explanations, guides, scim

# An Okta org's own domain (acme.okta.com, acme.oktapreview.com) or a custom domain.
DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
AUTH_SERVER_RE = re.compile(r"^[A-Za-z0-9]{1,64}$")
# The Admin Console's address is the org's with "-admin": a common paste.
ADMIN_DOMAIN_RE = re.compile(r"^([a-z0-9-]+)-admin\.(okta\.com|oktapreview\.com|okta-emea\.com)$")
CUSTOM_SERVER_SUFFIX_RE = re.compile(r"/oauth2/[A-Za-z0-9]+$")
DEFAULT_BASE_URL_TEMPLATE = "https://{domain}"


def validate_domain(value: str) -> str | None:
    value = value.lower()
    if value.startswith(("http://", "https://")) or "/" in value or ":" in value:
        return "Enter the domain only, such as acme.okta.com (no https:// and no path)."
    if not DOMAIN_RE.match(value):
        return "This is not a domain name. Use your Okta domain, such as acme.okta.com."
    admin = ADMIN_DOMAIN_RE.match(value)
    if admin:
        return (f"{value} is the address of Okta's Admin Console. Use your org's own domain, "
                f"{admin.group(1)}.{admin.group(2)}.")
    return None


def validate_authorization_server(value: str) -> str | None:
    if not AUTH_SERVER_RE.match(value):
        return ("Use the authorization server's ID, such as “default” or “aus1a2b3c4d5e6f7g8h9”, "
                "or leave it empty for the org authorization server.")
    return None


def validate_base_url_template(value: str) -> str | None:
    if not value.startswith("https://") or "{domain}" not in value:
        return "must be an https:// URL containing {domain}, such as https://{domain}"
    return None


class OktaProvider(Provider):
    name: ClassVar[str] = "okta"
    display_name: ClassVar[str] = "Okta"
    button_label: ClassVar[str] = "Okta"
    directory_name: ClassVar[str] = "Okta"
    settings_fields: ClassVar[tuple[SettingField, ...]] = (
        SettingField(name="domain", label="Okta domain", placeholder="acme.okta.com",
                     help="Your Okta org's domain (or its custom domain), without https://.",
                     validate=validate_domain),
        SettingField(name="authorization_server", label="Authorization server", required=False,
                     placeholder="default",
                     help="Leave empty to use the org authorization server; enter an ID "
                          "(such as “default”) for a custom one.",
                     validate=validate_authorization_server),
        SettingField(name="client_id", label="Client ID",
                     help="From the app integration's General tab (Client Credentials)."),
        SettingField(name="client_secret", label="Client Secret", secret=True,
                     help="From the app integration's General tab (Client secrets)."),
    )
    app_settings: ClassVar[tuple[AppSetting, ...]] = (
        AppSetting(name="base_url_template", default=DEFAULT_BASE_URL_TEMPLATE,
                   help="How an org's base URL is built from its domain. Production keeps "
                        "https://{domain}; a private gateway or a test authority may differ.",
                   validate=validate_base_url_template),
    )
    # Okta's default for web apps ("Client secret" authentication), per Okta's docs.
    token_endpoint_auth_method: ClassVar[str] = "client_secret_basic"  # type: ignore[assignment]
    redirect_uri_help: ClassVar[str] = ("Paste it into the Okta app integration's Sign-in "
                                        "redirect URIs, exactly as shown.")

    def normalize_settings(self, values: dict[str, str]) -> dict[str, str]:
        return {k: (v.lower() if k == "domain" and isinstance(v, str) else v)
                for k, v in values.items()}

    # --- OpenID Connect -------------------------------------------------------------------
    def org_url(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        """The org's base URL, ``https://<domain>`` unless the template says otherwise."""
        template = self.app_setting(app_settings, "base_url_template")
        return template.replace("{domain}", str(settings["domain"]).lower()).rstrip("/")

    def expected_issuer(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        server = settings.get("authorization_server")
        base = self.org_url(settings, app_settings)
        return f"{base}/oauth2/{server}" if server else base

    def discovery_url(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        return f"{self.expected_issuer(settings, app_settings)}/.well-known/openid-configuration"

    def identity_of(self, claims: Mapping[str, Any]) -> tuple[str, str]:
        issuer, subject = claims.get("iss"), claims.get("sub")
        if not isinstance(issuer, str) or not issuer or not isinstance(subject, str) or not subject:
            raise ValueError("Okta sent no issuer or user id (sub) for this person.")
        return CUSTOM_SERVER_SUFFIX_RE.sub("", issuer), subject

    def profile_from_claims(self, claims: Mapping[str, Any]) -> SsoProfile:
        def text(name: str) -> str | None:
            value = claims.get(name)
            return value.strip() if isinstance(value, str) and value.strip() else None

        # Okta lets an admin or the person set an email it has not verified; such an
        # address may not find (or create) an account. preferred_username is the Okta
        # login, which nobody verified: never a hint.
        email = text("email") if claims.get("email_verified") is True else None
        given, family = text("given_name"), text("family_name")
        name = text("name") or " ".join(n for n in (given, family) if n) or None
        return SsoProfile(email=email, display_name=name, given_name=given, family_name=family,
                          login_hints=(email,) if email else ())

    def explain_error(self, code: str, description: str = "") -> ErrorExplanation | None:
        return explanations.explain(code, description)

    def needs_consent(self, error: str, description: str) -> bool:
        # Okta's access_denied means "not assigned" or "policy", never a missing approval.
        return error == "consent_required"

    def troubleshooting(self, settings: Mapping[str, Any], redirect_uri: str,
                        app_settings: Mapping[str, Any]) -> list[ErrorExplanation]:
        return explanations.troubleshooting(settings, redirect_uri)

    def check_connection(self, settings: Mapping[str, Any], client_secret: str | None,
                         app_settings: Mapping[str, Any], probe: ConnectionProbe) -> list[CheckResult]:
        if not settings.get("domain") or not settings.get("client_id"):
            return []
        return checks.check_connection(
            settings, client_secret, probe, issuer=self.expected_issuer(settings, app_settings),
            discovery_url=self.discovery_url(settings, app_settings))

    def setup_steps(self, redirect_uri: str) -> list[str]:
        return guides.sso_steps(redirect_uri)

    # --- SCIM -----------------------------------------------------------------------------
    def scim_setup(self, endpoint_url: str, links: Mapping[str, str]) -> ScimSetup:
        return guides.scim_setup(endpoint_url, links)

    def scim_policy(self) -> Any:
        return scim.okta_policy()
