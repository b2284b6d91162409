"""Moved to the contract test kit: :mod:`trainmeuk_identity.testing.fake_oidc`."""

from trainmeuk_identity.testing.fake_oidc import (
    FakeClient,
    FakeIssuer,
    FakeOidcServer,
    FakePerson,
    FakeRealm,
    new_key,
)

__all__ = ["FakeClient", "FakeIssuer", "FakeOidcServer", "FakePerson", "FakeRealm", "new_key"]
