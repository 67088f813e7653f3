"""Benchmark: single-location optimisation of N part-locations to a fill-rate target.

Seeded synthetic rows that look like a dealer network's spare parts: mean demand per day
~ Gamma(shape 0.3, scale 0.5) (median ~11 units/year, long tail of fast movers), variance
1-3x the mean (negative binomial), lead time 1-29 days, weekly review, unit cost lognormal
(median ~20), order cost 5 per line, emergency cost 20 per line, fill-rate targets 0.90/0.95/
0.98 by criticality, 10 % of rows with a pack size of 5 and an MOQ of 10.  Runs
``policies.optimize_single`` (cost-optimal Q search, reasons on) and records wall time, CPU
time and peak resident memory (``resource.getrusage``, whole process).

Peer, measured in the same run: stockpyl 1.0.2 has no service-level (s, S) optimiser (nor
negative-binomial lead-time demand, line sizes, review periods, pack sizes or a batch); the
nearest single-location routine is its Poisson newsvendor / base-stock level,
``stockpyl.newsvendor.newsvendor_poisson``, called once per row on the first ``--peer-rows``
rows (demand over lead time + review, critical ratio = the row's target).  It solves a simpler
problem, so the ratio is a throughput comparison, not like for like.

Run:  python benchmarks/policies_single.py [--rows 1000000] [--workers 2] [--repeats 3]
                                            [--peer-rows 2000] [--out FILE.md]
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/machine.py
from machine import cpu_model as cpu_model  # noqa: E402 (benchmarks/ is on sys.path)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from policies import optimize_single  # noqa: E402


def synthetic_rows(n: int, seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    mean = rng.gamma(0.3, 0.5, n)
    packed = rng.random(n) < 0.10
    return dict(
        mean=mean,
        var=mean * rng.uniform(1.0, 3.0, n),
        lead_time=rng.integers(1, 30, n).astype(float),
        review_period=7.0,
        unit_cost=rng.lognormal(3.0, 1.0, n),
        order_cost=5.0,
        emergency_cost=20.0,
        target_level=rng.choice([0.90, 0.95, 0.98], n, p=[0.3, 0.5, 0.2]),
        pack_size=np.where(packed, 5, 1),
        moq=np.where(packed, 10, 1),
    )


def peer_newsvendor(rows: dict, n: int, repeats: int) -> dict:
    """stockpyl's Poisson newsvendor per row on the first ``n`` rows (module docstring)."""
    from stockpyl.newsvendor import newsvendor_poisson

    n = min(n, rows["mean"].size)
    mu = (rows["mean"][:n] * (rows["lead_time"][:n] + rows["review_period"])).tolist()
    ratio = rows["target_level"][:n]
    stockout = (ratio / (1.0 - ratio)).tolist()      # critical ratio p / (p + h) with h = 1
    times = []
    for _ in range(max(repeats, 1)):
        t = time.perf_counter()
        for m, p in zip(mu, stockout):
            newsvendor_poisson(1.0, p, m)
        times.append(time.perf_counter() - t)
    return {"rows": n, "seconds": statistics.median(times)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--peer-rows", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    rows = synthetic_rows(args.rows)
    kw = {k: v for k, v in rows.items() if k not in ("mean", "var")}
    walls, cpus = [], []
    load0 = os.getloadavg()
    for _ in range(args.repeats):
        t, c = time.perf_counter(), time.process_time()
        df = optimize_single("nbinom", rows["mean"], rows["var"], target_type="fill_rate",
                             periods_per_year=365.0, workers=args.workers, **kw)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    peer = peer_newsvendor(rows, args.peer_rows, args.repeats)
    load = os.getloadavg()
    # other jobs are judged by the load before the run: the load after includes this run's own
    # worker threads (about 2 on this 2-core machine)
    quiet = load0[0] < 1.0
    met = bool((df.expected_fill_rate >= df.target_level - 1e-9).all())
    lines = [
        "# Single-location optimisation, fill-rate target",
        "",
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} cores, "
        f"`{cpu_model()}`; Python {platform.python_version()}, numpy {np.__version__}",
        f"- 1-min load average before / after: {load0[0]:.1f} / {load[0]:.1f} (after: with this run's own threads) "
        + ("(quiet machine)" if quiet else "(other jobs shared the machine when this was "
           "recorded: wall time is inflated, CPU time is the robust figure)"),
        f"- rows: {args.rows:,} synthetic part-locations (see the script's docstring), "
        f"NB demand, weekly review, cost-optimal Q search, reasons on, workers={args.workers}",
        f"- every row feasible: {bool(df.feasible.all())}; every row meets its fill-rate target: "
        f"{met}",
        f"- policies: { {k: int(v) for k, v in df.policy.value_counts().items()} }; median Q {df.order_quantity.median():.0f}, "
        f"max Q {df.order_quantity.max()}",
        "",
        "| measure | value |",
        "|---|---|",
        f"| wall time, median of {args.repeats} (min-max) | {statistics.median(walls):.1f} s "
        f"({min(walls):.1f}-{max(walls):.1f}) |",
        f"| CPU time (all threads), median | {statistics.median(cpus):.1f} s |",
        f"| peak resident memory of the process | {peak_gb:.2f} GB |",
        f"| throughput (median wall) | {args.rows / statistics.median(walls):,.0f} rows/s |",
        "",
        f"Peer, same run: stockpyl `newsvendor_poisson`, one call per row on the first "
        f"{peer['rows']:,} rows, median of {args.repeats}: {peer['seconds']:.2f} s "
        f"({peer['rows'] / peer['seconds']:,.0f} rows/s); partsopt's throughput is "
        f"{(args.rows / statistics.median(walls)) / (peer['rows'] / peer['seconds']):.1f}x "
        "that.  Not like for like: the peer computes a Poisson base-stock level at a critical "
        "ratio, partsopt the least-cost (s, S) meeting a fill-rate target under NB demand with "
        "review period, pack sizes and reasons.",
        "",
        "Goal: 1,000,000 part-locations in <= 60 s on 2 cores with <= 4 GB peak"
        + (f": {'met' if statistics.median(walls) <= 60.0 and peak_gb <= 4.0 else 'NOT met'} "
           f"(median wall {statistics.median(walls):.1f} s, peak {peak_gb:.2f} GB"
           + ("" if quiet else "; measured on a shared machine") + ")."
           if args.rows >= 1_000_000 else f" (not measured here: {args.rows:,} rows)."),
    ]
    text = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
