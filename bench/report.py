"""The load benchmark's figures as terminal text and as a markdown section for
bench/RESULTS.md."""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from .loadgen import MIX
from .measure import Measurement

RESULTS = Path(__file__).with_name("RESULTS.md")


def ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def errors_text(errors: Counter[int]) -> str:
    if not errors:
        return "0"
    parts = [f"{n} × {'connection error' if status == 0 else status}"
             for status, n in sorted(errors.items())]
    return f"{sum(errors.values())} ({', '.join(parts)})"


def op_rows(m: Measurement, role: str = "steady") -> list[tuple[str, int, float, float, float, float]]:
    """(operation, requests, requests/s, p50, p90, p99 ms), then the total."""
    rows = []
    ops = [op for op, _ in MIX] if role == "steady" else sorted(
        k.split(" ", 1)[1] for k in m.keys(role))
    for op in [*ops, None]:
        n = len(m.latencies(role, op))
        if n or op is None:
            rows.append((op or "all", n, n / m.seconds if m.seconds else 0.0,
                         m.p(50, role, op), m.p(90, role, op), m.p(99, role, op)))
    return rows


def op_table_text(m: Measurement, role: str = "steady") -> list[str]:
    lines = [f"   {'operation':<13} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}"]
    for op, n, rate, p50, p90, p99 in op_rows(m, role):
        lines.append(f"   {op:<13} {n:>9,} {rate:>8.1f} {ms(p50):>8} {ms(p90):>8} {ms(p99):>8}")
    return lines


def op_table_markdown(m: Measurement, role: str = "steady") -> list[str]:
    lines = ["| operation | requests | requests/s | p50 ms | p90 ms | p99 ms |", "|---|---:|---:|---:|---:|---:|"]
    for op, n, rate, p50, p90, p99 in op_rows(m, role):
        bold = "**" if op == "all" else ""
        lines.append(f"| {bold}{op}{bold} | {n:,} | {bold}{rate:.1f}{bold} | {ms(p50)} | {ms(p90)} | "
                     f"{bold}{ms(p99)}{bold} |")
    return lines


def rss_lines(m: Measurement) -> list[str]:
    """Per worker: RSS after about 1,000 requests and at the end, and the change."""
    lines = []
    for pid in sorted(set(m.rss_early) | set(m.rss_end)):
        early, end = m.rss_early.get(pid), m.rss_end.get(pid)
        change = f"{(end - early) / early * 100:+.1f} %" if early and end else "n/a"
        lines.append(f"worker {pid}: {_mib(early)} after {m.rss_early_at:,} requests, "
                     f"{_mib(end)} after {m.rss_end_at:,} ({change})")
    return lines or ["(no worker memory read)"]


def _mib(value: float | None) -> str:
    return "gone" if value is None else f"{value:.1f} MiB"


def git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True, cwd=RESULTS.parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "`unknown`"
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "alembic", "production.ini"],
                           capture_output=True, text=True, cwd=RESULTS.parent.parent).stdout.strip()
    return f"`{commit}` plus uncommitted changes to src/alembic" if dirty else f"`{commit}`"


def loadavg_text(before: tuple[float, ...], after: tuple[float, ...]) -> str:
    return (f"{' '.join(f'{v:.2f}' for v in before)} before, "
            f"{' '.join(f'{v:.2f}' for v in after)} after (1/5/15 min)")


def heading(title: str) -> str:
    return f"## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {title}"


def append(section: list[str]) -> None:
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    RESULTS.write_text(text.rstrip("\n") + "\n\n" + "\n".join(section).rstrip("\n") + "\n")


