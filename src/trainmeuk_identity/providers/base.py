"""What an identity-provider plugin supplies.

Subclass :class:`Provider`, fill in the class attributes, override what differs from
the defaults, and register an instance from the ``register_providers`` hook. Core code
(SSO views, SCIM endpoint, admin pages) talks to providers only through this class.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

from markupsafe import Markup

log = logging.getLogger(__name__)

#: How a client may authenticate at a provider's token endpoint (RFC 8414 names).
TOKEN_AUTH_METHODS = frozenset({"client_secret_post", "client_secret_basic"})
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
class AppSetting:
    """An application-wide setting of a provider (the same for every tenant), e.g. the
    authority host of a national or test cloud.

    Its value is read from ``trainmeuk.<provider>.<name>`` in the ini file, overridden by
    ``TRAINMEUK_<PROVIDER>_<NAME>`` in the environment, else an older ini key listed in
    ``aliases``, else ``default``. ``validate`` gets the stripped value and returns an
    error message or None; a bad value stops start-up with that message. Read it with
    :meth:`Provider.app_setting`.
    """

    name: str
    default: str = ""
    help: str = ""
    aliases: tuple[str, ...] = ()
    validate: Callable[[str], str | None] | None = None


@dataclass(frozen=True)
class SetupGuide:
    """Instructions shown on the settings page: a heading, an optional paragraph and
    numbered steps. Text is plain (escaped when shown); a :class:`markupsafe.Markup`
    string is shown as HTML (emphasis, links), so build one with ``Markup(...).format(...)``
    to keep values escaped. ``id`` becomes the HTML id of the block, for links and tests."""

    title: str
    steps: tuple[str | Markup, ...] = ()
    intro: str | Markup = ""
    id: str = ""


@dataclass(frozen=True)
class ScimSetup:
    """How an admin connects the provider's provisioning to TrainMeUK (the SCIM part of
    Settings → SSO & Provisioning). ``endpoint_field`` and ``token_field`` are the
    provider's own names of the fields the SCIM Endpoint URL and the Bearer Token are
    pasted into; ``guides`` are shown in order, the first as the walkthrough, the
    others as notes beside it."""

    endpoint_field: str = "SCIM base URL"
    token_field: str = "bearer token"
    guides: tuple[SetupGuide, ...] = ()


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
    #: The provider's own, more precise code for the error (often found in the
    #: ``error_description``), shown as is.
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
        """A client-credentials grant: proves the client id and secret are accepted.
        Core authenticates it with the provider's :attr:`Provider.token_endpoint_auth_method`."""


