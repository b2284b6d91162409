"""The pages the browser tests visit run under the strict Content-Security-Policy with
no violation reported in Chromium's console (no inline script or style anywhere)."""

from __future__ import annotations

import pytest

from ..support.browser import sign_in_with_password

pytestmark = pytest.mark.browser


def watch_console(page) -> list[str]:
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: messages.append(f"pageerror: {exc}"))
    return messages


def csp_violations(messages: list[str]) -> list[str]:
    return [m for m in messages if "Content Security Policy" in m or "Refused to" in m]


def test_no_csp_violation_on_sign_in_settings_and_user_management(page, live_server, tenant,
                                                                  factory):
    admin = factory.admin(tenant, name="Ada Admin")
    person = factory.user(tenant, name="Pat Person")
    messages = watch_console(page)
    base = live_server.url(tenant.subdomain)

    response = page.goto(base + "/login")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    sign_in_with_password(page, base, admin.email)
    for path in ("/", "/admin", "/admin/settings/sso", "/admin/users", f"/admin/users/{person.id}",
                 f"/admin/users/{person.id}?confirm=end_sessions",
                 "/admin/users/new", "/admin/users?status=active", "/admin/audit",
                 "/admin/provisioning-log"):
        assert page.goto(base + path).status == 200, path
        page.wait_for_load_state("load")
    # The page's own script runs (no inline handlers needed): Copy puts the URL on the
    # clipboard of this context.
    page.goto(base + "/admin/settings/sso")
    page.click("[data-copy='#scim-endpoint-url']")
    page.wait_for_function("document.querySelector(\"[data-copy='#scim-endpoint-url']\").textContent === 'Copied'")
    assert csp_violations(messages) == [], messages


def test_the_console_check_does_catch_an_inline_style(page, live_server, tenant):
    messages = watch_console(page)
    page.goto(live_server.url(tenant.subdomain) + "/login")
    page.evaluate("""() => { const s = document.createElement('style');
                              s.textContent = 'body { color: red }';
                              document.head.appendChild(s); }""")
    page.wait_for_timeout(200)
    assert csp_violations(messages), messages
