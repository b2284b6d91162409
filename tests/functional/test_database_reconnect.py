"""A database connection dropped by the server (restart, failover, idle timeout) costs
no request an error: the request that meets it is tried again on a fresh connection."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from ..support.app import tenant_app
from ..support.scim import ScimClient, enable_scim


def terminate_other_connections(database_url: str) -> int:
    """What a server restart does to the app's pooled connections."""
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).all())
    finally:
        engine.dispose()


def test_requests_after_the_database_dropped_every_connection_succeed(
        app, database_url, session_factory, observer_factory, tenant):
    if not database_url.startswith("postgresql"):
        # SQLite has no server connections to drop; .ci/run's PostgreSQL pass runs this.
        pytest.skip("terminating server connections is a PostgreSQL operation")
    scim = ScimClient(tenant_app(app, tenant), enable_scim(session_factory, tenant))
    query = {"filter": 'userName eq "nobody@acme.example"'}
    for _ in range(3):  # the pool holds connections now
        scim.get("/Users", **query)
    assert terminate_other_connections(database_url) >= 1
    for fixture in (session_factory, observer_factory):  # the tests' own pools, not the app's
        fixture.kw["bind"].dispose()
    for _ in range(3):
        assert scim.get("/Users", **query).json["totalResults"] == 0
    assert scim.post("/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                "userName": "after@acme.example"}).status_int == 201
