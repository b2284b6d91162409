"""Account services shared by the admin console, the console script, SCIM and SSO.

Each takes a :class:`TenantScope`, so the tenant is explicit in every call.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import or_

from .auth.passwords import hash_password
from .folding import fold
from .models import TenantScope, User, UserEmail, UserSource
from .models.meta import utcnow


class AccountError(ValueError):
    """Bad input for an account; the message is fit to show."""


def normalize_email(value: str) -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise AccountError(f"invalid email address {value.strip()!r}: {exc}") from None


def find_by_login(scope: TenantScope, login: str) -> list[User]:
    """Accounts whose userName or primary email equals ``login`` (case-insensitively)."""
    key = fold(login.strip())
    return list(scope.session.scalars(
        scope.select(User).where(or_(User.user_name_key == key, User.email_key == key))
    ))


def set_primary_email(user: User, email: str | None) -> None:
    """Make ``email`` the account's primary (work) address, keeping its other addresses."""
    user.email = email
    others = [e for e in user.emails if not e.primary]
    user.emails = others
    if email:
        user.emails.insert(0, UserEmail(tenant_id=user.tenant_id, value=email, type="work", primary=True))


def create_user(scope: TenantScope, *, email: str, display_name: str | None = None,
                is_admin: bool = False, password: str | None = None,
                source: UserSource = UserSource.manual) -> User:
    email = normalize_email(email)
    if find_by_login(scope, email):
        raise AccountError(f"an account for {email} already exists")
    given, family = _split_name(display_name)
    user = scope.add(User(user_name=email, display_name=display_name or None, given_name=given,
                          family_name=family, is_admin=is_admin, source=source, active=True,
                          password_hash=hash_password(password) if password else None))
    set_primary_email(user, email)
    user.scim_resource = {}
    return user


def deactivate(user: User) -> bool:
    """Deactivate; open sessions end (the auth epoch moves). False if already inactive."""
    if not user.active:
        return False
    user.active = False
    user.deactivated_at = utcnow()
    user.auth_epoch += 1
    return True


def reactivate(user: User) -> bool:
    if user.active:
        return False
    user.active = True
    user.deactivated_at = None
    return True


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.auth_epoch += 1  # other sessions of the account end


def _split_name(display_name: str | None) -> tuple[str | None, str | None]:
    if not display_name or not display_name.strip():
        return None, None
    parts = display_name.strip().split(None, 1)
    return parts[0], parts[1] if len(parts) > 1 else None
