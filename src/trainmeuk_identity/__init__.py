"""TrainMeUK Identity: per-tenant SSO and SCIM provisioning as a Pyramid application."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyramid.config import Configurator
from pyramid.tweens import INGRESS

from .proxy import behind_proxy
from .scim.security import ScimBearerPolicy
from .security import SecurityPolicy, StaffSessionPolicy
from .settings import load_settings

TM_TWEEN = "pyramid_tm.tm_tween_factory"


def configure(settings: dict[str, Any]) -> Configurator:
    """The whole application, in the order it is assembled."""
    config = Configurator(settings=load_settings(settings))

    # Libraries: one transaction per request (pyramid_tm, its tween the innermost of
    # ours), tried again on a retryable error (pyramid_retry, the execution policy
    # around the whole chain). pyramid_jinja2 comes with .templating below.
    config.include("pyramid_tm")
    config.include("pyramid_retry")

    # The tween chain, outermost first. Below the last of these: pyramid_tm, then
    # Pyramid's exception views and the router.
    # Request ids first, so every later part can log and show them.
    config.add_tween("trainmeuk_identity.logs.request_id_tween_factory", under=INGRESS)
    # Security headers (CSP, nosniff, Referrer-Policy, no-store, HSTS in production) on
    # every answer, error pages included.
    config.add_tween("trainmeuk_identity.headers.security_headers_tween_factory",
                     under="trainmeuk_identity.logs.request_id_tween_factory")
    # The Host header checked (400 if malformed) before anything builds a URL from it.
    config.add_tween("trainmeuk_identity.hosts.host_check_tween_factory",
                     under="trainmeuk_identity.headers.security_headers_tween_factory")
    # SCIM: ".../v2//Users" (a Tenant URL pasted with a trailing slash) is ".../v2/Users".
    config.add_tween("trainmeuk_identity.scim.routes.collapse_slashes_tween_factory",
                     under="trainmeuk_identity.hosts.host_check_tween_factory")
    # SCIM: the provisioning log, above pyramid_tm so an entry is complete once the
    # request's transaction has ended (written in batches by a background thread).
    config.add_tween("trainmeuk_identity.scim.log.provisioning_log_tween_factory",
                     under="trainmeuk_identity.scim.routes.collapse_slashes_tween_factory",
                     over=TM_TWEEN)
    # SCIM: fairness between tenants; a token's excess requests wait for its share
    # before any database connection or transaction, and the log still records a 429.
    config.add_tween("trainmeuk_identity.scim.limits.scim_limits_tween_factory",
                     under="trainmeuk_identity.scim.log.provisioning_log_tween_factory",
                     over=TM_TWEEN)

    # Templates (Jinja2) and static files, served from the package (no CDN).
    config.include(".templating")
    # Database: request.dbsession joined to the request's transaction (pyramid_tm,
    # pyramid_retry).
    config.include(".models")
    # Host -> tenant, and the tenant-scoped query helper.
    config.include(".tenancy")
    # Session cookie, CSRF on by default.
    config.include(".security")
    # Who is calling, chosen by the route's context (``__authn__``): a staff session, or
    # on SCIM routes a bearer token. A SCIM token can never satisfy an admin permission.
    config.set_security_policy(SecurityPolicy({
        "session": StaffSessionPolicy(),
        "scim": ScimBearerPolicy(),
    }))
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
    config.scan(ignore=[".scripts"])
    config.include(".request_class")  # last of all: folds every request extension into one class
    return config


#: Settings that a script loading the application may override through
#: ``pyramid.paster.bootstrap(config_uri, options=...)`` (the console runs no mail worker).
SCRIPT_OPTIONS = ("trainmeuk.mail_worker",)


def main(global_config: dict[str, Any], **settings: Any) -> Callable[..., Any]:
    """The WSGI application factory (``use = egg:trainmeuk-identity``): the application
    behind the reverse proxy's forwarded headers (see :mod:`.proxy`)."""
    settings.update({name: global_config[name] for name in SCRIPT_OPTIONS if name in global_config})
    return behind_proxy(configure(settings).make_wsgi_app())
