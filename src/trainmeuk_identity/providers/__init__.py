"""Identity-provider plugins. A plugin needs one import: ``from trainmeuk_identity.providers
import hookimpl, Provider``."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from .base import (
    AppSetting,
    AuthorityError,
    CheckResult,
    ConnectionProbe,
    ErrorExplanation,
    PluginLoadError,
    Provider,
    ProviderRegistry,
    ScimSetup,
    SettingField,
    SetupGuide,
    SsoProfile,
)
from .hookspecs import hookimpl
from .registry import build_plugin_manager, build_provider_registry, provider_app_settings
from .services import HookServices

__all__ = [
    "AppSetting", "AuthorityError", "CheckResult", "ConnectionProbe", "ErrorExplanation",
    "HookServices", "Markup", "PluginLoadError", "Provider", "ProviderRegistry", "ScimSetup",
    "SettingField", "SetupGuide", "SsoProfile", "hookimpl",
]


def includeme(config: Any) -> None:
    settings = config.get_settings()
    pm = build_plugin_manager(
        blocked=settings["trainmeuk.plugins.blocked"],
        # Plugin objects handed in by code that builds the app (tests, embedding).
        extra=settings.get("trainmeuk.plugins.extra", ()),
    )
    config.registry["plugin_manager"] = pm
    config.registry["providers"] = build_provider_registry(pm)
    # Each provider's own application settings, as ``trainmeuk.<provider>.<name>``
    # (read by ``Provider.app_setting``), with the environment applied once, here.
    settings.update(provider_app_settings(config.registry["providers"], settings))

    config.add_request_method(lambda r: r.registry["providers"], "providers", reify=True)
    config.add_request_method(lambda r: r.registry["plugin_manager"], "plugins", reify=True)

