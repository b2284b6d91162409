"""The TLS context of every outbound connection: HTTPS to identity providers
(discovery, signing keys, token endpoint, save-time checks) and the SMTP relay
(STARTTLS or SMTPS, :mod:`.smtp`); built once per process.

Certificates are verified against the operating system's trust store, where an
operator installs a corporate proxy's CA (``update-ca-certificates``), or against the
bundle named by ``SSL_CERT_FILE`` (or the directory ``SSL_CERT_DIR``) when set, as
corporate networks and OpenSSL expect. Loading a CA bundle costs tens of
milliseconds, so it is done once, not per client (docs/decisions/0016-outbound-tls.md).
"""

from __future__ import annotations

import functools
import os
import ssl


def tls_context() -> ssl.SSLContext:
    """The process's client context for the current ``SSL_CERT_FILE``/``SSL_CERT_DIR``
    (one per distinct pair: in practice one per process)."""
    return _context(os.environ.get("SSL_CERT_FILE") or None, os.environ.get("SSL_CERT_DIR") or None)


@functools.cache
def _context(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    # Without cafile/capath the default context loads the system's default verify
    # paths (on Debian /etc/ssl/certs, kept by update-ca-certificates).
    return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile, capath=capath)
