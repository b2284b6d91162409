"""A provider's own application settings: ``trainmeuk.<provider>.<name>`` in the ini,
``TRAINMEUK_<PROVIDER>_<NAME>`` in the environment (which wins), an older key as an
alias, else the default; checked once at start-up."""

from __future__ import annotations

from typing import ClassVar

import pytest

from trainmeuk_identity.providers import AppSetting, Provider, ProviderRegistry
from trainmeuk_identity.providers.entra import EntraProvider
from trainmeuk_identity.providers.registry import provider_app_settings
from trainmeuk_identity.settings import ConfigurationError


class Tiny(Provider):
    name: ClassVar[str] = "tiny_idp"
    display_name: ClassVar[str] = "Tiny IdP"
    button_label: ClassVar[str] = "Tiny"
    app_settings: ClassVar[tuple[AppSetting, ...]] = (
        AppSetting("host", default="https://tiny.example", aliases=("trainmeuk.tiny_host",),
                   validate=lambda v: None if v.startswith("https://") else "must be an https URL"),
        AppSetting("region", default="eu"),
    )


def resolved(settings, environ):
    registry = ProviderRegistry()
    registry.add(Tiny())
    registry.add(EntraProvider())
    return provider_app_settings(registry, settings, environ)


def test_defaults_and_their_keys():
    values = resolved({}, {})
    assert values == {"trainmeuk.tiny_idp.host": "https://tiny.example",
                      "trainmeuk.tiny_idp.region": "eu",
                      "trainmeuk.entra.authority": "https://login.microsoftonline.com"}


def test_ini_then_alias_then_environment():
    assert resolved({"trainmeuk.tiny_host": "https://old.example"}, {})[
        "trainmeuk.tiny_idp.host"] == "https://old.example"
    both = {"trainmeuk.tiny_host": "https://old.example", "trainmeuk.tiny_idp.host": "https://new.example"}
    assert resolved(both, {})["trainmeuk.tiny_idp.host"] == "https://new.example"
    assert resolved(both, {"TRAINMEUK_TINY_IDP_HOST": "https://env.example"})[
        "trainmeuk.tiny_idp.host"] == "https://env.example"


def test_entra_authority_keeps_its_old_ini_key_and_variable():
    old = {"trainmeuk.entra_authority": "https://login.microsoftonline.us"}
    assert resolved(old, {})["trainmeuk.entra.authority"] == "https://login.microsoftonline.us"
    env = {"TRAINMEUK_ENTRA_AUTHORITY": "https://login.chinacloudapi.cn/"}
    assert resolved(old, env)["trainmeuk.entra.authority"] == "https://login.chinacloudapi.cn/"
    # The provider reads it from the application settings, trailing slash or not.
    provider = EntraProvider()
    assert provider.authority(resolved(old, env)) == "https://login.chinacloudapi.cn"
    assert provider.authority({}) == "https://login.microsoftonline.com"


def test_a_bad_value_stops_start_up_naming_the_setting_and_variable():
    with pytest.raises(ConfigurationError, match=r"trainmeuk\.tiny_idp\.host \(TRAINMEUK_TINY_IDP_HOST\)"):
        resolved({"trainmeuk.tiny_idp.host": "ftp://x"}, {})


def test_an_undeclared_setting_is_a_programming_error():
    with pytest.raises(KeyError, match="no application setting 'colour'"):
        Tiny().app_setting({}, "colour")


def test_a_token_endpoint_authentication_method_core_cannot_use_stops_start_up():
    from trainmeuk_identity.providers import PluginLoadError

    class Jwt(Tiny):
        name: ClassVar[str] = "jwt_idp"
        token_endpoint_auth_method = "private_key_jwt"

    with pytest.raises(PluginLoadError, match="token_endpoint_auth_method must be one of "
                                              "client_secret_basic, client_secret_post"):
        ProviderRegistry().add(Jwt())


def test_short_and_directory_names_follow_the_display_name_unless_set():
    class Renamed(Tiny):
        display_name: ClassVar[str] = "Renamed IdP"

    class Own(Tiny):
        short_name: ClassVar[str] = "Own"

    class OwnChild(Own):
        display_name: ClassVar[str] = "Own Child"

    assert (Tiny.short_name, Tiny.directory_name) == ("Tiny IdP", "Tiny IdP")
    assert (Renamed.short_name, Renamed.directory_name) == ("Renamed IdP", "Renamed IdP")
    assert (OwnChild.short_name, OwnChild.directory_name) == ("Own", "Own Child")
    assert (EntraProvider.short_name, EntraProvider.directory_name) == ("Entra", "Microsoft 365")
