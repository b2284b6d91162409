"""The SCIM fairness limiter on its own: shares, the bounded queue, the rate ceiling."""

from __future__ import annotations

import threading
import time

import pytest

from trainmeuk_identity.scim.limits import Admission, LimitSettings, ScimLimiter
from trainmeuk_identity.settings import DEFAULT_THREADS, ConfigurationError, load_settings

STRONG = "k3Yq9-Zp2LmX8vR4tN6wB1cD7fG5hJ0sUeA"
WINDOW_START = 1_800_000_000.0  # a multiple of every window length used here


def limiter(clock=lambda: WINDOW_START + 1, **limits) -> ScimLimiter:
    return ScimLimiter(LimitSettings(**limits), engine=None, clock=clock)


def test_defaults_never_meet_entras_pace():
    defaults = LimitSettings.from_settings(load_settings(
        {"sqlalchemy.url": "sqlite://", "trainmeuk.secret_keys": STRONG}, environ={}))
    # 50 requests/s and 8 at once never meet a 429: the share runs, the rest wait.
    assert defaults.rate_limit >= 50 and defaults.max_concurrent + defaults.max_queued >= 8
    assert defaults.max_queued >= defaults.max_concurrent
    # One token's share and queue together leave a worker's other threads to others.
    assert defaults.max_concurrent + defaults.max_queued < DEFAULT_THREADS
    assert 0 < defaults.queue_timeout < 60  # Entra gives a request 60 s in all
    assert 0.25 <= defaults.sync_interval <= 1


def test_settings_come_from_the_ini_and_the_environment():
    settings = load_settings({"sqlalchemy.url": "sqlite://", "trainmeuk.secret_keys": STRONG,
                              "trainmeuk.scim.max_concurrent_per_token": "12"},
                             environ={"TRAINMEUK_SCIM_RATE_LIMIT": "250",
                                      "TRAINMEUK_SCIM_QUEUE_TIMEOUT": "2.5"})
    limits = LimitSettings.from_settings(settings)
    assert (limits.max_concurrent, limits.rate_limit, limits.queue_timeout) == (12, 250.0, 2.5)


@pytest.mark.parametrize("name, value", [("TRAINMEUK_SCIM_RATE_LIMIT", "fast"),
                                         ("TRAINMEUK_SCIM_MAX_CONCURRENT_PER_TOKEN", "-1"),
                                         ("TRAINMEUK_SCIM_QUEUE_TIMEOUT", "nan"),
                                         ("TRAINMEUK_SCIM_RATE_WINDOW", "0")])
def test_a_bad_limit_stops_the_start_with_its_name(name, value):
    with pytest.raises(ConfigurationError, match=name):
        load_settings({"sqlalchemy.url": "sqlite://", "trainmeuk.secret_keys": STRONG},
                      environ={name: value})


def test_requests_beyond_the_share_wait_and_the_queue_is_bounded():
    limits = limiter(max_concurrent=1, max_queued=1, queue_timeout=30, rate_limit=0)
    assert limits.admit("a").admitted
    admitted: list[Admission] = []
    waiter = threading.Thread(target=lambda: admitted.append(limits.admit("a")))
    waiter.start()
    deadline = time.monotonic() + 10
    while limits.waiting("a") != 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert limits.waiting("a") == 1
    # The queue is full: the next is refused at once, with a Retry-After.
    assert limits.admit("a") == Admission(False, "busy", 1)
    # Another token is not held up by this one.
    assert limits.admit("b").admitted
    limits.release("a")
    waiter.join(10)
    assert admitted == [Admission(True)]
    limits.release("a")
    limits.release("b")
    assert limits._shares == {}  # nothing kept for idle tokens


def test_a_wait_past_the_queue_timeout_is_refused():
    limits = limiter(max_concurrent=1, max_queued=4, queue_timeout=0.05, rate_limit=0)
    assert limits.admit("a").admitted
    assert limits.admit("a") == Admission(False, "busy", 1)
    limits.release("a")
    assert limits.admit("a").admitted


def test_the_rate_ceiling_counts_per_window_and_says_when_to_retry():
    now = [WINDOW_START + 3]
    limits = limiter(clock=lambda: now[0], rate_limit=0.5, rate_window=10, queue_timeout=0.01)
    for _ in range(5):
        assert limits.admit("a").admitted
        limits.release("a")
    assert limits.admit("a") == Admission(False, "rate", 7)  # the window ends in 7 s
    assert limits.admit("b").admitted
    now[0] += 7  # the next window
    assert limits.admit("a").admitted


