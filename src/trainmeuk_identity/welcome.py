"""The welcome email: a built-in plugin implementing the ``user_provisioning`` and
``user_provisioned`` hooks.

Registered through the ``trainmeuk_identity.providers`` entry point like any plugin
(block it with ``trainmeuk.plugins.blocked = welcome_email``). The message is put in the
outbox inside the transaction that creates the account (``user_provisioning``), so it
commits with the account, or rolls back with it: a rolled-back account gets no mail,
and a committed one cannot lose its mail to a crash before a second transaction. After
commit (``user_provisioned``) the mail worker is woken; it delivers the message and
retries while the SMTP server is unreachable: the request that created the account
never waits for SMTP.

The mail says how to sign in: "Sign in with <provider>" at the organisation's address
when the tenant has SSO on; otherwise a single-use link to choose a password (unless
the account already has one). Accounts created inactive get nothing. The outbox keeps
that link without its token: the mail worker mints the token when it delivers the
message (``auth/password_links.py``), so no table holds it in clear.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from . import mail
from .auth import SET_PASSWORD_PATH
from .auth.password_links import SET_PASSWORD_LINK_LIFETIME, TOKEN_PLACEHOLDER
from .connections import sso_providers
from .models import Tenant, TenantScope, User
from .providers import HookServices, hookimpl

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WelcomeMail:
    recipient: str
    subject: str
    text: str
    html: str


def recipient_of(user: User) -> str | None:
    if user.email:
        return user.email
    return user.user_name if "@" in user.user_name else None


def sso_button_labels(scope: TenantScope, providers: Any) -> list[str]:
    """"Sign in with ..." for each provider this tenant has SSO switched on for."""
    if providers is None:
        return []
    return [f"Sign in with {provider.button_label}" for provider in sso_providers(scope, providers)]


def compose(tenant: Tenant, user: User, *, login_url: str, sso_labels: list[str],
            password_link: str | None) -> WelcomeMail:
    """The message, in plain text and HTML (every value escaped)."""
    recipient = recipient_of(user) or ""
    org = tenant.display_name
    greeting = f"Hello {user.given_name or user.name},"
    intro = f"Your TrainMeUK account at {org} is ready. You sign in with {recipient}."
    days = SET_PASSWORD_LINK_LIFETIME.days
    if sso_labels:
        button = sso_labels[0]
        steps = [f"Go to {login_url}",
                 (f"Click “{button}” and use your usual work account. There is no "
                  "separate TrainMeUK password.")]
    elif password_link:
        steps = [f"Choose your password with this link (it works once, for {days} days): {password_link}",
                 f"Then sign in at {login_url}"]
    else:
        steps = [f"Sign in at {login_url} with the password you were given."]
    text = "\n".join([greeting, "", intro, "", "How to sign in:",
                      *[f"  {i}. {step}" for i, step in enumerate(steps, 1)], "",
                      "If you did not expect this, tell your organisation's TrainMeUK administrator.",
                      "", "TrainMeUK"]) + "\n"

    def link(url: str, label: str | None = None) -> Markup:
        return Markup('<a href="{0}">{1}</a>').format(url, label or url)

    if sso_labels:
        html_steps = [Markup("Go to {0}").format(link(login_url)),
                      Markup("Click <strong>{0}</strong> and use your usual work account. "
                             "There is no separate TrainMeUK password.").format(sso_labels[0])]
    elif password_link:
        html_steps = [Markup("{0} (it works once, for {1} days).").format(
                          link(password_link, "Choose your password"), days),
                      Markup("Then sign in at {0}").format(link(login_url))]
    else:
        html_steps = [Markup("Sign in at {0} with the password you were given.").format(link(login_url))]
    # One element a line: SMTP refuses lines over 998 characters.
    html = Markup(
        "<!doctype html>\n<html><body>\n"
        "<p>{greeting}</p>\n<p>{intro}</p>\n<p><strong>How to sign in:</strong></p>\n<ol>\n{steps}</ol>\n"
        "<p>If you did not expect this, tell your organisation's TrainMeUK administrator.</p>\n"
        "<p>TrainMeUK</p>\n</body></html>\n"
    ).format(greeting=greeting, intro=intro,
             steps=Markup("").join(Markup("<li>{0}</li>\n").format(s) for s in html_steps))
    return WelcomeMail(recipient=recipient, subject=f"Your TrainMeUK account at {org}",
                       text=text, html=str(html))


def enqueue_welcome(session: Session, services: HookServices, tenant: Tenant, user: User) -> None:
    """Put the welcome mail of ``user``, if one is due, in the outbox of ``session``'s
    transaction."""
    if not welcome_due(user):
        return
    scope = TenantScope(session, tenant.id)
    base_url = services.base_url(tenant.subdomain)
    labels = sso_button_labels(scope, services.providers)
    wants_link = not labels and not user.password_hash
    # The token is minted when the mail is delivered: here the link has a placeholder.
    link = (f"{base_url.rstrip('/')}{SET_PASSWORD_PATH.format(token=TOKEN_PLACEHOLDER)}"
            if wants_link else None)
    message = compose(tenant, user, login_url=f"{base_url}/login", sso_labels=labels,
                      password_link=link)
    mail.enqueue(session, recipient=message.recipient, subject=message.subject,
                 body_text=message.text, body_html=message.html, tenant_id=tenant.id,
                 set_password_user_id=user.id if wants_link else None)


def welcome_due(user: User) -> bool:
    """Active (an account created inactive is welcomed by nobody yet) and reachable."""
    return bool(user.active) and recipient_of(user) is not None


@hookimpl
def user_provisioning(tenant: Tenant, user: User, session: Session,
                      services: HookServices | None) -> None:
    if services is None:
        log.warning("no welcome email for %s: hook called without services", user.id)
        return
    enqueue_welcome(session, services, tenant, user)


@hookimpl
def user_provisioned(user: User, services: HookServices | None) -> None:
    if services is not None and services.mail_worker is not None and welcome_due(user):
        services.mail_worker.wake()  # the message committed with the account
