"""The sign-in page in real Chromium."""

from __future__ import annotations

import pytest

from ..support.browser import sign_in_with_password

pytestmark = pytest.mark.browser


def test_admin_signs_in_and_out_in_chromium(page, live_server, tenant, factory):
    admin = factory.admin(tenant, name="Ada Admin")
    sign_in_with_password(page, live_server.url(tenant.subdomain), admin.email)
    assert "Welcome, Ada Admin" in page.content()
    page.click("text=Sign out")
    page.wait_for_url("**/login")
    assert page.evaluate("fetch('/api/session').then(r => r.status)") == 401
