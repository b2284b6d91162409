"""id_token validation (joserfc): every check a careful relying party makes.

RS256 only; the key comes from the directory's JWKS by ``kid``; ``iss`` must be exactly
the connection's issuer (one of them, for a provider that documents several spellings),
``aud`` its client id, the provider's pinned claims (e.g. ``tid``) exact,
``exp``/``nbf``/``iat`` within a small leeway, and ``nonce`` the one
this browser's sign-in was started with.

JWKS are cached per directory in this process. A token naming a key id not in the
cache causes one refetch, so a genuine key rotation is picked up at once; the same
unknown key id causes no further fetch for a few minutes, so made-up key ids cannot make
us hammer the provider.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import Key, RSAKey

from ..providers.base import AuthorityError

ALGORITHM = "RS256"
LEEWAY_SECONDS = 120
JWKS_MAX_AGE_SECONDS = 24 * 60 * 60
UNKNOWN_KID_RETRY_SECONDS = 5 * 60


class TokenInvalid(Exception):
    """The id_token must not be accepted; ``detail`` says which check failed."""

    def __init__(self, check: str, detail: str) -> None:
        super().__init__(detail)
        self.check = check
        self.detail = detail


@dataclass
class _KeySetEntry:
    fetched_at: float
    keys: dict[str, Key]


@dataclass
class JwksCache:
    """Signing keys by JWKS URL, with the refetch rules above."""

    fetch: Callable[[str], dict[str, Any]]
    clock: Callable[[], float] = time.monotonic
    _sets: dict[str, _KeySetEntry] = field(default_factory=dict)
    _unknown_kid_fetches: dict[tuple[str, str], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def key_for(self, jwks_uri: str, kid: str) -> Key:
        with self._lock:
            now = self.clock()
            entry = self._sets.get(jwks_uri)
            if entry is not None and now - entry.fetched_at < JWKS_MAX_AGE_SECONDS and kid in entry.keys:
                return entry.keys[kid]
            if entry is not None and kid not in entry.keys:
                last = self._unknown_kid_fetches.get((jwks_uri, kid))
                if last is not None and now - last < UNKNOWN_KID_RETRY_SECONDS:
                    raise TokenInvalid("unknown_key", f"The token is signed with key {kid!r}, "
                                                      "which the directory does not publish.")
                self._forget_old_attempts(now)
                self._unknown_kid_fetches[(jwks_uri, kid)] = now
            entry = self._refresh(jwks_uri, entry, now)
            if kid not in entry.keys:
                raise TokenInvalid("unknown_key", f"The token is signed with key {kid!r}, which "
                                                  "the directory does not publish.")
            return entry.keys[kid]

    def _refresh(self, jwks_uri: str, old: _KeySetEntry | None, now: float) -> _KeySetEntry:
        try:
            document = self.fetch(jwks_uri)
        except AuthorityError:
            if old is not None:  # keep signing in with the keys we have
                return old
            raise
        keys: dict[str, Key] = {}
        for data in document.get("keys") or []:
            if not isinstance(data, dict) or data.get("kty") != "RSA" or not data.get("kid"):
                continue
            if data.get("use", "sig") != "sig":
                continue
            try:
                keys[str(data["kid"])] = RSAKey.import_key(
                    {k: v for k, v in data.items() if k in {"kty", "n", "e", "kid", "use"}})
            except (JoseError, ValueError):
                continue
        entry = _KeySetEntry(fetched_at=now, keys=keys)
        self._sets[jwks_uri] = entry
        return entry

    def _forget_old_attempts(self, now: float) -> None:
        stale = [k for k, at in self._unknown_kid_fetches.items() if now - at >= UNKNOWN_KID_RETRY_SECONDS]
        for key in stale:
            del self._unknown_kid_fetches[key]


def validate_id_token(id_token: str, *, jwks: JwksCache, jwks_uri: str, issuers: Sequence[str],
                      client_id: str, nonce: str, pinned: Mapping[str, Any],
                      now: int | None = None) -> dict[str, Any]:
    """The validated claims, or TokenInvalid. ``iss`` must be exactly one of ``issuers``."""
    accepted = list(issuers)
    if not accepted:
        raise ValueError("validate_id_token needs the issuer(s) to accept")
    if not isinstance(id_token, str) or not id_token:
        raise TokenInvalid("missing", "The provider's token response has no id_token.")
    try:
        header = jws.extract_compact(id_token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeError):
        raise TokenInvalid("malformed", "The id_token is not a signed JWT.") from None
    if header.get("alg") != ALGORITHM:
        raise TokenInvalid("algorithm", f"The id_token uses algorithm {header.get('alg')!r}; "
                                        f"only {ALGORITHM} is accepted.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenInvalid("unknown_key", "The id_token names no signing key (kid).")
    key = jwks.key_for(jwks_uri, kid)
    try:
        token = jwt.decode(id_token, key, algorithms=[ALGORITHM])
    except BadSignatureError:
        raise TokenInvalid("signature", "The id_token's signature is not valid.") from None
    except (JoseError, ValueError):
        raise TokenInvalid("malformed", "The id_token could not be decoded.") from None
    claims = dict(token.claims)

    if "iss" in claims and not isinstance(claims["iss"], str):  # one issuer, never a list
        raise TokenInvalid("wrong_iss", _wrong("iss", claims["iss"]))
    options: dict[str, Any] = {
        "iss": {"essential": True, "values": accepted},
        "aud": {"essential": True, "value": client_id},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    for name, value in pinned.items():
        options[name] = {"essential": True, "value": value}
    registry = jwt.JWTClaimsRegistry(now=now, leeway=LEEWAY_SECONDS, **options)
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise TokenInvalid("expired", "The id_token has expired.") from None
    except MissingClaimError as exc:
        raise TokenInvalid("missing_claim", f"The id_token lacks {exc.claim}.") from None
    except InvalidClaimError as exc:
        raise TokenInvalid(f"wrong_{exc.claim}", _wrong(exc.claim, claims.get(exc.claim))) from None
    aud = claims["aud"]
    if isinstance(aud, list) and (len(aud) != 1 and claims.get("azp") != client_id):
        raise TokenInvalid("wrong_aud", "The id_token is also meant for other applications.")
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not token_nonce:
        raise TokenInvalid("missing_nonce", "The id_token carries no nonce.")
    if not hmac.compare_digest(token_nonce.encode(), nonce.encode()):
        raise TokenInvalid("wrong_nonce", "The id_token was issued for another sign-in (nonce).")
    return claims


def _wrong(claim: str, value: Any) -> str:
    what = {"iss": "issuer", "aud": "audience", "tid": "directory (tid)", "nbf": "not-before time",
            "iat": "issue time"}.get(claim, claim)
    return f"The id_token's {what} is not the expected one (got {value!r})."
