from __future__ import annotations

import pytest

from trainmeuk_identity.settings import ConfigurationError, load_settings

STRONG = "k3Yq9-Zp2LmX8vR4tN6wB1cD7fG5hJ0sUeA"


def base(**extra):
    return {"sqlalchemy.url": "sqlite://", "trainmeuk.secret_keys": STRONG, **extra}


def test_environment_overrides_the_ini():
    settings = load_settings(base(), environ={
        "TRAINMEUK_DATABASE_URL": "postgresql+psycopg://u@db:5432/x",
        "TRAINMEUK_BASE_DOMAIN": "Example.COM",
        "TRAINMEUK_SECRET_KEYS": f"{STRONG}, old-key-still-decrypts-0123456789abcdef",
        "TRAINMEUK_MAIL_HOST": "smtp.example.com",
    })
    assert settings["sqlalchemy.url"] == "postgresql+psycopg://u@db:5432/x"
    assert settings["trainmeuk.base_domain"] == "example.com"
    assert settings["trainmeuk.secret_keys"] == [STRONG, "old-key-still-decrypts-0123456789abcdef"]
    assert settings["mail.host"] == "smtp.example.com"


def test_defaults():
    settings = load_settings(base(), environ={})
    assert settings["trainmeuk.cookie_secure"] is False


def test_missing_secret_keys_fail_with_a_clear_message():
    with pytest.raises(ConfigurationError, match="TRAINMEUK_SECRET_KEYS"):
        load_settings({"sqlalchemy.url": "sqlite://"}, environ={})


def test_missing_database_fails_with_a_clear_message():
    with pytest.raises(ConfigurationError, match="TRAINMEUK_DATABASE_URL"):
        load_settings({"trainmeuk.secret_keys": STRONG}, environ={})


@pytest.mark.parametrize("weak", [
    "short",
    "dev-only-insecure-key-0123456789abcdef-do-not-use-in-production",
    "a" * 40,
])
def test_production_refuses_weak_secrets(weak):
    with pytest.raises(ConfigurationError, match="too weak"):
        load_settings(base(**{"trainmeuk.environment": "production", "mail.host": "smtp.x"}),
                      environ={"TRAINMEUK_SECRET_KEYS": weak})


def test_production_needs_a_mail_server():
    with pytest.raises(ConfigurationError, match="TRAINMEUK_MAIL_HOST"):
        load_settings(base(**{"trainmeuk.environment": "production"}), environ={})
    load_settings(base(**{"trainmeuk.environment": "production"}),
                  environ={"TRAINMEUK_MAIL_HOST": "smtp.example.com"})


def test_production_ini_holds_no_secret_and_starts_only_with_the_environment():
    from pathlib import Path

    from pyramid.paster import get_appsettings

    ini = Path(__file__).resolve().parents[2] / "production.ini"
    raw = get_appsettings(str(ini))
    assert "trainmeuk.secret_keys" not in raw and "sqlalchemy.url" not in raw
    assert "mail.password" not in raw
    with pytest.raises(ConfigurationError):
        load_settings(raw, environ={})
    settings = load_settings(raw, environ={
        "TRAINMEUK_DATABASE_URL": "postgresql+psycopg://u@db/x",
        "TRAINMEUK_SECRET_KEYS": STRONG,
        "TRAINMEUK_MAIL_HOST": "smtp.example.com",
    })
    assert settings["trainmeuk.cookie_secure"] is True
