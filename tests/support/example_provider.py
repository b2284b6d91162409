"""A second identity provider for tests, written as a third party would write one: a
plugin of its own on the public interface, pointed at a directory of the fake
authority (``fake_entra.py``). It differs from Entra where core must not assume:
its client identifier field is called ``app_id``, it declares an application setting
of its own (the authority host), refuses a sign-in whose email is not verified
(``refuse_claims``), and keys people by ``iss`` and ``sub`` (the default)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from trainmeuk_identity.providers import (
    AppSetting,
    AuthorityError,
    CheckResult,
    ConnectionProbe,
    Markup,
    Provider,
    ScimSetup,
    SettingField,
    SetupGuide,
    SsoProfile,
    hookimpl,
)

NOT_VERIFIED = "Your email address is not verified at Example ID, so TrainMeUK cannot link it."


class ExampleProvider(Provider):
    name: ClassVar[str] = "example"
    display_name: ClassVar[str] = "Example ID"
    button_label: ClassVar[str] = "Example"
    directory_name: ClassVar[str] = "Example Directory"
    settings_fields: ClassVar[tuple[SettingField, ...]] = (
        SettingField("directory", "Directory"),
        SettingField("app_id", "App ID", validate=lambda v: None if len(v) > 8 else "Too short."),
        SettingField("app_secret", "App secret", secret=True),
    )
    app_settings: ClassVar[tuple[AppSetting, ...]] = (AppSetting("authority", default="https://id.example"),)
    client_id_field: ClassVar[str] = "app_id"
    supports_scim: ClassVar[bool] = True

    def _base(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        return f"{self.app_setting(app_settings, 'authority').rstrip('/')}/{settings['directory']}"

    def discovery_url(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        return f"{self._base(settings, app_settings)}/v2.0/.well-known/openid-configuration"

    def expected_issuer(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        return f"{self._base(settings, app_settings)}/v2.0"

    def __init__(self) -> None:
        self.profile_calls = 0  # how often core asked for a profile (once per callback)

    def profile_from_claims(self, claims: Mapping[str, Any]) -> SsoProfile:
        self.profile_calls += 1
        return super().profile_from_claims(claims)

    def expected_issuers(self, settings: Mapping[str, Any],
                         app_settings: Mapping[str, Any]) -> tuple[str, ...]:
        # Like Google, it documents its issuer with and without the scheme.
        issuer = self.expected_issuer(settings, app_settings)
        return issuer, issuer.split("://", 1)[1]

    def authorization_params(self, settings: Mapping[str, Any]) -> dict[str, str]:
        # A hint for its account chooser, and two parameters core must not let it replace.
        return {"domain_hint": settings["directory"], "state": "chosen-by-plugin",
                "redirect_uri": "https://evil.example/cb"}

    def refuse_claims(self, claims: Mapping[str, Any], settings: Mapping[str, Any]) -> str | None:
        return None if claims.get("email_verified") is True else NOT_VERIFIED

    def check_connection(self, settings: Mapping[str, Any], client_secret: str | None,
                         app_settings: Mapping[str, Any], probe: ConnectionProbe) -> list[CheckResult]:
        try:
            metadata = probe.discover(self.discovery_url(settings, app_settings))
        except AuthorityError as exc:
            return [CheckResult(False, f"Directory not found: {exc.description}",
                                conclusive=not exc.unreachable)]
        if not client_secret:
            return [CheckResult(True, "Directory found.")]
        try:
            probe.client_credentials(metadata["token_endpoint"], settings["app_id"], client_secret,
                                     "api://default")
        except AuthorityError as exc:
            return [CheckResult(True, "Directory found."),
                    CheckResult(False, f"App ID or secret refused: {exc.description}",
                                conclusive=not exc.unreachable)]
        return [CheckResult(True, "Directory found."), CheckResult(True, "App ID and secret accepted.")]

    def scim_setup(self, endpoint_url: str, links: Mapping[str, str]) -> ScimSetup:
        return ScimSetup(endpoint_field="Provisioning URL", token_field="API key", guides=(
            SetupGuide(title="In Example ID: connect provisioning", id="example-scim-guide", steps=(
                f"Open Provisioning and paste {endpoint_url} as the Provisioning URL.",
                Markup('Then watch the <a href="{}">Provisioning log</a>.').format(
                    links["provisioning_log"]),
                "<b>not bold</b>",
            )),))


@hookimpl
def register_providers(registry: Any) -> None:
    registry.add(ExampleProvider())
