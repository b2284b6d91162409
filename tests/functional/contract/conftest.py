"""The built-in Entra provider, described for the contract test kit
(``trainmeuk_identity.testing``): its directory is an issuer at ``/<tenant id>/v2.0`` on
the kit's fake authority, reached through ``trainmeuk.entra.authority``."""

from __future__ import annotations

import uuid

import pytest

from trainmeuk_identity.testing import ProviderUnderTest

DIRECTORY = "7d8e4b0c-5a1f-4c2e-9b3d-0f6a1e2c3d4e"


@pytest.fixture(scope="session")
def provider_under_test() -> ProviderUnderTest:
    return ProviderUnderTest(
        name="entra",
        app_settings=lambda url: {"trainmeuk.entra.authority": url},
        settings=lambda client_id: {"tenant_id": DIRECTORY, "client_id": client_id},
        issuer_path=f"/{DIRECTORY}/v2.0",
        claims=lambda sub, client_id: {"oid": str(uuid.uuid5(uuid.NAMESPACE_URL, sub)),
                                       "tid": DIRECTORY, "ver": "2.0"},
        new_client_id=lambda: str(uuid.uuid4()),
        invalid_settings=(("tenant_id", "common"), ("tenant_id", "acme.example"),
                          ("client_id", "trainmeuk"), ("client_secret", str(uuid.uuid4()))),
    )
