"""The plugin manager and the registry of providers it fills.

Built once per application in ``includeme``: load every entry point of the
``trainmeuk_identity.providers`` group (the built-in Entra plugin is one of them),
check that no plugin implements a hook that does not exist, then let plugins register
their providers.
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import pluggy

from . import hookspecs
from .base import Provider

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "trainmeuk_identity.providers"


class PluginLoadError(RuntimeError):
    """A provider plugin could not be loaded; the message names it."""


class ProviderRegistry:
    def __init__(self) -> None:
        self._providers: dict[str, Provider] = {}

    def add(self, provider: Provider) -> None:
        name = getattr(provider, "name", None)
        if not name or not isinstance(name, str) or not name.isidentifier() or name.lower() != name:
            raise PluginLoadError(f"provider {provider!r} needs a lower-case identifier as its name")
        if name in self._providers:
            raise PluginLoadError(f"two plugins register a provider named {name!r}")
        self._providers[name] = provider

    def get(self, name: str) -> Provider | None:
        return self._providers.get(name)

    def __iter__(self) -> Iterator[Provider]:
        return iter(sorted(self._providers.values(), key=lambda p: p.name))

    def __contains__(self, name: object) -> bool:
        return name in self._providers

    def __len__(self) -> int:
        return len(self._providers)


def build_plugin_manager(blocked: Iterable[str] = (), extra: Iterable[Any] = ()) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    # plugin name -> the package that installed it, for `trainmeuk-identity providers`
    distributions: dict[str, str] = {}
    pm.trainmeuk_distributions = distributions  # type: ignore[attr-defined]
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
        distributions[ep.name] = ep.dist.name if ep.dist else "?"
    for plugin in extra:
        pm.register(plugin)
    pm.check_pending()
    return pm


def build_provider_registry(pm: pluggy.PluginManager) -> ProviderRegistry:
    registry = ProviderRegistry()
    pm.hook.register_providers(registry=registry)
    log.info("identity providers: %s", ", ".join(p.name for p in registry) or "none")
    return registry
