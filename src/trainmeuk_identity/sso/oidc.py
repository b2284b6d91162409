"""The OAuth 2.0 / OpenID Connect client side: discovery, authorize URL, token endpoint.

Authlib's OAuth2Client builds the authorization request (with PKCE S256) and talks to
the token endpoint. It checks neither state nor the id_token's issuer, tenant, audience
or nonce: ``state.py`` and ``tokens.py`` do that. Provider metadata is cached per
app process, so a callback whose directory was already discovered fetches nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx2
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from ..providers.base import TOKEN_AUTH_METHODS, AuthorityError
from ..tls import tls_context

HTTP_TIMEOUT_SECONDS = 10.0
METADATA_MAX_AGE_SECONDS = 24 * 60 * 60
# The code comes back in the query string of a top-level GET: our SameSite=Lax state
# cookie comes with it (a form_post would be a cross-site POST without it).
RESPONSE_MODE = "query"


def _client(client_id: str | None = None, client_secret: str | None = None, *,
            auth_method: str = "client_secret_post", **kwargs: Any) -> OAuth2Client:
    if auth_method not in TOKEN_AUTH_METHODS:
        raise ValueError(f"unsupported token endpoint authentication method {auth_method!r}")
    return OAuth2Client(client_id=client_id, client_secret=client_secret,
                        token_endpoint_auth_method=auth_method,
                        code_challenge_method="S256", timeout=HTTP_TIMEOUT_SECONDS,
                        follow_redirects=False, verify=tls_context(), **kwargs)


def fetch_json(url: str) -> dict[str, Any]:
    """GET a JSON document from the provider; AuthorityError on any failure."""
    try:
        with httpx2.Client(timeout=HTTP_TIMEOUT_SECONDS, follow_redirects=False,
                           verify=tls_context()) as http:
            response = http.get(url, headers={"Accept": "application/json"})
    except httpx2.HTTPError as exc:
        raise AuthorityError(f"{type(exc).__name__}: {exc}", unreachable=True) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 500 or not isinstance(body, dict):
        raise AuthorityError(f"HTTP {response.status_code} from {url}",
                             status=response.status_code, unreachable=True)
    if response.status_code != 200 or "error" in body:
        raise AuthorityError(str(body.get("error_description") or body.get("error") or
                                 f"HTTP {response.status_code}"),
                             error=str(body.get("error", "")), status=response.status_code)
    return body


def _token_request(call: Callable[[OAuth2Client], Any], client: OAuth2Client) -> dict[str, Any]:
    try:
        with client:
            token = call(client)
    except OAuthError as exc:
        raise AuthorityError(str(exc.description or exc.error), error=str(exc.error or ""),
                             status=400) from None
    except httpx2.HTTPStatusError as exc:
        raise AuthorityError(f"HTTP {exc.response.status_code} from the token endpoint",
                             status=exc.response.status_code, unreachable=True) from None
    except httpx2.HTTPError as exc:
        raise AuthorityError(f"{type(exc).__name__}: {exc}", unreachable=True) from None
    except ValueError as exc:  # a body that is not a JSON object
        raise AuthorityError(str(exc), unreachable=True) from None
    return dict(token)


class MetadataCache:
    """Provider metadata documents by URL, kept for a day in this process."""

    def __init__(self, fetch: Callable[[str], dict[str, Any]] = fetch_json,
                 max_age: float = METADATA_MAX_AGE_SECONDS) -> None:
        self._fetch = fetch
        self._max_age = max_age
        self._docs: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> dict[str, Any]:
        with self._lock:
            cached = self._docs.get(url)
        if cached and time.monotonic() - cached[0] < self._max_age:
            return cached[1]
        doc = self._fetch(url)
        for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(doc.get(name), str):
                raise AuthorityError(f"the provider's metadata has no {name}")
        with self._lock:
            self._docs[url] = (time.monotonic(), doc)
        return doc


#: Parameters of the authorization request that only core sets.
CORE_AUTHORIZATION_PARAMS = frozenset({
    "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
    "code_challenge_method", "code_verifier", "response_type", "response_mode"})


def authorization_url(metadata: dict[str, Any], *, client_id: str, redirect_uri: str,
                      scope: str, state: str, nonce: str, verifier: str,
                      extra: dict[str, str] | None = None) -> str:
    """The provider's authorize URL; ``extra`` adds parameters (a provider's hints),
    never replacing core's own."""
    client = _client(client_id, scope=scope, redirect_uri=redirect_uri)
    hints = {k: str(v) for k, v in (extra or {}).items() if k not in CORE_AUTHORIZATION_PARAMS}
    with client:
        url, _ = client.create_authorization_url(
            metadata["authorization_endpoint"], state=state, code_verifier=verifier,
            nonce=nonce, response_mode=RESPONSE_MODE, **hints)
    return url


def exchange_code(metadata: dict[str, Any], *, client_id: str, client_secret: str, code: str,
                  redirect_uri: str, verifier: str,
                  auth_method: str = "client_secret_post") -> dict[str, Any]:
    """The token response for an authorization code (confidential client + PKCE),
    authenticated the way the provider asks (``Provider.token_endpoint_auth_method``)."""
    client = _client(client_id, client_secret, auth_method=auth_method, redirect_uri=redirect_uri)
    return _token_request(lambda c: c.fetch_token(
        metadata["token_endpoint"], grant_type="authorization_code", code=code,
        code_verifier=verifier, redirect_uri=redirect_uri), client)


class HttpProbe:
    """The :class:`~trainmeuk_identity.providers.base.ConnectionProbe` for save-time
    checks; ``auth_method`` is the provider's token-endpoint authentication method
    (``save_sso_settings`` binds it with :meth:`for_provider`)."""

    def __init__(self, auth_method: str = "client_secret_post") -> None:
        self.auth_method = auth_method

    def for_provider(self, provider: Any) -> HttpProbe:
        return HttpProbe(provider.token_endpoint_auth_method)

    def discover(self, url: str) -> dict[str, Any]:
        return fetch_json(url)

    def client_credentials(self, token_endpoint: str, client_id: str, client_secret: str,
                           scope: str) -> dict[str, Any]:
        client = _client(client_id, client_secret, auth_method=self.auth_method, scope=scope)
        return _token_request(lambda c: c.fetch_token(token_endpoint, grant_type="client_credentials"),
                              client)
