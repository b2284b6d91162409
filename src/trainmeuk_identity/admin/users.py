"""Admin → User Management: the tenant's accounts, searched and paged; admins create,
edit, deactivate and reactivate accounts and grant or remove admin rights.

What provisioning manages (name, email, department, job title) is read-only for a
SCIM-managed account: the provisioning identity provider's directory is its source
(``Provider.directory_name`` says which, in its own words), and an edit here would be
overwritten by the next sync. An admin can never lock themselves out: they cannot
deactivate their own account or remove their own admin rights. "End sessions" signs a
person out on every device at once (after a confirmation step), leaving the account
active.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import func, or_
from sqlalchemy.orm import raiseload

from ..accounts import (
    AccountError,
    create_user,
    deactivate,
    find_by_login,
    normalize_email,
    reactivate,
    set_primary_email,
)
from ..audit import record as audit
from ..folding import fold
from ..models import User
from ..permissions import Permission
from ..security import end_all_sessions

PAGE_SIZE = 50
FLASH_QUEUE = "users"
STATUSES = ("all", "active", "inactive")
# Form field -> (User attribute, label, maximum length)
PROFILE_FIELDS: dict[str, tuple[str, str, int]] = {
    "display_name": ("display_name", "Display name", 400),
    "given_name": ("given_name", "First name", 200),
    "family_name": ("family_name", "Last name", 200),
    "department": ("department", "Department", 200),
    "job_title": ("job_title", "Job title", 200),
}


@dataclass
class Page:
    users: list[User]
    number: int
    pages: int
    total: int


def search_users(request: Request, q: str, status: str, number: int) -> Page:
    """One page of the tenant's users: two queries whatever the page size."""
    stmt = request.scope.select(User)
    if q:
        needle = fold(q) or ""
        stmt = stmt.where(or_(
            User.user_name_key.contains(needle, autoescape=True),
            User.email_key.contains(needle, autoescape=True),
            func.lower(User.display_name).contains(needle, autoescape=True),
            func.lower(func.coalesce(User.given_name, "") + " " + func.coalesce(User.family_name, ""))
            .contains(needle, autoescape=True),
        ))
    if status in ("active", "inactive"):
        stmt = stmt.where(User.active.is_(status == "active"))
    total = request.dbsession.scalar(stmt.with_only_columns(func.count()).order_by(None)) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    number = min(max(number, 1), pages)
    users = request.dbsession.scalars(
        stmt.options(raiseload(User.emails)).order_by(User.user_name_key)
        .offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return Page(users=list(users), number=number, pages=pages, total=total)


@view_config(route_name="admin.users", request_method="GET", renderer="admin/users.jinja2",
             permission=Permission.AdminUsersManage)
def list_users(request: Request) -> dict[str, Any]:
    q = request.params.get("q", "").strip()[:200]
    status = request.params.get("status", "all")
    status = status if status in STATUSES else "all"
    try:
        number = int(request.params.get("page", "1"))
    except ValueError:
        number = 1
    page = search_users(request, q, status, number)
    return {"page": page, "q": q, "status": status, "statuses": STATUSES,
            "flash": request.session.pop_flash(FLASH_QUEUE)}


def _profile_values(request: Request) -> tuple[dict[str, str | None], dict[str, str]]:
    values: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for name, (_attr, label, limit) in PROFILE_FIELDS.items():
        value = request.POST.get(name, "").strip()
        if len(value) > limit:
            errors[name] = f"{label} can be at most {limit} characters."
        values[name] = value or None
    return values, errors


def _form(request: Request, user: User | None, values: dict[str, Any],
          errors: dict[str, str], status: int = 200, confirm: str | None = None) -> dict[str, Any]:
    request.response.status = status
    return {"user": user, "values": values, "errors": errors, "fields": PROFILE_FIELDS,
            "is_self": user is not None and user.id == request.identity.user.id,
            "confirm": confirm, "flash": request.session.pop_flash(FLASH_QUEUE)}


def _values_of(user: User) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(user, attr) or "" for name, (attr, _l, _m) in PROFILE_FIELDS.items()}
    values["email"] = user.email or ""
    values["is_admin"] = user.is_admin
    return values


