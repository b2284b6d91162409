"""Moved to the contract test kit: :mod:`trainmeuk_identity.testing.fake_oidc_realms`."""

from trainmeuk_identity.testing.fake_oidc_realms import (
    DEFAULT_MESSAGES,
    FakeClient,
    FakeIssuer,
    FakePerson,
    FakeRealm,
    Grant,
)

__all__ = ["DEFAULT_MESSAGES", "FakeClient", "FakeIssuer", "FakePerson", "FakeRealm", "Grant"]
