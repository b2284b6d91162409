"""What processes cost, read from /proc (Linux): CPU seconds, resident memory, the
process tree, and the whole machine's busy time."""

from __future__ import annotations

import os

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(root: int) -> list[int]:
    """``root`` and every live descendant."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(int(entry))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, 0 if it is gone."""
    fields = _stat_fields(pid)
    return _cpu(fields, 11) if fields is not None else 0.0


def _cpu(fields: list[str], first: int) -> float:
    """Seconds of the two clock-tick fields from ``first`` (utime and stime, or the
    reaped children's cutime and cstime)."""
    return (int(fields[first]) + int(fields[first + 1])) / CLOCK_TICKS


def named(command: str) -> list[int]:
    """Every live process whose command name (``/proc/<pid>/comm``) is ``command``."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() == command:
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


def cpu_by_process(pids: list[int]) -> dict[tuple[int, int, str], float]:
    """CPU seconds of each of ``pids``, keyed by (pid, start time) so a reused pid is
    another process; and, under their own keys, what each one's children used that it
    has reaped. A server that ends some of its processes during a window (PostgreSQL's
    backends of connections closed by a pool's overflow) keeps their CPU that way."""
    found: dict[tuple[int, int, str], float] = {}
    for pid in pids:
        fields = _stat_fields(pid)  # one read: own and reaped CPU of the same instant
        if fields is None:
            continue
        started = int(fields[19])
        found[pid, started, "own"] = _cpu(fields, 11)
        found[pid, started, "reaped"] = _cpu(fields, 13)
    return found


def cpu_between(before: dict[tuple[int, int, str], float],
                after: dict[tuple[int, int, str], float]) -> float:
    """CPU seconds ``pids`` (:func:`cpu_by_process`) used between ``before`` and
    ``after``: all of it for a process started in between; for one that ended in between
    and was reaped by another of them, what its parent's reaped time gained less what it
    had used by ``before``."""
    gained = sum(cpu - before.get(key, 0.0) for key, cpu in after.items())
    ended = sum(cpu for key, cpu in before.items() if key[2] == "own" and key not in after)
    return gained - ended


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command (index 0 is the state)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _stat_field(pid: int, index: int) -> int | None:
    """A number from ``/proc/<pid>/stat``; index 0 is the state, the field after the command."""
    fields = _stat_fields(pid)
    try:
        return int(fields[index]) if fields is not None else None
    except (IndexError, ValueError):
        return None


def start_time(pid: int) -> int | None:
    """When the process started (clock ticks since boot): tells a pid from its reuse."""
    return _stat_field(pid, 19)


def niceness(pid: int) -> int | None:
    return _stat_field(pid, 16)


def rss_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)
