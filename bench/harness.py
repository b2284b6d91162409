"""What every benchmark needs: a migrated database, the app under waitress on
loopback, a tenant with SCIM on, an HTTP client speaking Entra's SCIM, and stats."""

from __future__ import annotations

import logging
import os
import socket
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from alembic.config import Config
from sqlalchemy import create_engine, text
from waitress.server import create_server

from alembic import command
from trainmeuk_identity import configure
from trainmeuk_identity.models import Tenant, TenantScope
from trainmeuk_identity.scim import tokens

ROOT = Path(__file__).resolve().parents[1]
SECRET = "benchmark-only-secret-key-0123456789-abcdefghijklmnop"
SCIM_JSON = "application/scim+json; charset=utf-8"
POSTGRES_ADMIN_URL = os.environ.get(
    "TRAINMEUK_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def migrate(url: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["database_url"] = url
    command.upgrade(config, "head")


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="tmk-bench-") as directory:
        yield f"sqlite:///{directory}/bench.sqlite"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database, dropped afterwards. Raises OperationalError if unreachable."""
    name = f"tmk_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def in_process_app(url: str, base_domain: str = "localhost",
                   settings: dict[str, str] | None = None) -> Any:
    """The application on ``url`` in this process, without its mail worker (the
    benchmarks that serve it themselves, profile it or seed its data); ``settings``
    override the defaults."""
    return configure({
        "sqlalchemy.url": url, "trainmeuk.environment": "testing",
        "trainmeuk.base_domain": base_domain, "trainmeuk.secret_keys": SECRET,
        "trainmeuk.mail_worker": "false", "mail.host": "127.0.0.1", "mail.port": "1",
        "retry.attempts": "3", **(settings or {}),
    }).make_wsgi_app()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Deployment:
    """The application on a database, served by waitress, with one SCIM-enabled tenant."""

    url: str
    app: Any = None
    port: int = 0
    subdomain: str = "bench"
    tenant_id: str = ""
    token: str = ""
    _server: Any = None

    def start(self, threads: int = 8) -> Deployment:
        migrate(self.url)
        self.app = in_process_app(self.url)
        factory = self.app.registry["cross_tenant_session_factory"]
        with factory() as session, session.begin():
            tenant = Tenant(subdomain=self.subdomain, display_name="Benchmark Ltd")
            session.add(tenant)
            session.flush()
            _, issued = tokens.enable_scim(TenantScope(session, tenant.id), "entra")
            self.tenant_id, self.token = tenant.id, issued.value
        self.port = free_port()
        self._server = create_server(self.app, host="127.0.0.1", port=self.port, threads=threads)
        threading.Thread(target=self._server.run, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            # Channels still finishing may log a closed trigger; nothing is lost.
            logging.getLogger("waitress").setLevel(logging.CRITICAL)
            self._server.close()
        if self.app is not None:
            self.app.registry["mail_worker"].stop()
            self.app.registry["provisioning_log"].stop()
            self.app.registry["db_engine"].dispose()

    @property
    def engine(self) -> Any:
        return self.app.registry["db_engine"]

    def client(self) -> ScimClient:
        return ScimClient(self)


class ScimClient:
    """Requests as Entra sends them: bearer token, SCIM JSON, the tenant's Host."""

    def __init__(self, deployment: Deployment) -> None:
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{deployment.port}/scim/entra/v2", timeout=60,
            headers={"Host": f"{deployment.subdomain}.localhost:{deployment.port}",
                     "Authorization": f"Bearer {deployment.token}"})

    def call(self, method: str, path: str, stats: Stats | None = None, *,
             json: Any = None, params: Any = None, expect: tuple[int, ...] = (200, 201, 204)) -> Any:
        started = time.perf_counter()
        headers = {"Content-Type": SCIM_JSON} if json is not None else None
        response = self.http.request(method, path, json=json, params=params, headers=headers)
        if stats is not None:
            stats.add(time.perf_counter() - started)
        if response.status_code not in expect:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    def close(self) -> None:
        self.http.close()


@dataclass
class Stats:
    """Latencies of one kind of request, thread-safe."""

    seconds: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, value: float) -> None:
        with self._lock:
            self.seconds.append(value)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.seconds)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else 0.0

    def summary(self) -> str:
        return (f"n={len(self.seconds)} p50={self.percentile(50) * 1000:.1f} ms "
                f"p99={self.percentile(99) * 1000:.1f} ms")


#: Written in batches by background threads of the app, not by the request measured.
BACKGROUND_WRITES = ("INSERT INTO provisioning_log", "UPDATE scim_tokens SET last_used_at",
                     "scim_rate_counts")


@contextmanager
def counting_statements(engine: Any) -> Iterator[list[str]]:
    """Every SQL statement the engine sends while the block runs, but the background
    writers' (provisioning log, token last use, shared rate counts)."""
    from sqlalchemy import event

    statements: list[str] = []
    lock = threading.Lock()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if any(part in statement for part in BACKGROUND_WRITES):
            return
        with lock:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
