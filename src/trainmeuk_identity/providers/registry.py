"""The plugin manager and the registry of providers it fills.

Built once per application in ``includeme``: load every entry point of the
``trainmeuk_identity.providers`` group (the built-in provider plugin is one of them),
check that no plugin implements a hook that does not exist, then let plugins register
their providers.
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import pluggy

from ..settings import ConfigurationError, plugin_setting, plugin_setting_names
from . import hookspecs
from .base import PluginLoadError, ProviderRegistry

__all__ = ["ENTRY_POINT_GROUP", "PluginLoadError", "ProviderRegistry", "build_plugin_manager",
           "build_provider_registry", "plugin_distributions", "provider_app_settings"]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "trainmeuk_identity.providers"


def build_plugin_manager(blocked: Iterable[str] = (), extra: Iterable[Any] = ()) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in blocked:
        pm.set_blocked(name)
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if pm.is_blocked(ep.name) or pm.get_plugin(ep.name) is not None:
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # any failure: say which plugin, then stop start-up
            raise PluginLoadError(
                f"provider plugin {ep.name!r} ({ep.value}, from "
                f"{ep.dist.name if ep.dist else 'an unknown package'}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        pm.register(plugin, name=ep.name)
    for plugin in extra:
        pm.register(plugin)
    pm.check_pending()
    return pm


def build_provider_registry(pm: pluggy.PluginManager) -> ProviderRegistry:
    registry = ProviderRegistry()
    pm.hook.register_providers(registry=registry)
    log.info("identity providers: %s", ", ".join(p.name for p in registry) or "none")
    return registry


def plugin_distributions(pm: pluggy.PluginManager) -> dict[str, str]:
    """Plugin name -> the package that installed it, for each plugin loaded from an
    entry point (for ``trainmeuk-identity providers``)."""
    found: dict[str, str] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if pm.get_plugin(ep.name) is not None:
            found.setdefault(ep.name, ep.dist.name if ep.dist else "?")
    return found


def provider_app_settings(registry: ProviderRegistry, settings: Mapping[str, Any],
                          environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The providers' own application settings (``Provider.app_settings``) by ini key,
    resolved once at start-up (environment > ini > older alias > default) and checked:
    a bad value stops start-up with a message naming the setting and its variable."""
    values: dict[str, str] = {}
    for provider in registry:
        for declared in type(provider).app_settings:
            key, variable = plugin_setting_names(provider.name, declared.name)
            value = plugin_setting(settings, provider.name, declared.name, declared.default,
                                   declared.aliases, environ)
            problem = declared.validate(value) if declared.validate is not None else None
            if problem:
                raise ConfigurationError(f"{key} ({variable}) {problem}; got {value!r}.")
            values[key] = value
    return values
