"""Okta's errors, explained for the person signing in and for their Okta admin.

Okta sends an OAuth ``error`` with an ``error_description`` in its own words; the same
``error`` (``access_denied``) covers different causes, so the description decides.
Errors about the redirect URI or the client id are shown on Okta's own page and never
come back: :func:`troubleshooting` lists those beside "Test sign-in".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trainmeuk_identity.providers import ErrorExplanation

START_AGAIN = "Go back to the sign-in page and start again."

# (error, words of Okta's description) -> (title, what happened, what to do, for the admin?)
_KNOWN: list[tuple[str, str, tuple[str, str, str, bool]]] = [
    ("access_denied", "not assigned to the client application", (
        "You are not assigned to TrainMeUK in Okta",
        "Your organisation's Okta lets only the people assigned to the TrainMeUK app sign in "
        "to it, and you are not one of them.",
        "Ask your Okta administrator to assign you, or a group you are in, to the TrainMeUK "
        "app (Applications → Applications → TrainMeUK → Assignments).", True)),
    ("access_denied", "policy evaluation failed", (
        "Okta's access policy refused this sign-in",
        "The authorization server's access policy has no rule that lets you sign in to "
        "TrainMeUK.",
        "In Okta, Security → API → Authorization Servers → the server TrainMeUK uses → Access "
        "Policies: assign a policy to the TrainMeUK app with a rule that allows the "
        "Authorization Code grant for these people.", True)),
    ("invalid_scope", "", (
        "Okta refused the requested scopes",
        "The authorization server does not offer the scopes TrainMeUK asks for (openid, "
        "profile and email).",
        "Use the org authorization server (leave Authorization server empty in TrainMeUK), or "
        "allow the openid, profile and email scopes on the custom one.", True)),
    ("invalid_client", "", (
        "Client secret not accepted",
        "Okta did not accept TrainMeUK's Client ID and Client Secret for this app.",
        "In the Okta app integration's General tab, copy the Client ID and a current Client "
        "secret into TrainMeUK; Client authentication must be “Client secret”.", True)),
    ("unauthorized_client", "", (
        "The app does not allow this sign-in flow",
        "The Okta app integration does not allow the Authorization Code grant TrainMeUK uses.",
        "In the Okta app integration's General tab, tick Grant type → Authorization Code and "
        "save.", True)),
    ("invalid_grant", "pkce", (
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
    domain = settings.get("domain") or "(not set)"
    client_id = settings.get("client_id") or "(not set)"
    server = settings.get("authorization_server")
    return [
        ErrorExplanation(
            code="redirect_uri", title="“The 'redirect_uri' parameter must be a Login redirect "
                                       "URI in the client app settings”",
            what_happened="Okta's page says TrainMeUK's Redirect URI is not one of the app's.",
            what_to_do=f"In the Okta app integration's General tab, Sign-in redirect URIs must "
                       f"include exactly {redirect_uri}.", for_admin=True),
        ErrorExplanation(
            code="client_id", title="Okta's page says the client_id is not valid",
            what_happened=f"Okta org {domain} has no app integration with Client ID {client_id}.",
            what_to_do="Copy the Client ID from the General tab of the TrainMeUK app integration "
                       "in this org's Admin Console.", for_admin=True),
        ErrorExplanation(
            code="access_denied", title="“User is not assigned to the client application.”",
            what_happened="The person signing in is not assigned to the TrainMeUK app in Okta.",
            what_to_do="In Applications → Applications → TrainMeUK → Assignments, assign the "
                       "person or one of their groups.", for_admin=True),
        ErrorExplanation(
            code="E0000015", title="“You do not have permission to access the feature you are "
                                   "requesting”",
            what_happened=(f"Authorization server “{server}” is a custom one, which needs Okta's "
                           "API Access Management." if server else
                           "Custom authorization servers need Okta's API Access Management."),
            what_to_do="Leave Authorization server empty in TrainMeUK to use the org "
                       "authorization server, which every Okta org has.", for_admin=True),
    ]
