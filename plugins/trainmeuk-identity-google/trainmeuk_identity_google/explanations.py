"""Google's errors, explained for the person signing in and for their Workspace admin.

Google sends few errors back to the redirect URI: ``access_denied`` (the person did not
continue) and, at its token endpoint, ``invalid_client`` / ``invalid_grant``. Most
set-up mistakes (``redirect_uri_mismatch``, an unknown or deleted client,
``org_internal``, ``admin_policy_enforced``) are shown on Google's own page ("Error 400:
redirect_uri_mismatch") and never come back: :func:`troubleshooting` lists those beside
"Test sign-in", with this connection's values to check. Should one come back after all,
:func:`explain` explains it the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trainmeuk_identity.providers import ErrorExplanation

from .domains import parse, spoken

START_AGAIN = "Go back to the sign-in page and start again."
CREDENTIALS = "Google Cloud console → APIs & Services → Credentials"
API_CONTROLS = ("Google Admin console → Security → Access and data control → API controls → "
                "Manage third-party app access")

# (error, words of Google's description) -> (title, what happened, what to do, for the admin?)
_KNOWN: list[tuple[str, str, tuple[str, str, str, bool]]] = [
    ("access_denied", "", (
        "Google did not sign you in",
        "You chose not to continue on Google's page, or your organisation's Google Workspace "
        "does not let your account use TrainMeUK.",
        "Start again and choose your work Google account. If Google says your administrator "
        "blocks the app, ask your Google Workspace administrator.", False)),
    ("admin_policy_enforced", "", (
        "Your Google Workspace administrator blocks TrainMeUK",
        "Your organisation's Google Workspace does not allow its accounts to sign in to "
        "TrainMeUK.",
        f"In {API_CONTROLS}, your Workspace administrator marks the TrainMeUK OAuth client as "
        "Trusted (or Limited).", True)),
    ("org_internal", "", (
        "TrainMeUK's Google sign-in is limited to one organisation",
        "The account you chose is not in the Google Workspace organisation that owns "
        "TrainMeUK's sign-in (an app of user type Internal).",
        "Start again and choose your work Google account. Administrator: the OAuth client must "
        "belong to a Google Cloud project of your own Workspace organisation.", True)),
    ("disallowed_useragent", "", (
        "Google does not allow sign-in from this app's browser",
        "Google refuses to sign people in inside an app's built-in browser.",
        "Open TrainMeUK in your usual web browser (Chrome, Safari, Edge, Firefox) and sign in "
        "there.", False)),
    ("invalid_client", "", (
        "Client secret not accepted",
        "Google did not accept TrainMeUK's Client ID and Client Secret for this sign-in.",
        f"In {CREDENTIALS} → the TrainMeUK OAuth client, copy the Client ID and a current "
        "Client secret into TrainMeUK (Admin → Settings → SSO & Provisioning).", True)),
    ("deleted_client", "", (
        "TrainMeUK's OAuth client was deleted",
        "The OAuth client TrainMeUK uses no longer exists in the Google Cloud project.",
        f"Restore it in {CREDENTIALS} (deleted clients can be restored for a while) or create "
        "a new one and save its Client ID and Secret in TrainMeUK.", True)),
    ("redirect_uri_mismatch", "", (
        "The Redirect URI is not one of the OAuth client's",
        "Google refused the Redirect URI TrainMeUK sent.",
        f"In {CREDENTIALS} → the TrainMeUK OAuth client, Authorised redirect URIs must include "
        "exactly the Redirect URI shown on TrainMeUK's settings page.", True)),
    ("invalid_grant", "code verifier", (
        "Sign-in could not be verified",
        "The sign-in did not match the one this browser started.", START_AGAIN, False)),
    ("invalid_grant", "", (
        "Sign-in took too long",
        "The sign-in expired or was already completed before TrainMeUK could finish it.",
        START_AGAIN, False)),
]


def explain(error: str, description: str = "") -> ErrorExplanation | None:
    words = (description or "").casefold()
    for known_error, phrase, (title, what, fix, for_admin) in _KNOWN:
        if error == known_error and phrase in words:
            return ErrorExplanation(title=title, what_happened=what, what_to_do=fix,
                                    for_admin=for_admin, code=error)
    return None


def troubleshooting(settings: Mapping[str, Any], redirect_uri: str) -> list[ErrorExplanation]:
    client_id = settings.get("client_id") or "(not set)"
    domains = spoken(parse(settings.get("hosted_domains"))) if settings.get("hosted_domains") \
        else "your organisation's domain"
    return [
        ErrorExplanation(
            code="redirect_uri_mismatch", title="Google's page says “Error 400: redirect_uri_mismatch”",
            what_happened="TrainMeUK's Redirect URI is not one of the OAuth client's.",
            what_to_do=f"In {CREDENTIALS} → the OAuth client {client_id}, Authorised redirect URIs "
                       f"must include exactly {redirect_uri}.", for_admin=True),
        ErrorExplanation(
            code="invalid_client", title="Google's page says “The OAuth client was not found.”",
            what_happened=f"Google has no OAuth client with Client ID {client_id} (or it was "
                          "deleted: “deleted_client”).",
            what_to_do=f"Copy the Client ID from {CREDENTIALS} → OAuth 2.0 Client IDs, the "
                       "Web application client made for TrainMeUK.", for_admin=True),
        ErrorExplanation(
            code="org_internal", title="Google's page says “Error 403: org_internal”",
            what_happened="The person chose an account outside the Workspace organisation that "
                          "owns the OAuth client (the consent screen's user type is Internal).",
            what_to_do=f"Sign in with a work account of {domains}. The Google Cloud project "
                       "of the OAuth client must belong to that same organisation.",
            for_admin=True),
        ErrorExplanation(
            code="admin_policy_enforced",
            title="Google's page says “Error 400: admin_policy_enforced”",
            what_happened="The Workspace's API controls block TrainMeUK's OAuth client.",
            what_to_do=f"In {API_CONTROLS}, find Client ID {client_id} and mark it Trusted.",
            for_admin=True),
    ]
