"""What the settings page tells an admin to do in Microsoft Entra ID (the customer
setup guide's Part 1 and Part 2, with the exact names of Microsoft's screens)."""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup

from .. import ScimSetup, SetupGuide

REDIRECT_URI_HELP = Markup("Paste it in the app registration as a Redirect URI of the "
                           "<strong>Web</strong> platform (not “Single-page application”), "
                           "exactly as shown.")


def sso_steps(redirect_uri: str) -> list[str]:
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


def scim_setup(links: Mapping[str, str]) -> ScimSetup:
    walkthrough = SetupGuide(
        title="In Microsoft Entra ID: configure provisioning",
        steps=(
            Markup("Turn on <strong>Enable SCIM</strong> above, then copy the <strong>SCIM "
                   "Endpoint URL</strong> and the <strong>SCIM Bearer Token</strong> (use the "
                   "Copy buttons)."),
            Markup("Go to <strong>entra.microsoft.com → Enterprise applications</strong> and "
                   "open the app you registered for TrainMeUK SSO."),
            Markup("Go to <strong>Provisioning → Get started</strong> and set <strong>Provisioning "
                   "Mode</strong> to <strong>Automatic</strong>."),
            Markup("Paste the values from this page: <strong>Tenant URL</strong> → SCIM Endpoint "
                   "URL; <strong>Secret Token</strong> → SCIM Bearer Token."),
            Markup("Click <strong>Test connection</strong>; it should say Success. Then click "
                   "<strong>Save</strong>."),
            Markup("Under <strong>Users and groups</strong> of the app, add the groups or people "
                   "who should get TrainMeUK accounts (most organisations assign an “All Staff” "
                   "group)."),
            Markup("Go back to <strong>Provisioning</strong> and click <strong>Start "
                   "provisioning</strong>."),
            Markup('Test: add a test user to the assigned group, wait up to 40 minutes (or use '
                   '<strong>Provision on demand</strong>), then open <a href="{users}">User '
                   'Management</a>: the user should appear. Each request Entra sends is listed '
                   'in the <a href="{log}">Provisioning log</a>.').format(
                users=links.get("users", ""), log=links.get("provisioning_log", "")),
        ))
    non_gallery = SetupGuide(
        id="scim-non-gallery-note",
        title="Is Provisioning → Get started greyed out?",
        intro=Markup("Microsoft does not offer automatic provisioning for an app created under "
                     "<strong>App registrations</strong>, which is how the SSO app was made. Keep "
                     "that app for sign-in, and create a second app for provisioning only:"),
        steps=(
            Markup("In <strong>Enterprise applications</strong>, click <strong>New application → "
                   "Create your own application</strong>."),
            Markup("Name it, e.g. <em>TrainMeUK Provisioning</em>, choose <strong>Integrate any "
                   "other application you don't find in the gallery (Non-gallery)</strong> and "
                   "click <strong>Create</strong>."),
            Markup("In the new app, follow the steps above from <strong>Provisioning → Get "
                   "started</strong>, and assign your users and groups to this app."),
        ))
    return ScimSetup(endpoint_field="Tenant URL", token_field="Secret Token",
                     guides=(walkthrough, non_gallery))
