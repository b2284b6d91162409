"""TrainMeUK Identity: per-tenant SSO and SCIM provisioning as a Pyramid application."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyramid.config import Configurator

from .proxy import behind_proxy
from .settings import load_settings


def configure(settings: dict[str, Any]) -> Configurator:
    """The whole application, in the order it is assembled."""
    config = Configurator(settings=load_settings(settings))
    # Request ids first, so every later part can log and show them.
    config.include(".logs")
    # Security headers (CSP, nosniff, Referrer-Policy, no-store, HSTS in production).
    config.include(".headers")
    # The Host header checked (400 if malformed) before anything builds a URL from it.
    config.include(".hosts")
    # Templates (Jinja2) and static files, served from the package (no CDN).
    config.include(".templating")
    # Database: request.dbsession joined to the request's transaction.
    config.include(".models")
    # Host -> tenant, and the tenant-scoped query helper.
    config.include(".tenancy")
    # Session cookie, composed security policy, CSRF on by default.
    config.include(".security")
    # Identity-provider plugins (pluggy), loaded from their entry points.
    config.include(".providers")
    # Events fired after commit (user provisioned, sign-in succeeded, ...).
    config.include(".events")
    # Outgoing mail: an outbox in the database and a delivery worker.
    config.include(".mail")
    # Error pages in the caller's language (HTML, JSON under /api, SCIM under /scim).
    config.include(".errors")
    # Features, one package each, with their own routes.
    config.include(".health")
    config.include(".auth")
    config.include(".admin")
    config.include(".sso")
    config.include(".scim")
    config.scan(ignore=[".tests", ".scripts"])
    return config


#: Settings that a script loading the application may override through
#: ``pyramid.paster.bootstrap(config_uri, options=...)`` (the console runs no mail worker).
SCRIPT_OPTIONS = ("trainmeuk.mail_worker",)


def main(global_config: dict[str, Any], **settings: Any) -> Callable[..., Any]:
    """The WSGI application factory (``use = egg:trainmeuk-identity``): the application
    behind the reverse proxy's forwarded headers (see :mod:`.proxy`)."""
    settings.update({name: global_config[name] for name in SCRIPT_OPTIONS if name in global_config})
    return behind_proxy(configure(settings).make_wsgi_app())
