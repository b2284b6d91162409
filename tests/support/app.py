"""The application under test (settings, database, building and closing it, browsers on a
tenant's host) comes from the contract test kit, :mod:`trainmeuk_identity.testing.app`;
here: the source tree and signing in with a password."""

from __future__ import annotations

import os

import webtest

from trainmeuk_identity.testing.app import (
    BASE_DOMAIN,
    TEST_SECRET,
    close_app,
    database_sessions,
    make_settings,
    migrate,
    running_app,
    tenant_app,
)
from trainmeuk_identity.testing.factories import PASSWORD

__all__ = ["BASE_DOMAIN", "ROOT", "TEST_SECRET", "close_app", "database_sessions", "make_settings",
           "migrate",
           "running_app", "sign_in", "tenant_app"]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sign_in(testapp: webtest.TestApp, email: str, password: str = PASSWORD) -> webtest.TestResponse:
    form = testapp.get("/login").forms[0]
    form["email"] = email
    form["password"] = password
    return form.submit(status="*")
