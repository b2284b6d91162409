"""``/sso/{provider}/login`` and ``/sso/{provider}/callback``: OpenID Connect sign-in.

login: authorization code flow with PKCE, nonce and state (kept in a cookie, see
state.py), response_mode=query. callback: one-time state, code exchange as a
confidential client, full id_token validation (tokens.py), account by the provider's
immutable identity (linking.py), then a fresh session. In test mode (an admin's "Test
sign-in") the outcome is shown instead and the admin's own session is left alone.

The callback is a GET from the provider's redirect, guarded by state and nonce, so it
needs no CSRF token. Every failure is *returned* as a page, so its audit record commits.
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPFound, HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.security import remember
from pyramid.view import view_config

from ..audit import record as audit
from ..auth.views import next_param, safe_next
from ..connections import get_connection
from ..models import ProviderConnection
from ..models.meta import utcnow
from ..permissions import Permission
from ..providers.base import AuthorityError, Provider, SsoProfile
from ..security import StaffIdentity
from . import errors, linking, oidc, state, tokens
from .configure import client_secret, has_public_settings, is_configured, secret_field
from .errors import SsoFailure

ADMIN_CONSENT_STATE = "admin-consent"


def sso_provider(request: Request) -> Provider:
    provider = request.providers.get(request.matchdict["provider"], offering="sso")
    if provider is None:
        raise HTTPNotFound("There is no such sign-in method.")
    return provider


def caches(request: Request) -> tuple[oidc.MetadataCache, tokens.JwksCache]:
    """Per application (so per process): discovery documents and signing keys."""
    registry = request.registry
    if "sso_metadata_cache" not in registry:
        registry["sso_metadata_cache"] = oidc.MetadataCache()
        registry["sso_jwks_cache"] = tokens.JwksCache(fetch=oidc.fetch_json)
    return registry["sso_metadata_cache"], registry["sso_jwks_cache"]


def redirect_uri(request: Request, provider: Provider) -> str:
    """Built from the scheme, host and port this request came in on."""
    return request.route_url("sso.callback", provider=provider.name)


def _admin(request: Request) -> StaffIdentity | None:
    identity = request.identity
    if isinstance(identity, StaffIdentity) and request.has_permission(Permission.AdminSettingsManage):
        return identity
    return None


@view_config(route_name="sso.login", request_method="GET")
def login(request: Request) -> Response:
    provider = sso_provider(request)
    test = request.params.get("mode") == "test"
    admin = _admin(request)
    if test and admin is None:
        return errors.render(request, SsoFailure(
            reason="forbidden", title="Only administrators can test sign-in", status=403,
            message="Test sign-in is part of Admin → Settings → SSO & Provisioning.",
            what_to_do="Sign in as an administrator first."), test=True)
    connection = get_connection(request.scope, provider.name)
    settings = request.registry.settings
    if not is_configured(provider, connection, settings) or (not test and not connection.sso_enabled):
        return errors.render(request, SsoFailure(
            reason="not_configured", status=404,
            title=f"Sign in with {provider.button_label} is not set up",
            message=f"This organisation has not enabled sign-in with {provider.button_label}.",
            what_to_do="Sign in with your TrainMeUK password, or ask your organisation's "
                       "TrainMeUK administrator." if not test else
                       f"Save {field_labels(provider)} first."), test=test)
    metadata_cache, _ = caches(request)
    try:
        metadata = metadata_cache.get(provider.discovery_url(connection.settings, settings))
    except AuthorityError as exc:
        return errors.render(request, errors.unreachable(provider, exc), test=test)

    pending = state.new_pending(
        tenant_id=request.tenant.id, provider=provider.name,
        redirect_uri=redirect_uri(request, provider),
        next_path=next_param(request), mode="test" if test else "login",
        admin_user_id=admin.user.id if (test and admin) else None)
    extra = provider.authorization_params(connection.settings)
    if test:  # a test lets the admin pick another account at the provider than their own
        extra = {**extra, "prompt": "select_account"}
    url = oidc.authorization_url(
        metadata, client_id=provider.client_id(connection.settings),
        redirect_uri=pending.redirect_uri, scope=provider.sso_scopes, state=pending.state,
        nonce=pending.nonce, verifier=pending.verifier, extra=extra)
    response = HTTPFound(location=url)
    state.set_cookie(request, response, pending)
    return response


@view_config(route_name="sso.callback", request_method="GET")
def callback(request: Request) -> Response:
    provider = sso_provider(request)
    params = request.GET
    if params.get("state") == ADMIN_CONSENT_STATE or "admin_consent" in params:
        return admin_consent_result(request, provider)
    target: str | None = None
    pending: state.PendingSignIn | None = None
    try:
        pending = state.load(request, provider.name, params.get("state"))
    except state.StateError as exc:
        failure = errors.from_state(exc)
        errors.record(request, provider.name, failure, target=None, test=False)
        return errors.render(request, failure)
    test = pending.mode == "test"
    try:
        try:
            state.consume(request.scope, pending)
        except state.StateError as exc:
            raise errors.from_state(exc) from None
        admin = _admin(request) if test else None
        if test and (admin is None or admin.user.id != pending.admin_user_id):
            raise SsoFailure(reason="forbidden", status=403, title="Test sign-in ended",
                             message="The administrator who started this test is no longer "
                                     "signed in in this browser.",
                             what_to_do="Sign in as an administrator and start the test again.")
        connection = get_connection(request.scope, provider.name)
        claims, profile, result = _complete(request, provider, connection, pending, params)
        target = _target(profile)
        if test:
            response = _test_result(request, provider, claims, target, result)
        else:
            if not result.ok:
                raise errors.from_link(result)
            response = _sign_in(request, provider, pending, claims, result)
    except SsoFailure as failure:
        errors.record(request, provider.name, failure, target=target, test=test)
        response = errors.render(request, failure, test=test)
    state.clear_cookie(response, pending.state, provider.name)
    return response


def field_labels(provider: Provider) -> str:
    """"Tenant ID, Client ID and Client Secret": the settings an admin saves."""
    labels = [f.label for f in provider.settings_fields if f.required or f.secret]
    return " and ".join(filter(None, [", ".join(labels[:-1]), labels[-1]])) if labels else "the settings"


def _complete(request: Request, provider: Provider, connection: ProviderConnection | None,
              pending: state.PendingSignIn, params: Any,
              ) -> tuple[dict[str, Any], SsoProfile, linking.LinkResult]:
    settings = request.registry.settings
    if "error" in params:
        consent = (provider.admin_consent_url(connection.settings, settings, pending.redirect_uri)
                   if connection is not None else None)
        cancelled = _cancelled(provider, params)
        raise errors.from_provider_error(provider, params, consent, cancelled)
    # The secret is decrypted once per callback, here.
    secret = client_secret(connection, settings)
    if (connection is None or not has_public_settings(provider, connection.settings or {})
            or (secret_field(provider) is not None and secret is None)
            or (pending.mode == "login" and not connection.sso_enabled)):
        raise SsoFailure(reason="not_configured", status=404,
                         title=f"Sign in with {provider.button_label} is not set up",
                         message="SSO was switched off while you were signing in.")
    code = params.get("code")
    if not code:
        raise SsoFailure(reason="missing_code", title="This sign-in cannot be completed",
                         message="The identity provider's answer carried no authorization code.")
    metadata_cache, jwks = caches(request)
    try:
        metadata = metadata_cache.get(provider.discovery_url(connection.settings, settings))
    except AuthorityError as exc:
        raise errors.unreachable(provider, exc) from None
    client_id = provider.client_id(connection.settings)
    try:
        token = oidc.exchange_code(
            metadata, client_id=client_id, client_secret=secret or "", code=code,
            redirect_uri=pending.redirect_uri, verifier=pending.verifier,
            auth_method=provider.token_endpoint_auth_method)
    except AuthorityError as exc:
        raise errors.from_token_endpoint(provider, exc) from None
    try:
        claims = tokens.validate_id_token(
            token.get("id_token", ""), jwks=jwks, jwks_uri=metadata["jwks_uri"],
            issuers=provider.expected_issuers(connection.settings, settings),
            client_id=client_id, nonce=pending.nonce,
            pinned=provider.pinned_claims(connection.settings))
        issuer_tenant, subject = provider.identity_of(claims)
    except tokens.TokenInvalid as exc:
        raise errors.from_token(exc) from None
    except AuthorityError as exc:
        raise errors.unreachable(provider, exc) from None
    except ValueError as exc:
        raise errors.from_token(tokens.TokenInvalid("identity", str(exc))) from None
    profile = provider.profile_from_claims(claims)
    refusal = provider.refuse_claims(claims, connection.settings)
    if refusal:
        raise errors.from_refused_claims(provider, refusal, _target(profile))
    result = linking.resolve(request.scope, provider=provider.name, issuer_tenant=issuer_tenant,
                             subject=subject, profile=profile, account_label=provider.button_label,
                             create_accounts=connection.sso_create_accounts,
                             dry_run=pending.mode == "test")
    return claims, profile, result


def _cancelled(provider: Provider, params: Any) -> bool:
    return provider.is_cancellation(str(params.get("error", "")),
                                    str(params.get("error_description", "")), params)


def _target(profile: SsoProfile) -> str | None:
    return profile.email or (profile.login_hints[0] if profile.login_hints else None)


def _sign_in(request: Request, provider: Provider, pending: state.PendingSignIn,
             claims: dict[str, Any], result: linking.LinkResult) -> Response:
    user = result.user
    assert user is not None
    user.last_login_at = utcnow()
    if result.how == "created":
        audit(request, "sso.account.created", target=user.email, detail={"provider": provider.name})
        request.notify("user_provisioned", tenant=request.tenant, user=user, provider=None)
    elif result.how == "first_link":
        audit(request, "sso.identity.linked", target=user.email or user.user_name,
              detail={"provider": provider.name, "matched": ", ".join(result.matched)})
    audit(request, "sso.login.succeeded", target=user.email or user.user_name,
          detail={"provider": provider.name, "method": "sso", "link": result.how})
    request.notify("sso_login_succeeded", tenant=request.tenant, user=user,
                   provider=provider.name, claims=claims)
    headers = remember(request, user.id, user=user)
    return HTTPSeeOther(location=safe_next(pending.next), headers=headers)


def _test_result(request: Request, provider: Provider, claims: dict[str, Any], target: str | None,
                 result: linking.LinkResult) -> Response:
    identity = request.identity
    audit(request, "sso.test.completed", target=target,
          outcome="success" if result.ok or result.how == "created" else "failure",
          detail={"provider": provider.name, "link": result.how})
    values = {"provider": provider, "claims": claims, "result": result,
              "admin_signed_in": isinstance(identity, StaffIdentity),
              "settings_url": request.route_path("admin.settings.sso", _query={"provider": provider.name})}
    return render_to_response("sso/test_result.jinja2", values, request=request)


def admin_consent_result(request: Request, provider: Provider) -> Response:
    """Where the admin-consent link returns: approved, or the provider's error."""
    params = request.GET
    granted = str(params.get("admin_consent", "")).lower() == "true" and "error" not in params
    audit(request, "sso.admin_consent", outcome="success" if granted else "failure",
          detail={"provider": provider.name, "error": str(params.get("error", ""))[:100],
                  "description": str(params.get("error_description", ""))[:500]})
    if granted:
        values = {"provider": provider, "login_url": request.route_path("auth.login")}
        return render_to_response("sso/admin_consent.jinja2", values, request=request)
    failure = errors.from_provider_error(provider, params, None, cancelled=False)
    return errors.render(request, failure)
