"""SCIM 2.0 provisioning endpoint, ``/scim/{provider}/v2/`` (provider-agnostic).

The provider named in the URL supplies its dialect (a scim2-models ``ScimPolicy`` and
a request normaliser); everything else here is the same for every provider.

Request flow: provisioning-log tween → pyramid_tm → route (tenant host, ScimContext)
→ bearer token policy (:mod:`.security`) → view (:mod:`.users`, :mod:`.groups`,
:mod:`.discovery`) → store (:mod:`.store`, :mod:`.group_store`) → SCIM response, or a
SCIM Error rendered by :mod:`.errors`.
"""

from __future__ import annotations

from typing import Any

from .security import ScimBearerPolicy
from .service import ScimRequest


def includeme(config: Any) -> None:
    from .discovery import add_method_not_allowed
    from .errors import includeme as include_errors
    from .routes import add_routes

    # The composed security policy authenticates ScimContext routes with this one.
    config.registry.setdefault("authn_policies", {})["scim"] = ScimBearerPolicy()
    config.add_request_method(ScimRequest, "scim", reify=True)
    add_routes(config)
    add_method_not_allowed(config)
    include_errors(config)
    # Above pyramid_tm: the log is written after the request's transaction has ended.
    config.add_tween("trainmeuk_identity.scim.log.provisioning_log_tween_factory",
                     over="pyramid_tm.tm_tween_factory")
    config.add_tween("trainmeuk_identity.scim.routes.collapse_slashes_tween_factory",
                     over="trainmeuk_identity.scim.log.provisioning_log_tween_factory")
