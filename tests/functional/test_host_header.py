"""The Host header is a host name and an optional numeric port, nothing else: anything
else is refused with 400 in the path's own format, and every absolute URL comes from
the validated host with its port kept."""

from __future__ import annotations

import pytest
import webtest

from trainmeuk_identity.hosts import split_host

from ..support.app import sign_in
from ..support.scim import ERROR, enable_scim, new_user

BAD_HOSTS = [
    "{sub}.localhost:6543@evil.example",
    "{sub}.localhost:@evil.example",
    "evil.example@{sub}.localhost",
    "{sub}.localhost:abc",
    "{sub}.localhost:",
    "{sub}.localhost:65536",
    "{sub}.localhost:80:80",
    "{sub}.localhost/evil",
    "{sub}.localhost evil.example",
    " {sub}.localhost",
    "{sub}.localhost\tx",
    "{sub}_x.localhost",
    "-{sub}.localhost",
    "{sub}..localhost",
    "[::1]:6543",
    "{sub}.localhost%2f",
]


def on_host(app, host: str) -> webtest.TestApp:
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": host, "REMOTE_ADDR": "192.0.2.10"})


@pytest.mark.parametrize("template", BAD_HOSTS)
def test_a_malformed_host_is_refused_in_each_protocols_format(app, tenant, template):
    browser = on_host(app, template.format(sub=tenant.subdomain))

    page = browser.get("/login", status=400)
    assert page.content_type == "text/html"
    assert "not a valid host name" in page.text
    assert "evil" not in page.headers.get("Location", "")

    for path in ("/admin", "/"):
        assert browser.get(path, status=400).status_int == 400

    api = browser.get("/api/session", status=400)
    assert api.json["error"] == "Bad request"
    assert "Host" in api.json["message"]

    scim = browser.get("/scim/entra/v2/Users", status=400)
    assert scim.content_type == "application/scim+json"
    assert scim.json["schemas"] == [ERROR]
    assert scim.json["status"] == "400"


def test_a_malformed_host_cannot_post_either(app, tenant, factory):
    user = factory.user(tenant)
    browser = on_host(app, f"{tenant.subdomain}.localhost:6543@evil.example")
    browser.post("/login", {"email": user.email, "password": "x"}, status=400)


def test_host_grammar():
    assert split_host("acme.trainmeuk.com") == ("acme.trainmeuk.com", None)
    assert split_host("acme.localhost:6543") == ("acme.localhost", "6543")
    assert split_host("127.0.0.1:8080") == ("127.0.0.1", "8080")
    assert split_host("Acme.LocalHost.") == ("Acme.LocalHost.", None)
    for bad in ("", "a" * 64 + ".example", "acme.localhost:+80", "acme.localhost:٣", "acme.localhost:0"):
        assert split_host(bad) is None, bad


def test_redirects_keep_the_validated_host_and_its_port(app, tenant, factory):
    user = factory.user(tenant)
    browser = on_host(app, f"{tenant.subdomain}.localhost:6543")
    assert browser.get("/admin", status=302).location.startswith(
        f"http://{tenant.subdomain}.localhost:6543/login?next=")
    response = sign_in(browser, user.email)
    assert response.status_int == 303
    assert response.location == f"http://{tenant.subdomain}.localhost:6543/"


def test_settings_page_urls_keep_the_port(app, tenant, factory):
    admin = factory.admin(tenant)
    browser = on_host(app, f"{tenant.subdomain}.localhost:6543")
    sign_in(browser, admin.email)
    page = browser.get("/admin/settings/sso")
    base = f"http://{tenant.subdomain}.localhost:6543"
    assert page.html.find(id="scim-endpoint-url")["value"] == f"{base}/scim/entra/v2"
    assert page.html.find(id="sso-redirect-uri")["value"] == f"{base}/sso/entra/callback"


def test_scim_meta_location_keeps_the_port(app, tenant, session_factory):
    token = enable_scim(session_factory, tenant)
    browser = on_host(app, f"{tenant.subdomain}.localhost:6543")
    created = browser.post_json("/scim/entra/v2/Users", new_user("port@acme.example"),
                                headers={"Authorization": f"Bearer {token}"}, status=201)
    assert created.json["meta"]["location"].startswith(
        f"http://{tenant.subdomain}.localhost:6543/scim/entra/v2/Users/")
    assert created.headers["Location"] == created.json["meta"]["location"]


@pytest.mark.parametrize(("path", "kind"), [
    ("/scim/entra/v2/Users/%ff", "application/scim+json"),
    ("/scim/entra/v2/%c3%28", "application/scim+json"),
    ("/api/%ff", "application/json"),
    ("/%ff", "text/html"),
])
def test_a_path_that_is_not_utf8_is_refused_in_its_protocols_format(app, tenant, path, kind):
    browser = webtest.TestApp(app, extra_environ={"HTTP_HOST": f"{tenant.subdomain}.localhost"})
    response = browser.get(path, status=400, expect_errors=True)
    assert response.content_type == kind
    assert "UTF-8" in response.text
