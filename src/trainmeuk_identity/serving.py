"""Production serving: gunicorn, gthread workers, one worker process per CPU.

``production.ini`` selects this runner in ``[server:main]`` (``use =
egg:trainmeuk-identity#gunicorn``), so production still starts with ``pserve
production.ini``. pserve loads the application in the master process first and then
calls :func:`serve` with it; gunicorn forks the workers from that master. What must
not cross a fork is taken care of where it lives: the database engine drops its
pooled connections in every child (:mod:`trainmeuk_identity.models`). Here the master
stops its own mail thread and closes its connections before any fork, so no worker
inherits a thread or a socket.

Mail is delivered by one more process the master forks and keeps running beside the
workers (:class:`MailProcess`), at a lower CPU priority, so sending never competes
with requests for a worker's interpreter and yields the cores to them when they are
busy. Workers wake it after a commit that queued mail through a pipe
(:class:`~trainmeuk_identity.mail.Doorbell`).

Every ``[server:main]`` key is a gunicorn setting (``listen`` is accepted as well, in
waitress's ``host:port`` form). The environment wins over the file:

- ``TRAINMEUK_LISTEN=host:port`` (several separated by spaces) -- the listen address;
- ``TRAINMEUK_WORKERS`` -- worker processes (default: the CPUs this process may use);
- ``TRAINMEUK_THREADS`` -- threads per worker (default 16; each worker's database
  pool is sized to match unless ``sqlalchemy.pool_size`` says otherwise).

Forwarded headers are not gunicorn's business here: the application itself honours
``X-Forwarded-*`` only from ``trainmeuk.trusted_proxy`` (see
:mod:`trainmeuk_identity.proxy`), the same under any server.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from .mail import Doorbell, MailWorker
from .settings import DEFAULT_THREADS, ConfigurationError

log = logging.getLogger(__name__)

# name -> gunicorn setting; applied unless the ini or the environment says otherwise
DEFAULTS: dict[str, Any] = {
    "worker_class": "gthread",
    "threads": DEFAULT_THREADS,
    # Idle keep-alive connections wait in the worker's poller, not in a thread, so a
    # long timeout is cheap; it outlasts the usual load balancer idle timeout (60 s),
    # so the balancer, not us, closes idle connections and never races a close.
    "keepalive": 75,
    # A restart (SIGHUP) or stop (SIGTERM) lets requests in flight finish.
    "graceful_timeout": 30,
    "timeout": 60,
    "proc_name": "trainmeuk-identity",
    # The application decides which proxy to trust (trainmeuk.trusted_proxy).
    "forwarded_allow_ips": "",
    # Several instances may run on one host; a shared control socket would collide.
    "control_socket_disable": True,
}

ENVIRONMENT: dict[str, str] = {
    "TRAINMEUK_LISTEN": "bind",
    "TRAINMEUK_WORKERS": "workers",
    "TRAINMEUK_THREADS": "threads",
}


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def parse_listen(value: str) -> list[str]:
    """``host:port`` (or several, space- or comma-separated) as gunicorn bind addresses."""
    addresses = [part for part in value.replace(",", " ").split() if part]
    if not addresses:
        raise ConfigurationError("TRAINMEUK_LISTEN is empty: give host:port, e.g. 0.0.0.0:6543")
    for address in addresses:
        if address.startswith("unix:"):
            continue
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigurationError(
                f"Listen address {address!r} is not host:port (e.g. 0.0.0.0:6543 or [::]:6543)."
            )
    return addresses


def gunicorn_options(local_conf: Mapping[str, Any],
                     environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The gunicorn settings: defaults < ``[server:main]`` < environment."""
    environ = os.environ if environ is None else environ
    options: dict[str, Any] = {**DEFAULTS, "workers": cpu_count()}
    for key, value in local_conf.items():
        key = key.lower().replace("-", "_")
        if key == "listen":
            options["bind"] = parse_listen(str(value))
        elif key in {"host", "port"}:
            raise ConfigurationError("[server:main]: use listen = host:port")
        else:
            options[key] = value
    for variable, key in ENVIRONMENT.items():
        value = environ.get(variable, "").strip()
        if value:
            options[key] = parse_listen(value) if key == "bind" else value
    for key in ("workers", "threads"):
        try:
            number = int(options[key])
        except (TypeError, ValueError):
            number = 0
        if number < 1:
            raise ConfigurationError(f"{key} must be a whole number of at least 1, "
                                     f"not {options[key]!r}.")
        options[key] = number
    options.setdefault("bind", ["127.0.0.1:6543"])
    return options


def _registry(app: Any) -> Any:
    return getattr(app, "registry", None)


def before_fork(app: Any) -> MailProcess | None:
    """Leave the master with no thread and no database connection to hand down; the
    process that will deliver mail, if this app delivers mail."""
    registry = _registry(app)
    if registry is None:
        return None
    worker = registry.get("mail_worker")
    mail = MailProcess(worker) if worker is not None and worker.enabled else None
    for key in ("db_engine", "cross_tenant_engine"):
        engine = registry.get(key)
        if engine is not None:
            engine.dispose()
    return mail