class Printer:
    """Prints each figure as it is known and collects the markdown section."""

    def __init__(self, args: Any, command: str) -> None:
        self.args, self.command = args, command
        self.rates: dict[str, float] = {}
        title = f"load: {args.tenants} tenants, {args.clients} clients"
        if args.fairness:
            title = "fairness: 3 tenants' steady mix, alone and beside a 4th tenant's initial cycle"
        elif args.memory_requests:
            title += f", memory until {args.memory_requests:,} requests"
        if args.neighbour:
            title += f", {args.neighbour} spinning neighbour process(es)"
        self.markdown = [heading(title), "",
                         f"`{command}` at commit {git_commit()}, PostgreSQL on the same machine."]
        print(f"TrainMeUK Identity load benchmark — {title}")

    def say(self, line: str) -> None:
        print(line, flush=True)

    def md(self, *lines: str) -> None:
        self.markdown.extend(lines)

    def server(self, app: Any) -> None:
        from .appserver import server_section

        use = next((line.split("=", 1)[1].strip() for line in server_section().splitlines()
                    if line.startswith("use")), "?")
        workers = f"{len(app.workers)} serving process(es)"
        if app.background:
            workers += f" and {len(app.background)} niced background process(es) (mail)"
        self.say(f"app: pserve production.ini on 127.0.0.1:{app.port}, server {use}, {workers}")
        self.md(f"Served by `pserve production.ini` as shipped (`{use}`, {workers}).", "")

    def measured(self, label: str, m: Any) -> None:
        self.rates[label] = m.rate()
        errors = errors_text(m.errors())
        self.say(f"\n== {label}: {m.rate():.1f} requests/s over {m.seconds:.1f} s, errors {errors}")
        for line in op_table_text(m):
            self.say(line)
        # The clients do the same work per request in every run of the same server: their
        # CPU per request gauges the machine's speed at the time, and the server's over it
        # compares two runs at similar throughput better than milliseconds do (it is not
        # comparable between servers: clients spend less per request at high throughput).
        client = m.client_cpu / max(1, m.total)
        gauge = f", {m.cpu_per_request / client:.1f} × the clients'" if client else ""
        cpu = (f"{m.cpu_per_request * 1000:.2f} ms CPU per request ({m.cpu:.1f} s over {m.total:,}"
               f"{gauge}; the client processes used {client * 1000:.2f} ms per request, "
               f"PostgreSQL's {m.database_cpu / max(1, m.total) * 1000:.2f} ms)")
        self.say(f"   {label} processes: {cpu}; machine CPU busy {m.machine_busy * 100:.0f} % "
                 f"during the window; {m.outcome.reconnects} reconnects (server closed the connection)")
        self.md(f"**{label}**: {m.rate():.1f} requests/s, errors {errors}, {cpu}, machine CPU "
                f"busy {m.machine_busy * 100:.0f} %, {m.outcome.reconnects} reconnects.", "",
                *op_table_markdown(m), "")
        for sample in m.outcome.samples[:5]:
            self.say(f"   error sample: {sample}")
        if label == "app":
            self.say("   resident memory per worker:")
            for line in rss_lines(m):
                self.say(f"     {line}")
            self.md("Resident memory per worker: " + "; ".join(rss_lines(m)) + ".", "")
        if label == "app":
            self.app = m
        if label == "floor" and m.rate():
            ratio = self.rates.get("app", 0.0) / m.rate()
            self.say(f"\n   ratio app/floor: {ratio:.3f}")
            self.md(f"**Ratio app/floor: {ratio:.3f}**", "")
        if label == "ceiling" and m.rate():
            ratio = self.rates.get("app", 0.0) / m.rate()
            self.say(f"\n   ratio app/ceiling: {ratio:.3f}")
            self.md(f"**Ratio app/ceiling: {ratio:.3f}**", "")
            if self.rates.get("floor"):
                floor = self.rates["floor"] / m.rate()
                self.say(f"   ratio floor/ceiling: {floor:.3f} (the most this stack's database work allows)")
                self.md(f"**Ratio floor/ceiling: {floor:.3f}**", "")
            self.targets(ratio)

    def targets(self, ratio: float) -> None:
        """Issue 7's capacity targets, met or not."""
        m, isolation = self.app, self.checked
        checks = [(f"ratio app/ceiling {ratio:.3f} ≥ 0.30", ratio >= 0.30),
                  (f"p99 {m.p(99):.0f} ms < 100 ms", m.p(99) < 100),
                  (f"errors {sum(m.errors().values())} = 0", not m.errors()),
                  (f"missing, cross-tenant or unanswered reads "
                   f"{isolation.missing + isolation.cross_tenant + isolation.unanswered} = 0",
                   isolation.missing + isolation.cross_tenant + isolation.unanswered == 0)]
        line = "; ".join(f"{text} {'met' if ok else 'NOT met'}" for text, ok in checks)
        self.say(f"   targets: {line}")
        self.md(f"Targets: {line}.", "")

    def isolation(self, result: Any) -> None:
        self.checked = result
        line = (f"{result.checked:,} users created by the run re-read: {result.missing} missing, "
                f"{result.cross_tenant} readable through another tenant, {result.unanswered} "
                "reads answered neither 200 nor 404")
        self.say(f"   {line}")
        for sample in result.samples[:5]:
            self.say(f"     {sample}")
        self.md(f"Isolation: {line}.", "")

    def mail(self, delivered: int) -> None:
        self.say(f"   mail sink received {delivered:,} messages")
        self.md(f"Mail sink received {delivered:,} messages.", "")

    def log_problems(self, app: Any) -> None:
        problems = app.log_problems()
        if problems:
            self.say(f"   server log: {len(problems)} ERROR/traceback lines, e.g.:")
            for line in problems[:5]:
                self.say(f"     {line[:200]}")
            self.say(f"   the whole server log is kept at {app.keep_log()}")
            self.md(f"Server log: {len(problems)} ERROR/traceback lines, first: `{problems[0][:160]}`", "")

    def finish(self, before: tuple[float, ...], after: tuple[float, ...]) -> None:
        line = f"Load average: {loadavg_text(before, after)}, {os.cpu_count()} cores."
        self.say("\n" + line)
        self.md(line)
