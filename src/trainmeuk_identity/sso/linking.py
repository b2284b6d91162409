"""Which TrainMeUK account a validated sign-in belongs to.

The key is the provider's immutable identity of the person (``Provider.identity_of``:
an issuer or directory and a subject), stored as an :class:`SsoIdentity`. Only on a
person's first sign-in, with the token's issuer already pinned to the customer's own,
is an account found by the profile's login hints, email or userName (exactly one
active match), and the link stored; after that the link alone
decides. Email addresses and user names never authorise anyone on their own: they can
be changed or reassigned.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from ..accounts import AccountError, create_user, find_by_login
from ..models import SsoIdentity, TenantScope, User, UserSource
from ..models.meta import utcnow
from ..providers.base import SsoProfile


@dataclass(frozen=True)
class LinkResult:
    """``user`` is set when the sign-in may proceed; otherwise ``refusal`` says why."""

    user: User | None
    how: str  # "linked", "first_link", "created", or the refusal code
    refusal: str | None = None
    message: str = ""
    matched: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.user is not None and self.refusal is None


def _refuse(code: str, message: str, user: User | None = None,
            matched: tuple[str, ...] = ()) -> LinkResult:
    return LinkResult(user=user, how=code, refusal=code, message=message, matched=matched)


def find_identity(scope: TenantScope, provider: str, issuer_tenant: str,
                  subject: str) -> SsoIdentity | None:
    return scope.session.scalar(scope.select(SsoIdentity).where(
        SsoIdentity.provider == provider, SsoIdentity.issuer_tenant == issuer_tenant,
        SsoIdentity.subject == subject))


def resolve(scope: TenantScope, *, provider: str, issuer_tenant: str, subject: str,
            profile: SsoProfile, create_accounts: bool, dry_run: bool = False,
            account_label: str = "identity provider") -> LinkResult:
    """Find (and unless ``dry_run``, store or create) the account for this identity.
    ``account_label`` names the provider in messages ("this <label> account")."""
    identity = find_identity(scope, provider, issuer_tenant, subject)
    if identity is not None:
        user = scope.get(User, identity.user_id)
        if user is None or not user.active:
            return _refuse("deactivated", "This TrainMeUK account is deactivated.", user)
        if not dry_run:
            identity.last_login_at = utcnow()
        return LinkResult(user=user, how="linked")

    candidates: dict[str, User] = {}
    for hint in profile.login_hints:
        for user in find_by_login(scope, hint):
            candidates[user.id] = user
    active = [u for u in candidates.values() if u.active]
    hints = profile.login_hints
    if len(active) > 1:
        return _refuse("ambiguous", f"More than one TrainMeUK account matches this {account_label} "
                                    "account's email address.", matched=hints)
    if len(active) == 1:
        user = active[0]
        # Linked to another person of this same directory: never take it over. (A link
        # from a previous directory, after the Tenant ID changed, does not count.)
        other = scope.session.scalar(scope.select(SsoIdentity).where(
            SsoIdentity.user_id == user.id, SsoIdentity.provider == provider,
            SsoIdentity.issuer_tenant == issuer_tenant))
        if other is not None:
            return _refuse("linked_elsewhere", "The matching TrainMeUK account is already linked "
                                               f"to a different {account_label} account.", user, hints)
        if not dry_run and not _store_link(scope, user, provider, issuer_tenant, subject):
            return _refuse("linked_elsewhere", f"This {account_label} account was just linked to "
                                               "another TrainMeUK account.", user, hints)
        return LinkResult(user=user, how="first_link", matched=hints)
    if candidates:
        return _refuse("deactivated", "The matching TrainMeUK account is deactivated.",
                       next(iter(candidates.values())), hints)
    if not create_accounts:
        return _refuse("no_account", "Your organisation has not given you a TrainMeUK account.",
                       matched=hints)
    if not profile.email:
        return _refuse("no_email", f"{account_label} sent no email address to create an account with.")
    if dry_run:
        return LinkResult(user=None, how="created", matched=hints)
    try:
        user = create_user(scope, email=profile.email, display_name=profile.display_name,
                           source=UserSource.sso)
    except AccountError as exc:
        return _refuse("no_email", f"No account could be created: {exc}.")
    if profile.given_name or profile.family_name:
        user.given_name, user.family_name = profile.given_name, profile.family_name
    scope.session.flush()
    scope.add(SsoIdentity(user_id=user.id, provider=provider, issuer_tenant=issuer_tenant,
                          subject=subject, last_login_at=utcnow()))
    return LinkResult(user=user, how="created", matched=hints)


def _store_link(scope: TenantScope, user: User, provider: str, issuer_tenant: str,
                subject: str) -> bool:
    """Store the first link. Two first sign-ins of one person at the same moment (two
    tabs) race for the unique key: the loser finds the winner's link and accepts it if it
    is to the same account. False if it links another account."""
    try:
        with scope.session.begin_nested():
            scope.add(SsoIdentity(user_id=user.id, provider=provider,
                                  issuer_tenant=issuer_tenant, subject=subject,
                                  last_login_at=utcnow()))
    except IntegrityError:
        winner = find_identity(scope, provider, issuer_tenant, subject)
        return winner is not None and winner.user_id == user.id
    return True

