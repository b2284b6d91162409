"""``--neighbour N``: a loaded machine on demand.

A shared host is rarely idle: another service, a backup, a build. N processes that
only spin (niceness 0, like the app) run on the same cores for every measured phase,
so a run shows how the service and its sharing between tenants hold up when the CPU
is scarce, rather than depending on whatever else the machine happens to be doing.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator

SPIN = "while True:\n    pass\n"


@contextlib.contextmanager
def neighbours(count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` spinning processes for the duration of the block (none for 0)."""
    spinning = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(count)]
    try:
        yield spinning
    finally:
        for process in spinning:
            process.kill()
        for process in spinning:
            process.wait()
