"""Running the console script against the test database: in this process through its
entry function (``trainmeuk_identity.scripts.cli.main``), or as a real process for the
few smoke tests that prove the installed script works."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

INI_TEMPLATE = """\
[app:main]
use = egg:trainmeuk-identity
trainmeuk.environment = {environment}
sqlalchemy.url = {url}
trainmeuk.base_domain = {base}
trainmeuk.secret_keys = {secret}
trainmeuk.mail_worker = false
mail.host = 127.0.0.1
mail.port = 1
{hashing}{extra}
[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = generic

[formatter_generic]
format = %(levelname)s %(message)s
"""


def write_ini(directory: Path, url: str, secret: str, *, environment: str = "testing",
              base: str = "localhost", name: str = "test.ini", **extra: str) -> Path:
    """An ini file for the console script; ``extra`` adds settings (``a_b`` -> ``a.b``).
    Passwords are hashed with the test-only profile, except in production (which refuses
    it)."""
    path = directory / name
    lines = "".join(f"{key.replace('_', '.', 1)} = {value}\n" for key, value in extra.items())
    hashing = "" if environment == "production" else "trainmeuk.password_hashing = testing\n"
    path.write_text(INI_TEMPLATE.format(url=url.replace("%", "%%"), secret=secret,
                                        environment=environment, base=base, hashing=hashing,
                                        extra=lines))
    return path


def console_script() -> str:
    return str(Path(sys.executable).with_name("trainmeuk-identity"))


def run(ini: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAINMEUK_")}
    return subprocess.run([console_script(), str(ini), *args], input=stdin, text=True, check=False,
                          capture_output=True, env=env, timeout=120)


class Console:
    """``trainmeuk-identity`` run in this process: ``main(argv)`` with standard input,
    output and error of its own. Answers like :func:`run` (returncode, stdout, stderr)."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        from trainmeuk_identity.scripts import cli

        self.capsys = capsys
        self.monkeypatch = monkeypatch
        self.cli = cli
        # The real script configures logging from the ini file; here that would replace
        # the test run's own logging set-up.
        monkeypatch.setattr(cli, "setup_logging", lambda *args, **kwargs: None, raising=False)
        # A command may read TRAINMEUK_* like the real script would; give it a clean slate.
        for variable in [k for k in os.environ if k.startswith("TRAINMEUK_")]:
            monkeypatch.delenv(variable)

    def __call__(self, ini: Path, *args: str, stdin: str | None = None,
                 ) -> subprocess.CompletedProcess[str]:
        from trainmeuk_identity import models

        engines_before = set(models._ENGINES)
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        self.capsys.readouterr()
        try:
            status = self.cli.main([str(ini), *args])
        finally:
            # Close what the command opened, as the end of its process would.
            for engine in set(models._ENGINES) - engines_before:
                engine.dispose()
        out, err = self.capsys.readouterr()
        return subprocess.CompletedProcess([str(ini), *args], status, out, err)
