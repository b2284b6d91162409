"""The guide's Part 2, step 1 in real Chromium: toggle Enable SCIM, copy the URL and token."""

from __future__ import annotations

import json
import urllib.request

import pytest

from ..support.browser import sign_in_with_password

pytestmark = pytest.mark.browser


def scim_status(live_server, subdomain: str, token: str) -> int:
    """A request as Entra's Test connection makes it, straight to the live server."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{live_server.port}/scim/entra/v2/Users?filter=userName+eq+%22probe%22",
        headers={"Host": f"{subdomain}.localhost:{live_server.port}", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            json.load(response)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_enable_scim_and_copy_the_token_in_chromium(page, live_server, tenant, factory):
    admin = factory.admin(tenant, name="Ada Admin")
    base = live_server.url(tenant.subdomain)
    sign_in_with_password(page, base, admin.email)

    page.goto(base + "/admin/settings/sso")
    assert page.input_value("#scim-endpoint-url") == f"{base}/scim/entra/v2"
    page.click("button[data-copy='#scim-endpoint-url']")
    assert page.evaluate("navigator.clipboard.readText()") == f"{base}/scim/entra/v2"

    with page.expect_navigation():
        page.check("#scim-enabled")  # the toggle saves at once
    token = page.input_value("#scim-token")
    assert len(token) >= 40
    assert "shown only now" in page.inner_text("#scim")
    page.click("button[data-copy='#scim-token']")
    assert page.evaluate("navigator.clipboard.readText()") == token
    assert scim_status(live_server, tenant.subdomain, token) == 200

    # Reloading shows only its last four characters.
    page.goto(base + "/admin/settings/sso")
    assert page.locator("#scim-token").count() == 0
    assert page.inner_text("#scim-token-suffix") == "…" + token[-4:]
    assert page.is_checked("#scim-enabled")

    # Regenerate: the old token stops working, the new one works.
    with page.expect_navigation():
        page.click("#scim-regenerate")
    new = page.input_value("#scim-token")
    assert new != token
    assert scim_status(live_server, tenant.subdomain, token) == 401
    assert scim_status(live_server, tenant.subdomain, new) == 200

    # Toggling off: the endpoint refuses while the token is kept.
    page.goto(base + "/admin/settings/sso")
    with page.expect_navigation():
        page.uncheck("#scim-enabled")
    assert "SCIM provisioning is off" in page.inner_text("#scim")
    assert scim_status(live_server, tenant.subdomain, new) == 403
