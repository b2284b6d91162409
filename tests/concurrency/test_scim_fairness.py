"""Fairness between tenants with real threads (waitress on loopback): a token's burst
waits for its own share instead of taking every worker thread, and gets 429 only past
the queue timeout; meanwhile other tenants are served."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from trainmeuk_identity import configure
from trainmeuk_identity.crypto import hash_token

from ..support.app import close_app
from ..support.scim import ERROR, enable_scim
from ..support.servers import LiveServer

pytestmark = pytest.mark.live

HOLD = "X-Test-Hold"  # requests carrying it stop below the limiter until released


class Probe:
    """Below the limiter: counts requests running at once, holds marked ones."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.entered = threading.Semaphore(0)
        self.release = threading.Event()

    def tween(self, handler: Callable[[Any], Any], registry: Any) -> Callable[[Any], Any]:
        def probe(request: Any) -> Any:
            with self.lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
            try:
                if request.headers.get(HOLD):
                    self.entered.release()
                    assert self.release.wait(60), "never released"
                return handler(request)
            finally:
                with self.lock:
                    self.running -= 1

        return probe



def probe_tween_factory(handler: Callable[[Any], Any], registry: Any) -> Callable[[Any], Any]:
    return registry["test_probe"].tween(handler, registry)


@pytest.fixture
def serve(app_settings) -> Iterator[Callable[..., tuple[LiveServer, Probe, Any]]]:
    started: list[tuple[LiveServer, Any]] = []

    def start(**limits: str) -> tuple[LiveServer, Probe, Any]:
        config = configure({**app_settings, **{f"trainmeuk.scim.{k}": v for k, v in limits.items()}})
        probe = Probe()
        config.registry["test_probe"] = probe
        config.add_tween(f"{__name__}.probe_tween_factory",
                         under="trainmeuk_identity.scim.limits.scim_limits_tween_factory",
                         over="pyramid_tm.tm_tween_factory")
        app = config.make_wsgi_app()
        server = LiveServer(app).start()  # 8 threads
        started.append((server, app))
        return server, probe, app

    yield start
    for server, app in started:
        server.stop()
        app.registry["scim_limits"].stop()
        close_app(app)


class Provisioner:
    def __init__(self, server: LiveServer, subdomain: str, token: str) -> None:
        self.url = f"http://127.0.0.1:{server.port}/scim/entra/v2/Users"
        self.headers = {"Host": f"{subdomain}.localhost:{server.port}",
                        "Authorization": f"Bearer {token}"}

    def get(self, hold: bool = False) -> httpx.Response:
        headers = {**self.headers, **({HOLD: "1"} if hold else {})}
        with httpx.Client(timeout=60) as client:
            return client.get(self.url, headers=headers)


def wait_until(condition: Callable[[], bool], seconds: float = 30) -> None:
    done = threading.Event()
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        done.wait(0.02)
    raise AssertionError("condition not reached")


def test_a_burst_over_the_share_waits_then_succeeds_while_others_are_served(
        serve, tenant, other_tenant, session_factory):
    server, probe, app = serve(max_concurrent_per_token="2", max_queued_per_token="4",
                          queue_timeout="30", rate_limit="0")
    limiter, engine = app.registry["scim_limits"], app.registry["db_engine"]
    token = enable_scim(session_factory, tenant)
    acme = Provisioner(server, tenant.subdomain, token)
    globex = Provisioner(server, other_tenant.subdomain, enable_scim(session_factory, other_tenant))

    with ThreadPoolExecutor(8) as pool:
        # Acme's share is taken by two held requests; four more wait for it.
        held = [pool.submit(acme.get, True) for _ in range(2)]
        for _ in held:
            assert probe.entered.acquire(timeout=30)
        queued = [pool.submit(acme.get) for _ in range(4)]
        wait_until(lambda: limiter.waiting(hash_token(token)) == 4)
        assert probe.running == 2
        # Six requests in the app, none holding a database connection: the held ones
        # stopped above pyramid_tm, the waiting ones above that.
        wait_until(lambda: engine.pool.checkedout() == 0)

        # Two threads are still free: Globex is served at once.
        assert globex.get().status_code == 200
        assert not any(f.done() for f in queued)

        probe.release.set()
        responses = [f.result(60) for f in held + queued]
    assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
    assert probe.peak <= 3  # Acme's two, and Globex's one


def test_past_the_queue_timeout_or_a_full_queue_the_answer_is_429(
        serve, tenant, session_factory):
    server, probe, _ = serve(max_concurrent_per_token="1", max_queued_per_token="2",
                          queue_timeout="0.5", rate_limit="0")
    acme = Provisioner(server, tenant.subdomain, enable_scim(session_factory, tenant))

    with ThreadPoolExecutor(8) as pool:
        holder: Future[httpx.Response] = pool.submit(acme.get, True)
        assert probe.entered.acquire(timeout=30)
        # Each waits its 0.5 s for the one running request, then gives up.
        timed_out = [pool.submit(acme.get) for _ in range(2)]
        refused = [f.result(60) for f in timed_out]
        probe.release.set()
        assert holder.result(60).status_code == 200

    for response in refused:
        assert response.status_code == 429, response.text
        assert int(response.headers["Retry-After"]) >= 1
        body = response.json()
        assert body["schemas"] == [ERROR] and body["status"] == "429"
        assert "at once" in body["detail"] and "again after" in body["detail"]
    assert probe.peak == 1
    # The share is free again.
    assert acme.get().status_code == 200
