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
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


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


def cpu_by_process(pids: list[int]) -> dict[tuple[int, int | None], float]:
    """CPU seconds of each of ``pids``, keyed by (pid, start time) so a reused pid is
    another process."""
    return {(pid, start_time(pid)): cpu_seconds(pid) for pid in pids}


def cpu_between(before: dict[tuple[int, int | None], float],
                after: dict[tuple[int, int | None], float]) -> float:
    """CPU seconds the processes alive at ``after`` used since ``before`` (all of it for
    one started in between; a process that ended in between is not counted)."""
    return sum(cpu - before.get(key, 0.0) for key, cpu in after.items())


def _stat_field(pid: int, index: int) -> int | None:
    """A number from ``/proc/<pid>/stat``; index 0 is the state, the field after the command."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[index])
    except (OSError, IndexError, ValueError):
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
