"""Password hashing profiles: production hashes at the standard argon2 cost and refuses
the cheap test-only profile; hashes made at either cost verify under both."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY

from trainmeuk_identity.auth import passwords
from trainmeuk_identity.settings import ConfigurationError, load_settings, password_hashing

from ..support.app import make_settings

STRONG = "k3Yq9-Zp2LmX8vR4tN6wB1cD7fG5hJ0sUeA"
PRODUCTION = {"sqlalchemy.url": "sqlite://", "trainmeuk.secret_keys": STRONG,
              "trainmeuk.environment": "production", "mail.host": "smtp.example.com"}


def params(password_hash: str) -> str:
    return password_hash.split("$")[3]


def test_production_hashes_at_the_standard_cost():
    load_settings(PRODUCTION, environ={})
    assert password_hashing() == "standard"
    assert params(passwords.hash_password("a long password 42")) == "m=65536,t=3,p=4"
    standard = passwords.PROFILES["standard"]
    assert (standard.memory_cost, standard.time_cost, standard.parallelism) == (
        RFC_9106_LOW_MEMORY.memory_cost, RFC_9106_LOW_MEMORY.time_cost,
        RFC_9106_LOW_MEMORY.parallelism)


@pytest.mark.parametrize("how", ["ini", "environment"])
def test_production_refuses_the_testing_profile(how):
    ini = {**PRODUCTION, "trainmeuk.password_hashing": "testing"} if how == "ini" else PRODUCTION
    environ = {"TRAINMEUK_PASSWORD_HASHING": "testing"} if how == "environment" else {}
    with pytest.raises(ConfigurationError, match="test suite only"):
        load_settings(ini, environ=environ)


def test_an_unknown_profile_is_refused():
    with pytest.raises(ConfigurationError, match="must be one of standard, testing"):
        load_settings({**PRODUCTION, "trainmeuk.environment": "development",
                       "trainmeuk.password_hashing": "fast"}, environ={})


def test_the_test_settings_select_the_cheap_profile():
    load_settings(make_settings("sqlite://"), environ={})
    assert password_hashing() == "testing"
    assert params(passwords.hash_password("a long password 42")) == "m=8,t=1,p=1"


def test_a_hash_made_at_production_cost_verifies_under_either_profile():
    made_in_production = PasswordHasher().hash("a long password 42")
    for settings in (make_settings("sqlite://"), PRODUCTION):
        load_settings(settings, environ={})
        assert passwords.verify_password(made_in_production, "a long password 42")
        assert not passwords.verify_password(made_in_production, "a wrong password 42")
    assert not passwords.needs_rehash(made_in_production)  # production: nothing to redo


def test_a_hash_made_by_the_test_profile_is_rehashed_in_production():
    load_settings(make_settings("sqlite://"), environ={})
    cheap = passwords.hash_password("a long password 42")
    load_settings(PRODUCTION, environ={})
    assert passwords.verify_password(cheap, "a long password 42")
    assert passwords.needs_rehash(cheap)


def test_no_account_costs_a_verification_at_the_selected_cost():
    load_settings(make_settings("sqlite://"), environ={})
    assert not passwords.verify_password(None, "a long password 42")
    assert params(passwords._dummy_hash()) == "m=8,t=1,p=1"
