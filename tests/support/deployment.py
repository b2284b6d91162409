"""A deployment as production runs it, for tests: ``pserve`` of an ini that selects the
production server runner (gunicorn, gthread workers forked from the master that
loaded the app, and the mail process beside them), as a real OS process on its own
loopback port, sharing only the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from .servers import free_port

PSERVE = Path(sys.executable).with_name("pserve")

INI = """\
[app:main]
use = egg:trainmeuk-identity
trainmeuk.environment = testing
trainmeuk.base_domain = {base_domain}
trainmeuk.secret_keys = {secret}
trainmeuk.entra_authority = {authority}
trainmeuk.trusted_proxy = {trusted_proxy}
mail.host = 127.0.0.1
mail.port = {mail_port}
mail.default_sender = TrainMeUK <no-reply@trainmeuk.test>
retry.attempts = 3

[server:main]
use = egg:trainmeuk-identity#gunicorn
listen = 127.0.0.1:6543
workers = 1
threads = 4
"""


@dataclass
class Process:
    """One ``pserve`` of the deployment, reached at its own port."""

    name: str
    port: int
    popen: subprocess.Popen[bytes]
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_process(name: str, ini: Path, database_url: str, tmp: Path) -> Process:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAINMEUK_")}
    env.update(TRAINMEUK_DATABASE_URL=database_url, TRAINMEUK_LISTEN=f"127.0.0.1:{port}")
    log = tmp / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen([str(PSERVE), str(ini)], cwd=tmp, env=env,
                                 stdout=out, stderr=subprocess.STDOUT)
    return Process(name, port, popen, log)


def wait_until_serving(process: Process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise AssertionError(f"{process.name} exited:\n{process.output()}")
        try:
            if httpx.get(process.url("/healthz"), timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{process.name} did not serve within {timeout}s:\n{process.output()}")


def stop_processes(processes: list[Process]) -> None:
    for process in processes:
        process.popen.terminate()  # gunicorn: graceful stop, all at once
    for process in processes:
        try:
            process.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.popen.kill()
            process.popen.wait()


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux: each thread's ``children`` in /proc)."""
    found: set[int] = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found.update(int(child) for child in f.read().split())
        except OSError:
            continue
    return sorted(found)


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command (state first); None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def niceness(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[16]) if fields else None


def process_exists(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, exited but not yet collected, does not)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"
