"""Running the console script as a real process, against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
{extra}
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
    """An ini file for the console script; ``extra`` adds settings (``a_b`` -> ``a.b``)."""
    path = directory / name
    lines = "".join(f"{key.replace('_', '.', 1)} = {value}\n" for key, value in extra.items())
    path.write_text(INI_TEMPLATE.format(url=url.replace("%", "%%"), secret=secret,
                                        environment=environment, base=base, extra=lines))
    return path


def console_script() -> str:
    return str(Path(sys.executable).with_name("trainmeuk-identity"))


def run(ini: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAINMEUK_")}
    return subprocess.run([console_script(), str(ini), *args], input=stdin, text=True, check=False,
                          capture_output=True, env=env, timeout=120)
