"""Moved to the contract test kit: :mod:`trainmeuk_identity.testing.factories`."""

from trainmeuk_identity.testing.factories import PASSWORD, Factory, unique_subdomain

__all__ = ["PASSWORD", "Factory", "unique_subdomain"]
