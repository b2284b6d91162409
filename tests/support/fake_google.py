"""Google's shape on the fake OpenID Connect authority (``fake_oidc.py``).

Google is one issuer for every account, ``https://accounts.google.com``, with its
discovery document at ``/.well-known/openid-configuration`` of that host. On loopback
the fake's own address plays it (``https://127.0.0.1:PORT``, the plugin's
``trainmeuk.google.authority`` setting), with Google's endpoint paths. One realm holds
every account: personal ones (no ``hd`` claim) and those of any number of Workspaces
(``hd`` = the Workspace's domain). Clients authenticate in the form body, as Google's
examples do; id_tokens carry ``azp`` (the client) like Google's. Error descriptions are
Google's wording.
"""

from __future__ import annotations

import secrets
from typing import Any

from trainmeuk_identity.testing.certificates import CertificateAuthority
from trainmeuk_identity.testing.fake_oidc import FakeClient, FakeIssuer, FakeOidcServer, FakePerson, FakeRealm

GOOGLE_MESSAGES = {
    "invalid_client": "Unauthorized",
    "invalid_grant": "Bad Request",
    "redirect_mismatch": "Bad Request",
    "pkce": "Invalid code verifier.",
    "pkce_required": "Missing code verifier.",
    "unknown_client_page": ("<html><body>Access blocked: Authorisation Error. The OAuth client "
                            "was not found. Error 401: invalid_client</body></html>"),
    "bad_redirect_page": ("<html><body>Access blocked: This app's request is invalid. "
                          "Error 400: redirect_uri_mismatch</body></html>"),
}

# What Google's discovery document says that the generic fake's does not.
GOOGLE_METADATA = {
    "grant_types_supported": ["authorization_code", "refresh_token",
                              "urn:ietf:params:oauth:grant-type:device_code",
                              "urn:ietf:params:oauth:grant-type:jwt-bearer"],
    "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
    "claims_supported": ["aud", "email", "email_verified", "exp", "family_name", "given_name",
                         "iat", "iss", "name", "picture", "sub"],
}


def new_client_id() -> str:
    return f"{secrets.randbelow(10**12):012d}-{secrets.token_hex(16)}.apps.googleusercontent.com"


class FakeGoogle(FakeOidcServer):
    def __init__(self, ca: CertificateAuthority) -> None:
        super().__init__(ca, messages=GOOGLE_MESSAGES)
        self.hosted_domain: dict[str, str] = {}  # sub -> the Workspace domain (hd)
        self.realm = FakeRealm(name="google")
        self.issuer: FakeIssuer = self.add_issuer("", self.realm, extra_claims=self._claims, endpoints={
            "authorize": "/o/oauth2/v2/auth", "token": "/token", "jwks": "/oauth2/v3/certs"})

    @property
    def authority(self) -> str:
        """The plugin's ``trainmeuk.google.authority`` that reaches this fake (and the
        exact ``iss`` of its id_tokens)."""
        return self.url

    def reset_tweaks(self) -> None:
        super().reset_tweaks()
        self.metadata_overrides.update(GOOGLE_METADATA)

    def add_google_client(self, redirect_uris: set[str]) -> tuple[FakeClient, str]:
        return self.add_client(self.realm, redirect_uris, auth_method="client_secret_post",
                               client_id=new_client_id())

    def add_account(self, email: str, *, hd: str | None, email_verified: bool = True,
                    name: str = "Sam Staff") -> FakePerson:
        """A Workspace account of ``hd``, or a personal one (``hd=None``)."""
        person = self.add_person(self.realm, email, name=name, email_verified=email_verified,
                                 sub=str(10**20 + secrets.randbelow(10**20)))
        person.preferred_username = None  # Google sends no preferred_username
        if hd is not None:
            self.hosted_domain[person.sub] = hd
        return person

    def sign_in(self, person: FakePerson) -> None:
        self.sign_in_as(self.realm, person)

    def _claims(self, person: FakePerson, client: FakeClient) -> dict[str, Any]:
        claims: dict[str, Any] = {"azp": client.client_id, "at_hash": secrets.token_urlsafe(16)}
        if person.sub in self.hosted_domain:
            claims["hd"] = self.hosted_domain[person.sub]
        return claims
