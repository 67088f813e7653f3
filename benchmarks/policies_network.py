"""Benchmark: network frontier at 100,000 part-locations; largest MILP optimal within 60 s.

Data: the RAF set (/work/shared/data/real/raf_5000_wide.csv, 5000 items, 84 months,
lead time in months, price in GBP; see that folder's README).  Each item becomes a
part in a 20-location network: 1 central warehouse (supplier lead time = the item's
lead time, at least 1 week) -> 3 regional warehouses (transit 3 days) -> 16 dealers
(transit 1 day; 6/5/5 per region).  The item's mean daily demand is split over the
dealers by seeded Dirichlet(1) shares; unit lines.  5000 x 20 = 100,000 part-locations.

Measured:
1. network frontier (greedy options + efficient frontier) over all 100,000
   part-locations, repeats -> median and spread; Lagrangian target solves on it;
2. the peer: the plain per-part loop (one single-part model per call) on a sample,
   extrapolated per part (the same maths without vectorisation across parts);
3. the MILP (CBC, 60 s limit) on the 1 central + 2 dealers network with growing
   part counts, until it stops proving optimality; gap of the Lagrangian solution.

Usage: python benchmarks/policies_network.py [--parts 5000] [--repeats 3]
       [--milp-sizes 25,50,100,200,400,800,1600] [--out benchmarks/results/policies_network.md]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from policies.network import (NetworkModel, _subset, build_options, network_frontier,  # noqa: E402
                              optimise_network)
from policies.marginal import lagrangian_solve  # noqa: E402

RAF = Path("/work/shared/data/real/raf_5000_wide.csv")


def load_raf(n_parts):
    df = pd.read_csv(RAF)
    demand = df.iloc[:, 4:].to_numpy(float)
    daily = demand.mean(axis=1) / 30.4
    lt = np.maximum(df["lead_time_months"].to_numpy(float) * 30.4, 7.0)
    price = np.maximum(df["price_gbp"].to_numpy(float), 0.01)
    return daily[:n_parts], lt[:n_parts], price[:n_parts]


def network_model(daily, lt, price, seed=0):
    """1 central -> 3 regional -> 16 dealers (6/5/5)."""
    parent = np.array([-1, 0, 0, 0] + [1] * 6 + [2] * 5 + [3] * 5)
    L = parent.size
    rng = np.random.default_rng(seed)
    share = rng.dirichlet(np.ones(16), size=daily.size)
    dr = np.zeros((daily.size, L))
    dr[:, 4:] = daily[:, None] * share
    lead = np.empty((daily.size, L))
    lead[:, 0] = lt
    lead[:, 1:4] = 3.0
    lead[:, 4:] = 1.0
    # level ranges: up to the 0.999 quantile of the location's pipeline with no parent delay,
    # (+ the parent's mean delay at zero stock for the children)
    flow = dr.copy()
    for r in (1, 2, 3):
        flow[:, r] = dr[:, parent == r].sum(axis=1)
    flow[:, 0] = flow[:, 1:4].sum(axis=1)
    mx = stats.poisson.ppf(0.999, flow * lead + 1e-12).astype(int) + 2
    return NetworkModel.from_arrays(parent, dr, lead, price, max_level=mx,
                                    emergency_days=np.r_[[3.0] * 4, [1.0] * 16],
                                    promise_days=np.full(L, 2.0))


def two_level_model(daily, lt, price, seed=1):
    """1 central -> 2 dealers, for the MILP scaling runs."""
    rng = np.random.default_rng(seed)
    share = rng.dirichlet(np.ones(2), size=daily.size)
    dr = np.c_[np.zeros(daily.size), daily[:, None] * share]
    lead = np.c_[lt, np.ones(daily.size), np.ones(daily.size)]
    flow = dr.copy()
    flow[:, 0] = daily
    mx = stats.poisson.ppf(0.999, flow * lead + 1e-12).astype(int) + 2
    return NetworkModel.from_arrays([-1, 0, 0], dr, lead, price, max_level=mx,
                                    emergency_days=[3.0, 1.0, 1.0], promise_days=[2.0, 2.0, 2.0])


def timed(fn, repeats):
    """Wall-clock and CPU (process) seconds of each repeat."""
    times, cpu, out = [], [], None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return out, (times, cpu)


def fmt_times(tc):
    times, cpu = tc
    return (f"wall {statistics.median(times):.1f} s (min {min(times):.1f}, max {max(times):.1f}), "
            f"CPU {statistics.median(cpu):.1f} s (min {min(cpu):.1f}, max {max(cpu):.1f}), n={len(times)}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--peer-sample", type=int, default=100)
    ap.add_argument("--milp-sizes", default="25,50,100,200,400,800,1600")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--parts-only", choices=["all", "frontier", "milp"], default="all",
                    help="run only the frontier + peer sections, or only the MILP section")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/policies_network.md"))
    args = ap.parse_args(argv)

    daily, lt, price = load_raf(args.parts)
    model = network_model(daily, lt, price)
    P, L = model.shape
    lines = []
    w = lines.append
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model_name = next((ln.split(":", 1)[1].strip() for ln in cpu.splitlines() if ln.startswith("Model name")), "?")
    w("# policies: network frontier and MILP benchmark\n")
    w(f"- date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} cores, "
      f"{model_name}; Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}")
    w(f"- load average at start: {os.getloadavg()[0]:.1f} (the machine is shared with other jobs; "
      "timings are wall-clock)")
    w(f"- data: RAF {P} items x {L} locations = {P * L:,} part-locations "
      "(1 central, 3 regional, 16 dealers); VARI-METRIC; greedy options (60 steps, lookahead 4 "
      "at dealers / 2 at warehouses, 16 central levels per part, chunks of 250 parts)\n")

    if args.parts_only != "milp":
        frontier_sections(model, args, w, P)
    if args.parts_only != "frontier":
        milp_section(daily, lt, price, args, w)
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def frontier_sections(model, args, w, P):
    # 1. frontier
    def frontier():
        opts = build_options(model, "greedy", chunk_parts=250)
        return opts, network_frontier(model, opts)

    (opts, fr), times = timed(frontier, args.repeats)
    w("## 1. Frontier over the whole network\n")
    w(f"- greedy options + frontier: **{fmt_times(times)}**; frontier steps: {len(fr):,}; "
      f"options per part: {opts.valid.sum(axis=1).mean():.1f} on average")
    tot_lines = model.line_rate.sum()
    w("\n| investment [GBP] | network hit rate | network OTD |\n|---|---|---|")
    for q in (0.5, 0.8, 0.9, 0.95, 0.98):
        i = int(np.searchsorted(fr["hit_rate"].to_numpy(), q))
        if i < len(fr):
            w(f"| {fr['investment'].iloc[i]:,.0f} | {fr['hit_rate'].iloc[i]:.4f} | {fr['otd_rate'].iloc[i]:.4f} |")
    w(f"| {fr['investment'].iloc[-1]:,.0f} (end) | {fr['hit_rate'].iloc[-1]:.4f} | {fr['otd_rate'].iloc[-1]:.4f} |")
    for tgt in (0.90, 0.95):
        t0 = time.perf_counter()
        sol = lagrangian_solve(opts.cost, opts.hits, target_value=tgt * tot_lines, valid=opts.valid)
        w(f"\n- Lagrangian bisection, hit target {tgt}: {time.perf_counter() - t0:.2f} s, "
          f"{sol.iterations} iterations, investment {sol.cost:,.0f} GBP, price {sol.price:.3g}")

    # 2. peer: plain per-part loop
    k = min(args.peer_sample, P)
    sample = np.random.default_rng(2).choice(P, size=k, replace=False)

    def per_part():
        for p in sample:
            build_options(_subset(model, [p]), "greedy")

    _, (pw, pc) = timed(per_part, 1)
    per = pc[0] / k
    vec = statistics.median(times[1])
    w("\n## 2. Peer: the same maths as a plain per-part loop\n")
    w(f"- {k} random parts one at a time: wall {pw[0]:.1f} s, CPU {pc[0]:.1f} s = {per * 1000:.0f} ms CPU per "
      f"part -> extrapolated {per * P:.0f} s CPU for {P} parts, vs {vec:.1f} s CPU vectorised "
      f"(x{per * P / vec:.1f}; CPU seconds compared because the machine was shared)")



def milp_section(daily, lt, price, args, w):
    # 3. MILP scaling
    w("\n## 3. MILP (PuLP + CBC, 1 thread) on 1 central + 2 dealers, hit target 0.95\n")
    w(f"time limit {args.time_limit:.0f} s; options = greedy paths per central level; the Lagrangian "
      "solution on the same options for comparison\n")
    w("| parts | binaries | CBC status | solve [s] | MILP investment | Lagrangian investment | gap |")
    w("|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(3)
    for n in [int(x) for x in args.milp_sizes.split(",")]:
        idx = rng.choice(len(daily), size=n, replace=False)
        m2 = two_level_model(daily[idx], lt[idx], price[idx])
        o2 = build_options(m2, "greedy")
        heur = optimise_network(m2, hit_target=0.95, options=o2)
        t0 = time.perf_counter()
        try:
            ex = optimise_network(m2, hit_target=0.95, solver="milp", options=o2, time_limit=args.time_limit)
            el = time.perf_counter() - t0
            gap = heur.investment / ex.investment - 1
            w(f"| {n} | {int(o2.valid.sum()):,} | {ex.status} | {el:.1f} | {ex.investment:,.0f} | "
              f"{heur.investment:,.0f} | {gap:+.3%} |")
            if ex.status != "optimal":
                break
        except RuntimeError as exc:
            w(f"| {n} | {int(o2.valid.sum()):,} | no solution | {time.perf_counter() - t0:.1f} | - | "
              f"{heur.investment:,.0f} | - |  ({exc})")
            break


if __name__ == "__main__":
    main()
