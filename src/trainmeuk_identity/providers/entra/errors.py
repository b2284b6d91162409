"""Microsoft Entra ID's error codes (AADSTS...), explained for people.

Microsoft puts its precise code in ``error_description`` ("AADSTS7000215: Invalid
client secret ..."); the OAuth ``error`` beside it is coarse. The table below is what
the sign-in error pages, the save-time check and the troubleshooting list say.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import AuthorityError, CheckResult, ErrorExplanation

AADSTS_RE = re.compile(r"\bAADSTS(\d+)\b")
CONSENT_ERRORS = frozenset({"consent_required", "admin_consent_required"})


def aadsts_code(description: str) -> str:
    match = AADSTS_RE.search(description or "")
    return f"AADSTS{match.group(1)}" if match else ""


# AADSTS code -> (title, what happened, what to do, for the admin?)
EXPLANATIONS: dict[str, tuple[str, str, str, bool]] = {
    "AADSTS65001": ("Needs admin approval",
                    "Your organisation's Microsoft administrator has not yet approved TrainMeUK.",
                    ("A Microsoft admin of your organisation must approve the app once (the "
                     "admin-consent link below). After that everyone can sign in."), True),
    "AADSTS90094": ("Needs admin approval",
                    "Your organisation only lets administrators approve apps like TrainMeUK.",
                    ("A Microsoft admin of your organisation must approve the app once (the "
                     "admin-consent link below). After that everyone can sign in."), True),
    "AADSTS65004": ("Sign-in cancelled",
                    "You chose not to give TrainMeUK the access it asked for.",
                    ("Sign in again and accept, or ask your IT administrator to approve the app "
                     "for everyone."), False),
    "AADSTS50105": ("You are not assigned to TrainMeUK",
                    "Your organisation only lets assigned people use TrainMeUK, and you are not one of them.",
                    ("Ask your IT administrator to add you (or your group) under the TrainMeUK app's "
                     "Users and groups in Entra ID."), True),
    "AADSTS50011": ("Redirect URI mismatch",
                    "The Redirect URI registered for the app in Entra ID is not exactly TrainMeUK's.",
                    ("Copy the Redirect URI from Admin → Settings → SSO & Provisioning into the "
                     "app's Authentication page (Web platform), exactly, including https:// and any "
                     "trailing slash."), True),
    "AADSTS700016": ("App not found in your directory",
                     "Microsoft has no app with this Client ID in the configured directory.",
                     ("Check that Client ID is the app's Application (client) ID and Tenant ID its "
                      "Directory (tenant) ID, both from the app's Overview page."), True),
    "AADSTS7000215": ("Client secret not accepted",
                      ("Microsoft did not accept the saved client secret. Most often the secret's "
                       "ID was pasted instead of its Value."),
                      ("In Certificates & secrets create a new client secret, copy its Value (not "
                       "the Secret ID) and paste it as Client Secret in TrainMeUK."), True),
    "AADSTS7000222": ("Client secret expired",
                      "The client secret saved in TrainMeUK has expired.",
                      ("In Certificates & secrets create a new client secret and paste its Value "
                       "as Client Secret in TrainMeUK."), True),
    "AADSTS90002": ("Directory not found",
                    "Microsoft has no directory with the configured Tenant ID.",
                    "Copy the Directory (tenant) ID from the app's Overview page into Tenant ID.", True),
    "AADSTS50020": ("Account from another organisation",
                    "The Microsoft account you used does not belong to this organisation's directory.",
                    "Sign in with your work account of this organisation.", False),
    "AADSTS54005": ("Sign-in link already used",
                    "This sign-in was already completed once.",
                    "Start again from the sign-in page.", False),
    "AADSTS70008": ("Sign-in took too long",
                    "The sign-in expired before it was completed.",
                    "Start again from the sign-in page.", False),
    "AADSTS501481": ("Sign-in could not be verified",
                     "The sign-in did not match the one this browser started.",
                     "Start again from the sign-in page.", False),
}


def explain(error: str, description: str = "") -> ErrorExplanation | None:
    code = aadsts_code(description)
    known = EXPLANATIONS.get(code)
    if known is None and error in CONSENT_ERRORS:
        known, code = EXPLANATIONS["AADSTS65001"], code or error
    if known is None:
        return None
    title, what, fix, for_admin = known
    return ErrorExplanation(title=title, what_happened=what, what_to_do=fix,
                            for_admin=for_admin, code=code)


def credentials_problem(exc: Exception, settings: Mapping[str, Any]) -> CheckResult:
    """What a refused client-credentials grant at save time means."""
    if not isinstance(exc, AuthorityError):
        return CheckResult(False, "The directory publishes no token endpoint.", conclusive=False)
    if exc.unreachable:
        return CheckResult(False, f"Could not reach Microsoft to check the Client ID and "
                                  f"Secret ({exc.description}).", conclusive=False)
    code = aadsts_code(exc.description)
    if code == "AADSTS700016":
        return CheckResult(False, f"{code}: no app with Client ID {settings['client_id']} in "
                                  f"directory {settings['tenant_id']}. Copy “Application (client) "
                                  "ID” from the Overview page of the app you registered in this "
                                  "directory.")
    if code == "AADSTS7000215":
        return CheckResult(False, f"{code}: the Client Secret is wrong. Most often the secret's "
                                  "ID was pasted instead of its Value: in Certificates & secrets "
                                  "copy the Value column (shown only when the secret is created).")
    if code == "AADSTS7000222":
        return CheckResult(False, f"{code}: the Client Secret has expired. Create a new one in "
                                  "Certificates & secrets and paste its Value.")
    if code == "AADSTS90002":
        return CheckResult(False, f"{code}: directory {settings['tenant_id']} was not found.")
    return CheckResult(False, f"Microsoft did not confirm the Client ID and Secret: "
                              f"{exc.description}", conclusive=False)


def troubleshooting(settings: Mapping[str, Any], redirect_uri: str,
                    consent_url: str | None) -> list[ErrorExplanation]:
    """Errors Microsoft shows on its own pages and never sends back, with this
    connection's values to check."""
    tenant_id = settings.get("tenant_id") or "(not set)"
    client_id = settings.get("client_id") or "(not set)"
    links = {"Admin-consent link": consent_url} if consent_url else {}
    return [
        ErrorExplanation(
            code="AADSTS50011", title="Redirect URI mismatch (redirect error during SSO login)",
            what_happened="Microsoft's page says the reply URL does not match the app's.",
            what_to_do=f"In the app's Authentication page, under the Web platform, the Redirect "
                       f"URI must be exactly {redirect_uri}, including http(s):// and any "
                       "trailing slash.", for_admin=True),
        ErrorExplanation(
            code="AADSTS700016", title="Application not found in the directory",
            what_happened="Microsoft's page says the application was not found in the directory.",
            what_to_do=f"Client ID ({client_id}) must be the Application (client) ID and Tenant "
                       f"ID ({tenant_id}) the Directory (tenant) ID of the same app registration.",
            for_admin=True),
        ErrorExplanation(
            code="AADSTS50105", title="User not assigned to the app",
            what_happened="The app requires assignment and this person is not assigned.",
            what_to_do="In Enterprise applications → TrainMeUK SSO → Users and groups, add the "
                       "person or their group (or set “Assignment required?” to No).",
            for_admin=True),
        ErrorExplanation(
            code="AADSTS90094", title="“Needs admin approval”",
            what_happened="Users may not consent to apps themselves in your organisation.",
            what_to_do="A Microsoft admin opens the admin-consent link once and approves "
                       f"TrainMeUK for directory {tenant_id}; after that everyone can sign in.",
            for_admin=True, links=links),
    ]
