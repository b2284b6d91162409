"""The kit's fixtures (the pytest plugin; see :mod:`trainmeuk_identity.testing`).

Every fixture here starts ``contract_`` except ``provider_under_test``, which your
tests define (scope ``module`` or ``session``). The fixtures that depend on it (the app,
the issuer) are module-scoped, so each test module may describe another provider.
Nothing happens unless a test asks for a fixture: no server is started and no database
touched in a test run that does not use the kit.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import webtest
    from sqlalchemy.orm import Session, sessionmaker

    from trainmeuk_identity.models import Tenant

    from . import ProviderUnderTest
    from .factories import Factory
    from .fake_oidc import FakeIssuer, FakeOidcServer, FakeRealm
    from .flow import Connection
    from .scim import ScimClient


def pytest_configure(config: pytest.Config) -> None:
    """pytest rewrites the asserts of every module of a distribution that ships a pytest
    plugin, so with the kit installed the service's own modules are loaded by pytest's
    import hook. Pyramid reads static files and asset specs through pkg_resources, which
    knows only the standard loaders: it is told to read files of modules loaded by that
    hook from the file system, as it does for any module."""
    hook = getattr(config.pluginmanager, "rewrite_hook", None)
    if hook is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # newer setuptools warns that pkg_resources is deprecated
        try:
            import pkg_resources
        except ImportError:
            return
    pkg_resources.register_loader_type(type(hook), pkg_resources.DefaultProvider)


@pytest.fixture(scope="session")
def provider_under_test() -> ProviderUnderTest:
    """Define this fixture in your tests' conftest.py (see docs/plugins.md)."""
    pytest.fail("The contract kit needs a fixture named provider_under_test returning a "
                "trainmeuk_identity.testing.ProviderUnderTest (docs/plugins.md, "
                "'Testing your provider with the contract kit').")


@pytest.fixture(scope="session")
def contract_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """``TRAINMEUK_DATABASE_URL``, else SQLite in a temporary file; migrated to the newest schema."""
    from .app import migrate

    url = os.environ.get("TRAINMEUK_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('contract-db') / 'contract.sqlite'}")
    migrate(url)
    return url


@pytest.fixture(scope="session")
def contract_session_factory(contract_database_url: str) -> Iterator[sessionmaker[Session]]:
    """Database sessions for setting up data and looking at what requests committed."""
    from .app import database_sessions

    with database_sessions(contract_database_url) as factory:
        yield factory


@pytest.fixture(scope="session")
def contract_authority(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeOidcServer]:
    """The fake OpenID Connect authority: HTTPS on loopback, with a CA of its own."""
    from .certificates import CertificateAuthority
    from .fake_oidc import FakeOidcServer

    fake = FakeOidcServer(CertificateAuthority(tmp_path_factory.mktemp("contract-ca"))).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def contract_realm(contract_authority: FakeOidcServer,
                   provider_under_test: ProviderUnderTest) -> FakeRealm:
    """The people and client registrations of the fake authority's issuer."""
    from .fake_oidc import FakeRealm

    return FakeRealm(name=f"contract-{provider_under_test.name}")


@pytest.fixture(scope="module")
def contract_issuer(contract_authority: FakeOidcServer, contract_realm: FakeRealm,
                    provider_under_test: ProviderUnderTest) -> FakeIssuer:
    """The issuer the provider is pointed at, at ``issuer_path`` on the fake authority."""
    path = provider_under_test.issuer_path.rstrip("/")

    def claims(person: Any, client: Any) -> dict[str, Any]:
        return dict(provider_under_test.claims(person.sub, client.client_id))

    return contract_authority.add_issuer(path, contract_realm, extra_claims=claims, endpoints={
        "authorize": f"{path}/authorize", "token": f"{path}/token", "jwks": f"{path}/keys"})


@pytest.fixture
def contract_trust(contract_authority: FakeOidcServer,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOidcServer]:
    """The fake authority, trusted by the app's outbound HTTPS for this test
    (``SSL_CERT_FILE``), its misbehaviour forgotten afterwards."""
    assert contract_authority.ca is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(contract_authority.ca.cert_file))
    yield contract_authority
    contract_authority.reset_tweaks()


@pytest.fixture(scope="module")
def contract_settings(contract_database_url: str, contract_authority: FakeOidcServer,
                      provider_under_test: ProviderUnderTest) -> dict[str, Any]:
    """The application settings of :func:`contract_app`."""
    from .app import make_settings

    return make_settings(contract_database_url, **{
        **provider_under_test.app_settings(contract_authority.url),
        "trainmeuk.plugins.extra": list(provider_under_test.plugins)})


@pytest.fixture(scope="module")
def contract_app(contract_settings: dict[str, Any]) -> Iterator[Any]:
    """The whole WSGI application with the provider installed."""
    from .app import running_app

    with running_app(contract_settings) as application:
        yield application


@pytest.fixture
def contract_factory(contract_session_factory: sessionmaker[Session]) -> Iterator[Factory]:
    """Tenants and accounts committed for real, removed after the test."""
    from .factories import Factory

    factory = Factory(contract_session_factory)
    yield factory
    factory.cleanup()


@pytest.fixture
def contract_tenant(contract_factory: Factory) -> Tenant:
    """A tenant of its own for the test."""
    return contract_factory.tenant(name="Acme Ltd")


@pytest.fixture
def contract_browser(contract_app: Any, contract_tenant: Tenant) -> webtest.TestApp:
    """A browser (WebTest, its own cookies) on the tenant's host."""
    from .app import tenant_app

    return tenant_app(contract_app, contract_tenant)


@pytest.fixture
def contract_connection(contract_trust: FakeOidcServer, contract_issuer: FakeIssuer,
                        contract_session_factory: sessionmaker[Session],
                        contract_settings: dict[str, Any], contract_app: Any,
                        contract_tenant: Tenant, provider_under_test: ProviderUnderTest) -> Connection:
    """The tenant's SSO connection to the fake authority, saved and enabled as an admin's
    Save does (the provider's validation and save-time check included)."""
    from .flow import connect

    return connect(contract_app, contract_session_factory, contract_settings, contract_trust,
                   contract_issuer, contract_tenant, provider_under_test)


@pytest.fixture
def contract_scim(contract_app: Any, contract_tenant: Tenant,
                  contract_session_factory: sessionmaker[Session],
                  provider_under_test: ProviderUnderTest) -> ScimClient:
    """A SCIM client with the tenant's bearer token for the provider's endpoint
    (the test is skipped when the provider declares no SCIM)."""
    from .app import tenant_app
    from .scim import ScimClient, enable_scim

    provider = contract_app.registry["providers"].get(provider_under_test.name)
    if provider is None or not provider.supports_scim:
        pytest.skip(f"provider {provider_under_test.name!r} declares no SCIM")
    token = enable_scim(contract_session_factory, contract_tenant, provider_under_test.name)
    return ScimClient(tenant_app(contract_app, contract_tenant), token,
                      base=f"/scim/{provider_under_test.name}/v2")
