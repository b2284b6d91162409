"""Okta's shape on the fake OpenID Connect authority (``fake_oidc.py``).

An Okta org at ``https://<domain>`` has the org authorization server (issuer
``https://<domain>``, endpoints under ``/oauth2/v1/``) and may have custom ones (issuer
``https://<domain>/oauth2/<id>``, endpoints under ``/oauth2/<id>/v1/``). On loopback
one server plays every org, each under a path of its own, so the app reaches the org
``acme.okta.com`` at ``https://127.0.0.1:PORT/acme.okta.com`` through the plugin's
``trainmeuk.okta.base_url_template`` setting (:attr:`FakeOkta.base_url_template`).
People are the org's: the same ``sub`` (Okta user id) in every authorization server.
Error descriptions are Okta's own wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trainmeuk_identity.testing.certificates import CertificateAuthority
from trainmeuk_identity.testing.fake_oidc import FakeClient, FakeIssuer, FakeOidcServer, FakePerson, FakeRealm

OKTA_MESSAGES = {
    "invalid_client": "Client authentication failed. Either the client or the client "
                      "credentials are invalid.",
    "multiple_credentials": "Cannot supply multiple client credentials. Use one of the "
                            "following: credentials in the Authorization header, credentials "
                            "in the post body, or a client_assertion in the post body.",
    "invalid_grant": "The authorization code is invalid or has expired.",
    "redirect_mismatch": "The 'redirect_uri' does not match the redirection URI used in the "
                         "authorization request.",
    "pkce": "PKCE verification failed.",
    "grant_not_allowed": "The client is not authorized to use the provided grant type.",
    "not_assigned": "User is not assigned to the client application.",
    "unknown_client_page": "<html><body>400 Bad Request: Invalid client_id.</body></html>",
    "bad_redirect_page": ("<html><body>400 Bad Request: The 'redirect_uri' parameter must be "
                          "a Login redirect URI in the client app settings.</body></html>"),
}


def okta_claims(person: FakePerson, client: FakeClient) -> dict[str, Any]:
    """What Okta adds to an id_token besides the standard claims."""
    return {"ver": 1, "amr": ["pwd"], "idp": "00o" + client.client_id[3:11]}


@dataclass
class FakeOktaOrg:
    domain: str
    realm: FakeRealm
    org_server: FakeIssuer


class FakeOkta(FakeOidcServer):
    def __init__(self, ca: CertificateAuthority) -> None:
        super().__init__(ca, messages=OKTA_MESSAGES)

    @property
    def base_url_template(self) -> str:
        """The plugin's ``trainmeuk.okta.base_url_template`` that reaches this fake."""
        return f"{self.url}/{{domain}}"

    def add_org(self, domain: str) -> FakeOktaOrg:
        realm = FakeRealm(name=domain)
        base = f"/{domain}"
        org_server = self.add_issuer(base, realm, extra_claims=okta_claims, endpoints={
            "authorize": f"{base}/oauth2/v1/authorize", "token": f"{base}/oauth2/v1/token",
            "jwks": f"{base}/oauth2/v1/keys"})
        return FakeOktaOrg(domain=domain, realm=realm, org_server=org_server)

    def add_custom_server(self, org: FakeOktaOrg, server_id: str = "default") -> FakeIssuer:
        base = f"/{org.domain}/oauth2/{server_id}"
        return self.add_issuer(base, org.realm, extra_claims=okta_claims, endpoints={
            "authorize": f"{base}/v1/authorize", "token": f"{base}/v1/token",
            "jwks": f"{base}/v1/keys"})
