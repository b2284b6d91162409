"""id_token validation and the JWKS cache, without HTTP."""

from __future__ import annotations

import time

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from trainmeuk_identity.providers.base import AuthorityError
from trainmeuk_identity.sso.tokens import (
    LEEWAY_SECONDS,
    UNKNOWN_KID_RETRY_SECONDS,
    JwksCache,
    TokenInvalid,
    validate_id_token,
)

ISSUER = "https://login.example/tid-1/v2.0"
CLIENT = "client-1"
NONCE = "n-0123456789"


# The directory's first key, made once (an RSA key costs ~0.1 s to make).
K1 = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})


class Keys:
    """A JWKS endpoint in memory that counts its fetches."""

    def __init__(self) -> None:
        self.keys = [K1]
        self.fetches = 0
        self.fail = False

    def __call__(self, url: str) -> dict:
        self.fetches += 1
        if self.fail:
            raise AuthorityError("down", unreachable=True)
        return {"keys": [k.as_dict(private=False) for k in self.keys]}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def claims(**over):
    now = int(time.time())
    base = {"iss": ISSUER, "aud": CLIENT, "iat": now, "nbf": now, "exp": now + 600,
            "nonce": NONCE, "tid": "tid-1", "oid": "oid-1", "ver": "2.0"}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def token(key: RSAKey, **over) -> str:
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims(**over), key)


def check(tok: str, cache: JwksCache, **kw):
    args = {"jwks": cache, "jwks_uri": "u", "issuers": (ISSUER,), "client_id": CLIENT, "nonce": NONCE,
            "pinned": {"tid": "tid-1", "ver": "2.0"}}
    args.update(kw)
    return validate_id_token(tok, **args)


def test_a_good_token_passes_and_keys_are_cached():
    keys = Keys()
    cache = JwksCache(fetch=keys)
    assert check(token(keys.keys[0]), cache)["oid"] == "oid-1"
    check(token(keys.keys[0]), cache)
    assert keys.fetches == 1


@pytest.mark.parametrize("over,reason", [
    ({"iss": "https://login.example/tid-2/v2.0"}, "wrong_iss"),
    ({"tid": "tid-2"}, "wrong_tid"),
    ({"aud": "client-2"}, "wrong_aud"),
    ({"aud": ["client-1", "client-2"]}, "wrong_aud"),
    ({"ver": "1.0"}, "wrong_ver"),
    ({"nonce": "other"}, "wrong_nonce"),
    ({"nonce": None}, "missing_nonce"),
    ({"exp": -LEEWAY_SECONDS - 5}, "expired"),  # times: seconds from now, at run time
    ({"nbf": LEEWAY_SECONDS + 60}, "wrong_nbf"),
    ({"iat": LEEWAY_SECONDS + 60}, "wrong_iat"),
    ({"iat": None}, "missing_claim"),
    ({"tid": None}, "missing_claim"),
])
def test_each_claim_is_pinned(over, reason):
    keys = Keys()
    over = {k: (int(time.time()) + v if k in {"exp", "nbf", "iat"} and v is not None else v)
            for k, v in over.items()}
    with pytest.raises(TokenInvalid) as caught:
        check(token(keys.keys[0], **over), JwksCache(fetch=keys))
    assert caught.value.check == reason


def test_expiry_has_a_small_leeway():
    keys = Keys()
    assert check(token(keys.keys[0], exp=int(time.time()) - 30), JwksCache(fetch=keys))


def test_a_tampered_signature_is_refused():
    keys = Keys()
    head, _body, sig = token(keys.keys[0]).split(".")
    other = token(keys.keys[0], oid="oid-2").split(".")[1]
    with pytest.raises(TokenInvalid) as caught:
        check(f"{head}.{other}.{sig}", JwksCache(fetch=keys))
    assert caught.value.check == "signature"


def test_garbage_is_refused():
    with pytest.raises(TokenInvalid):
        check("not.a.jwt", JwksCache(fetch=Keys()))
    with pytest.raises(TokenInvalid):
        check("", JwksCache(fetch=Keys()))


def test_rotation_is_picked_up_at_once_and_unknown_kids_are_throttled():
    keys, clock = Keys(), Clock()
    cache = JwksCache(fetch=keys, clock=clock)
    check(token(keys.keys[0]), cache)
    new = RSAKey.generate_key(2048, parameters={"kid": "k2", "use": "sig"})
    keys.keys.append(new)
    check(token(new), cache)  # unknown kid -> one refetch -> found
    assert keys.fetches == 2
    forged = RSAKey.generate_key(2048, parameters={"kid": "k-forged"})
    for _ in range(5):
        with pytest.raises(TokenInvalid):
            check(token(forged), cache)
    assert keys.fetches == 3  # one refetch for the forged kid, then none
    clock.now += UNKNOWN_KID_RETRY_SECONDS + 1
    with pytest.raises(TokenInvalid):
        check(token(forged), cache)
    assert keys.fetches == 4
    check(token(new), cache)  # known keys need no fetch
    assert keys.fetches == 4


def test_known_keys_survive_an_unreachable_authority():
    keys, clock = Keys(), Clock()
    cache = JwksCache(fetch=keys, clock=clock)
    check(token(keys.keys[0]), cache)
    keys.fail = True
    clock.now += 2 * 24 * 3600  # stale: a refetch is tried and fails
    assert check(token(keys.keys[0]), cache)
