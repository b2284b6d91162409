"""What an identity-provider plugin supplies.

Subclass :class:`Provider`, fill in the class attributes, override what differs from
the defaults, and register an instance from the ``register_providers`` hook. Core code
(SSO views, SCIM endpoint, admin pages) talks to providers only through this class.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

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
    #: The provider's own code for the error (e.g. ``AADSTS7000215``), shown as is.
    code: str = ""


@dataclass(frozen=True)
class SsoProfile:
    """What an id_token says about the person, for showing and for a first link.

    ``login_hints`` are the claim values (email, preferred username) that may match an
    existing account's email or userName on the very first sign-in only; they never
    identify the person afterwards.
    """

    email: str | None = None
    display_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    login_hints: tuple[str, ...] = ()


class AuthorityError(Exception):
    """An identity provider's endpoint answered with an error or could not be reached.

    ``unreachable`` is true when no answer came (DNS, connection, timeout, 5xx), so a
    check "could not be made" rather than "failed".
    """

    def __init__(self, description: str, *, error: str = "", status: int | None = None,
                 unreachable: bool = False) -> None:
        super().__init__(description)
        self.description = description
        self.error = error
        self.status = status
        self.unreachable = unreachable


class ConnectionProbe(Protocol):
    """The HTTP calls a save-time check may make (core supplies them; each raises
    :class:`AuthorityError`)."""

    def discover(self, url: str) -> dict[str, Any]:
        """The OpenID Provider metadata document at ``url``."""

    def client_credentials(self, token_endpoint: str, client_id: str, client_secret: str,
                           scope: str) -> dict[str, Any]:
        """A client-credentials grant: proves the client id and secret are accepted."""


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

    def normalize_settings(self, values: dict[str, str]) -> dict[str, str]:
        """The canonical form of submitted (stripped) settings, before validation and
        storage, e.g. GUIDs in lower case. The default changes nothing."""
        return values

    def explain_error(self, code: str, description: str = "") -> ErrorExplanation | None:
        """Explain an error the provider sent back, or None for the generic page.

        ``code`` is the OAuth ``error`` value (``access_denied``, ``invalid_client``,
        ...), ``description`` the provider's ``error_description``, which often carries
        a more precise code of its own.
        """
        return None

    # --- OpenID Connect (used by the provider-agnostic views in ``sso/``) -----------

    def is_cancellation(self, error: str, description: str, params: Mapping[str, Any]) -> bool:
        """Whether an error sent back to the callback means the person backed out
        (shown as "Sign-in cancelled" rather than as a problem to fix)."""
        return params.get("error_subcode") == "cancel"

    #: Scopes requested at sign-in.
    sso_scopes: ClassVar[str] = "openid profile email"

    def discovery_url(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        """The OpenID Provider metadata URL for a connection's ``settings`` (the
        non-secret values of :attr:`settings_fields`). ``app_settings`` are the
        application settings, e.g. an authority host for national clouds."""
        raise NotImplementedError

    def expected_issuer(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        """The exact ``iss`` every id_token of this connection must carry."""
        raise NotImplementedError

    def pinned_claims(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Further claims that must equal these values exactly (besides ``iss``,
        ``aud`` and ``nonce``, which core always checks), e.g. Entra's ``tid``."""
        return {}

    def identity_of(self, claims: Mapping[str, Any]) -> tuple[str, str]:
        """``(issuer_tenant, subject)``: the immutable key of the person, under which
        the account link is stored. Raise ``ValueError`` (message fit to show) when the
        claims lack it. Never an email address or user name: those can be reassigned."""
        issuer, subject = claims.get("iss"), claims.get("sub")
        if not issuer or not subject:
            raise ValueError("The sign-in token names no issuer or subject.")
        return str(issuer), str(subject)

    def profile_from_claims(self, claims: Mapping[str, Any]) -> SsoProfile:
        """Name and addresses from the claims (see :class:`SsoProfile`)."""
        email = claims.get("email")
        hints = tuple(v for v in (email,) if isinstance(v, str) and v)
        return SsoProfile(email=email if isinstance(email, str) else None,
                          display_name=claims.get("name"), given_name=claims.get("given_name"),
                          family_name=claims.get("family_name"), login_hints=hints)

    def check_connection(self, settings: Mapping[str, Any], client_secret: str | None,
                         app_settings: Mapping[str, Any],
                         probe: ConnectionProbe) -> list[CheckResult]:
        """Check settings against the provider before they are saved: one
        :class:`CheckResult` per step, in order. An inconclusive result (the provider
        could not be reached) lets the admin save with a warning. Default: no checks."""
        return []

    def admin_consent_url(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any],
                          redirect_uri: str) -> str | None:
        """Where a directory admin approves the app for everyone, or None."""
        return None

    def setup_steps(self, redirect_uri: str) -> list[str]:
        """Short instructions for registering the app at the provider (plain text)."""
        return []

    def troubleshooting(self, settings: Mapping[str, Any], redirect_uri: str,
                        app_settings: Mapping[str, Any]) -> list[ErrorExplanation]:
        """Errors the provider shows on its own pages and never sends back, with the
        exact values of this connection to check; shown beside "Test sign-in"."""
        return []

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


class PluginLoadError(RuntimeError):
    """A provider plugin could not be loaded; the message names it."""


class ProviderRegistry:
    """The providers of this application, by name; what ``register_providers`` fills."""

    def __init__(self) -> None:
        self._providers: dict[str, Provider] = {}

    def add(self, provider: Provider) -> None:
        name = getattr(provider, "name", None)
        if not name or not isinstance(name, str) or not name.isidentifier() or name.lower() != name:
            raise PluginLoadError(f"provider {provider!r} needs a lower-case identifier as its name")
        if name in self._providers:
            raise PluginLoadError(f"two plugins register a provider named {name!r}")
        self._providers[name] = provider

    def get(self, name: str, offering: Literal["sso", "scim"] | None = None) -> Provider | None:
        """The provider called ``name`` (if ``offering`` is given: only if it offers
        that feature), else None. The one way core code looks a provider up."""
        provider = self._providers.get(name)
        if provider is None or offering is None:
            return provider
        return provider if getattr(provider, f"supports_{offering}") else None

    def __iter__(self) -> Iterator[Provider]:
        return iter(sorted(self._providers.values(), key=lambda p: p.name))

    def __contains__(self, name: object) -> bool:
        return name in self._providers

    def __len__(self) -> int:
        return len(self._providers)