@view_config(route_name="admin.users.new", request_method="GET", renderer="admin/users_form.jinja2",
             permission=Permission.AdminUsersManage)
def new_user_form(request: Request) -> dict[str, Any]:
    return _form(request, None, {"email": "", "is_admin": False}, {})


@view_config(route_name="admin.users.new", request_method="POST", renderer="admin/users_form.jinja2",
             permission=Permission.AdminUsersManage)
def create_user_submit(request: Request) -> Any:
    values, errors = _profile_values(request)
    email = request.POST.get("email", "").strip()[:320]
    is_admin = request.POST.get("is_admin") == "on"
    shown = {**{k: v or "" for k, v in values.items()}, "email": email, "is_admin": is_admin}
    if not email:
        errors["email"] = "Enter the person's work email address."
    if errors:
        return _form(request, None, shown, errors, status=400)
    try:
        user = create_user(request.scope, email=email, display_name=values["display_name"],
                           is_admin=is_admin)
    except AccountError as exc:
        return _form(request, None, shown, {"email": str(exc)}, status=400)
    for name, (attr, _label, _limit) in PROFILE_FIELDS.items():
        if values[name] is not None:
            setattr(user, attr, values[name])
    request.dbsession.flush()
    audit(request, "user.created", target=user.email, detail={"admin": is_admin})
    request.notify("user_provisioned", tenant=request.tenant, user=user, provider=None)
    request.session.flash(f"Account created for {user.email}. A welcome email is on its way.",
                          queue=FLASH_QUEUE)
    return HTTPSeeOther(location=request.route_path("admin.users.item", user_id=user.id))


def _user(request: Request) -> User:
    user = request.scope.get(User, request.matchdict["user_id"])
    if user is None:
        raise HTTPNotFound("There is no such account in your organisation.")
    return user


@view_config(route_name="admin.users.item", request_method="GET", renderer="admin/users_form.jinja2",
             permission=Permission.AdminUsersManage)
def edit_user_form(request: Request) -> dict[str, Any]:
    user = _user(request)
    # ?confirm=end_sessions shows the step that asks before ending the sessions.
    confirm = request.params.get("confirm")
    return _form(request, user, _values_of(user), {},
                 confirm=confirm if confirm in CONFIRMED_ACTIONS else None)


@view_config(route_name="admin.users.item", request_method="POST", renderer="admin/users_form.jinja2",
             permission=Permission.AdminUsersManage)
def change_user(request: Request) -> Any:
    user = _user(request)
    action = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        raise HTTPNotFound("Unknown action.")
    return action(request, user)


def save_profile(request: Request, user: User) -> Any:
    """The edit form: profile fields (not for SCIM-managed accounts) and admin rights."""
    values, errors = _profile_values(request)
    email = request.POST.get("email", "").strip()[:320]
    shown = {**{k: v or "" for k, v in values.items()}, "email": email,
             "is_admin": user.is_admin}
    if user.scim_managed:
        return _form(request, user, _values_of(user), {
            "form": f"{source_of(request, user)} is the source of this account's details; "
                    "change them there."}, status=400)
    if not email:
        errors["email"] = "Enter the person's work email address."
    else:
        try:
            email = normalize_email(email)
        except AccountError as exc:
            errors["email"] = str(exc)
        else:
            if any(other.id != user.id for other in find_by_login(request.scope, email)):
                errors["email"] = f"Another account already uses {email}."
    if errors:
        return _form(request, user, shown, errors, status=400)
    changed = [name for name, (attr, _l, _m) in PROFILE_FIELDS.items() if getattr(user, attr) != values[name]]
    for name in changed:
        setattr(user, PROFILE_FIELDS[name][0], values[name])
    if email != user.email:
        if fold(user.user_name) == fold(user.email):
            user.user_name = email
        set_primary_email(user, email)
        changed.append("email")
    if changed:
        audit(request, "user.updated", target=user.email, detail={"changed": ",".join(changed)})
        request.notify("user_updated", tenant=request.tenant, user=user, provider=None, changed=changed)
    request.session.flash("Saved." if changed else "Nothing to save: no field changed.", queue=FLASH_QUEUE)
    return HTTPSeeOther(location=request.route_path("admin.users.item", user_id=user.id))


