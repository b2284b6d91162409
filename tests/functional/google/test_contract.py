"""The Google plugin runs the contract test kit's suite (``trainmeuk_identity.testing``):
the kit's fake authority plays Google through the plugin's ``trainmeuk.google.authority``,
and its id_tokens carry Google's ``hd`` (the tenant's Workspace domain) and ``azp``.
Google declares no SCIM, so the kit's SCIM tests are skipped."""

import secrets

import pytest

from trainmeuk_identity.testing import ProviderUnderTest
from trainmeuk_identity.testing.contract import *  # noqa: F403  (the kit's suite)

from ...support.google import google_plugin

WORKSPACE = "acme.example"


def client_id() -> str:
    return f"{secrets.randbelow(10**12):012d}-{secrets.token_hex(16)}.apps.googleusercontent.com"


@pytest.fixture(scope="session")
def provider_under_test() -> ProviderUnderTest:
    return ProviderUnderTest(
        name="google",
        plugins=(google_plugin(),),
        app_settings=lambda url: {"trainmeuk.google.authority": url},
        settings=lambda client_id: {"client_id": client_id, "hosted_domains": WORKSPACE},
        claims=lambda sub, client_id: {"hd": WORKSPACE, "azp": client_id},
        new_client_id=client_id,
        email_domain=WORKSPACE,
        invalid_settings=(("client_id", "acme-trainmeuk"), ("hosted_domains", "gmail.com"),
                          ("hosted_domains", "*.example"),
                          ("client_secret", "123456789012-abc.apps.googleusercontent.com")),
    )
