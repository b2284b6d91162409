"""A fake OpenID Connect authority: a real HTTPS server on loopback signing real JWTs.

Generic over providers: a test (or a provider-shaped subclass in a plugin's tests) adds
*realms* (a directory of people and client registrations: an organisation's directory, a
Workspace) and *issuers* on them, each at a URL path of its own with its
discovery document, JWKS (RS256), authorize and token endpoints. The server

- redirects back from ``authorize`` with ``code`` and ``state`` (or with the error a
  test asks for), and insists on PKCE (S256) and a registered redirect URI;
- at ``token`` authenticates the client by the method it was registered with
  (``client_secret_basic`` or ``client_secret_post``; both at once is refused), checks
  the code, the redirect URI and the PKCE verifier, and hands out a signed id_token;
- can be told to forge the next id_token (claims changed or dropped, another key, alg
  ``none``, HS256 with the public key, another RS algorithm, times shifted).

Certificates come from a :class:`~.certificates.CertificateAuthority` made for the
test run; the app trusts it through ``SSL_CERT_FILE``. Error descriptions are plain
OAuth ones unless the configuration supplies the provider's own wording.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlencode

from joserfc.jwk import RSAKey

from .certificates import CertificateAuthority
from .fake_http import Answer, FakeHttpService
from .fake_oidc_realms import (
    DEFAULT_MESSAGES,
    FakeClient,
    FakeIssuer,
    FakePerson,
    FakeRealm,
    Grant,
)
from .jwt_forge import b64url, new_key, sign

__all__ = ["FakeClient", "FakeIssuer", "FakeOidcServer", "FakePerson", "FakeRealm", "new_key"]


class FakeOidcServer(FakeHttpService):
    def __init__(self, ca: CertificateAuthority | None = None,
                 messages: dict[str, str] | None = None) -> None:
        super().__init__(ca)
        self.messages = {**DEFAULT_MESSAGES, **(messages or {})}
        self.routes: dict[tuple[str, str], tuple[FakeIssuer, str]] = {}
        self.grants: dict[str, Grant] = {}
        self.counts: Counter[str] = Counter()
        self.next_person: dict[str, FakePerson] = {}  # realm name -> who signs in next
        self.last_authorize: dict[str, str] = {}
        self.last_token_request: dict[str, Any] = {}
        self.reset_tweaks()

    # --- set-up -------------------------------------------------------------------------
    def add_issuer(self, path: str, realm: FakeRealm, *, endpoints: dict[str, str],
                   discovery: str | None = None,
                   extra_claims: Callable[[FakePerson, FakeClient], dict[str, Any]] | None = None,
                   ) -> FakeIssuer:
        """An issuer at ``self.url + path``; ``endpoints`` and ``discovery`` are URL paths
        (discovery defaults to ``path + "/.well-known/openid-configuration"``)."""
        issuer = FakeIssuer(path=path, realm=realm, endpoints=dict(endpoints),
                            keys=[new_key()], extra_claims=extra_claims, url=self.url + path)
        self.routes[("GET", discovery or f"{path}/.well-known/openid-configuration")] = (issuer, "discovery")
        self.routes[("GET", endpoints["jwks"])] = (issuer, "jwks")
        self.routes[("GET", endpoints["authorize"])] = (issuer, "authorize")
        self.routes[("POST", endpoints["token"])] = (issuer, "token")
        return issuer

    def add_client(self, realm: FakeRealm, redirect_uris: set[str] | None = None, *,
                   auth_method: str = "client_secret_basic", client_id: str | None = None,
                   grant_types: tuple[str, ...] = ("authorization_code",)) -> tuple[FakeClient, str]:
        secret = secrets.token_urlsafe(30)
        client = FakeClient(client_id=client_id or "0oa" + secrets.token_hex(8), secrets={secret},
                            redirect_uris=set(redirect_uris or ()), auth_method=auth_method,
                            grant_types=grant_types)
        realm.clients[client.client_id] = client
        return client, secret

    def add_person(self, realm: FakeRealm, email: str | None, *, name: str = "Sam Staff",
                   email_verified: bool = True, sub: str | None = None) -> FakePerson:
        person = FakePerson(sub=sub or "00u" + secrets.token_hex(8), email=email, name=name,
                            email_verified=email_verified, preferred_username=email)
        realm.people[person.sub] = person
        return person

    def sign_in_as(self, realm: FakeRealm, person: FakePerson) -> None:
        self.next_person[realm.name] = person

    def rotate_keys(self, issuer: FakeIssuer, keep_old: bool = True) -> RSAKey:
        key = new_key()
        issuer.keys = (issuer.keys if keep_old else []) + [key]
        return key

    def reset_tweaks(self) -> None:
        """Forget every instruction to misbehave (after each test)."""
        self.authorize_error: dict[str, str] | None = None  # query params sent back instead
        self.claim_overrides: dict[str, Any] = {}
        self.drop_claims: set[str] = set()
        self.header_overrides: dict[str, Any] = {}
        self.sign_with: RSAKey | None = None  # a key the issuer does not publish
        self.algorithm = "RS256"  # another RS/PS algorithm, signed with the right key
        self.unsigned = False  # alg "none"
        self.hs256_with_public_key = False  # the RS256/HS256 key confusion
        self.tamper_payload = False  # claims changed after signing
        self.issued_at_offset = 0
        self.token_lifetime = 3600
        self.swap_challenge = False  # the next grant remembers another PKCE challenge
        self.metadata_overrides: dict[str, Any] = {}  # changes to every discovery document
        self.down = False  # every endpoint answers 503

    # --- tokens ---------------------------------------------------------------------------
    def id_token(self, grant: Grant, client: FakeClient) -> str:
        issuer, person = grant.issuer, grant.person
        now = int(time.time()) + self.issued_at_offset
        claims: dict[str, Any] = {
            "iss": issuer.url, "sub": person.sub, "aud": client.client_id,
            "iat": now, "exp": now + self.token_lifetime, "auth_time": now - 5,
            "jti": "ID." + secrets.token_urlsafe(20), "name": person.name,
            "email_verified": person.email_verified,
        }
        for name in ("email", "given_name", "family_name", "preferred_username"):
            value = getattr(person, name)
            if value is not None:
                claims[name] = value
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        if issuer.extra_claims is not None:
            claims.update(issuer.extra_claims(person, client))
        claims.update(self.claim_overrides)
        for name in self.drop_claims:
            claims.pop(name, None)
        return self.sign(issuer, claims)

    def sign(self, issuer: FakeIssuer, claims: dict[str, Any]) -> str:
        """``claims`` signed as the issuer would, or forged as the tweaks say."""
        return sign(claims, self.sign_with or issuer.keys[-1], algorithm=self.algorithm,
                    header_overrides=self.header_overrides, unsigned=self.unsigned,
                    hs256_with_public_key=self.hs256_with_public_key,
                    tamper_payload=self.tamper_payload)

    # --- HTTP -----------------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict[str, str], form: dict[str, str],
               headers: Any) -> Answer:
        route = self.routes.get((method, path))
        if route is None:
            return 404, {"error": "not_found", "error_description": "Not found"}, {}
        issuer, name = route
        result: Answer = getattr(self, f"_{name}")(issuer, query, form, headers)
        return result

    def _error(self, status: int, error: str, message: str, *, detail: str = "") -> Answer:
        return status, {"error": error, "error_description": self.messages[message] + detail}, {}

    def _discovery(self, issuer: FakeIssuer, query: dict[str, str], form: dict[str, str],
                   headers: Any) -> Answer:
        self.counts["discovery"] += 1
        return 200, {
            "issuer": issuer.url,
            "authorization_endpoint": self.url + issuer.endpoints["authorize"],
            "token_endpoint": self.url + issuer.endpoints["token"],
            "jwks_uri": self.url + issuer.endpoints["jwks"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["iss", "sub", "aud", "iat", "exp", "auth_time", "nonce", "name",
                                 "email", "email_verified", "preferred_username"],
            **self.metadata_overrides,
        }, {}

    def _jwks(self, issuer: FakeIssuer, query: dict[str, str], form: dict[str, str],
              headers: Any) -> Answer:
        self.counts["jwks"] += 1
        return 200, {"keys": [dict(k.as_dict(private=False), alg="RS256") for k in issuer.keys]}, {}

    def _authorize(self, issuer: FakeIssuer, query: dict[str, str], form: dict[str, str],
                   headers: Any) -> Answer:
        self.counts["authorize"] += 1
        self.last_authorize = dict(query)
        client = issuer.realm.clients.get(query.get("client_id", ""))
        if client is None:  # shown on the provider's own page, never sent back
            return 400, self.messages["unknown_client_page"], {}
        redirect_uri = query.get("redirect_uri", "")
        if redirect_uri not in client.redirect_uris:
            return 400, self.messages["bad_redirect_page"], {}
        back: dict[str, str] = {"state": query["state"]} if "state" in query else {}
        person = self.next_person.pop(issuer.realm.name, None)
        if self.authorize_error is not None:
            back.update(self.authorize_error)
            self.authorize_error = None
        elif person is None:
            return 200, "<html><body>Sign in (no person chosen by the test)</body></html>", {}
        elif client.assigned is not None and person.sub not in client.assigned:
            back.update(error="access_denied", error_description=self.messages["not_assigned"])
        elif query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            back.update(error="invalid_request", error_description=self.messages["pkce_required"])
        else:
            code = secrets.token_urlsafe(32)
            challenge = query["code_challenge"]
            if self.swap_challenge:
                challenge = b64url(hashlib.sha256(b"another verifier").digest())
            self.grants[code] = Grant(issuer=issuer, client_id=client.client_id,
                                      redirect_uri=redirect_uri, challenge=challenge,
                                      nonce=query.get("nonce"), person=person)
            back["code"] = code
        return 302, "", {"Location": f"{redirect_uri}?{urlencode(back)}"}

    def _client_credentials(self, form: dict[str, str], headers: Any) -> tuple[str, str, str] | None:
        """(method, client id, secret) as presented; None when both ways are used."""
        authorization = headers.get("Authorization") or ""
        in_body = "client_secret" in form
        if authorization.lower().startswith("basic "):
            if in_body:
                return None
            try:
                raw = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (ValueError, UnicodeDecodeError):
                return ("client_secret_basic", "", "")
            client_id, _, secret = raw.partition(":")
            return ("client_secret_basic", unquote(client_id), unquote(secret))
        return ("client_secret_post", form.get("client_id", ""), form.get("client_secret", ""))

    def _token(self, issuer: FakeIssuer, query: dict[str, str], form: dict[str, str],
               headers: Any) -> Answer:
        self.counts["token"] += 1
        presented = self._client_credentials(form, headers)
        self.last_token_request = {"form": dict(form), "method": presented and presented[0]}
        if presented is None:
            return self._error(400, "invalid_request", "multiple_credentials")
        method, client_id, secret = presented
        client = issuer.realm.clients.get(client_id)
        if client is None or method != client.auth_method or secret not in client.secrets:
            return self._error(401, "invalid_client", "invalid_client")
        grant_type = form.get("grant_type", "")
        if grant_type not in client.grant_types:
            allowed = ", ".join(client.grant_types)
            return self._error(400, "unauthorized_client", "grant_not_allowed",
                               detail=f" Configured grant types: [{allowed}].")
        if grant_type == "client_credentials":
            return 200, {"token_type": "Bearer", "expires_in": 3600,
                         "access_token": secrets.token_urlsafe(40)}, {}
        grant = self.grants.get(form.get("code", ""))
        if grant is None or grant.issuer is not issuer or grant.client_id != client.client_id \
                or grant.redeemed:
            return self._error(400, "invalid_grant", "invalid_grant")
        if form.get("redirect_uri") != grant.redirect_uri:
            return self._error(400, "invalid_grant", "redirect_mismatch")
        verifier = form.get("code_verifier", "")
        if b64url(hashlib.sha256(verifier.encode()).digest()) != grant.challenge:
            return self._error(400, "invalid_grant", "pkce")
        grant.redeemed = True
        return 200, {"token_type": "Bearer", "expires_in": 3600, "scope": "openid profile email",
                     "access_token": secrets.token_urlsafe(40),
                     "id_token": self.id_token(grant, client)}, {}
