"""``request.scim``: what every SCIM view needs, resolved once per request.

The tenant comes from the Host header (never from the body), the provider from the
URL and its plugin, the identity from the bearer token policy. The stores get all
three explicitly.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from pyramid.request import Request
from scim2_models import NotFoundException, ScimPolicy, ScimProvider

from ..providers import Provider
from .group_store import GroupStore
from .routes import endpoint_url
from .schema import scim_service
from .store import UserStore


class ScimRequest:
    def __init__(self, request: Request) -> None:
        self.request = request

    @cached_property
    def provider_name(self) -> str:
        return str(self.request.matchdict.get("provider", "")) if self.request.matchdict else ""

    @cached_property
    def provider(self) -> Provider:
        provider = self.request.providers.get(self.provider_name, offering="scim")
        if provider is None:
            raise NotFoundException(detail=f"There is no SCIM endpoint for {self.provider_name!r}.")
        return provider

    @cached_property
    def service(self) -> ScimProvider:
        return scim_service(self.provider)

    @property
    def policy(self) -> ScimPolicy:
        return self.service.policy

    @cached_property
    def base_url(self) -> str:
        return endpoint_url(self.request, self.provider_name)

    @cached_property
    def users_url(self) -> str:
        return self.request.route_url("scim.users.collection", provider=self.provider_name)

    @cached_property
    def groups_url(self) -> str:
        return self.request.route_url("scim.groups.collection", provider=self.provider_name)

    def notify(self, hook: str, **kwargs: Any) -> None:
        """Announce a change after commit (``user_provisioned`` and friends)."""
        self.request.notify(hook, tenant=self.request.tenant, provider=self.provider_name, **kwargs)

    def listens(self, hook: str) -> bool:
        """Whether any plugin implements the event hook ``hook``."""
        return bool(getattr(self.request.registry["plugin_manager"].hook, hook).get_hookimpls())

    @cached_property
    def users(self) -> UserStore:
        return UserStore(self.request.scope, self.provider_name, self.users_url, self.notify,
                         self.listens)

    @cached_property
    def groups(self) -> GroupStore:
        return GroupStore(self.request.scope, self.provider_name, self.groups_url, self.users_url)

    # What the provisioning log records about this request (see log.py).
    def describe(self, operation: str, resource_type: str | None = None,
                 resource_id: str | None = None) -> None:
        entry = self.request.environ.get("trainmeuk.scim_log")
        if entry is not None:
            entry.operation = operation
            entry.resource_type = resource_type or entry.resource_type
            entry.resource_id = resource_id or entry.resource_id
