"""Production serving's process set-up (the rest is tested with real worker processes in
tests/concurrency/test_worker_processes.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = "from trainmeuk_identity.serving import limit_malloc_arenas; print(limit_malloc_arenas({env!r}))"


def arenas_set_with(env: dict[str, str]) -> str:
    # In a process of its own: the cap is process-wide and outlives the call.
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(env=env)], capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_workers_get_two_malloc_arenas_unless_the_operator_chose():
    assert arenas_set_with({}) == "2"
    assert arenas_set_with({"MALLOC_ARENA_MAX": "4"}) == "None"
