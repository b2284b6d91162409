"""Two worker processes of one deployment, as production runs them.

Each is ``pserve`` of an ini that selects the production server runner (gunicorn,
gthread, one worker forked from the master that loaded the app): real OS processes
on their own loopback ports, sharing only the test database, like two app hosts
behind one load balancer. A browser that starts signing in on one finishes on the
other; a SCIM token rotated through one is refused at once by the other; a user
provisioned through one gets the welcome mail from that host's mail process; and
forwarded headers count only from the trusted proxy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from trainmeuk_identity.models import Tenant
from trainmeuk_identity.testing.factories import PASSWORD, Factory

from ..support.app import BASE_DOMAIN, TEST_SECRET
from ..support.deployment import INI, Process, start_process, stop_processes, wait_until_serving
from ..support.fake_entra import FakeEntra
from ..support.servers import SMTPServer
from ..support.sso import connect, path_of

pytestmark = pytest.mark.live

TRUSTED_PROXY = "127.0.0.1"
UNTRUSTED_PEER = "127.0.0.2"  # another loopback address: the same machine, not the proxy


@pytest.fixture(scope="module")
def fake_authority() -> Iterator[FakeEntra]:
    fake = FakeEntra().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def deployment_settings(database_url: str, smtp_server: SMTPServer,
                        fake_authority: FakeEntra) -> dict[str, Any]:
    return {"sqlalchemy.url": database_url, "trainmeuk.environment": "testing",
            "trainmeuk.base_domain": BASE_DOMAIN, "trainmeuk.secret_keys": TEST_SECRET,
            "trainmeuk.entra_authority": fake_authority.url}


@pytest.fixture(scope="module")
def processes(database_url: str, smtp_server: SMTPServer, fake_authority: FakeEntra,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Process, Process]]:
    tmp = tmp_path_factory.mktemp("deployment")
    ini = tmp / "deployment.ini"
    ini.write_text(INI.format(base_domain=BASE_DOMAIN, secret=TEST_SECRET,
                              authority=fake_authority.url, trusted_proxy=TRUSTED_PROXY,
                              mail_port=smtp_server.port))
    started = [start_process(name, ini, database_url, tmp) for name in ("a", "b")]
    try:
        for process in started:
            wait_until_serving(process)
        yield started[0], started[1]
    finally:
        stop_processes(started)


class Browser:
    """One browser (one cookie jar) whose requests the load balancer may send to either
    process: every request names the process and carries the tenant's Host header."""

    def __init__(self, tenant: Tenant, local_address: str = TRUSTED_PROXY) -> None:
        self.host = f"{tenant.subdomain}.{BASE_DOMAIN}"
        self.client = httpx.Client(transport=httpx.HTTPTransport(local_address=local_address),
                                   follow_redirects=False, timeout=15)

    def get(self, process: Process, path: str, **kw: Any) -> httpx.Response:
        return self.client.get(process.url(path), headers={"Host": self.host, **kw.pop("headers", {})}, **kw)

    def post(self, process: Process, path: str, data: dict[str, str]) -> httpx.Response:
        return self.client.post(process.url(path), data=data, headers={"Host": self.host})

    def csrf(self, process: Process, path: str, form_id: str | None = None) -> str:
        page = self.get(process, path).text
        if form_id is not None:
            page = page[page.index(f'id="{form_id}"'):]
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def close(self) -> None:
        self.client.close()


def scim_status(process: Process, tenant: Tenant, token: str) -> int:
    """Entra's Test connection request."""
    return httpx.get(process.url("/scim/entra/v2/Users"),
                     params={"filter": 'userName eq "0f3c6a50-probe"'},
                     headers={"Host": f"{tenant.subdomain}.{BASE_DOMAIN}",
                              "Authorization": f"Bearer {token}"}, timeout=15).status_code