def source_of(request: Request, user: User) -> str:
    """Where a SCIM-managed account's details come from, as its provider names it."""
    provider = request.providers.get(user.scim_provider or "")
    return provider.directory_name if provider is not None else "The identity provider"


def back(request: Request, user: User, message: str) -> HTTPSeeOther:
    request.session.flash(message, queue=FLASH_QUEUE)
    return HTTPSeeOther(location=request.route_path("admin.users.item", user_id=user.id))


def refuse(request: Request, user: User, message: str) -> dict[str, Any]:
    return _form(request, user, _values_of(user), {"form": message}, status=400)



def deactivate_user(request: Request, user: User) -> Any:
    if user.id == request.identity.user.id:
        return refuse(request, user, "You cannot deactivate your own account: another "
                      "administrator has to, so your organisation is never locked out.")
    if not deactivate(user):
        return back(request, user, "This account is already deactivated.")
    audit(request, "user.deactivated", target=user.email or user.user_name)
    request.notify("user_deactivated", tenant=request.tenant, user=user, provider=None, reason="admin")
    provider = request.providers.get(user.scim_provider) if user.scim_managed else None
    note = (f" {source_of(request, user)} still lists this person: remove them from the "
            "TrainMeUK app's users and groups in "
            f"{provider.short_name if provider else 'the identity provider'} too, or a later "
            "sync may turn the account on again." if user.scim_managed else "")
    return back(request, user, "Account deactivated: it can no longer sign in, and its open "
                "sessions have ended." + note)


def reactivate_user(request: Request, user: User) -> Any:
    if not reactivate(user):
        return back(request, user, "This account is already active.")
    audit(request, "user.reactivated", target=user.email or user.user_name)
    request.notify("user_reactivated", tenant=request.tenant, user=user, provider=None)
    return back(request, user, "Account reactivated: it can sign in again.")


def grant_admin(request: Request, user: User) -> Any:
    if user.is_admin:
        return back(request, user, "This account is already an administrator.")
    user.is_admin = True
    audit(request, "user.admin_granted", target=user.email or user.user_name)
    return back(request, user, "Administrator rights granted.")


def remove_admin(request: Request, user: User) -> Any:
    if user.id == request.identity.user.id:
        return refuse(request, user, "You cannot remove your own administrator rights: "
                      "another administrator has to, so your organisation is never locked out.")
    if not user.is_admin:
        return back(request, user, "This account is not an administrator.")
    user.is_admin = False  # checked on every request: their admin pages close at once
    audit(request, "user.admin_removed", target=user.email or user.user_name)
    return back(request, user, "Administrator rights removed.")


def end_sessions(request: Request, user: User) -> Any:
    """Sign the person out everywhere: every session of theirs ends at once, in every
    process (security.end_all_sessions); the account stays active."""
    if user.id == request.identity.user.id:
        return refuse(request, user, "To end your own sessions, use “Sign out everywhere” "
                      "on your home page.")
    if request.POST.get("confirm") != "yes":
        return _form(request, user, _values_of(user), {
            "form": "Confirm that you want to end this person's sessions."}, status=400,
            confirm="end_sessions")
    end_all_sessions(request.dbsession, user)
    audit(request, "sessions.ended", target=user.email or user.user_name, detail={"by": "admin"})
    return back(request, user, f"{user.name} is signed out everywhere: every session has "
                "ended, on every device. The account stays active; they can sign in again.")


# Actions that ask first (the item page with ?confirm=<action>).
CONFIRMED_ACTIONS = ("end_sessions",)

ACTIONS = {
    "save": save_profile,
    "deactivate": deactivate_user,
    "reactivate": reactivate_user,
    "grant_admin": grant_admin,
    "remove_admin": remove_admin,
    "end_sessions": end_sessions,
}
