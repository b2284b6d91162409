"""SCIM 2.0 provisioning endpoint, ``/scim/{provider}/v2/`` (provider-agnostic).

The provider named in the URL supplies its dialect (a scim2-models ``ScimPolicy`` and
a request normaliser); everything else here is the same for every provider.

Request flow: provisioning-log tween → fairness limits (:mod:`.limits`) → pyramid_tm → route (tenant host, ScimContext)
→ bearer token policy (:mod:`.security`) → view (:mod:`.users`, :mod:`.groups`,
:mod:`.discovery`) → store (:mod:`.store`, :mod:`.group_store`) → SCIM response, or a
SCIM Error rendered by :mod:`.errors`.
"""

from __future__ import annotations

from typing import Any

from .log import REGISTRY_KEY, start_log
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
    # Entries are written in batches by a background thread of each process.
    config.registry[REGISTRY_KEY] = start_log(config.registry["dbsession_factory"])
    # Above pyramid_tm: the entry is complete once the request's transaction has ended.
    config.add_tween("trainmeuk_identity.scim.log.provisioning_log_tween_factory",
                     over="pyramid_tm.tm_tween_factory")
    # Between the two: a token's excess requests wait for its share before any database
    # connection or transaction, and the log still records a 429 (scim/limits.py).
    config.add_tween("trainmeuk_identity.scim.limits.scim_limits_tween_factory",
                     under="trainmeuk_identity.scim.log.provisioning_log_tween_factory",
                     over="pyramid_tm.tm_tween_factory")
    config.add_tween("trainmeuk_identity.scim.routes.collapse_slashes_tween_factory",
                     over="trainmeuk_identity.scim.log.provisioning_log_tween_factory")
