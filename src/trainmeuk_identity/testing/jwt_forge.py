"""Signing id_tokens as an identity provider does, and forging them as an attacker would,
for the fake authorities (``fake_oidc.py`` and the provider-shaped fakes in tests)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

# RSA private keys that new_key hands out in turn, each time with a fresh kid.
KEY_POOL_SIZE = 6
_KEY_MATERIAL: list[Any] = []
_key_slots = itertools.cycle(range(KEY_POOL_SIZE))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_key() -> RSAKey:
    """A signing key with a key id of its own. Making an RSA key costs ~0.1 s and a test
    run needs about a hundred, so the key material comes round from a small pool: keys
    are told apart by ``kid`` (the app takes a token's key from the authority's JWKS by
    ``kid``, and no authority publishes two of one material)."""
    slot = next(_key_slots)
    if slot >= len(_KEY_MATERIAL):
        _KEY_MATERIAL.append(RSAKey.generate_key(2048).raw_value)
    return RSAKey.import_key(_KEY_MATERIAL[slot], parameters={"kid": secrets.token_hex(8), "use": "sig"})


def sign(claims: dict[str, Any], key: RSAKey, *, algorithm: str = "RS256",
         header_overrides: dict[str, Any] | None = None, unsigned: bool = False,
         hs256_with_public_key: bool = False, tamper_payload: bool = False) -> str:
    """``claims`` as a compact JWT signed with ``key`` (``kid`` in the header), or forged:
    ``unsigned`` (alg ``none``), ``hs256_with_public_key`` (the RS256/HS256 key
    confusion), another RS/PS ``algorithm``, or ``tamper_payload`` (the claims changed
    after signing, the signature kept)."""
    if unsigned:
        header = {"alg": "none", "typ": "JWT", "kid": key.kid}
        return b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode()) + "."
    if hs256_with_public_key:
        header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        mac = hmac.new(key.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + b64url(mac)
    header = {"alg": algorithm, "typ": "JWT", "kid": key.kid, **(header_overrides or {})}
    token = jwt.encode(header, claims, key, algorithms=[algorithm])
    if tamper_payload:
        head, _, signature = token.split(".")
        changed = {**claims, "sub": secrets.token_hex(8)}
        token = ".".join((head, b64url(json.dumps(changed).encode()), signature))
    return token
