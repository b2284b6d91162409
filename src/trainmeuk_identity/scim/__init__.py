"""SCIM 2.0 provisioning endpoint, ``/scim/{provider}/v2/`` (provider-agnostic).

The provider named in the URL supplies its dialect (a scim2-models ``ScimPolicy`` and
a request normaliser); everything else here is the same for every provider.

Request flow (the tweens are added, in this order, by the app factory): repeated
slashes collapsed (:mod:`.routes`) → provisioning-log tween (:mod:`.log`) → fairness
limits (:mod:`.limits`) → pyramid_tm → route (tenant host, ScimContext; the caller
read in one query) → bearer token policy (:mod:`.security`), whose verdict the log
entry records → view (:mod:`.users`, :mod:`.groups`, :mod:`.discovery`) → store
(:mod:`.store`, :mod:`.group_store`) → SCIM response, or a SCIM Error rendered by
:mod:`.errors`.
"""

from __future__ import annotations

from typing import Any

from .log import REGISTRY_KEY, start_log
from .service import ScimRequest


def includeme(config: Any) -> None:
    from .discovery import add_method_not_allowed
    from .errors import includeme as include_errors
    from .routes import add_routes

    config.add_request_method(ScimRequest, "scim", reify=True)
    add_routes(config)
    add_method_not_allowed(config)
    include_errors(config)
    # Entries are written in batches by a background thread of each process.
    # Entries of every tenant in one INSERT: the cross-tenant path (models/isolation.py).
    config.registry[REGISTRY_KEY] = start_log(config.registry["cross_tenant_session_factory"])
