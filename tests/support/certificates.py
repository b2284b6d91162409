"""Moved to the contract test kit: :mod:`trainmeuk_identity.testing.certificates`."""

from trainmeuk_identity.testing.certificates import CertificateAuthority

__all__ = ["CertificateAuthority"]
