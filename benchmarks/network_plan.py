"""Row scope against network scope (and a budget) on a demo network: what the network target buys.

For the demo network of ``--size`` (seed ``--seed``), as of its ``as_of``, plans with
``partsopt.pipeline.plan``:

* ``row``        the default scenario: every customer-facing part-location at service.level;
* ``network``    service.scope = "network" (per-row OTD / normal-order floors kept);
* ``network-free``  service.scope = "network", service.row_floors = false: the on-time and
  normal-order targets are network-level constraints (one multiplier each);
* ``hit-only``   the network-free plan's per-row solve and option tables, allocated for the
  network hit target alone (:func:`partsopt.network_step.without_network_constraints`): what
  row_floors = false did before the network constraints;
* ``budget``     network-free with budget.total = ``--budget-share`` × the hit-only investment
  (a binding budget: the best network hit rate within it, OTD / normal-order not enforced).

and records, per scenario: expected investment at cost (policies.inventory_value), expected
line-weighted network hit rate and OTD of the customer-facing rows (own customer lines = own
mean / E[log-series line size]), their network normal-order rate Σ normal / Σ (normal +
emergency lines), stocked part-locations, the shadow price (hit lines/yr per 1,000 of stock),
the price rounds and the plan's wall time (one run each; state the machine's load).

Run:  python benchmarks/network_plan.py [--size medium] [--seed 0] [--out benchmarks/results/network_plan.md]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import machine_summary  # noqa: E402
from partsopt.config import resolve_config  # noqa: E402
from partsopt.demo import generate  # noqa: E402
from partsopt.demo.writer import save  # noqa: E402
from partsopt.io import load  # noqa: E402
from partsopt.network_step import partition_summary, respond, solve_allocation, without_network_constraints  # noqa: E402,E501
from partsopt.pipeline import draft_plan, finish_plan, plan  # noqa: E402
from partsopt.plan_kpis import planned_network_kpis  # noqa: E402


def plan_hit_only(data, as_of, config):
    """The plan of ``config`` with its allocation solved for the hit target(s) alone."""
    d = draft_plan(data, as_of, config)
    summary = without_network_constraints(partition_summary(d.options))
    return finish_plan(d, solve_allocation(summary, lambda p: respond(d.options, p), config))


def network_kpis(result) -> tuple[float, float, float]:
    """(hit rate, OTD, normal-order rate) of the customer-facing rows, from the output tables."""
    k = planned_network_kpis(result.policies, result.forecasts)
    return k["hit"], k["otd"], k["nor"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="medium", choices=("small", "medium", "large"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--budget-share", type=float, default=0.9)
    ap.add_argument("--out", default=None, help="markdown result file (default: print only)")
    args = ap.parse_args(argv)

    load0 = os.getloadavg()[0]
    net = generate(args.size, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        data = load(save(net, Path(tmp) / "data", None))
    rows = []
    free = {"scope": "network", "row_floors": False}
    scenarios = [("row", {}), ("network", {"service": {"scope": "network"}}),
                 ("network-free", {"service": free}), ("hit-only", {"service": free})]
    i = 0
    while i < len(scenarios):
        name, cfg = scenarios[i]
        t0 = time.perf_counter()
        if name == "hit-only":
            res = plan_hit_only(data, net.as_of, resolve_config(cfg))
        else:
            res = plan(data, net.as_of, resolve_config(cfg))
        wall = time.perf_counter() - t0
        pol = res.policies
        rec = res.network or {}
        lam = rec.get("price_per_1000", [float("nan")])[0]
        if rec.get("multipliers") is not None and rec["multipliers"][0] == 0:
            lam = float("nan")      # the hit target does not bind (OTD / normal-order rate does)
        rows.append((name, float(pol["inventory_value"].sum()), *network_kpis(res),
                     int((pol["order_up_to"] > 0).sum()), len(pol), lam,
                     rec.get("rounds", 0), wall, rec.get("gap_bound")))
        if name == "hit-only":
            scenarios.append(("budget", {"service": free,
                                         "budget": {"total": args.budget_share * float(pol["inventory_value"].sum())}}))
        i += 1
    load1 = os.getloadavg()[0]
    lines = [f"# Row scope vs network scope on the {args.size} demo network — "
             f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC", "",
             f"- machine: {machine_summary()}",
             f"- load average (1 min): {load0:.1f} before, {load1:.1f} after (shared machine: times indicative)",
             f"- data: `partsopt.demo.generate({args.size!r}, {args.seed})`, as of {net.as_of}; service.level 0.95",
             f"- command: `python benchmarks/network_plan.py --size {args.size} --seed {args.seed}"
             f" --budget-share {args.budget_share}`; one run per scenario", "",
             "| scenario | investment | vs row | network hit rate | network OTD | network normal-order rate "
             "| stocked part-locations | λ (hit lines/yr per 1,000) | rounds | gap bound | plan wall [s] |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    base = rows[0][1]
    for name, inv, hit, otd, nor, st, n, lam, rounds, wall, gap in rows:
        g = "" if gap is None else f"{gap:.2e}"
        lines.append(f"| {name} | {inv:,.0f} | {inv / base - 1:+.1%} | {hit:.4f} | {otd:.4f} | {nor:.4f} | {st:,} of {n:,} "
                     f"| {lam:.4g} | {rounds} | {g} | {wall:.1f} |")
    lines += ["", "All at service.level 0.95, otd_target 0.95, normal_order_rate 0.85 (defaults) unless said. "
              "row = default scenario; network = service.scope \"network\" with the per-row OTD and "
              "normal-order floors; network-free = row_floors false (OTD and normal-order rate as network "
              "constraints); hit-only = the network-free per-row solve and option tables allocated for the hit "
              "target alone (no OTD / normal-order constraint: what row_floors false did before); budget = "
              f"network-free with budget.total = {args.budget_share} × the hit-only investment (a binding budget: "
              "best hit rate within it, OTD / normal-order not enforced).  gap bound = (investment − "
              "Lagrangian lower bound) / investment of the multiplier solve (row_floors false); λ nan: no hit price "
              "(row plan, or the hit target does not bind because the normal-order or OTD constraint buys more)."]
    text = "\n".join(lines) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
