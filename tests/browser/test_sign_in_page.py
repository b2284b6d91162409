"""The sign-in page in real Chromium."""

from __future__ import annotations

import pytest

from ..support.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_admin_signs_in_and_out_in_chromium(page, live_server, tenant, factory):
    admin = factory.admin(tenant, name="Ada Admin")
    page.goto(live_server.url(tenant.subdomain) + "/login")
    page.fill("input[name=email]", admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url(tenant.subdomain) + "/")
    assert "Welcome, Ada Admin" in page.content()
    page.click("text=Sign out")
    page.wait_for_url("**/login")
    assert page.evaluate("fetch('/api/session').then(r => r.status)") == 401
