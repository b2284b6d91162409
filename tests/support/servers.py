"""Real servers on loopback for tests: SMTP (aiosmtpd) and the app under waitress."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from waitress import wasyncore
from waitress.server import create_server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class MailSink:
    """Collects every message the SMTP server receives."""

    messages: list[EmailMessage] = field(default_factory=list)
    #: the client's address and port of each message's connection, by recipient
    peers: dict[str, Any] = field(default_factory=dict)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._arrived:
            self.messages.append(message)  # type: ignore[arg-type]
            self.peers.update((recipient.lower(), session.peer) for recipient in envelope.rcpt_tos)
            self._arrived.notify_all()
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def wait_for(self, address: str, timeout: float = 30.0) -> EmailMessage:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while not self.to(address):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no mail to {address} within {timeout}s")
                self._arrived.wait(remaining)
        return self.to(address)[-1]


class SMTPServer:
    def __init__(self) -> None:
        self.sink = MailSink()
        self.port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def start(self) -> SMTPServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


class LiveServer:
    """The WSGI app under waitress on a free loopback port, in a thread."""

    def __init__(self, app: Any, host: str = "127.0.0.1") -> None:
        self.port = free_port()
        self.server = create_server(app, host=host, port=self.port, threads=8,
                                    clear_untrusted_proxy_headers=True)
        self._stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        # The loop polls in short turns and checks for stop between them, so stop() can
        # close the sockets only once the loop has let go of them (no "Bad file descriptor").
        while not self._stopping.is_set():
            wasyncore.loop(timeout=0.05, map=self.server._map, count=1)

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def url(self, subdomain: str | None = None) -> str:
        host = f"{subdomain}.localhost" if subdomain else "localhost"
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        self._stopping.set()
        self.thread.join(timeout=10)
        self.server.task_dispatcher.shutdown()
        wasyncore.close_all(self.server._map)
