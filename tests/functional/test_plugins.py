"""Identity providers are pluggy plugins, loaded through their entry points."""

from __future__ import annotations

import textwrap
from typing import ClassVar

import pytest
import transaction

from trainmeuk_identity import configure
from trainmeuk_identity.events import notify_after_commit
from trainmeuk_identity.providers import Provider, SettingField, hookimpl
from trainmeuk_identity.providers.registry import (
    PluginLoadError,
    build_plugin_manager,
    build_provider_registry,
    plugin_distributions,
)

from ..support.app import close_app, make_settings, sign_in, tenant_app


class ThrowawayProvider(Provider):
    name: ClassVar[str] = "throwaway"
    display_name: ClassVar[str] = "Throwaway Directory"
    button_label: ClassVar[str] = "Throwaway"
    settings_fields: ClassVar[tuple[SettingField, ...]] = (
        SettingField(name="domain", label="Directory domain"),
    )


class ThrowawayPlugin:
    def __init__(self) -> None:
        self.provisioned: list[str] = []

    @hookimpl
    def register_providers(self, registry):
        registry.add(ThrowawayProvider())

    @hookimpl
    def user_provisioned(self, tenant, user):
        self.provisioned.append(user.user_name)


@pytest.fixture
def plugin_app(database_url):
    plugin = ThrowawayPlugin()
    app = configure(make_settings(database_url, **{"trainmeuk.plugins.extra": [plugin]})).make_wsgi_app()
    app.plugin = plugin
    yield app
    close_app(app)


def test_a_throwaway_provider_plugin_is_listed_and_routable(plugin_app, tenant, factory):
    registry = plugin_app.registry["providers"]
    assert [p.name for p in registry] == ["entra", "throwaway"]
    admin = factory.admin(tenant)
    browser = tenant_app(plugin_app, tenant)
    sign_in(browser, admin.email)
    page = browser.get("/admin/settings/sso", {"provider": "throwaway"})
    assert "Throwaway Directory" in page.text
    # The default page offers both providers.
    assert "?provider=throwaway" in browser.get("/admin/settings/sso").text
    browser.get("/admin/settings/sso", {"provider": "nonesuch"}, status=404)


def test_the_builtin_entra_provider_comes_from_its_entry_point():
    pm = build_plugin_manager()
    assert pm.get_plugin("entra") is not None
    assert plugin_distributions(pm)["entra"] == "trainmeuk-identity"
    assert [p.name for p in build_provider_registry(pm)] == ["entra"]


def test_a_blocked_plugin_is_not_loaded():
    pm = build_plugin_manager(blocked=["entra"])
    assert len(build_provider_registry(pm)) == 0


def _install_fake_distribution(tmp_path, monkeypatch, module_source: str, name: str = "fakeidp") -> None:
    """A real installed distribution on sys.path: a module plus its dist-info with an
    entry point in our group, as `pip install` would leave it."""
    (tmp_path / f"{name}_plugin.py").write_text(textwrap.dedent(module_source))
    info = tmp_path / f"{name}_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[trainmeuk_identity.providers]\n{name} = {name}_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_a_separately_installed_package_adds_a_provider(tmp_path, monkeypatch):
    _install_fake_distribution(tmp_path, monkeypatch, """
        from trainmeuk_identity.providers import Provider, hookimpl

        class Okta(Provider):
            name = "fakeidp"
            display_name = "Fake IdP"
            button_label = "Fake IdP"

        @hookimpl
        def register_providers(registry):
            registry.add(Okta())
    """)
    pm = build_plugin_manager()
    assert plugin_distributions(pm)["fakeidp"] == "fakeidp-plugin"
    assert {p.name for p in build_provider_registry(pm)} == {"entra", "fakeidp"}


def test_a_plugin_that_fails_to_import_stops_start_up_naming_it(tmp_path, monkeypatch, database_url):
    _install_fake_distribution(tmp_path, monkeypatch, "import module_that_does_not_exist\n",
                               name="brokenidp")
    with pytest.raises(PluginLoadError) as excinfo:
        configure(make_settings(database_url))
    message = str(excinfo.value)
    assert "'brokenidp'" in message and "brokenidp-plugin" in message
    assert "module_that_does_not_exist" in message


def test_a_plugin_implementing_an_unknown_hook_is_refused():
    import pluggy

    class Misspelt:
        @hookimpl
        def user_provisoned(self, user):  # typo: no such hook
            pass

    with pytest.raises(pluggy.PluginValidationError):
        build_plugin_manager(extra=[Misspelt()])


def bare_plugin_manager(*plugins):
    """Our hookspecs and only the given plugins (no entry points)."""
    import pluggy

    from trainmeuk_identity.providers import hookspecs

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for plugin in plugins:
        pm.register(plugin)
    return pm


def test_event_hooks_fire_only_after_commit(app_settings):
    plugin = ThrowawayPlugin()
    pm = bare_plugin_manager(plugin)

    class FakeUser:  # the hook only reads user_name
        user_name = "committed@acme.example"

    tm = transaction.TransactionManager(explicit=True)
    with tm:
        notify_after_commit(tm, pm, "user_provisioned", tenant=None, user=FakeUser(),
                            provider=None, settings=app_settings)
        assert plugin.provisioned == []  # not before the commit
    assert plugin.provisioned == ["committed@acme.example"]

    tm.begin()
    notify_after_commit(tm, pm, "user_provisioned", tenant=None, user=FakeUser(),
                        provider=None, settings=app_settings)
    tm.abort()
    assert plugin.provisioned == ["committed@acme.example"]  # nothing for a rollback


def test_notify_refuses_an_unknown_hook_name():
    pm = bare_plugin_manager()
    tm = transaction.TransactionManager(explicit=True)
    with tm, pytest.raises(AttributeError):
        notify_after_commit(tm, pm, "user_provisoned")
        tm.abort()
