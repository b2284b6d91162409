"""What the fake OpenID Connect authority (``fake_oidc.py``) knows: realms of people and
client registrations, the issuers serving them, the grants it handed out, and what it
says when something is wrong."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from joserfc.jwk import RSAKey

# What the server says when something is wrong; a provider's configuration may replace
# any of these with the provider's own wording.
DEFAULT_MESSAGES: dict[str, str] = {
    "invalid_client": "Client authentication failed.",
    "multiple_credentials": "The client used more than one authentication method.",
    "invalid_grant": "The authorization code is invalid or has expired.",
    "redirect_mismatch": "The redirect_uri does not match the one of the authorization request.",
    "pkce": "PKCE verification failed.",
    "pkce_required": "PKCE code challenge is required.",
    "grant_not_allowed": "The client is not authorized to use the provided grant type.",
    "not_assigned": "The user is not allowed to use this client.",
    "unknown_client_page": "Unknown client_id.",
    "bad_redirect_page": "The redirect_uri is not registered for this client.",
}


@dataclass
class FakePerson:
    sub: str
    email: str | None
    name: str = "Sam Staff"
    email_verified: bool = True
    given_name: str | None = "Sam"
    family_name: str | None = "Staff"
    preferred_username: str | None = None


@dataclass
class FakeClient:
    client_id: str
    secrets: set[str]
    redirect_uris: set[str] = field(default_factory=set)
    auth_method: str = "client_secret_basic"
    grant_types: tuple[str, ...] = ("authorization_code",)
    #: subs of the people assigned to the app; None lets everyone in the realm sign in.
    assigned: set[str] | None = None


@dataclass
class FakeRealm:
    name: str
    people: dict[str, FakePerson] = field(default_factory=dict)
    clients: dict[str, FakeClient] = field(default_factory=dict)


@dataclass
class FakeIssuer:
    path: str  # URL path of the issuer ("/acme.example.com", "/acme.example.com/oauth2/default")
    realm: FakeRealm
    endpoints: dict[str, str]  # authorize, token, jwks -> URL path
    keys: list[RSAKey] = field(default_factory=list)  # published; keys[-1] signs
    #: provider-specific claims added to every id_token (after the standard ones)
    extra_claims: Callable[[FakePerson, FakeClient], dict[str, Any]] | None = None
    url: str = ""


@dataclass
class Grant:
    issuer: FakeIssuer
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    person: FakePerson
    redeemed: bool = False