class MailProcess:
    """The one process of this server that delivers mail, forked by the master and
    started again if it exits. It runs niced (:data:`NICENESS`): when requests keep the
    cores busy, welcome mails go out more slowly rather than slow the requests."""

    NICENESS = 10
    RESTART_SECONDS = 5.0  # at most one start in this time, should it keep failing

    def __init__(self, worker: MailWorker) -> None:
        self.worker = worker
        self.pid = 0
        self._not_before = 0.0
        worker.hand_over_to_process(Doorbell())  # before gunicorn forks a worker

    def keep_running(self, arbiter: Arbiter) -> None:
        if self.pid or time.monotonic() < self._not_before:
            return
        self._not_before = time.monotonic() + self.RESTART_SECONDS
        pid = os.fork()
        if pid:
            self.pid = pid
            log.info("mail process %d started", pid)
            return
        status = 0
        try:
            for number in [*arbiter.SIGNALS, signal.SIGCHLD]:  # the master's handlers
                signal.signal(number, signal.SIG_DFL)
            for listener in arbiter.LISTENERS:  # requests are the workers'
                listener.close()
            os.nice(self.NICENESS)
            self.worker.run_as_process(parent=arbiter.pid)
        except BaseException:
            log.exception("mail process failed")
            status = 1
        finally:
            os._exit(status)

    def reap(self) -> None:
        """Forget the process if it has exited (gunicorn's own reaping of unknown
        children may have collected it first)."""
        if not self.pid:
            return
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status = self.pid, 0
        if pid:
            code = os.waitstatus_to_exitcode(status)
            if code > 0:
                log.warning("mail process %d exited with status %d", pid, code)
            elif code < 0:
                log.warning("mail process %d was killed by signal %d", pid, -code)
            self.pid = 0

    def signal(self, number: int) -> None:
        if self.pid:
            try:
                os.kill(self.pid, number)
            except ProcessLookupError:
                self.pid = 0

    def wait(self, until: float) -> None:
        """Until the process has exited or ``until`` (monotonic) has passed; then kill it."""
        while self.pid and time.monotonic() < until:
            self.reap()
            time.sleep(0.1)
        self.signal(signal.SIGKILL)
        self.reap()


class ServerArbiter(Arbiter):  # type: ignore[misc]
    """gunicorn's master, also keeping the mail process running and stopping it with
    the workers."""

    def __init__(self, app: Any, mail: MailProcess | None) -> None:
        self.mail = mail
        super().__init__(app)

    def manage_workers(self) -> None:
        super().manage_workers()
        if self.mail is not None:
            self.mail.keep_running(self)

    def reap_workers(self) -> None:  # on SIGCHLD, and while stopping
        if self.mail is not None:
            self.mail.reap()  # first: gunicorn's waitpid(-1) would collect it unnamed
        super().reap_workers()

    def stop(self, graceful: bool = True) -> None:
        limit = time.monotonic() + (self.cfg.graceful_timeout if graceful else 2.0)
        if self.mail is not None:
            self.mail.signal(signal.SIGTERM if graceful else signal.SIGQUIT)
        super().stop(graceful)
        if self.mail is not None:
            self.mail.wait(limit)


def check_pool(app: Any, threads: int) -> None:
    """A worker whose threads outnumber its database connections makes requests wait."""
    registry = _registry(app)
    engine = registry.get("db_engine") if registry is not None else None
    pool = getattr(engine, "pool", None)
    size = getattr(pool, "size", None)
    if engine is None or size is None or engine.dialect.name == "sqlite":
        return
    capacity = size() + max(getattr(pool, "_max_overflow", 0), 0)
    if capacity < threads:
        log.warning("each worker has %d threads but its database pool holds %d connections: "
                    "set sqlalchemy.pool_size (TRAINMEUK_DB_POOL_SIZE) to at least %d",
                    threads, capacity, threads)


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """gunicorn serving an application that is already loaded (pserve loaded it)."""

    def __init__(self, app: Any, options: dict[str, Any], mail: MailProcess | None = None) -> None:
        self.application = app
        self.options = options
        self.mail = mail
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key not in self.cfg.settings:
                raise ConfigurationError(f"[server:main]: {key!r} is not a gunicorn setting.")
            self.cfg.set(key, value)

    def load(self) -> Callable[..., Any]:
        return self.application

    def run(self) -> None:
        """BaseApplication.run, with the arbiter that keeps the mail process going."""
        try:
            ServerArbiter(self, self.mail).run()
        except RuntimeError as exc:
            print(f"\nError: {exc}\n", file=sys.stderr)
            sys.exit(1)


def serve_waitress(app: Any, global_conf: Mapping[str, Any], **local_conf: Any) -> None:
    """Development (``use = egg:trainmeuk-identity#waitress``): waitress in one process,
    its ``[server:main]`` keys as waitress takes them, ``TRAINMEUK_LISTEN`` winning."""
    from waitress import serve_paste

    listen = os.environ.get("TRAINMEUK_LISTEN", "").strip()
    if listen:
        local_conf = {k: v for k, v in local_conf.items() if k not in {"host", "port", "listen"}}
        local_conf["listen"] = " ".join(parse_listen(listen))
    serve_paste(app, global_conf, **local_conf)


def serve(app: Any, global_conf: Mapping[str, Any], **local_conf: Any) -> None:
    """The ``paste.server_runner`` entry point (``use = egg:trainmeuk-identity#gunicorn``)."""
    options = gunicorn_options(local_conf)
    check_pool(app, options["threads"])
    mail = before_fork(app)
    log.info("serving on %s: %d workers x %d threads (%s)", " ".join(options["bind"]),
             options["workers"], options["threads"], options["worker_class"])
    GunicornServer(app, options, mail).run()
