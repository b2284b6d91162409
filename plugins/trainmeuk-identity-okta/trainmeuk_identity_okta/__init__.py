"""Okta: OpenID Connect against the customer's Okta org, SCIM provisioning from Okta."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from trainmeuk_identity.providers import Provider, SettingField, hookimpl

# An Okta org's own domain (acme.okta.com, acme.oktapreview.com) or a custom domain.
DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
AUTH_SERVER_RE = re.compile(r"^[A-Za-z0-9]{1,64}$")


def validate_domain(value: str) -> str | None:
    value = value.lower()
    if value.startswith(("http://", "https://")) or "/" in value:
        return "Enter the domain only, such as acme.okta.com (no https:// and no path)."
    if not DOMAIN_RE.match(value):
        return "This is not a domain name. Use your Okta domain, such as acme.okta.com."
    return None


def validate_authorization_server(value: str) -> str | None:
    if not AUTH_SERVER_RE.match(value):
        return "Use the authorization server's ID, such as “default”, or leave it empty."
    return None


class OktaProvider(Provider):
    name: ClassVar[str] = "okta"
    display_name: ClassVar[str] = "Okta"
    button_label: ClassVar[str] = "Okta"
    settings_fields: ClassVar[tuple[SettingField, ...]] = (
        SettingField(name="domain", label="Okta domain", placeholder="acme.okta.com",
                     help="Your Okta org's domain, from the Okta Admin Console.",
                     validate=validate_domain),
        SettingField(name="authorization_server", label="Authorization server", required=False,
                     placeholder="default",
                     help="Leave empty to use the org authorization server; enter an ID "
                          "(such as “default”) for a custom one.",
                     validate=validate_authorization_server),
        SettingField(name="client_id", label="Client ID",
                     help="From the app integration's General tab."),
        SettingField(name="client_secret", label="Client Secret", secret=True,
                     help="From the app integration's General tab (Client secrets)."),
    )

    def _issuer_base(self, settings: Mapping[str, Any]) -> str:
        base = f"https://{str(settings['domain']).lower()}"
        server = settings.get("authorization_server")
        return f"{base}/oauth2/{server}" if server else base

    def discovery_url(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        return f"{self._issuer_base(settings)}/.well-known/openid-configuration"

    def expected_issuer(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        return self._issuer_base(settings)

    def setup_steps(self, redirect_uri: str) -> list[str]:
        return [
            "In the Okta Admin Console, go to Applications → Create App Integration.",
            "Choose OIDC - OpenID Connect and Web Application.",
            f"Add the Sign-in redirect URI {redirect_uri}.",
            "Assign the people or groups who should use TrainMeUK.",
            "Copy the Client ID and Client secret back here.",
        ]


@hookimpl
def register_providers(registry: Any) -> None:
    registry.add(OktaProvider())