class Provider:
    """Base class of identity providers.

    Everything that differs between identity providers is an attribute or a method
    here; core code (SSO views, SCIM endpoint, admin pages, console) uses nothing else.
    Methods receive ``settings`` (a tenant's connection: the non-secret values of
    :attr:`settings_fields`) and ``app_settings`` (the application settings; read the
    provider's own :attr:`app_settings` declarations from them with :meth:`app_setting`).
    """

    #: URL and storage name; never changes once used.
    name: ClassVar[str]
    #: Shown to people: the product's name, and in "Sign in with <button_label>";
    #: "<button_label> account" is how messages name the person's account there.
    display_name: ClassVar[str]
    button_label: ClassVar[str]
    #: What admins call the provider in running text ("In <short_name>, paste ...").
    #: Defaults to :attr:`display_name`.
    short_name: ClassVar[str] = ""
    #: Where the provisioned people's accounts live, as admins know it (a suite's name):
    #: shown as the source of a provisioned account. Defaults to :attr:`display_name`.
    directory_name: ClassVar[str] = ""
    #: The fields an admin fills in (non-secret ones stored as settings).
    settings_fields: ClassVar[tuple[SettingField, ...]] = ()
    #: Application-wide settings of the provider (see :class:`AppSetting`).
    app_settings: ClassVar[tuple[AppSetting, ...]] = ()
    #: Whether the provider offers SSO (routes, settings section, console command).
    supports_sso: ClassVar[bool] = True
    #: Whether the provider offers SCIM provisioning (its endpoint, tokens, settings section).
    supports_scim: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Names a class does not set follow its display_name, also in subclasses of a
        # provider that only took them from its own.
        derived = set(getattr(cls, "_names_from_display_name", ()))
        for attr in ("short_name", "directory_name"):
            if attr not in cls.__dict__ and (not getattr(cls, attr) or attr in derived):
                setattr(cls, attr, getattr(cls, "display_name", ""))
                derived.add(attr)
            elif attr in cls.__dict__:
                derived.discard(attr)
        cls._names_from_display_name = frozenset(derived)

    def app_setting(self, app_settings: Mapping[str, Any], name: str) -> str:
        """The value of this provider's application setting ``name`` (declared in
        :attr:`app_settings`): ``trainmeuk.<provider>.<name>``, which start-up fills in
        from the environment variable when it is set, else an older alias, else the
        default."""
        declared = next((s for s in type(self).app_settings if s.name == name), None)
        if declared is None:
            raise KeyError(f"provider {self.name!r} declares no application setting {name!r}")
        for key in (f"trainmeuk.{self.name}.{name}", *declared.aliases):
            value = app_settings.get(key)
            if value is not None and str(value).strip():
                return str(value).strip()
        return declared.default

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
    #: The settings field that holds the OAuth client identifier (sent to the
    #: authorization and token endpoints, and the ``aud`` every id_token must carry).
    client_id_field: ClassVar[str] = "client_id"
    #: How the client authenticates at the token endpoint (RFC 8414 names):
    #: ``client_secret_post`` or ``client_secret_basic``.
    token_endpoint_auth_method: ClassVar[Literal["client_secret_post", "client_secret_basic"]] = (
        "client_secret_post")
    #: The text beside the Redirect URI on the settings page (plain text or Markup).
    redirect_uri_help: ClassVar[str] = ("Paste it into the app's settings at the identity "
                                        "provider as its sign-in redirect URI, exactly as shown.")
    #: The label of the admin-consent link on a sign-in error page.
    admin_consent_label: ClassVar[str] = "Admin consent (an administrator of your organisation opens this)"

    def client_id(self, settings: Mapping[str, Any]) -> str:
        """The client identifier of a connection (from :attr:`client_id_field`)."""
        return str(settings.get(self.client_id_field) or "")

    def needs_consent(self, error: str, description: str) -> bool:
        """Whether an error sent back to the callback means an administrator has not
        approved the app yet (shown with the admin-consent link, if there is one)."""
        return error in {"consent_required", "admin_consent_required"}

    def discovery_url(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        """The OpenID Provider metadata URL for a connection's ``settings`` (the
        non-secret values of :attr:`settings_fields`). ``app_settings`` are the
        application settings, e.g. an authority host for national clouds."""
        raise NotImplementedError

    def expected_issuer(self, settings: Mapping[str, Any], app_settings: Mapping[str, Any]) -> str:
        """The exact ``iss`` every id_token of this connection must carry."""
        raise NotImplementedError

    def expected_issuers(self, settings: Mapping[str, Any],
                         app_settings: Mapping[str, Any]) -> tuple[str, ...]:
        """Every exact ``iss`` an id_token of this connection may carry, for a provider
        that documents more than one spelling of its issuer. Default: only
        :meth:`expected_issuer`."""
        return (self.expected_issuer(settings, app_settings),)

    def authorization_params(self, settings: Mapping[str, Any]) -> dict[str, str]:
        """Extra parameters of the authorization request (e.g. a hint for the provider's
        account chooser). Core's own (``client_id``, ``redirect_uri``, ``scope``,
        ``state``, ``nonce``, PKCE, ``response_type``, ``response_mode``) cannot be
        replaced. Default: none."""
        return {}

    def pinned_claims(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Further claims that must equal these values exactly (besides ``iss``,
        ``aud`` and ``nonce``, which core always checks), e.g. a directory id claim."""
        return {}

    def identity_of(self, claims: Mapping[str, Any]) -> tuple[str, str]:
        """``(issuer_tenant, subject)``: the immutable key of the person, under which
        the account link is stored. Raise ``ValueError`` (message fit to show) when the
        claims lack it. Never an email address or user name: those can be reassigned."""
        issuer, subject = claims.get("iss"), claims.get("sub")
        if not issuer or not subject:
            raise ValueError("The sign-in token names no issuer or subject.")
        return str(issuer), str(subject)

    def refuse_claims(self, claims: Mapping[str, Any], settings: Mapping[str, Any]) -> str | None:
        """A reason, shown to the person, to refuse a sign-in whose token passed every
        check (signature, ``iss``, ``aud``, pinned claims, nonce), or None to accept it:
        e.g. a hosted domain that is not the tenant's, or an unverified email. Called
        before any account is looked up."""
        return None

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

    def check_connection_help(self) -> str:
        """What the save-time check covers, said beside the Save button (plain text or
        Markup): promise no more than :meth:`check_connection` checks."""
        return (f"On Save, TrainMeUK checks the settings with {self.display_name}. If it cannot "
                "be reached, the settings are saved with a warning.")

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

    def scim_setup(self, endpoint_url: str, links: Mapping[str, str]) -> ScimSetup:
        """How to connect the provider's provisioning (SCIM) to this endpoint, shown in
        the SCIM part of the settings page. ``links`` has the URLs of TrainMeUK pages a
        step may point to: ``"users"`` (User Management) and ``"provisioning_log"``."""
        return ScimSetup(guides=(SetupGuide(
            title=f"In {self.display_name}: configure provisioning",
            steps=(
                Markup("Turn on <strong>Enable SCIM</strong> above and copy the <strong>SCIM "
                       "Endpoint URL</strong> and the <strong>SCIM Bearer Token</strong>."),
                f"In {self.short_name}, open the TrainMeUK app's provisioning (SCIM) settings, "
                "paste the endpoint URL as its SCIM base URL and the token as its bearer token, "
                "and test the connection.",
                Markup('Assign the people or groups who should get TrainMeUK accounts, then check '
                       '<a href="{users}">User Management</a> and the <a href="{log}">Provisioning '
                       'log</a>.').format(users=links.get("users", ""),
                                          log=links.get("provisioning_log", "")),
            )),))

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
        if provider.supports_sso:
            if provider.client_id_field not in {f.name for f in provider.settings_fields}:
                log.warning("provider %r: client_id_field %r is not one of its settings_fields, "
                            "so its sign-in cannot work", name, provider.client_id_field)
            if provider.token_endpoint_auth_method not in TOKEN_AUTH_METHODS:
                raise PluginLoadError(
                    f"provider {name!r}: token_endpoint_auth_method must be one of "
                    f"{', '.join(sorted(TOKEN_AUTH_METHODS))}, not {provider.token_endpoint_auth_method!r}")
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
