"""Admin → User Management → End sessions, in real Chromium: the admin confirms, and the
person's own browser is signed out at its next request."""

from __future__ import annotations

import pytest

from ..support.browser import sign_in_with_password

pytestmark = pytest.mark.browser


def test_admin_ends_a_persons_sessions_and_their_browser_is_signed_out(
        page, browser, live_server, tenant, factory):
    admin = factory.admin(tenant, name="Ada Admin")
    person = factory.user(tenant, name="Pat Person")
    base = live_server.url(tenant.subdomain)

    theirs = browser.new_context()
    try:
        their_page = theirs.new_page()
        sign_in_with_password(their_page, base, person.email)
        assert "Welcome, Pat Person" in their_page.content()

        sign_in_with_password(page, base, admin.email)
        page.goto(f"{base}/admin/users/{person.id}")
        page.click("#end-sessions-link")
        dialog = page.locator("#end-sessions-confirm")
        assert "End every session of Pat Person?" in dialog.inner_text()
        page.click("#end-sessions-form button[type=submit]")
        page.wait_for_url(f"{base}/admin/users/{person.id}")
        assert "Pat Person is signed out everywhere" in page.locator("[role=status]").inner_text()
        assert page.locator("#end-sessions-confirm").count() == 0

        their_page.reload()
        their_page.wait_for_url("**/login**")
        assert their_page.evaluate("fetch('/api/session').then(r => r.status)") == 401
    finally:
        theirs.close()
