"""The save-time check of an Okta connection.

1. The authorization server's discovery document is reachable and names exactly the
   issuer TrainMeUK will insist on.
2. The Client ID and Secret: a web app integration allows only the grants it was
   created with (Authorization Code), so no token can be had without a person. But a
   client-credentials request tells the two cases apart: ``unauthorized_client`` is,
   by RFC 6749 section 5.2, what an *authenticated* client is told when the grant is
   not allowed (the credentials are right), ``invalid_client`` that the client could
   not be authenticated (they are wrong). Okta authenticates the client by the
   method the app integration was registered with (``client_secret_basic``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trainmeuk_identity.providers import AuthorityError, CheckResult, ConnectionProbe

# Said only to a client whose credentials were accepted.
AUTHENTICATED_REFUSALS = frozenset({"unauthorized_client"})


def check_connection(settings: Mapping[str, Any], client_secret: str | None,
                     probe: ConnectionProbe, *, issuer: str, discovery_url: str) -> list[CheckResult]:
    domain, server = settings["domain"], settings.get("authorization_server")
    where = f"authorization server “{server}” of {domain}" if server else f"Okta org {domain}"
    try:
        metadata = probe.discover(discovery_url)
    except AuthorityError as exc:
        if exc.unreachable:
            return [CheckResult(False, f"Could not reach {where} to check it "
                                       f"({exc.description}).", conclusive=False)]
        if exc.status in {400, 404}:
            return [CheckResult(False, f"Okta has no {where}: check the Okta domain"
                                       + (" and the authorization server's ID." if server else "."))]
        return [CheckResult(False, f"Okta answered the check of {where} with an error: "
                                   f"{exc.description}", conclusive=False)]
    if metadata.get("issuer") != issuer:
        return [CheckResult(False, f"The issuer of {where} is {metadata.get('issuer')!r}, not "
                                   f"{issuer!r}: use the org's own domain as Okta shows it.")]
    results = [CheckResult(True, f"Found {where} (issuer {issuer}).")]
    if not client_secret:
        results.append(CheckResult(False, "No client secret saved yet, so the Client ID could "
                                          "not be checked.", conclusive=False))
        return results
    results.append(_check_client(metadata, settings["client_id"], client_secret, probe))
    return results


def _check_client(metadata: Mapping[str, Any], client_id: str, client_secret: str,
                  probe: ConnectionProbe) -> CheckResult:
    accepted = CheckResult(True, "Client ID and Client Secret accepted by Okta.")
    try:
        probe.client_credentials(metadata["token_endpoint"], client_id, client_secret, "openid")
    except AuthorityError as exc:
        if exc.unreachable:
            return CheckResult(False, f"Could not reach Okta to check the Client ID and Secret "
                                      f"({exc.description}).", conclusive=False)
        if exc.error in AUTHENTICATED_REFUSALS:
            return accepted
        if exc.error == "invalid_client":
            return CheckResult(False, f"Okta did not accept Client ID {client_id} with this "
                                      "Client Secret: copy both from the General tab of the "
                                      "TrainMeUK app integration (Client authentication: "
                                      "“Client secret”).")
        return CheckResult(False, f"Okta did not confirm the Client ID and Secret: "
                                  f"{exc.description}", conclusive=False)
    return accepted
