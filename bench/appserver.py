"""The service as production runs it: ``pserve <ini>`` in a subprocess, configured by
the environment, with a local SMTP sink for its mail; and what its processes cost
(CPU seconds and resident memory, read from /proc)."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from .harness import ROOT, free_port
from .procfs import cpu_seconds, niceness, process_tree, rss_mib, start_time

PRODUCTION_INI = ROOT / "production.ini"
PSERVE = Path(sys.executable).with_name("pserve")


class MailSink:
    """An SMTP server on loopback that accepts and counts every message."""

    def __init__(self) -> None:
        self.messages = 0
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        return "250 OK"

    def start(self) -> MailSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


def server_section(ini: Path = PRODUCTION_INI) -> str:
    """The ``[server:main]`` section of ``ini``, verbatim (header included)."""
    text = ini.read_text()
    match = re.search(r"^\[server:main\][^\[]*", text, re.M)
    if match is None:
        raise SystemExit(f"{ini} has no [server:main] section")
    return match.group(0).replace("%(here)s", str(ini.parent))


@dataclass
class AppServer:
    """``pserve <ini>`` listening where TRAINMEUK_LISTEN says (127.0.0.1:<free port>);
    ``env`` adds to the environment."""

    ini_text: str | None = None  # None: production.ini itself
    env: dict[str, str] = field(default_factory=dict)
    label: str = "app"
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _dir: Any = None

    def start(self, probe_host: str, timeout: float = 90) -> AppServer:
        self.port = free_port()
        listen = f"127.0.0.1:{self.port}"
        self._dir = tempfile.TemporaryDirectory(prefix=f"tmk-load-{self.label}-")
        ini = PRODUCTION_INI
        if self.ini_text is not None:
            ini = Path(self._dir.name) / f"{self.label}.ini"
            ini.write_text(self.ini_text)
        env = {**os.environ, **self.env, "TRAINMEUK_LISTEN": listen,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.log_path = Path(self._dir.name) / f"{self.label}.log"
        self._log = open(self.log_path, "wb")  # closed in stop()
        self.process = subprocess.Popen([str(PSERVE), str(ini)], cwd=ROOT, env=env,
                                        stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready(probe_host, timeout)
        return self

    def _wait_ready(self, host: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.label} server exited ({self.process.returncode}):\n"
                                 + self.log_tail())
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/scim/entra/v2/ServiceProviderConfig", headers={"Host": host})
                conn.getresponse().read()
                conn.close()
                # Every worker must be up, not just the first: give the others a moment.
                time.sleep(1.0)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"{self.label} server did not answer within {timeout:.0f} s:\n" + self.log_tail())

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_problems(self) -> list[str]:
        """Lines of the server's log at ERROR/CRITICAL level or starting a traceback."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines()
                if re.search(r"\b(ERROR|CRITICAL)\b|^Traceback", line)]

    def keep_log(self) -> Path:
        """A copy of the server's log that outlives the run (its folder is removed at the
        end), for reading the tracebacks the summary only counts."""
        kept = Path(tempfile.gettempdir()) / f"tmk-load-{self.label}-{os.getpid()}.log"
        shutil.copyfile(self.log_path, kept)
        return kept

    @property
    def pids(self) -> list[int]:
        return process_tree(self.process.pid) if self.process else []

    @property
    def workers(self) -> list[int]:
        """The processes that serve requests: the children if any, else the server itself.
        A child at a lower priority than the server works in the background (the mail
        process): its CPU counts in :meth:`cpu_seconds`, but it is no worker."""
        tree = self.pids
        if len(tree) <= 1:
            return tree
        own = niceness(tree[0])
        return [pid for pid in tree[1:] if niceness(pid) == own]

    @property
    def background(self) -> list[int]:
        tree = self.pids
        own = niceness(tree[0]) if tree else None
        return [pid for pid in tree[1:] if niceness(pid) != own]

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids)

    def rss(self) -> dict[int, float | None]:
        return {pid: rss_mib(pid) for pid in self.workers}

    def stop(self) -> None:
        if self.process is None:
            return
        tree = [(pid, start_time(pid)) for pid in self.pids[1:]]
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid, started in tree:  # workers the server failed to stop
            if started is not None and start_time(pid) == started:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        self.process = None
        self._log.close()

    def cleanup(self) -> None:
        if self._dir is not None:
            self._dir.cleanup()


def strong_secret() -> str:
    return secrets.token_urlsafe(48)
