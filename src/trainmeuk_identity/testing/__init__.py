"""The contract test kit: what a provider plugin runs to prove it meets the provider
contract (docs/plugins.md, "Testing your provider with the contract kit").

It is a pytest plugin (the ``pytest11`` entry point ``trainmeuk-identity``, module
:mod:`trainmeuk_identity.testing.plugin`), active wherever trainmeuk-identity is
installed with pytest. A provider's tests

1. define a fixture ``provider_under_test`` returning a :class:`ProviderUnderTest`, and
2. opt into the suite with one test module: ``from trainmeuk_identity.testing.contract import *``.

The kit runs the whole WSGI application on a real database (``TRAINMEUK_DATABASE_URL``,
else SQLite in a temporary file) against a fake OpenID Connect authority that is a real
HTTPS server on loopback (:mod:`~trainmeuk_identity.testing.fake_oidc`), with a CA made
for the run and trusted through ``SSL_CERT_FILE`` during each test.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ProviderUnderTest"]


def _client_id() -> str:
    return "client-" + secrets.token_hex(8)


@dataclass(frozen=True)
class ProviderUnderTest:
    """What the kit needs to know to point a provider at its fake authority.

    The fake authority serves one issuer at ``<fake's URL><issuer_path>`` (its discovery
    document at ``<issuer>/.well-known/openid-configuration``; endpoints ``/authorize``,
    ``/token`` and ``/keys`` under it). Your provider reaches it through its own
    application settings (:attr:`app_settings`) and the connection :attr:`settings`.
    """

    #: The provider's :attr:`~trainmeuk_identity.providers.Provider.name`.
    name: str
    #: The provider's application settings (``trainmeuk.<provider>.<name>``) that send
    #: it to the fake authority, given the fake's base URL (``https://127.0.0.1:PORT``).
    app_settings: Callable[[str], Mapping[str, str]]
    #: A tenant's connection settings (the non-secret fields of ``settings_fields``),
    #: given the client id the fake registered for the tenant.
    settings: Callable[[str], Mapping[str, str]]
    #: The issuer's URL path on the fake: the provider's ``expected_issuer`` for
    #: :attr:`settings` must be the fake's URL followed by it ("" for the fake's root).
    issuer_path: str = ""
    #: Claims a valid person's id_token carries besides the standard ones (``iss``,
    #: ``sub``, ``aud``, ``iat``, ``exp``, ``nonce``, ``name``, ``email``,
    #: ``email_verified``, ...), given the person's ``sub`` and the client id: e.g. a
    #: directory id the provider pins, or a hosted domain it requires.
    claims: Callable[[str, str], Mapping[str, Any]] = lambda sub, client_id: {}
    #: Makes a client id of the shape the provider's validation accepts.
    new_client_id: Callable[[], str] = _client_id
    #: The domain of the valid person's email (the account it links to has that email).
    email_domain: str = "acme.example"
    #: Values the provider's own validation must refuse: ``(field, value)`` pairs, each
    #: tried on its own over otherwise valid settings.
    invalid_settings: tuple[tuple[str, str], ...] = ()
    #: Plugin objects to register besides the installed ones (a plugin module imported
    #: from a source folder rather than installed with its entry point).
    plugins: tuple[Any, ...] = field(default=())
