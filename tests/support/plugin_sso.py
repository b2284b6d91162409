"""Sign-in through a provider plugin loaded from its source folder, against a fake
authority on HTTPS: what the Okta and Google helpers (``okta.py``, ``google.py``) share."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx2
import webtest

from trainmeuk_identity.models import Tenant, TenantScope
from trainmeuk_identity.settings import load_settings
from trainmeuk_identity.sso.configure import SaveOutcome, save_sso_settings
from trainmeuk_identity.sso.oidc import HttpProbe

from .app import BASE_DOMAIN, ROOT
from .sso import path_of


def plugin_source(folder: str) -> Path:
    return Path(ROOT) / "plugins" / folder


def plugin_from_source(folder: str, module: str) -> ModuleType:
    """The plugin module, imported from plugins/<folder> (the package tests install it
    with pip; here its source is imported so that no entry point leaks into other tests'
    apps)."""
    if module not in sys.modules:
        source = str(plugin_source(folder))
        sys.path.insert(0, source)
        try:
            importlib.import_module(module)
        finally:
            sys.path.remove(source)
    return sys.modules[module]


def callback_uri(tenant: Tenant, provider: str) -> str:
    return f"http://{tenant.subdomain}.{BASE_DOMAIN}/sso/{provider}/callback"


def save(session_factory: Any, settings: dict[str, Any], tenant: Tenant, provider: Any,
         values: dict[str, str], secret: str | None, *, enable: bool = True,
         create_accounts: bool = False) -> SaveOutcome:
    """Save ``provider``'s connection for ``tenant`` as the admin page does."""
    with session_factory() as session, session.begin():
        return save_sso_settings(
            TenantScope(session, tenant.id), session.get(Tenant, tenant.id), provider,
            values=values, secret=secret, enable=enable, create_accounts=create_accounts,
            require_sso=False, app_settings=load_settings(settings, environ={}), probe=HttpProbe())


def start(web: webtest.TestApp, provider: str, **params: str) -> webtest.TestResponse:
    response = web.get(f"/sso/{provider}/login", params=params or None, status=302)
    assert response.location.startswith("https://127.0.0.1:"), response.location
    return response


def at_authority(fake: Any, url: str) -> httpx2.Response:
    """The browser's visit to the fake authority's authorize page (HTTPS)."""
    return httpx2.get(url, follow_redirects=False, timeout=10, verify=fake.client_context())


def to_callback(fake: Any, authorize_url: str) -> str:
    answer = at_authority(fake, authorize_url)
    assert answer.status_code == 302, answer.text
    return path_of(answer.headers["location"])


def no_session(web: webtest.TestApp) -> bool:
    return web.get("/api/session", status="*").status_int == 401
