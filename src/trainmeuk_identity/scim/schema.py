"""What the endpoint serves and announces: models, resource types, capabilities.

One :class:`scim2_models.ScimProvider` per identity provider, built once and cached:
the resources are the same for every provider, the policy (how much of the
specification the provider's client may bend) is the provider plugin's.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Patch,
    ResourceType,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)

UserResource = User[EnterpriseUser]
GroupResource = Group

#: The most resources one page of a query returns (and the default page size).
MAX_RESULTS = 1000
DEFAULT_COUNT = 100

SERVICE_PROVIDER_CONFIG = ServiceProviderConfig(
    documentation_uri=None,
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=False),
    etag=ETag(supported=False),
    authentication_schemes=[
        AuthenticationScheme(
            type=AuthenticationScheme.Type.oauthbearertoken,
            name="Bearer token",
            description="The SCIM bearer token shown in TrainMeUK under Admin → Settings "
                        "→ SSO & Provisioning, sent as 'Authorization: Bearer <token>'.",
            primary=True,
        )
    ],
)


def _resource_types() -> list[ResourceType]:
    user = ResourceType.from_resource(UserResource)
    user.description = "User accounts"
    group = ResourceType.from_resource(GroupResource)
    group.description = "Groups of users"
    return [user, group]


@lru_cache(maxsize=16)
def _service(provider_name: str, policy: ScimPolicy) -> ScimProvider:
    return ScimProvider(models=[User, EnterpriseUser, Group], resource_types=_resource_types(),
                        config=SERVICE_PROVIDER_CONFIG, policy=policy)


def scim_service(provider: Any) -> ScimProvider:
    """The SCIM service description under ``provider``'s dialect."""
    policy = provider.scim_policy()
    return _service(provider.name, policy)

