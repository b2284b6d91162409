"""The save-time check of a Google connection.

1. Google's discovery document is reachable and names exactly the issuer TrainMeUK
   will insist on (``https://accounts.google.com``).
2. The Client ID and Secret cannot be checked now: Google's token endpoint offers no
   grant a web client may use without a person (no client-credentials grant), so they
   are checked at the first sign-in. The check says so, as a warning that does not
   stop the save, and points at Test sign-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trainmeuk_identity.providers import AuthorityError, CheckResult, ConnectionProbe


def check_connection(settings: Mapping[str, Any], client_secret: str | None,
                     probe: ConnectionProbe, *, issuer: str, discovery_url: str) -> list[CheckResult]:
    try:
        metadata = probe.discover(discovery_url)
    except AuthorityError as exc:
        if exc.unreachable:
            return [CheckResult(False, f"Could not reach Google ({issuer}) to check the settings "
                                       f"({exc.description}).", conclusive=False)]
        return [CheckResult(False, f"Google's sign-in service at {issuer} answered the check "
                                   f"with an error: {exc.description}", conclusive=False)]
    if metadata.get("issuer") != issuer:
        return [CheckResult(False, f"The sign-in service at {discovery_url} names issuer "
                                   f"{metadata.get('issuer')!r}, not {issuer!r}: it is not "
                                   "Google's, so nobody could sign in through it.")]
    return [
        CheckResult(True, f"Found Google's sign-in service (issuer {issuer})."),
        CheckResult(False, "Google cannot check a Client ID and Client Secret before someone "
                           "signs in, so they will be checked at the first sign-in: use Test "
                           "sign-in now to make sure they are right.", conclusive=False),
    ]
