"""The SSO setup steps shown on Admin → Settings → SSO & Provisioning, in the words of
the Google Cloud console. Google Workspace does not provision custom apps by SCIM,
so there are no SCIM steps: accounts are made by hand, or at a first sign-in when the
tenant allows it."""

from __future__ import annotations


def sso_steps(redirect_uri: str) -> list[str]:
    return [
        ("In the Google Cloud console (console.cloud.google.com), signed in as an administrator "
         "of your Google Workspace, choose or create a project that belongs to your "
         "organisation."),
        ("Go to APIs & Services → OAuth consent screen: choose User type “Internal”, so that "
         "only your organisation's accounts can use the app, name it “TrainMeUK”, and save."),
        ("Go to APIs & Services → Credentials → Create credentials → OAuth client ID, and "
         "choose Application type “Web application”, named “TrainMeUK”."),
        f"Under Authorised redirect URIs, add {redirect_uri} exactly as shown, then click Create.",
        ("Copy the Client ID and the Client secret Google shows into TrainMeUK, and enter your "
         "Workspace domain under Hosted domains (several separated by commas, such as "
         "acme.com, acme.co.uk)."),
        ("Tick Enable SSO, choose whether people of your domain get an account at their first "
         "sign-in, and click Save."),
        ("Google checks the Client ID and Secret only when someone signs in: use Test sign-in "
         "below straight away."),
    ]
