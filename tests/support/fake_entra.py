"""A fake Microsoft Entra ID authority: a real HTTP server on loopback.

Serves, per directory (tenant id): discovery ``/{tid}/v2.0/.well-known/openid-configuration``,
JWKS ``/{tid}/discovery/v2.0/keys``, authorize ``/{tid}/oauth2/v2.0/authorize`` and token
``/{tid}/oauth2/v2.0/token``, with Entra's claims (oid, tid, preferred_username, email,
name, ver 2.0) in RS256-signed id_tokens and Entra-style AADSTS errors. A test registers
directories, apps and people, picks who signs in and how it goes wrong, and reads
counters of what the app fetched.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from joserfc.jwk import RSAKey

from trainmeuk_identity.testing import jwt_forge
from trainmeuk_identity.testing.fake_http import Answer, FakeHttpService
from trainmeuk_identity.testing.jwt_forge import b64url as _b64


def new_guid() -> str:
    return str(uuid.uuid4())


@dataclass
class FakeUser:
    oid: str
    preferred_username: str
    email: str | None
    name: str


@dataclass
class FakeApp:
    client_id: str
    secrets: set[str]
    redirect_uris: set[str] = field(default_factory=set)
    expired_secrets: set[str] = field(default_factory=set)


@dataclass
class FakeDirectory:
    tid: str
    apps: dict[str, FakeApp] = field(default_factory=dict)
    users: dict[str, FakeUser] = field(default_factory=dict)
    keys: list[RSAKey] = field(default_factory=list)  # published; keys[-1] signs


@dataclass
class Grant:
    tid: str
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    user: FakeUser
    redeemed: bool = False


class FakeEntra(FakeHttpService):
    def __init__(self) -> None:
        super().__init__()
        self.directories: dict[str, FakeDirectory] = {}
        self.grants: dict[str, Grant] = {}
        self.counts: Counter[str] = Counter()
        # What the next authorize request does (set by tests; reset after use):
        self.next_user: dict[str, FakeUser] = {}  # tid -> who signs in
        self.authorize_error: dict[str, str] | None = None  # query params sent back instead
        # Changes to the next id_token: claim overrides, header overrides, signing key.
        self.claim_overrides: dict[str, Any] = {}
        self.drop_claims: set[str] = set()
        self.header_overrides: dict[str, Any] = {}
        self.sign_with: RSAKey | None = None
        self.unsigned = False  # alg "none"
        self.hs256_with_public_key = False  # the classic RS256/HS256 key confusion
        self.token_lifetime = 3600
        self.issued_at_offset = 0
        self.last_authorize: dict[str, str] = {}

    # --- set-up -------------------------------------------------------------------------
    def add_directory(self, tid: str | None = None) -> FakeDirectory:
        directory = FakeDirectory(tid=tid or new_guid())
        directory.keys.append(self.new_key())
        self.directories[directory.tid] = directory
        return directory

    # A signing key with a fresh kid, its material from a small pool (jwt_forge.new_key).
    new_key = staticmethod(jwt_forge.new_key)

    def add_app(self, directory: FakeDirectory, redirect_uris: set[str] | None = None) -> tuple[FakeApp, str]:
        secret = secrets.token_urlsafe(30).replace("-", "~")
        app = FakeApp(client_id=new_guid(), secrets={secret}, redirect_uris=set(redirect_uris or ()))
        directory.apps[app.client_id] = app
        return app, secret

    def add_user(self, directory: FakeDirectory, email: str, name: str = "Sam Staff",
                 preferred_username: str | None = None) -> FakeUser:
        user = FakeUser(oid=new_guid(), preferred_username=preferred_username or email,
                        email=email, name=name)
        directory.users[user.oid] = user
        return user

    def rotate_keys(self, directory: FakeDirectory, keep_old: bool = True) -> RSAKey:
        key = self.new_key()
        directory.keys = (directory.keys if keep_old else []) + [key]
        return key

    def sign_in_as(self, directory: FakeDirectory, user: FakeUser) -> None:
        self.next_user[directory.tid] = user

    def reset_tweaks(self) -> None:
        self.authorize_error = None
        self.claim_overrides, self.drop_claims, self.header_overrides = {}, set(), {}
        self.sign_with, self.unsigned, self.issued_at_offset, self.down = None, False, 0, False
        self.hs256_with_public_key = False

    # --- tokens ---------------------------------------------------------------------------
    def id_token(self, directory: FakeDirectory, grant: Grant) -> str:
        now = int(time.time()) + self.issued_at_offset
        user = grant.user
        claims: dict[str, Any] = {
            "aud": grant.client_id, "iss": f"{self.url}/{directory.tid}/v2.0",
            "iat": now, "nbf": now, "exp": now + self.token_lifetime,
            "name": user.name, "oid": user.oid, "preferred_username": user.preferred_username,
            "sub": _b64(hashlib.sha256((user.oid + grant.client_id).encode()).digest()),
            "tid": directory.tid, "ver": "2.0", "uti": secrets.token_urlsafe(16), "rh": "0.A",
        }
        if user.email:
            claims["email"] = user.email
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        claims.update(self.claim_overrides)
        for name in self.drop_claims:
            claims.pop(name, None)
        return jwt_forge.sign(claims, self.sign_with or directory.keys[-1],
                              header_overrides=self.header_overrides, unsigned=self.unsigned,
                              hs256_with_public_key=self.hs256_with_public_key)

    # --- HTTP -----------------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict[str, str], form: dict[str, str],
               headers: Any) -> Answer:
        segments = path.strip("/").split("/")
        tid, rest = segments[0], "/".join(segments[1:])
        routes: dict[tuple[str, str], Callable[..., Answer]] = {
            ("GET", "v2.0/.well-known/openid-configuration"): self._discovery,
            ("GET", "discovery/v2.0/keys"): self._jwks,
            ("GET", "oauth2/v2.0/authorize"): self._authorize,
            ("POST", "oauth2/v2.0/token"): self._token,
        }
        route = routes.get((method, rest))
        if route is None:
            return 404, {"error": "not_found"}, {}
        return route(tid, query, form)

    def _error(self, status: int, error: str, code: int, text: str) -> Answer:
        return status, {"error": error, "error_description": f"AADSTS{code}: {text} Trace ID: "
                        f"{new_guid()} Correlation ID: {new_guid()} Timestamp: 2026-12-01 00:00:00Z",
                        "error_codes": [code], "timestamp": "2026-12-01 00:00:00Z",
                        "trace_id": new_guid(), "correlation_id": new_guid()}, {}

    def _discovery(self, tid: str, query: dict[str, str], form: dict[str, str]) -> Answer:
        self.counts["discovery"] += 1
        if tid not in self.directories:
            return self._error(400, "invalid_tenant", 90002, f"Tenant '{tid}' not found.")
        base = f"{self.url}/{tid}"
        return 200, {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "oid", "tid", "ver",
                                 "preferred_username", "email", "name"],
            "tenant_region_scope": "EU", "cloud_instance_name": "microsoftonline.com",
            "msgraph_host": "graph.microsoft.com",
        }, {}

    def _jwks(self, tid: str, query: dict[str, str], form: dict[str, str]) -> Answer:
        self.counts["jwks"] += 1
        directory = self.directories.get(tid)
        if directory is None:
            return self._error(400, "invalid_tenant", 90002, f"Tenant '{tid}' not found.")
        return 200, {"keys": [dict(k.as_dict(private=False), x5t=k.kid, issuer=f"{self.url}/{tid}/v2.0")
                              for k in directory.keys]}, {}

    def _authorize(self, tid: str, query: dict[str, str], form: dict[str, str]) -> Answer:
        self.counts["authorize"] += 1
        self.last_authorize = dict(query)
        directory = self.directories.get(tid)
        if directory is None:
            return 400, "AADSTS90002: Tenant not found.", {}
        app = directory.apps.get(query.get("client_id", ""))
        if app is None:  # Microsoft shows these on its own page and never redirects back
            return 400, (f"AADSTS700016: Application with identifier '{query.get('client_id')}' "
                         "was not found in the directory."), {}
        redirect_uri = query.get("redirect_uri", "")
        if redirect_uri not in app.redirect_uris:
            return 400, "AADSTS50011: The redirect URI specified in the request does not match.", {}
        back: dict[str, str] = {"state": query.get("state", "")} if "state" in query else {}
        if self.authorize_error is not None:
            back.update(self.authorize_error)
            self.authorize_error = None
        else:
            user = self.next_user.pop(tid, None)
            if user is None:
                return 200, "<html><body>Pick an account (no user chosen by the test)</body></html>", {}
            if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                return 400, "AADSTS9002325: Proof Key for Code Exchange is required.", {}
            code = secrets.token_urlsafe(48)
            self.grants[code] = Grant(tid=tid, client_id=app.client_id, redirect_uri=redirect_uri,
                                      challenge=query["code_challenge"], nonce=query.get("nonce"),
                                      user=user)
            back["code"] = code
            back["session_state"] = new_guid()
        if query.get("response_mode", "query") != "query":
            return 400, "response_mode other than query is not used by this fake", {}
        return 302, "", {"Location": f"{redirect_uri}?{urlencode(back)}"}

    def _token(self, tid: str, query: dict[str, str], form: dict[str, str]) -> Answer:
        self.counts["token"] += 1
        directory = self.directories.get(tid)
        if directory is None:
            return self._error(400, "invalid_request", 90002, f"Tenant '{tid}' not found.")
        app = directory.apps.get(form.get("client_id", ""))
        if app is None:
            return self._error(400, "unauthorized_client", 700016,
                               f"Application with identifier '{form.get('client_id')}' was not "
                               f"found in the directory '{tid}'.")
        secret = form.get("client_secret", "")
        if secret in app.expired_secrets:
            return self._error(401, "invalid_client", 7000222, "The provided client secret keys are expired.")
        if secret not in app.secrets:
            return self._error(401, "invalid_client", 7000215, "Invalid client secret provided. "
                               "Ensure the secret being sent in the request is the client secret "
                               "value, not the client secret ID.")
        grant_type = form.get("grant_type")
        if grant_type == "client_credentials":
            return 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                         "access_token": secrets.token_urlsafe(40)}, {}
        if grant_type != "authorization_code":
            return self._error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        grant = self.grants.get(form.get("code", ""))
        if grant is None or grant.tid != tid or grant.client_id != app.client_id:
            return self._error(400, "invalid_grant", 70008, "The provided authorization code or "
                               "refresh token has expired due to inactivity.")
        if grant.redeemed:
            return self._error(400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed.")
        if form.get("redirect_uri") != grant.redirect_uri:
            return self._error(400, "invalid_grant", 50011, "The redirect URI does not match.")
        verifier = form.get("code_verifier", "")
        if _b64(hashlib.sha256(verifier.encode()).digest()) != grant.challenge:
            return self._error(400, "invalid_grant", 501481, "The Code_Verifier does not match "
                               "the code_challenge supplied in the authorization request.")
        grant.redeemed = True
        return 200, {"token_type": "Bearer", "scope": "openid profile email", "expires_in": 3599,
                     "access_token": secrets.token_urlsafe(40),
                     "id_token": self.id_token(self.directories[tid], grant)}, {}
