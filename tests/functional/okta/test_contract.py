"""The Okta plugin runs the contract test kit's suite (``trainmeuk_identity.testing``):
an org at ``https://<domain>`` is played by the kit's fake authority through the plugin's
``trainmeuk.okta.base_url_template``."""

import secrets

import pytest

from trainmeuk_identity.testing import ProviderUnderTest
from trainmeuk_identity.testing.contract import *  # noqa: F403  (the kit's suite)

from ...support.okta import okta_plugin

DOMAIN = "contract.okta.com"


@pytest.fixture(scope="session")
def provider_under_test() -> ProviderUnderTest:
    return ProviderUnderTest(
        name="okta",
        plugins=(okta_plugin(),),
        app_settings=lambda url: {"trainmeuk.okta.base_url_template": url + "/{domain}"},
        settings=lambda client_id: {"domain": DOMAIN, "authorization_server": "", "client_id": client_id},
        issuer_path=f"/{DOMAIN}",
        new_client_id=lambda: "0oa" + secrets.token_hex(8),
        invalid_settings=(("domain", "https://contract.okta.com"), ("domain", "contract-admin.okta.com"),
                          ("domain", "not a domain"), ("authorization_server", "a/b")),
    )
