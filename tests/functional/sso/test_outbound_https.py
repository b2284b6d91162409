"""Outbound HTTPS to identity providers (discovery, keys, token endpoint, save-time
checks): certificates are verified against the system's trust store, or the bundle
``SSL_CERT_FILE`` names; one TLS context serves the whole process; the client
authenticates at the token endpoint the way the provider asks.

The server is a real HTTPS server on loopback with a certificate from a CA made for
this module (``cryptography``), which no trust store knows."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from trainmeuk_identity.providers import AuthorityError
from trainmeuk_identity.sso import oidc
from trainmeuk_identity.tls import tls_context


def _certificate(subject: str, issuer: x509.Name | None, key: Any, signer: Any, *, ca: bool,
                 ip: str | None = None) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
    if ip:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
    return builder.sign(signer, hashes.SHA256())


class TokenServer:
    """Answers GET /doc with a JSON document and POST /token with a token, and keeps
    what each token request carried."""

    def __init__(self, directory: Path) -> None:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _certificate("Test CA of the outbound HTTPS tests", None, ca_key, ca_key, ca=True)
        self.ca_file = directory / "ca.pem"
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate("127.0.0.1", ca.subject, key, ca_key, ca=False, ip="127.0.0.1")
        (directory / "server.pem").write_bytes(
            cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(directory / "server.pem")
        self.requests: list[dict[str, Any]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _json(self, body: dict[str, Any]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._json({"issuer": owner.url})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                owner.requests.append({"authorization": self.headers.get("Authorization"),
                                       "form": {k: v[0] for k, v in parse_qs(body).items()}})
                self._json({"access_token": "at", "token_type": "Bearer", "expires_in": 60})

        return Handler


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenServer]:
    s = TokenServer(tmp_path_factory.mktemp("tls"))
    s.thread.start()
    yield s
    s.server.shutdown()
    s.server.server_close()


@pytest.fixture
def trusted(server: TokenServer, monkeypatch: pytest.MonkeyPatch) -> TokenServer:
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
    return server


def test_a_certificate_no_trust_store_knows_is_refused(server, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with pytest.raises(AuthorityError) as refused:
        oidc.fetch_json(f"{server.url}/doc")
    assert refused.value.unreachable
    assert "CERTIFICATE_VERIFY_FAILED" in refused.value.description


def test_the_ca_named_by_ssl_cert_file_is_trusted(trusted):
    assert oidc.fetch_json(f"{trusted.url}/doc") == {"issuer": trusted.url}


def test_one_tls_context_per_process(trusted, monkeypatch):
    first = tls_context()
    assert tls_context() is first
    assert first.verify_mode is ssl.CERT_REQUIRED and first.check_hostname
    monkeypatch.delenv("SSL_CERT_FILE")
    assert tls_context() is not first  # another trust configuration, another context
    assert tls_context() is tls_context()


@pytest.mark.parametrize("method", ["client_secret_post", "client_secret_basic"])
def test_the_token_endpoint_sees_the_providers_authentication_method(trusted, method):
    trusted.requests.clear()
    oidc.exchange_code({"token_endpoint": f"{trusted.url}/token"}, client_id="app-1",
                       client_secret="s3cret", code="c0de", redirect_uri="https://acme.example/cb",
                       verifier="v" * 43, auth_method=method)
    (seen,) = trusted.requests
    assert seen["form"]["code"] == "c0de" and seen["form"]["code_verifier"] == "v" * 43
    if method == "client_secret_basic":
        assert seen["authorization"] == "Basic " + base64.b64encode(b"app-1:s3cret").decode()
        assert "client_secret" not in seen["form"]
    else:
        assert seen["authorization"] is None
        assert (seen["form"]["client_id"], seen["form"]["client_secret"]) == ("app-1", "s3cret")


def test_save_time_checks_authenticate_as_the_provider_asks(trusted):
    class Basic:
        token_endpoint_auth_method = "client_secret_basic"

    trusted.requests.clear()
    oidc.HttpProbe().for_provider(Basic()).client_credentials(
        f"{trusted.url}/token", "app-2", "pw", "api://default")
    (seen,) = trusted.requests
    assert seen["authorization"] == "Basic " + base64.b64encode(b"app-2:pw").decode()
    assert seen["form"]["grant_type"] == "client_credentials"


def test_an_unknown_authentication_method_is_refused():
    with pytest.raises(ValueError, match="private_key_jwt"):
        oidc.exchange_code({"token_endpoint": "https://127.0.0.1:9/token"}, client_id="a",
                           client_secret="b", code="c", redirect_uri="https://x/cb", verifier="v" * 43,
                           auth_method="private_key_jwt")
