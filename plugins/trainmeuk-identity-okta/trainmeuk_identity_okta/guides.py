"""The setup steps shown on Admin → Settings → SSO & Provisioning, in Okta's own words
(the Admin Console's menus and field names)."""

from __future__ import annotations

from collections.abc import Mapping

from trainmeuk_identity.providers import Markup, ScimSetup, SetupGuide


def sso_steps(redirect_uri: str) -> list[str]:
    return [
        "In the Okta Admin Console go to Applications → Applications → Create App Integration.",
        "Choose “OIDC - OpenID Connect” and “Web Application”, then Next.",
        ("Name it “TrainMeUK”, keep Grant type “Authorization Code”, and add the Sign-in "
         f"redirect URI {redirect_uri}."),
        ("Under Assignments choose who may use TrainMeUK (everyone, or selected groups), "
         "then Save."),
        ("From the General tab copy the Client ID and a Client secret (Client authentication: "
         "“Client secret”) into TrainMeUK, and your Okta domain, such as acme.okta.com."),
        ("Leave Authorization server empty to use the org authorization server; enter an ID "
         "(such as “default”) only for a custom one under Security → API."),
        "Tick Enable SSO and click Save, then use Test sign-in below.",
    ]


def scim_setup(endpoint_url: str, links: Mapping[str, str]) -> ScimSetup:
    connect = SetupGuide(
        id="okta-scim-setup", title="In Okta: set up provisioning",
        steps=(
            Markup("Turn on <strong>Enable SCIM</strong> above and copy the <strong>SCIM "
                   "Endpoint URL</strong> and the <strong>SCIM Bearer Token</strong>."),
            Markup("In the TrainMeUK app integration's <strong>General</strong> tab, edit "
                   "<strong>App Settings</strong> and choose <strong>SCIM</strong> as the "
                   "Provisioning method; save."),
            Markup("In the <strong>Provisioning</strong> tab → <strong>Integration</strong> → "
                   "Edit: paste <code>{endpoint}</code> as <strong>SCIM connector base "
                   "URL</strong>, enter <code>userName</code> as <strong>Unique identifier "
                   "field for users</strong>, tick Push New Users, Push Profile Updates and "
                   "Push Groups, choose <strong>HTTP Header</strong> as Authentication Mode "
                   "and paste the token as <strong>Bearer</strong>. Click <strong>Test "
                   "Connector Configuration</strong>, then Save.").format(endpoint=endpoint_url),
            Markup("Under <strong>Provisioning</strong> → <strong>To App</strong> → Edit, "
                   "enable Create Users, Update User Attributes and Deactivate Users; save."),
            Markup('Assign people or groups in <strong>Assignments</strong> and choose groups '
                   'to send in <strong>Push Groups</strong>; then check <a href="{users}">User '
                   'Management</a> and the <a href="{log}">Provisioning log</a>.').format(
                users=links.get("users", ""), log=links.get("provisioning_log", "")),
        ))
    notes = SetupGuide(
        id="okta-scim-notes", title="What Okta sends",
        intro=("Okta finds people by userName, updates a whole profile at once, and deactivates "
               "people rather than deleting them: a deactivated account keeps its training "
               "records and is activated again if Okta re-assigns the person."))
    return ScimSetup(endpoint_field="SCIM connector base URL", token_field="Bearer",
                     guides=(connect, notes))
