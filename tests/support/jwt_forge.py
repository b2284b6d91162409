"""Moved to the contract test kit: :mod:`trainmeuk_identity.testing.jwt_forge`."""

from trainmeuk_identity.testing.jwt_forge import b64url, new_key, sign

__all__ = ["b64url", "new_key", "sign"]