def test_over_the_ceiling_a_request_waits_for_the_next_window_when_it_can():
    start = time.time()
    window = 1
    clock = time.time
    # Start just before a window ends, so the wait is short.
    time.sleep(max(0.0, window - (start % window) - 0.3))
    limits = limiter(clock=clock, rate_limit=2, rate_window=window, queue_timeout=5)
    results = []
    for _ in range(3):
        results.append(limits.admit("a"))
        limits.release("a")
    assert all(result.admitted for result in results)  # the third waited, not refused


def test_a_retried_attempt_is_not_counted_twice():
    limits = limiter(rate_limit=0.2, rate_window=10, queue_timeout=0)
    assert limits.admit("a").admitted
    limits.release("a")
    assert limits.admit("a", count=False).admitted
    limits.release("a")
    assert limits._unsynced == {"a": 1}


def test_counts_not_shared_for_want_of_a_database_are_kept_and_requests_go_on():
    from sqlalchemy import create_engine

    from trainmeuk_identity.scim.limits import Attribution

    engine = create_engine("sqlite://")  # no scim_rate_counts table: every sync fails
    limits = ScimLimiter(LimitSettings(rate_limit=1, rate_window=10), engine=engine,
                         clock=lambda: WINDOW_START + 1)
    limits.verify("a", Attribution("acme.localhost", "tenant", "entra", "token"))
    for _ in range(3):
        assert limits.admit("a").admitted
        limits.release("a")
    with pytest.raises(Exception, match="scim_rate_counts"):
        limits.sync()
    assert limits._unsynced == {"a": 3}  # counted again at the next sync
    assert limits.admit("a").admitted
    limits.release("a")
    engine.dispose()


def learn(limits: ScimLimiter, key: str, cost: float, times: int = 30) -> None:
    """``times`` finished requests of ``key``, each having used ``cost`` CPU seconds."""
    for _ in range(times):
        assert limits.admit(key).admitted
        limits.release(key, cost=cost)


def test_a_token_whose_requests_cost_more_than_the_average_runs_fewer_at_once_beside_others():
    limits = limiter(max_concurrent=2, max_queued=4, queue_timeout=0.05, rate_limit=0)
    learn(limits, "cheap", 0.002)
    learn(limits, "creations", 0.012)
    learn(limits, "cheap", 0.002)  # the others' reads keep the average low
    assert limits.units("cheap") == 1.0
    assert 1.0 < limits.units("creations") <= 2.0
    assert limits.admit("cheap").admitted  # another tenant is at work
    # The expensive token runs one request; its second waits for it (here: past the timeout).
    first = limits.admit("creations")
    assert first.admitted and first.units == limits.units("creations")
    assert limits.admit("creations") == Admission(False, "busy", 1)
    # The cheap token still runs its whole share.
    assert limits.admit("cheap").admitted
    limits.release("creations", first.units)
    assert limits.admit("creations").admitted  # its turn came back with the release
    for key in ("cheap", "cheap", "creations"):
        limits.release(key)
    assert limits._shares == {}


def test_a_costly_token_with_nobody_else_at_work_runs_its_whole_share():
    limits = limiter(max_concurrent=2, max_queued=4, queue_timeout=0.05, rate_limit=0)
    learn(limits, "creations", 0.012)
    learn(limits, "cheap", 0.002)  # others' reads, finished: nobody else at work now
    assert limits.units("creations") > 1.0
    first, second = limits.admit("creations"), limits.admit("creations")
    assert first.admitted and second.admitted and first.units == second.units == 1.0
    limits.release("creations")
    limits.release("creations")


def test_tokens_near_the_average_keep_their_whole_share():
    limits = limiter(max_concurrent=2, max_queued=4, queue_timeout=0.05, rate_limit=0)
    learn(limits, "a", 0.0020)
    learn(limits, "b", 0.0024)  # a little above the average: noise, not a burst
    learn(limits, "a", 0.0020, times=5)
    assert limits.units("b") == 1.0
    assert limits.admit("a").admitted
    assert limits.admit("b").admitted and limits.admit("b").admitted
    for key in ("a", "b", "b"):
        limits.release(key)


def test_a_request_costlier_than_the_whole_share_still_runs_one_at_a_time():
    limits = limiter(max_concurrent=2, max_queued=4, queue_timeout=0.05, rate_limit=0)
    learn(limits, "cheap", 0.001, times=60)
    learn(limits, "huge", 1.0, times=1)
    assert limits.units("huge") == 2.0  # capped at the share
    assert limits.admit("cheap").admitted
    admission = limits.admit("huge")
    assert admission.admitted  # a token's first request always runs
    assert limits.admit("huge") == Admission(False, "busy", 1)
    limits.release("huge", admission.units)
    limits.release("cheap")
    assert limits._shares == {}