def shown_token(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return re.search(r'id="scim-token" value="([^"]+)"', response.text).group(1)


def test_sign_in_started_on_one_process_completes_on_the_other(processes, factory: Factory,
                                                               session_factory, deployment_settings,
                                                               fake_authority: FakeEntra):
    a, b = processes
    tenant = factory.tenant(name="Two Hosts Ltd")
    connected = connect(session_factory, deployment_settings, fake_authority, tenant)
    account = factory.user(tenant, "sam@twohosts.example")
    person = fake_authority.add_user(connected.directory, "sam@twohosts.example")
    fake_authority.sign_in_as(connected.directory, person)
    browser = Browser(tenant)
    try:
        started = browser.get(a, "/sso/entra/login", params={"next": "/admin"})
        assert started.status_code == 302 and started.headers["location"].startswith(fake_authority.url)
        answer = httpx.get(started.headers["location"], follow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text
        callback = path_of(answer.headers["location"])

        done = browser.get(b, callback)
        assert done.status_code == 303, (done.text, b.output())
        assert done.headers["location"].endswith("/admin")
        session = browser.get(a, "/api/session")  # and the session works on the first one
        assert session.status_code == 200 and session.json()["user"]["id"] == account.id
        assert browser.get(a, callback).status_code == 400  # the state was used once
    finally:
        browser.close()


def test_a_token_rotated_through_one_process_is_refused_at_once_by_the_other(
        processes, factory: Factory, smtp_server: SMTPServer):
    a, b = processes
    tenant = factory.tenant(name="Rotating Ltd")
    admin = factory.admin(tenant)
    browser = Browser(tenant)
    try:
        signed_in = browser.post(a, "/login", {"csrf_token": browser.csrf(a, "/login"),
                                                "email": admin.email, "password": PASSWORD})
        assert signed_in.status_code in (302, 303), signed_in.text
        page = "/admin/settings/sso"
        first = shown_token(browser.post(a, "/admin/settings/scim/entra", {
            "csrf_token": browser.csrf(a, page, "scim-toggle-form"), "action": "toggle", "enabled": "on"}))
        assert scim_status(b, tenant, first) == 200
        assert scim_status(a, tenant, first) == 200

        second = shown_token(browser.post(a, "/admin/settings/scim/entra", {
            "csrf_token": browser.csrf(a, page, "scim-regenerate-form"), "action": "regenerate"}))
        assert second != first
        assert scim_status(b, tenant, first) == 401
        assert scim_status(b, tenant, second) == 200
    finally:
        browser.close()

    # The new token provisions through the other process, whose mail process (woken
    # by the worker after the commit) sends the welcome mail.
    created = httpx.post(b.url("/scim/entra/v2/Users"), timeout=15, headers={
        "Host": f"{tenant.subdomain}.{BASE_DOMAIN}", "Authorization": f"Bearer {second}",
        "Content-Type": "application/scim+json"}, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "new.starter@rotating.example", "active": True,
        "emails": [{"value": "new.starter@rotating.example", "type": "work", "primary": True}]})
    assert created.status_code == 201, created.text
    smtp_server.sink.wait_for("new.starter@rotating.example", timeout=20)


def test_forwarded_headers_count_only_from_the_trusted_proxy(processes, factory: Factory,
                                                             session_factory, deployment_settings,
                                                             fake_authority: FakeEntra):
    a, _ = processes
    own = factory.tenant(name="Own Host Ltd")
    other = factory.tenant(name="Claimed Host Ltd")
    own_app = connect(session_factory, deployment_settings, fake_authority, own).app
    other_app = connect(session_factory, deployment_settings, fake_authority, other).app
    claims = {"X-Forwarded-Host": f"{other.subdomain}.{BASE_DOMAIN}", "X-Forwarded-Proto": "https"}

    def redirect_to_microsoft(peer: str) -> dict[str, list[str]]:
        browser = Browser(own, local_address=peer)
        try:
            response = browser.get(a, "/sso/entra/login", headers=claims)
        finally:
            browser.close()
        assert response.status_code == 302, response.text
        return parse_qs(urlsplit(response.headers["location"]).query)

    # A client connecting directly cannot claim another tenant or scheme.
    direct = redirect_to_microsoft(UNTRUSTED_PEER)
    assert direct["client_id"] == [own_app.client_id]
    assert direct["redirect_uri"] == [f"http://{own.subdomain}.{BASE_DOMAIN}/sso/entra/callback"]
    # The reverse proxy can: it terminated TLS for the other tenant's address.
    proxied = redirect_to_microsoft(TRUSTED_PROXY)
    assert proxied["client_id"] == [other_app.client_id]
    assert proxied["redirect_uri"] == [f"https://{other.subdomain}.{BASE_DOMAIN}/sso/entra/callback"]
