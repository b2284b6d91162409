"""The ``next`` parameter of sign-in: only a same-site relative path of plain URL
characters is followed; anything else falls back to the home page, never a 500."""

from __future__ import annotations

import pytest

from trainmeuk_identity.testing.factories import PASSWORD

from ..support.app import sign_in, tenant_app

ODD_NEXT = [
    "/€",
    "/admin?q=€uro",
    "/\u4e2d\u6587",
    "/\U0001f600",
    "/caf\u00e9",
    "/a\u2028b",
    "/a b",
    "/\x00",
    "/a\r\nSet-Cookie: x=1",
    "\u2215\u2215evil.example",
    "/\\evil.example",
    "///evil.example",
    "https:/evil.example",
    "javascript:alert(1)",
    "admin",
    "/" + "a" * 5000,
]


@pytest.mark.parametrize("value", ODD_NEXT)
def test_odd_next_falls_back_to_home_on_the_form_and_after_sign_in(testapp, tenant, factory, value):
    user = factory.user(tenant)
    page = testapp.get("/login", {"next": value})
    form = page.forms[0]
    assert form["next"].value == "/"
    # A crafted form post carries the odd value itself.
    form["next"] = value
    form["email"], form["password"] = user.email, PASSWORD
    response = form.submit(status="*")
    assert response.status_int == 303
    assert response.location == f"http://{tenant.subdomain}.localhost/"
    # Already signed in: the form redirects at once, also with the odd value.
    again = testapp.get("/login", {"next": value}, status=302)
    assert again.location == f"http://{tenant.subdomain}.localhost/"


def test_undecodable_next_falls_back(testapp, tenant, factory):
    user = factory.user(tenant)
    sign_in(testapp, user.email)
    response = testapp.get("/login?next=%FF%FE", status=302)
    assert response.location == f"http://{tenant.subdomain}.localhost/"


def test_plain_paths_with_queries_still_work(app, tenant, factory):
    user = factory.user(tenant)
    browser = tenant_app(app, tenant)
    page = browser.get("/admin/users?q=Jos%C3%A9&status=active", status=302)
    form = browser.get(page.location).forms[0]
    assert form["next"].value == "/admin/users?q=Jos%C3%A9&status=active"
    form["email"], form["password"] = user.email, PASSWORD
    assert form.submit().location.endswith("/admin/users?q=Jos%C3%A9&status=active")


def test_sso_start_with_odd_next_is_not_an_error(testapp):
    response = testapp.get("/sso/entra/login", {"next": "/€"}, status="*")
    assert response.status_int < 500
