"""Layered settings: the ini file gives the shape, the environment overrides it.

Every deploy-specific value (database URL, base domain, secret keys, mail server, a
provider plugin's own settings) can come from a ``TRAINMEUK_*`` environment variable,
so ``production.ini`` holds nothing secret. ``load_settings`` is the one place that
reads the environment; the rest of the code reads ``registry.settings``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from typing import Any

# setting name in the ini -> environment variable that overrides it
ENVIRONMENT_OVERRIDES: dict[str, str] = {
    "sqlalchemy.url": "TRAINMEUK_DATABASE_URL",
    "trainmeuk.base_domain": "TRAINMEUK_BASE_DOMAIN",
    "trainmeuk.secret_keys": "TRAINMEUK_SECRET_KEYS",
    "trainmeuk.environment": "TRAINMEUK_ENVIRONMENT",
    "trainmeuk.cookie_secure": "TRAINMEUK_COOKIE_SECURE",
    "trainmeuk.plugins.blocked": "TRAINMEUK_PLUGINS_BLOCKED",
    "mail.host": "TRAINMEUK_MAIL_HOST",
    "mail.port": "TRAINMEUK_MAIL_PORT",
    "mail.username": "TRAINMEUK_MAIL_USERNAME",
    "mail.password": "TRAINMEUK_MAIL_PASSWORD",
    "mail.tls": "TRAINMEUK_MAIL_TLS",
    "mail.ssl": "TRAINMEUK_MAIL_SSL",
    "mail.default_sender": "TRAINMEUK_MAIL_SENDER",
    "trainmeuk.trusted_proxy": "TRAINMEUK_TRUSTED_PROXY",
    "trainmeuk.trusted_proxy_count": "TRAINMEUK_TRUSTED_PROXY_COUNT",
    "trainmeuk.trusted_proxy_headers": "TRAINMEUK_TRUSTED_PROXY_HEADERS",
    "sqlalchemy.pool_size": "TRAINMEUK_DB_POOL_SIZE",
    "sqlalchemy.max_overflow": "TRAINMEUK_DB_MAX_OVERFLOW",
    "trainmeuk.password_hashing": "TRAINMEUK_PASSWORD_HASHING",
}

# Threads per worker process of the production server (serving.py); each worker's
# database pool holds as many connections unless sqlalchemy.pool_size says otherwise.
# More threads than one SCIM token may hold in a process (its running share plus its
# queue, scim/limits.py), so one tenant's burst always leaves threads for the others.
DEFAULT_THREADS = 16
# Connections a worker may open beyond its pool (the mail worker thread, bursts).
DEFAULT_POOL_OVERFLOW = 4

DEFAULTS: dict[str, str] = {
    "trainmeuk.environment": "development",
    "trainmeuk.base_domain": "localhost",
    "trainmeuk.cookie_secure": "false",
    "trainmeuk.plugins.blocked": "",
    "trainmeuk.mail_worker": "true",
    "mail.port": "25",
    "mail.default_sender": "TrainMeUK <no-reply@trainmeuk.com>",
    # No proxy is trusted unless configured: every X-Forwarded-* header is dropped.
    "trainmeuk.trusted_proxy": "",
    "trainmeuk.trusted_proxy_count": "1",
    "trainmeuk.trusted_proxy_headers": "x-forwarded-proto x-forwarded-host x-forwarded-for",
    "trainmeuk.password_hashing": "standard",
}

# SCIM fairness between tenants (scim/limits.py, docs/decisions/0012-scim-fairness-limits.md).
SCIM_LIMIT_SETTINGS: dict[str, tuple[str, str]] = {
    # setting: (environment variable, default)
    # Per token, requests running at once in one process, and more waiting for that share
    "trainmeuk.scim.max_concurrent_per_token": ("TRAINMEUK_SCIM_MAX_CONCURRENT_PER_TOKEN", "2"),
    "trainmeuk.scim.max_queued_per_token": ("TRAINMEUK_SCIM_MAX_QUEUED_PER_TOKEN", "8"),
    # ... for at most this many seconds before 429 (a provisioning client may allow 60 s);
    "trainmeuk.scim.queue_timeout": ("TRAINMEUK_SCIM_QUEUE_TIMEOUT", "10"),
    # per token, requests per second over all processes, counted in windows of this
    # many seconds, the processes' counts added up in the database this often (seconds).
    "trainmeuk.scim.rate_limit": ("TRAINMEUK_SCIM_RATE_LIMIT", "100"),
    "trainmeuk.scim.rate_window": ("TRAINMEUK_SCIM_RATE_WINDOW", "1"),
    "trainmeuk.scim.rate_sync_interval": ("TRAINMEUK_SCIM_RATE_SYNC_INTERVAL", "0.25"),
}
ENVIRONMENT_OVERRIDES.update({name: env for name, (env, _) in SCIM_LIMIT_SETTINGS.items()})
DEFAULTS.update({name: default for name, (_, default) in SCIM_LIMIT_SETTINGS.items()})

#: setting -> (type, smallest value allowed); 0 switches a limit off where it says so.
NUMERIC_SETTINGS: dict[str, tuple[type, float]] = {
    "trainmeuk.scim.max_concurrent_per_token": (int, 0),
    "trainmeuk.scim.max_queued_per_token": (int, 0),
    "trainmeuk.scim.queue_timeout": (float, 0),
    "trainmeuk.scim.rate_limit": (float, 0),
    "trainmeuk.scim.rate_window": (int, 1),
    "trainmeuk.scim.rate_sync_interval": (float, 0.05),
}

MIN_SECRET_KEY_LENGTH = 32
# Password hashing cost (auth/passwords.py): "standard" is the only profile production
# accepts; "testing" is cheap and meant for the test suite alone.
PASSWORD_HASHING_PROFILES = ("standard", "testing")
_password_hashing = "standard"
TRUSTABLE_PROXY_HEADERS = frozenset(
    {"x-forwarded-proto", "x-forwarded-host", "x-forwarded-for", "x-forwarded-port",
     "x-forwarded-by", "forwarded"})


class ConfigurationError(RuntimeError):
    """The service cannot start with these settings; the message says what to fix."""


def as_bool(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def as_list(value: Any) -> list[str]:
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def load_settings(
    settings: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Return the effective settings: defaults < ini < environment, then validated."""
    environ = os.environ if environ is None else environ
    merged: MutableMapping[str, Any] = dict(DEFAULTS)
    merged.update(settings)
    for name, variable in ENVIRONMENT_OVERRIDES.items():
        if environ.get(variable):
            merged[name] = environ[variable]
    if environ.get("TRAINMEUK_THREADS") and not merged.get("sqlalchemy.pool_size"):
        merged["sqlalchemy.pool_size"] = environ["TRAINMEUK_THREADS"]
    validate(merged)
    _select_password_hashing(str(merged["trainmeuk.password_hashing"]).strip())
    merged["trainmeuk.secret_keys"] = as_list(merged.get("trainmeuk.secret_keys"))
    merged["trainmeuk.base_domain"] = merged["trainmeuk.base_domain"].strip().lower()
    merged["trainmeuk.cookie_secure"] = as_bool(merged["trainmeuk.cookie_secure"])
    merged["trainmeuk.plugins.blocked"] = as_list(merged["trainmeuk.plugins.blocked"])
    merged["trainmeuk.trusted_proxy"] = str(merged["trainmeuk.trusted_proxy"]).strip()
    merged["trainmeuk.trusted_proxy_headers"] = {
        name.lower() for name in str(merged["trainmeuk.trusted_proxy_headers"]).replace(",", " ").split()
    }
    return dict(merged)


