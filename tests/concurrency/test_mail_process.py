"""The mail process of a production server: one per server, beside its workers.

A real ``pserve`` of the production runner (gunicorn, two workers) delivers mail from
a process of its own, at a lower CPU priority than the workers, so sending a large
sync's welcome mails never takes a worker's interpreter from requests. The workers
only wake it. It is started again when it dies and stops with the server.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from trainmeuk_identity.serving import MailProcess
from trainmeuk_identity.testing.factories import Factory

from ..support.app import BASE_DOMAIN, TEST_SECRET
from ..support.deployment import (
    INI,
    Process,
    children,
    niceness,
    process_exists,
    start_process,
    stop_processes,
    wait_until_serving,
)
from ..support.scim import enable_scim, new_user
from ..support.servers import SMTPServer

pytestmark = pytest.mark.live


def eventually(check: Callable[[], object], timeout: float = 20.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s")


def mail_process(server: Process) -> int | None:
    """The server's niced child, if exactly one; the workers run at normal priority."""
    niced = [pid for pid in children(server.popen.pid) if niceness(pid) == MailProcess.NICENESS]
    return niced[0] if len(niced) == 1 else None


@pytest.fixture
def server(database_url: str, smtp_server: SMTPServer, tmp_path: Path) -> Iterator[Process]:
    ini = tmp_path / "deployment.ini"
    ini.write_text(INI.format(base_domain=BASE_DOMAIN, secret=TEST_SECRET, authority="http://127.0.0.1:9",
                              trusted_proxy="127.0.0.1", mail_port=smtp_server.port)
                   .replace("workers = 1", "workers = 2"))
    process = start_process("mail", ini, database_url, tmp_path)
    try:
        wait_until_serving(process)
        yield process
    finally:
        stop_processes([process])


def provision(server: Process, subdomain: str, token: str, email: str) -> None:
    created = httpx.post(server.url("/scim/entra/v2/Users"), json=new_user(email), timeout=15, headers={
        "Host": f"{subdomain}.{BASE_DOMAIN}", "Authorization": f"Bearer {token}",
        "Content-Type": "application/scim+json"})
    assert created.status_code == 201, created.text


def test_one_niced_process_delivers_the_workers_mail_and_is_restarted_if_it_dies(
        server: Process, factory: Factory, session_factory, smtp_server: SMTPServer):
    tenant = factory.tenant(name="Mail Process Ltd")
    token = enable_scim(session_factory, tenant)
    mail = eventually(lambda: mail_process(server))
    assert len(children(server.popen.pid)) == 3  # two workers and the mail process

    # Paused, it delivers nothing: no worker sends mail itself.
    os.kill(mail, signal.SIGSTOP)
    try:
        provision(server, tenant.subdomain, token, "paused@mailprocess.example")
        time.sleep(3)
        assert smtp_server.sink.to("paused@mailprocess.example") == []
    finally:
        os.kill(mail, signal.SIGCONT)
    # The wake rang while it was paused is waiting for it.
    smtp_server.sink.wait_for("paused@mailprocess.example", timeout=10)

    os.kill(mail, signal.SIGKILL)
    again = eventually(lambda: (found := mail_process(server)) != mail and found)
    provision(server, tenant.subdomain, token, "after.restart@mailprocess.example")
    smtp_server.sink.wait_for("after.restart@mailprocess.example", timeout=20)
    assert f"mail process {mail} was killed by signal 9" in server.output()
    assert "Traceback" not in server.output()

    server.popen.terminate()
    server.popen.wait(timeout=30)
    eventually(lambda: not process_exists(again), timeout=10)

