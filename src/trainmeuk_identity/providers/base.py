"""What an identity-provider plugin supplies.

Subclass :class:`Provider`, fill in the class attributes, override what differs from
the defaults, and register an instance from the ``register_providers`` hook. Core code
(SSO views, SCIM endpoint, admin pages) talks to providers only through this class.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class SettingField:
    """One field of the provider's settings form (Admin → Settings → SSO & Provisioning).

    ``validate`` gets the stripped value and returns an error message, or None.
    A ``secret`` field is write-only: stored encrypted, never shown back.
    """

    name: str
    label: str
    help: str = ""
    secret: bool = False
    required: bool = True
    placeholder: str = ""
    validate: Callable[[str], str | None] | None = None


@dataclass(frozen=True)
class CheckResult:
    """One line of a save-time connection check."""

    ok: bool
    message: str
    # Whether the check could be made at all; False means "could not verify" (the
    # admin may still save, with a warning), as opposed to "verified wrong".
    conclusive: bool = True


@dataclass(frozen=True)
class ErrorExplanation:
    """An identity provider's error code, explained for people."""

    title: str
    what_happened: str
    what_to_do: str
    for_admin: bool = False
    links: Mapping[str, str] = field(default_factory=dict)


class Provider:
    """Base class of identity providers."""

    #: URL and storage name; never changes once used.
    name: ClassVar[str]
    #: Shown to people: "Microsoft Entra ID", and in "Sign in with <button_label>".
    display_name: ClassVar[str]
    button_label: ClassVar[str]
    #: The fields an admin fills in (non-secret ones stored as settings).
    settings_fields: ClassVar[tuple[SettingField, ...]] = ()
    #: Whether the provider offers SSO / SCIM provisioning.
    supports_sso: ClassVar[bool] = True
    supports_scim: ClassVar[bool] = True

    def validate_settings(self, values: Mapping[str, str]) -> dict[str, str]:
        """Errors by field name for submitted values (empty when all are valid)."""
        errors: dict[str, str] = {}
        for f in self.settings_fields:
            value = (values.get(f.name) or "").strip()
            if not value:
                if f.required and not f.secret:
                    errors[f.name] = f"{f.label} is required."
                continue
            if f.validate is not None:
                problem = f.validate(value)
                if problem:
                    errors[f.name] = problem
        return errors

    def explain_error(self, code: str, description: str = "") -> ErrorExplanation | None:
        """Explain an error the provider sent back, or None for the generic page."""
        return None

    def scim_policy(self) -> Any:
        """The scim2-models ``ScimPolicy`` for what this provider's SCIM client sends."""
        from scim2_models import ScimPolicy

        return ScimPolicy()

    def normalize_scim_request(self, resource_type: str, method: str,
                               payload: dict[str, Any]) -> dict[str, Any]:
        """Rewrite a SCIM request body from the provider's dialect to standard SCIM
        before it is parsed. The default changes nothing."""
        return payload

    def __repr__(self) -> str:
        return f"<Provider {self.name}>"
