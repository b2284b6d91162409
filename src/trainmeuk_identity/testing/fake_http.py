"""A fake web service for tests: a real HTTP server on loopback, in a thread of its own,
on HTTPS when given a certificate authority. A subclass answers each request
(:meth:`FakeHttpService.answer`); the base parses the request, answers ``503`` for
everything while ``down`` is set, and writes the answer (a dict as JSON, a string as
HTML)."""

from __future__ import annotations

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .certificates import CertificateAuthority

__all__ = ["Answer", "FakeHttpService"]

#: An answer: status, body (a dict or list sent as JSON, a string sent as HTML), headers.
Answer = tuple[int, Any, dict[str, str]]


class FakeHttpService:
    def __init__(self, ca: CertificateAuthority | None = None) -> None:
        self.lock = threading.Lock()  # one answer at a time: tests read the fake's state
        self.down = False  # every request answers 503
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self.scheme = "http"
        self.ca = ca
        if ca is not None:
            self.scheme = "https"
            self.server.socket = ca.server_context().wrap_socket(
                self.server.socket, server_side=True, do_handshake_on_connect=False)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}"

    def client_context(self) -> ssl.SSLContext | bool:
        """What a test's own HTTP client verifies this server with."""
        return self.ca.client_context() if self.ca is not None else True

    def start(self) -> Any:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, method: str, path: str, query: dict[str, str], form: dict[str, str],
               headers: Any) -> Answer:
        """The answer to ``method`` ``path`` (called holding :attr:`lock`)."""
        raise NotImplementedError

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def setup(self) -> None:
                if isinstance(self.request, ssl.SSLSocket):
                    self.request.settimeout(10)
                    self.request.do_handshake()
                super().setup()

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                fake._dispatch(self, "GET", {})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake._dispatch(self, "POST", form)

        return Handler

    def _dispatch(self, handler: BaseHTTPRequestHandler, method: str, form: dict[str, str]) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if self.down:
            status, body, headers = 503, "Service Unavailable", {}
        else:
            with self.lock:
                status, body, headers = self.answer(method, parts.path, query, form, handler.headers)
        payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "text/html" if isinstance(body, str) else "application/json")
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
