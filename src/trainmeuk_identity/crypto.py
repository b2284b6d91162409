"""Keys derived from TRAINMEUK_SECRET_KEYS, one per purpose, with rotation.

The first configured key signs and encrypts; every key still verifies and decrypts,
so a new key can be put first and the old one removed once nothing needs it. Each
purpose (session cookies, SSO state, stored client secrets) gets its own key derived
with HKDF, so a value made for one purpose is never accepted for another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["InvalidToken", "KeyRing", "hash_token", "new_token", "tokens_equal"]


def _derive(secret: str, purpose: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"trainmeuk-identity",
        info=purpose.encode(),
    )
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


class KeyRing:
    """Authenticated encryption (Fernet) for one purpose, over all configured keys."""

    def __init__(self, secrets_: Sequence[str], purpose: str) -> None:
        if not secrets_:
            raise ValueError("at least one secret key is required")
        self.purpose = purpose
        self._fernet = MultiFernet([Fernet(_derive(s, purpose)) for s in secrets_])

    def encrypt(self, plaintext: bytes) -> str:
        return self._fernet.encrypt(plaintext).decode("ascii")

    def decrypt(self, token: str | bytes, ttl: int | None = None) -> bytes:
        """Decrypt, refusing tampered values and, with ``ttl``, values older than it.

        Raises :class:`InvalidToken`.
        """
        if isinstance(token, str):
            token = token.encode("ascii", "ignore")
        return self._fernet.decrypt(token, ttl=ttl)

    def rotate(self, token: str) -> str:
        """Re-encrypt a stored value under the current first key."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")


def new_token(nbytes: int = 32) -> str:
    """A random bearer token (URL-safe, ``nbytes`` of entropy)."""
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """The stored form of a bearer token. Tokens are random, so no salt is needed."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
