"""The SCIM bearer token policy: who may provision this tenant through this provider.

A request is let in only if its token is live, belongs to the request's tenant (the
Host header), belongs to the connection of the provider named in the URL, and SCIM is
enabled on that connection. Why a request was refused is kept on the request, so the
forbidden view can answer 401 (no or wrong token) or 403 (SCIM switched off) with a
message the customer's admin can act on.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from pyramid.request import Request

from ..models import ProviderConnection, ScimToken
from ..models.meta import utcnow
from ..permissions import Principal
from .log import ENVIRON_KEY
from .tokens import find_token

#: ``last_used_at`` is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class Refusal(enum.Enum):
    no_token = "no_token"
    bad_token = "bad_token"
    scim_disabled = "scim_disabled"


@dataclass
class ScimIdentity:
    """A valid SCIM token: its connection, tenant and provider name."""

    token: ScimToken
    connection: ProviderConnection
    tenant_id: str
    provider: str

    @property
    def userid(self) -> str:
        return f"scim:{self.provider}:{self.token.id}"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def needs_last_used_update(token: ScimToken, now: datetime) -> bool:
    return token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION


class ScimBearerPolicy:
    """Resolved once per request (the composed policy caches the identity)."""

    def identity(self, request: Request) -> ScimIdentity | None:
        return self._identity(request)

    def _identity(self, request: Request) -> ScimIdentity | None:
        tenant = request.tenant
        provider = getattr(request.context, "provider_name", "")
        request.scim_refusal = Refusal.no_token
        entry = request.environ.get(ENVIRON_KEY)
        if entry is not None and tenant is not None:
            entry.tenant_id, entry.provider = tenant.id, provider
        presented = bearer_token(request)
        if tenant is None or presented is None:
            return None
        request.scim_refusal = Refusal.bad_token
        token = find_token(request.dbsession, presented)
        # A token of another tenant or another provider is as good as no token.
        if token is None or token.tenant_id != tenant.id:
            return None
        connection = token.connection
        if connection.tenant_id != tenant.id or connection.provider != provider:
            return None
        if not connection.scim_enabled:
            request.scim_refusal = Refusal.scim_disabled
            return None
        request.scim_refusal = None
        if entry is not None:
            entry.token_id = token.id
            entry.touch_token = needs_last_used_update(token, utcnow())
        return ScimIdentity(token=token, connection=connection, tenant_id=tenant.id,
                            provider=provider)

    def principals(self, request: Request, identity: ScimIdentity) -> list[str]:
        return [Principal.scim]