def plugin_setting_names(plugin: str, name: str) -> tuple[str, str]:
    """The ini key and environment variable of a plugin's own setting:
    ``trainmeuk.<plugin>.<name>`` and ``TRAINMEUK_<PLUGIN>_<NAME>``."""
    return f"trainmeuk.{plugin}.{name}", f"TRAINMEUK_{plugin}_{name}".upper()


def plugin_setting(settings: Mapping[str, Any], plugin: str, name: str, default: str,
                   aliases: tuple[str, ...] = (), environ: Mapping[str, str] | None = None) -> str:
    """A setting a plugin declares (it is not known before plugins load): the
    environment variable, else the ini key, else an older ini key, else ``default``."""
    environ = os.environ if environ is None else environ
    key, variable = plugin_setting_names(plugin, name)
    if environ.get(variable, "").strip():
        return environ[variable].strip()
    for candidate in (key, *aliases):
        value = settings.get(candidate)
        if value is not None and str(value).strip():
            return str(value).strip()
    return default


def _select_password_hashing(profile: str) -> None:
    global _password_hashing
    _password_hashing = profile


def password_hashing() -> str:
    """The password hashing profile of this process: the last settings loaded chose it."""
    return _password_hashing


def is_production(settings: Mapping[str, Any]) -> bool:
    return str(settings.get("trainmeuk.environment", "")).strip() == "production"


