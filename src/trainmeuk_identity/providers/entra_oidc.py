"""Microsoft Entra ID's OpenID Connect specifics: endpoints, claims, AADSTS codes.

Everything here follows Microsoft's identity platform (v2.0 endpoints). The authority
host is a setting (``trainmeuk.entra_authority``) so national clouds work and tests can
use a fake authority on loopback. ``EntraProvider`` exposes these as its methods.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from .base import (
    AuthorityError,
    CheckResult,
    ConnectionProbe,
    ErrorExplanation,
    SsoProfile,
)

AADSTS_RE = re.compile(r"\bAADSTS(\d+)\b")
DEFAULT_GRAPH_HOST = "graph.microsoft.com"


def authority(app_settings: Mapping[str, Any]) -> str:
    return str(app_settings.get("trainmeuk.entra_authority") or "https://login.microsoftonline.com").rstrip("/")


def discovery_url(settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
    return f"{authority(app_settings)}/{settings['tenant_id']}/v2.0/.well-known/openid-configuration"


def expected_issuer(settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
    # v2.0 tokens of a single-tenant app: the issuer names the directory itself.
    return f"{authority(app_settings)}/{settings['tenant_id']}/v2.0"


def pinned_claims(settings: Mapping[str, Any]) -> dict[str, Any]:
    # tid pins the directory (the issuer does too, but both must agree); ver refuses
    # v1.0 tokens, whose issuer and claims differ.
    return {"tid": settings["tenant_id"], "ver": "2.0"}


def identity_of(claims: Mapping[str, Any]) -> tuple[str, str]:
    tid, oid = claims.get("tid"), claims.get("oid")
    if not oid:
        raise ValueError("Microsoft sent no object id (oid) for this person; the sign-in "
                         "must request the 'profile' scope.")
    if not tid:
        raise ValueError("Microsoft sent no directory id (tid) for this person.")
    return str(tid).lower(), str(oid).lower()


def profile_from_claims(claims: Mapping[str, Any]) -> SsoProfile:
    def text(name: str) -> str | None:
        value = claims.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    email, username = text("email"), text("preferred_username")
    hints = tuple(dict.fromkeys(v for v in (email, username) if v))
    return SsoProfile(email=email or (username if username and "@" in username else None),
                      display_name=text("name"), given_name=text("given_name"),
                      family_name=text("family_name"), login_hints=hints)


def admin_consent_url(settings: Mapping[str, Any], app_settings: Mapping[str, Any],
                      redirect_uri: str, scopes: str) -> str | None:
    if not settings.get("tenant_id") or not settings.get("client_id"):
        return None
    query = urlencode({"client_id": settings["client_id"], "scope": scopes,
                       "redirect_uri": redirect_uri, "state": "admin-consent"})
    return f"{authority(app_settings)}/{settings['tenant_id']}/v2.0/adminconsent?{query}"


def aadsts_code(description: str) -> str:
    match = AADSTS_RE.search(description or "")
    return f"AADSTS{match.group(1)}" if match else ""


# AADSTS code -> (title, what happened, what to do, for the admin?)
_EXPLANATIONS: dict[str, tuple[str, str, str, bool]] = {
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


def explain_error(error: str, description: str = "") -> ErrorExplanation | None:
    code = aadsts_code(description)
    known = _EXPLANATIONS.get(code)
    if known is None and error in {"consent_required", "admin_consent_required"}:
        known, code = _EXPLANATIONS["AADSTS65001"], code or error
    if known is None:
        return None
    title, what, fix, for_admin = known
    return ErrorExplanation(title=title, what_happened=what, what_to_do=fix,
                            for_admin=for_admin, code=code)


def is_cancel(error: str, description: str, params: Mapping[str, str]) -> bool:
    """The person backed out at Microsoft (cancel, or declined consent)."""
    return params.get("error_subcode") == "cancel" or aadsts_code(description) == "AADSTS65004"


def check_connection(settings: Mapping[str, Any], client_secret: str | None,
                     app_settings: Mapping[str, Any], probe: ConnectionProbe) -> list[CheckResult]:
    host = authority(app_settings)
    tenant_id = settings.get("tenant_id")
    if not tenant_id or not settings.get("client_id"):
        return []
    try:
        metadata = probe.discover(discovery_url(settings, app_settings))
    except AuthorityError as exc:
        if exc.unreachable:
            return [CheckResult(False, f"Could not reach Microsoft at {host} to check the "
                                       f"Tenant ID ({exc.description}).", conclusive=False)]
        if aadsts_code(exc.description) == "AADSTS90002" or exc.status in {400, 404}:
            return [CheckResult(False, f"Tenant ID {tenant_id} was not found: Microsoft has no "
                                       "directory with this ID. Copy “Directory (tenant) ID” "
                                       "from the app's Overview page.")]
        return [CheckResult(False, f"Microsoft answered the directory check with an error: "
                                   f"{exc.description}", conclusive=False)]
    issuer = expected_issuer(settings, app_settings)
    if metadata.get("issuer") != issuer:
        return [CheckResult(False, f"The directory's issuer is {metadata.get('issuer')!r}, not "
                                   f"{issuer!r}: use the directory's own ID, not a domain name "
                                   "or a multi-tenant alias.")]
    results = [CheckResult(True, f"Directory {tenant_id} found.")]
    if not client_secret:
        results.append(CheckResult(False, "No client secret saved yet, so the Client ID could "
                                          "not be checked.", conclusive=False))
        return results
    graph = metadata.get("msgraph_host") or DEFAULT_GRAPH_HOST
    try:
        probe.client_credentials(metadata["token_endpoint"], settings["client_id"], client_secret,
                                 f"https://{graph}/.default")
    except (AuthorityError, KeyError) as exc:
        results.append(_credentials_problem(exc, settings))
        return results
    results.append(CheckResult(True, "Client ID and Client Secret accepted by Microsoft."))
    return results


def _credentials_problem(exc: Exception, settings: Mapping[str, Any]) -> CheckResult:
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


def setup_steps(redirect_uri: str) -> list[str]:
    return [
        "In entra.microsoft.com go to App registrations → New registration.",
        ("Name it “TrainMeUK SSO”, choose “Accounts in this organisational directory only "
         "(Single tenant)”, and under Redirect URI choose the “Web” platform and paste "
         f"{redirect_uri}. Click Register."),
        ("From the app's Overview page copy “Directory (tenant) ID” into Tenant ID and "
         "“Application (client) ID” into Client ID."),
        ("In Certificates & secrets create a New client secret and copy its Value (not the "
         "Secret ID) into Client Secret; Microsoft shows the Value only once."),
        ("Under Authentication you may tick “ID tokens” (the guide's step 4): it is harmless but "
         "not needed, because TrainMeUK uses the authorization code flow and receives the ID "
         "token from Microsoft's token endpoint."),
        "Tick Enable SSO and click Save, then use Test sign-in below.",
    ]


def troubleshooting(settings: Mapping[str, Any], redirect_uri: str,
                    app_settings: Mapping[str, Any], consent_url: str | None) -> list[ErrorExplanation]:
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
