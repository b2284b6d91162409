"""Saving a tenant's SSO settings: shared by the admin page and the console script.

Values are validated field by field, then checked against the provider (for example:
the directory exists, the client id and secret are accepted). A check that fails for certain blocks
enabling SSO; a check that cannot be made (provider unreachable) lets the save go on
with a warning. The client secret is encrypted at rest with the "client-secret" key
ring; only its last four characters and when it was set are kept readable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..connections import get_connection, get_or_create_connection
from ..crypto import InvalidToken, KeyRing
from ..models import ProviderConnection, Tenant, TenantScope
from ..models.meta import utcnow
from ..providers.base import CheckResult, ConnectionProbe, Provider

SECRET_PURPOSE = "client-secret"


def _keyring(app_settings: Mapping[str, Any]) -> KeyRing:
    return KeyRing(app_settings["trainmeuk.secret_keys"], SECRET_PURPOSE)


def client_secret(connection: ProviderConnection | None, app_settings: Mapping[str, Any]) -> str | None:
    """The saved client secret in clear, for the token endpoint only (never shown)."""
    if connection is None or not connection.client_secret_encrypted:
        return None
    try:
        return _keyring(app_settings).decrypt(connection.client_secret_encrypted).decode()
    except InvalidToken:  # encrypted under a key that is no longer configured
        return None


def secret_field(provider: Provider) -> str | None:
    return next((f.name for f in provider.settings_fields if f.secret), None)


def public_fields(provider: Provider) -> list[str]:
    return [f.name for f in provider.settings_fields if not f.secret]


def has_public_settings(provider: Provider, settings: Mapping[str, Any] | None) -> bool:
    """Every required non-secret field of the provider has a value in ``settings``."""
    if settings is None:
        return False
    return all(settings.get(f.name) for f in provider.settings_fields if f.required and not f.secret)


def is_configured(provider: Provider, connection: ProviderConnection | None,
                  app_settings: Mapping[str, Any]) -> bool:
    if connection is None or not has_public_settings(provider, connection.settings or {}):
        return False
    return secret_field(provider) is None or client_secret(connection, app_settings) is not None


@dataclass
class SaveOutcome:
    saved: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    checks: list[CheckResult] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.ok]


def save_sso_settings(scope: TenantScope, tenant: Tenant, provider: Provider, *,
                      values: Mapping[str, str], secret: str | None, enable: bool,
                      create_accounts: bool | None, require_sso: bool | None,
                      app_settings: Mapping[str, Any], probe: ConnectionProbe) -> SaveOutcome:
    outcome = SaveOutcome()
    clean = {name: (values.get(name) or "").strip() for name in public_fields(provider)}
    clean = provider.normalize_settings(clean)
    secret = (secret or "").strip() or None
    secret_name = secret_field(provider)

    errors = provider.validate_settings({**clean, **({secret_name: secret or ""} if secret_name else {})})
    if not enable:  # turning SSO off (or leaving it off) may leave fields empty
        errors = {k: v for k, v in errors.items() if clean.get(k)}
    connection = get_connection(scope, provider.name)
    usable_secret = secret or client_secret(connection, app_settings)
    if enable and secret_name and not usable_secret and secret_name not in errors:
        label = next(f.label for f in provider.settings_fields if f.name == secret_name)
        errors[secret_name] = f"Enter the {label} to enable SSO."
    if require_sso and not enable:
        errors["require_sso"] = ("Everyone else can only be required to use SSO while SSO is "
                                 "enabled: tick Enable SSO too.")
    if errors:
        outcome.errors = errors
        return outcome

    if has_public_settings(provider, clean):
        # The core probe authenticates the way this provider asks (token_endpoint_auth_method).
        bind = getattr(probe, "for_provider", None)
        outcome.checks = provider.check_connection(
            clean, usable_secret, app_settings, bind(provider) if bind else probe)
    if enable and any(not c.ok and c.conclusive for c in outcome.checks):
        return outcome

    connection = connection or get_or_create_connection(scope, provider.name)
    before = dict(connection.settings or {})
    merged = {**before, **clean}
    outcome.changes = [name for name in clean if before.get(name) != merged[name]]
    connection.settings = merged
    if secret and secret_name:
        if secret != client_secret(connection, app_settings):
            outcome.changes.append(secret_name)
        connection.client_secret_encrypted = _keyring(app_settings).encrypt(secret.encode())
        connection.client_secret_suffix = secret[-4:]
        connection.client_secret_set_at = utcnow()
    if connection.sso_enabled != enable:
        outcome.changes.append("sso_enabled")
        connection.sso_enabled = enable
    if create_accounts is not None and connection.sso_create_accounts != create_accounts:
        outcome.changes.append("sso_create_accounts")
        connection.sso_create_accounts = create_accounts
    if require_sso is not None and tenant.require_sso != require_sso:
        outcome.changes.append("require_sso")
        tenant.require_sso = require_sso
    outcome.saved = True
    return outcome
