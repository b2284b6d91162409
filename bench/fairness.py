"""``--fairness``: can one tenant's initial sync starve the others?

Three tenants' steady mix is measured alone, then again while a fourth tenant runs an
Entra initial cycle as fast as its clients allow (for each user the matching query
then ``POST /Users``, then a group per client filled 50 members per ``PATCH``), waiting
out ``429`` + ``Retry-After`` as Entra does. Printed: the three tenants' throughput with
the cycle over alone, their p99 alone and with it, their failures, and the cycling
tenant's rate and 429 count.

Then the other side of the share weighted by cost (decision 0012): the cycle alone, and
the cycle beside a trickle (one steady client of one other tenant). A cycle's requests
count for more of its share only while another tenant is at work, so a trickle should
take from the cycle no more than the CPU the trickle itself uses. Printed: the cycle's
rate in both, their ratio, and the trickle's rate and p99."""

from __future__ import annotations

from typing import Any

from .isolation import check
from .load import host, steady_specs
from .loadgen import ClientSpec
from .measure import measure
from .report import errors_text, op_table_markdown, op_table_text


def cycle_specs(tenant: Any, clients: int, users: int, port: int, tag: str) -> list[ClientSpec]:
    return [ClientSpec(role="cycle", port=port, host=host(tenant), token=tenant.token,
                       dialect=tenant.dialect, seed=1000 + k, tag=tag, cycle_start=k,
                       cycle_step=clients, cycle_total=users) for k in range(clients)]


def run_fairness(app: Any, tenants: list[Any], args: Any, tag: str, out: Any) -> None:
    steady, burst = tenants[:3], tenants[3]
    out.say(f"alone: {args.clients} clients over tenants {', '.join(t.subdomain for t in steady)}, "
            f"{args.warmup:.0f} s warm-up, {args.seconds:.0f} s measured")
    alone = measure(app, steady_specs(steady, args.clients, app.port, tag + "a"),
                    processes=args.processes, warmup=args.warmup, seconds=args.seconds)
    out.measured("alone", alone)
    out.say(f"\nwith: the same, while {burst.subdomain} runs an initial cycle of "
            f"{args.cycle_users:,} users with {args.cycle_clients} clients")
    specs = (steady_specs(steady, args.clients, app.port, tag + "b", seed=100)
             + cycle_specs(burst, args.cycle_clients, args.cycle_users, app.port, tag + "c"))
    both = measure(app, specs, processes=args.processes, warmup=args.warmup, seconds=args.seconds)
    out.measured("with initial cycle", both)

    cycle_errors = both.errors("cycle")
    out.say("   initial cycle tenant:")
    for line in op_table_text(both, "cycle"):
        out.say(line)
    ratio = both.rate() / alone.rate() if alone.rate() else 0.0
    lines = [
        f"Others' throughput with the initial cycle / alone: **{ratio:.2f}** "
        f"({both.rate():.1f} / {alone.rate():.1f} requests/s)",
        f"Others' p99: **{alone.p(99):.0f} ms** alone, **{both.p(99):.0f} ms** with the cycle",
        f"Others' failures: {errors_text(alone.errors())} alone, **{errors_text(both.errors())}** with",
        f"Initial-cycle tenant: {both.rate('cycle'):.1f} requests/s, {cycle_errors.get(429, 0)} × 429 "
        f"in the window ({both.outcome.throttled} waited out in all), other failures "
        f"{errors_text(cycle_errors - type(cycle_errors)({429: cycle_errors.get(429, 0)}))}",
    ]
    checks = [(f"others' p99 with the cycle {both.p(99):.0f} ms < 250 ms", both.p(99) < 250),
              (f"others' failures {sum(both.errors().values())} = 0", not both.errors()),
              (f"throughput ratio {ratio:.2f} ≥ 0.6", ratio >= 0.6)]
    lines.append("Targets: " + "; ".join(f"{text} {'met' if ok else 'NOT met'}" for text, ok in checks))
    out.say("")
    for line in lines:
        out.say(line.replace("**", ""))
    out.md(*[f"- {line}" for line in lines], "", "Initial-cycle tenant's requests:", "",
           *op_table_markdown(both, "cycle"), "")
    lone, trickled = _cycle_beside_a_trickle(app, steady[0], burst, args, tag, out)
    tokens = {host(t): t.token for t in tenants}
    out.isolation(check(app.port, tokens, alone.outcome.created + both.outcome.created
                        + lone.outcome.created + trickled.outcome.created))


def _cycle_beside_a_trickle(app: Any, other: Any, burst: Any, args: Any, tag: str, out: Any) -> tuple[Any, Any]:
    """The cycling tenant's rate alone and beside one client of ``other``."""
    runs = []
    for label, specs, suffix in (
            ("initial cycle alone", [], "l"),
            (f"initial cycle beside one client of {other.subdomain}",
             steady_specs([other], 1, app.port, tag + "t", seed=200), "m")):
        out.say(f"\n== {label}: {args.cycle_clients} cycle clients of {burst.subdomain}, "
                f"{args.warmup:.0f} s warm-up, {args.seconds:.0f} s measured")
        m = measure(app, specs + cycle_specs(burst, args.cycle_clients, args.cycle_users, app.port,
                                             tag + suffix),
                    processes=args.processes, warmup=args.warmup, seconds=args.seconds)
        for line in op_table_text(m, "cycle"):
            out.say(line)
        out.md(f"**{label}**:", "", *op_table_markdown(m, "cycle"), "")
        runs.append(m)
    lone, trickled = runs
    ratio = trickled.rate("cycle") / lone.rate("cycle") if lone.rate("cycle") else 0.0
    line = (f"Initial cycle beside a trickle / alone: **{ratio:.2f}** ({trickled.rate('cycle'):.1f} / "
            f"{lone.rate('cycle'):.1f} requests/s, {lone.errors('cycle').get(429, 0)} and "
            f"{trickled.errors('cycle').get(429, 0)} × 429); the trickle: {trickled.rate():.1f} "
            f"requests/s, p99 {trickled.p(99):.0f} ms, failures {errors_text(trickled.errors())}; "
            f"together {trickled.rate('cycle') + trickled.rate():.1f} requests/s")
    out.say("\n" + line.replace("**", ""))
    out.md(f"- {line}", "")
    return lone, trickled