def _validate_numbers(settings: Mapping[str, Any]) -> None:
    for name, (kind, smallest) in NUMERIC_SETTINGS.items():
        variable = ENVIRONMENT_OVERRIDES.get(name, name)
        try:
            value = kind(str(settings[name]).strip())
        except (TypeError, ValueError):
            value = None
        if value is None or value != value or value < smallest or value == float("inf"):
            what = "a whole number" if kind is int else "a number"
            raise ConfigurationError(
                f"{name} ({variable}) must be {what} of at least {smallest:g}; "
                f"got {settings[name]!r}.")


def validate(settings: Mapping[str, Any]) -> None:
    _validate_numbers(settings)
    if not settings.get("sqlalchemy.url"):
        raise ConfigurationError(
            "No database configured: set TRAINMEUK_DATABASE_URL "
            "(e.g. postgresql+psycopg://user@host:5432/trainmeuk)."
        )
    keys = as_list(settings.get("trainmeuk.secret_keys"))
    if not keys:
        raise ConfigurationError(
            "No secret key configured: set TRAINMEUK_SECRET_KEYS to one or more "
            f"comma-separated random strings of at least {MIN_SECRET_KEY_LENGTH} characters "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    try:
        if int(settings.get("trainmeuk.trusted_proxy_count", 1)) < 1:
            raise ValueError
    except (TypeError, ValueError):
        raise ConfigurationError(
            "trainmeuk.trusted_proxy_count (TRAINMEUK_TRUSTED_PROXY_COUNT) must be a whole "
            "number of at least 1: how many proxies in front of the service add to "
            "X-Forwarded-For."
        ) from None
    unknown = set(str(settings.get("trainmeuk.trusted_proxy_headers", "")).replace(",", " ")
                  .lower().split()) - TRUSTABLE_PROXY_HEADERS
    if unknown:
        raise ConfigurationError(
            "trainmeuk.trusted_proxy_headers (TRAINMEUK_TRUSTED_PROXY_HEADERS) may name only "
            f"{', '.join(sorted(TRUSTABLE_PROXY_HEADERS))}; not {', '.join(sorted(unknown))}."
        )
    hashing = str(settings.get("trainmeuk.password_hashing", "standard")).strip()
    if hashing not in PASSWORD_HASHING_PROFILES:
        raise ConfigurationError(
            "trainmeuk.password_hashing (TRAINMEUK_PASSWORD_HASHING) must be one of "
            f"{', '.join(PASSWORD_HASHING_PROFILES)}; got {hashing!r}.")
    if is_production(settings):
        if hashing != "standard":
            raise ConfigurationError(
                f"trainmeuk.password_hashing (TRAINMEUK_PASSWORD_HASHING) is {hashing!r}, a "
                "profile for the test suite only: production hashes passwords at the standard "
                "cost. Remove the setting.")
        for position, key in enumerate(keys, start=1):
            if len(key) < MIN_SECRET_KEY_LENGTH or "dev-only" in key or len(set(key)) < 10:
                raise ConfigurationError(
                    f"TRAINMEUK_SECRET_KEYS entry {position} is too weak for production: "
                    f"use at least {MIN_SECRET_KEY_LENGTH} random characters."
                )
        if not settings.get("mail.host"):
            raise ConfigurationError(
                "No mail server configured for production: set TRAINMEUK_MAIL_HOST "
                "(and TRAINMEUK_MAIL_USERNAME / TRAINMEUK_MAIL_PASSWORD if it needs them)."
            )
