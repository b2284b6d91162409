"""The tenant's Workspace domains, and who of Google's accounts may sign in.

Google signs in every kind of Google account: a personal one (gmail.com, or a company
address registered as a consumer account), or one of *any* Google Workspace. What
says an account belongs to the tenant's Workspace is the id_token's ``hd`` (hosted
domain) claim, which Google sets only for Workspace accounts, never the email's domain:
a personal account can carry ``sam@acme.com`` with ``email_verified`` true and no
``hd``. The ``hd`` request parameter only narrows Google's account chooser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# A DNS name: labels of letters, digits and inner hyphens, a letter TLD.
DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# Google's consumer mail: never a Workspace.
CONSUMER_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
MAX_DOMAINS = 50


def parse(value: str | None) -> list[str]:
    """The domains of a ``hosted_domains`` value: comma-separated, in lower case, blanks
    and repeats dropped, in the order given."""
    found: list[str] = []
    for item in (value or "").split(","):
        domain = item.strip().lower()
        if domain and domain not in found:
            found.append(domain)
    return found


def normalize(value: str) -> str:
    return ",".join(parse(value))


def validate(value: str) -> str | None:
    domains = parse(value)
    if not domains:
        return "Enter your Google Workspace domain, such as acme.com."
    if len(domains) > MAX_DOMAINS:
        return f"Enter at most {MAX_DOMAINS} domains."
    for domain in domains:
        problem = _problem(domain)
        if problem:
            return problem
    return None


def _problem(domain: str) -> str | None:
    if domain == "*" or "*" in domain:
        return ("List each Workspace domain: a wildcard would let people of every Google "
                "Workspace sign in.")
    if "@" in domain:
        return f"“{domain}” is an email address; enter the domain only, such as acme.com."
    if domain.startswith(("http://", "https://")) or "/" in domain or ":" in domain:
        return f"“{domain}”: enter the domain only, such as acme.com (no https:// and no path)."
    if not DOMAIN_RE.match(domain):
        return f"“{domain}” is not a domain name. Separate several domains with commas."
    if domain in CONSUMER_DOMAINS:
        return (f"{domain} is Google's personal mail, not a Workspace domain: its accounts are "
                "anyone's. Enter your organisation's own domain.")
    return None


def spoken(domains: Iterable[str]) -> str:
    """``a.com``, ``a.com or b.com``, ``a.com, b.com or c.com``."""
    items = list(domains)
    return " or ".join(filter(None, [", ".join(items[:-1]), items[-1]])) if items else "(none)"


def refusal(claims: Mapping[str, Any], settings: Mapping[str, Any]) -> str | None:
    """Why these (validated) claims may not sign in to the tenant, or None."""
    allowed = parse(settings.get("hosted_domains"))
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    account = f"The Google account you chose ({email})" if email else "The Google account you chose"
    only = f"This organisation signs in with Google Workspace accounts of {spoken(allowed)} only."
    hd = claims.get("hd")
    if not isinstance(hd, str) or not hd.strip():
        return (f"{only} {account} is a personal Google account, not part of a Google "
                f"Workspace. Sign in again and choose your work account.")
    if hd.strip().lower() not in allowed:
        return (f"{only} {account} belongs to the Google Workspace of {hd.strip().lower()}. "
                f"Sign in again and choose your {spoken(allowed)} account.")
    if claims.get("email_verified") is not True:
        return (f"Google has not verified the email address of {account[0].lower() + account[1:]}, "
                "so TrainMeUK cannot sign you in with it. Ask your Google Workspace administrator.")
    return None
