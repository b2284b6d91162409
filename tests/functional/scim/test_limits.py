"""The per-token rate ceiling through the whole app: 429 + Retry-After + SCIM Error,
nothing changed, other tenants served, counts shared by app instances on one database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from trainmeuk_identity import configure
from trainmeuk_identity.crypto import hash_token
from trainmeuk_identity.models import ProvisioningLogEntry, User
from trainmeuk_identity.models.rate_limit import ScimRateCount
from trainmeuk_identity.scim import log as scim_log

from ...support.app import close_app, tenant_app
from ...support.scim import ERROR, ScimClient, enable_scim, new_user

WINDOW = 60
CEILING = 5  # requests per window: rate_limit = CEILING / WINDOW
LIMITS = {"trainmeuk.scim.rate_limit": str(CEILING / WINDOW),
          "trainmeuk.scim.rate_window": str(WINDOW),
          # Shorter than what is left of the window: over the ceiling means 429 at once.
          "trainmeuk.scim.queue_timeout": "1",
          "trainmeuk.scim.rate_sync_interval": "600"}  # tests sync by hand


def frozen_clock() -> float:
    """A moment 5 s into the current window, so the window cannot end mid-test."""
    return (int(time.time()) // WINDOW) * WINDOW + 5.0


@pytest.fixture
def make_app(app_settings) -> Iterator[Any]:
    made: list[Any] = []
    moment = frozen_clock()  # the same for every app a test makes

    def make(**overrides: str) -> Any:
        application = configure({**app_settings, **LIMITS, **overrides}).make_wsgi_app()
        application.registry["scim_limits"].clock = lambda: moment
        made.append(application)
        return application

    yield make
    for application in made:
        application.registry["scim_limits"].stop()
        close_app(application)


def log_entries(app: Any, dbsession: Any, tenant: Any) -> list[ProvisioningLogEntry]:
    flush = getattr(scim_log, "flush_pending", None)
    if flush is not None:
        flush(app.registry)
    dbsession.rollback()
    return list(dbsession.scalars(select(ProvisioningLogEntry).where(
        ProvisioningLogEntry.tenant_id == tenant.id).order_by(ProvisioningLogEntry.id)))


def assert_throttled(response: Any) -> None:
    assert response.status_int == 429
    assert response.content_type == "application/scim+json"
    body = response.json
    assert body["schemas"] == [ERROR] and body["status"] == "429"
    assert "Nothing was changed" in body["detail"] and "again after" in body["detail"]
    assert "requests per second" in body["detail"]
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= WINDOW


def test_a_token_over_its_ceiling_gets_429_and_nothing_changes(
        make_app, tenant, other_tenant, session_factory, dbsession):
    app = make_app()
    acme = ScimClient(tenant_app(app, tenant), enable_scim(session_factory, tenant))
    globex = ScimClient(tenant_app(app, other_tenant), enable_scim(session_factory, other_tenant))
    for _ in range(CEILING):
        acme.get("/Users")

    refused = acme.post("/Users", new_user("late@acme.example"), status=429)
    assert_throttled(refused)
    assert dbsession.scalar(select(User).where(User.tenant_id == tenant.id)) is None
    assert_throttled(acme.get("/Users", status=429))

    # The other tenant's token has its own ceiling, untouched.
    created = globex.post("/Users", new_user("ok@globex.example"))
    assert created.status_int == 201
    globex.get(f"/Users/{created.json['id']}")

    # The refusals are in the tenant's provisioning log, described like any request.
    rows = [(r.operation, r.status) for r in log_entries(app, dbsession, tenant)]
    assert rows[-2:] == [("create user", 429), ("query users", 429)]
    assert "requests per second" in log_entries(app, dbsession, tenant)[-1].error_detail


def test_bad_tokens_on_a_tenants_host_do_not_use_up_its_tokens_ceiling(
        make_app, tenant, session_factory):
    app = make_app()
    token = enable_scim(session_factory, tenant)
    for attempt in range(CEILING * 2):
        ScimClient(tenant_app(app, tenant), f"wrong-{attempt}").get("/Users", status=401)
    ScimClient(tenant_app(app, tenant), None).get("/Users", status=401)
    for _ in range(CEILING):
        ScimClient(tenant_app(app, tenant), token).get("/Users")


def test_counts_are_shared_by_app_instances_on_one_database(
        make_app, tenant, session_factory, dbsession):
    first, second = make_app(), make_app()
    token = enable_scim(session_factory, tenant)
    on_first = ScimClient(tenant_app(first, tenant), token)
    on_second = ScimClient(tenant_app(second, tenant), token)

    for _ in range(3):
        on_first.get("/Users")
    assert first.registry["scim_limits"].sync() == 1  # one statement, one token
    for _ in range(2):
        on_second.get("/Users")
    second.registry["scim_limits"].sync()

    # Five in all: the second instance, which has just synced, refuses the sixth.
    assert_throttled(on_second.get("/Users", status=429))
    # The first last synced at three: it admits one more (the documented approximation:
    # up to one sync interval's worth), learns the total at its next sync, then refuses.
    on_first.get("/Users")
    first.registry["scim_limits"].sync()
    assert_throttled(on_first.get("/Users", status=429))

    dbsession.rollback()
    row = dbsession.scalar(select(ScimRateCount).where(ScimRateCount.token_hash == hash_token(token)))
    assert row is not None and row.count == CEILING + 1
    assert row.window_start % WINDOW == 0


def test_one_sync_shares_every_tenants_count_and_learns_each_total(
        make_app, tenant, other_tenant, session_factory, dbsession):
    first, second = make_app(), make_app()
    tokens = {t.id: enable_scim(session_factory, t) for t in (tenant, other_tenant)}
    for times, t in ((2, tenant), (3, other_tenant)):
        for _ in range(times):
            ScimClient(tenant_app(first, t), tokens[t.id]).get("/Users")
    assert first.registry["scim_limits"].sync() == 2  # both tokens, in one statement
    for t in (tenant, other_tenant):
        ScimClient(tenant_app(second, t), tokens[t.id]).get("/Users")
    assert second.registry["scim_limits"].sync() == 2

    dbsession.rollback()
    counts = dict(dbsession.execute(select(ScimRateCount.token_hash, ScimRateCount.count).where(
        ScimRateCount.token_hash.in_([hash_token(v) for v in tokens.values()]))).all())
    assert counts == {hash_token(tokens[tenant.id]): 3, hash_token(tokens[other_tenant.id]): 4}
    # Each instance learnt each token's own total: the second refuses the other
    # tenant's token after one more request (4 + 1 = the ceiling), not the first's.
    ScimClient(tenant_app(second, other_tenant), tokens[other_tenant.id]).get("/Users")
    assert_throttled(ScimClient(tenant_app(second, other_tenant), tokens[other_tenant.id])
                     .get("/Users", status=429))
    ScimClient(tenant_app(second, tenant), tokens[tenant.id]).get("/Users")


def test_only_tokens_that_worked_are_shared_and_old_windows_are_pruned(
        make_app, tenant, session_factory, dbsession):
    app = make_app()
    limiter = app.registry["scim_limits"]
    ScimClient(tenant_app(app, tenant), "never-valid").get("/Users", status=401)
    assert limiter.sync() == 0  # a bad token never reaches the database

    token = enable_scim(session_factory, tenant)
    ScimClient(tenant_app(app, tenant), token).get("/Users")
    limiter.sync()
    old = int(limiter.clock()) - 3600
    with session_factory() as session, session.begin():
        session.add(ScimRateCount(token_hash=hash_token(token), window_start=old, count=7))
    limiter.prune()
    dbsession.rollback()
    windows = set(dbsession.scalars(select(ScimRateCount.window_start).where(
        ScimRateCount.token_hash.in_([hash_token(token), hash_token("never-valid")]))))
    assert windows == {int(limiter.clock()) // WINDOW * WINDOW}


def test_limits_are_off_when_set_to_zero(make_app, tenant, session_factory):
    app = make_app(**{"trainmeuk.scim.rate_limit": "0",
                      "trainmeuk.scim.max_concurrent_per_token": "0"})
    scim = ScimClient(tenant_app(app, tenant), enable_scim(session_factory, tenant))
    for _ in range(CEILING * 2):
        scim.get("/Users")
    assert app.registry["scim_limits"].sync() == 0


def test_the_limiter_learns_what_each_tokens_requests_cost_from_the_requests_it_serves(
        make_app, tenant, other_tenant, session_factory):
    """The share is counted by cost (decision 0012): the tween measures each request's
    CPU and gives it to the limiter, per token."""
    app = make_app()
    acme_token = enable_scim(session_factory, tenant)
    globex_token = enable_scim(session_factory, other_tenant)
    acme = ScimClient(tenant_app(app, tenant), acme_token)
    globex = ScimClient(tenant_app(app, other_tenant), globex_token)
    limiter = app.registry["scim_limits"]
    assert limiter._mean_cost == 0.0
    acme.post("/Users", new_user("cost@acme.example"))
    globex.get("/Users")
    costs = limiter._costs
    assert costs[hash_token(acme_token)] > 0 and costs[hash_token(globex_token)] > 0
    assert limiter._mean_cost > 0
