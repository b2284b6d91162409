"""Steps shared by the browser tests."""

from __future__ import annotations

from typing import Any

from trainmeuk_identity.testing.factories import PASSWORD


def sign_in_with_password(page: Any, base: str, email: str, password: str = PASSWORD) -> None:
    """Sign in on the tenant at ``base`` through the real sign-in form; lands on home."""
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
