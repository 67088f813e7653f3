"""Benchmark: Zheng-Federgruen exact (s, S) batch vs stockpyl's ``s_s_discrete_exact``.

Same instances in the same run: the 24 instances of Zheng & Federgruen (1991) (ORACLES O-10)
plus seeded random instances.  Checks that (s, S) are identical and costs agree to 1e-9
(relative), then times stockpyl per instance (Python loop) and partsopt on the whole batch
(one vectorised call), repeated; reports medians, spread and the speed ratio per instance.

Run:  python benchmarks/policies_zf.py [--random 200] [--repeats 5] [--out FILE.md]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/machine.py
from machine import cpu_model as cpu_model  # noqa: E402 (benchmarks/ is on sys.path)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from policies import optimal_ss_poisson  # noqa: E402

ZF_MU = [10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 21, 22, 23, 24, 51, 52, 59, 61,
         63, 64]


def instances(n_random: int, seed: int = 2024):
    """Group 1: the 24 ZF (1991) instances; group 2: seeded random instances."""
    rng = np.random.default_rng(seed)
    zf = (np.array(ZF_MU, float), np.full(24, 64.0), np.ones(24), np.full(24, 9.0))
    rnd = (rng.uniform(1, 30, n_random), rng.uniform(1, 50, n_random),
           rng.uniform(0.5, 2, n_random), rng.uniform(2, 20, n_random))
    return {"Zheng-Federgruen 1991 (24)": zf,
            f"random ({n_random}: mu~U(1,30), K~U(1,50), h~U(0.5,2), p~U(2,20))": rnd}


def run_group(mu, K, h, p, repeats, s_s_discrete_exact):
    n = mu.size
    s, S, g = optimal_ss_poisson(mu, K, h, p)
    ref = [s_s_discrete_exact(h[i], p[i], K[i], True, mu[i]) for i in range(n)]
    same = int(np.sum((s == np.array([r[0] for r in ref])) & (S == np.array([r[1] for r in ref]))))
    g_ref = np.array([r[2] for r in ref])
    rel = float(np.max(np.abs(g - g_ref) / g_ref))
    ours, ours_cpu, theirs, theirs_cpu = [], [], [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        optimal_ss_poisson(mu, K, h, p)
        ours.append((time.perf_counter() - t) / n)
        ours_cpu.append((time.process_time() - c) / n)
        per = []
        c = time.process_time()
        for i in range(n):
            t = time.perf_counter()
            s_s_discrete_exact(h[i], p[i], K[i], True, mu[i])
            per.append(time.perf_counter() - t)
        theirs_cpu.append((time.process_time() - c) / n)
        theirs.append(statistics.median(per))
    return dict(n=n, same=same, rel=rel, ours=ours, ours_cpu=ours_cpu, theirs=theirs,
                theirs_cpu=theirs_cpu)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--random", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    from stockpyl.ss import s_s_discrete_exact

    load0 = os.getloadavg()
    results = {name: run_group(*inst, args.repeats, s_s_discrete_exact)
               for name, inst in instances(args.random).items()}
    load = os.getloadavg()
    lines = [
        "# Zheng-Federgruen (s, S) batch vs stockpyl 1.0.2 `s_s_discrete_exact`",
        "",
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} cores, "
        f"`{cpu_model()}`; Python {platform.python_version()}, numpy {np.__version__}",
        f"- 1-min load average before / after the run: {load0[0]:.1f} / {load[0]:.1f} (other "
        "jobs shared the 2 cores, so wall times are inflated; CPU times are the robust figure)",
        f"- repeats: {args.repeats}; partsopt = one vectorised call per group, time / instances; "
        "stockpyl = one call per instance, median over instances",
        "",
        "| instances | same (s, S) | max rel. cost diff | partsopt wall / inst. (median, min-max)"
        " | stockpyl wall / inst. (median, min-max) | ratio wall | partsopt CPU / inst. | "
        "stockpyl CPU / inst. (mean) | ratio CPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    ok = True
    for name, r in results.items():
        o, t_ = statistics.median(r["ours"]), statistics.median(r["theirs"])
        oc, tc = statistics.median(r["ours_cpu"]), statistics.median(r["theirs_cpu"])
        ok &= r["same"] == r["n"] and r["rel"] < 1e-9
        lines.append(
            f"| {name} | {r['same']}/{r['n']} | {r['rel']:.1e} | {o * 1e3:.3f} ms "
            f"({min(r['ours']) * 1e3:.3f}-{max(r['ours']) * 1e3:.3f}) | {t_ * 1e3:.2f} ms "
            f"({min(r['theirs']) * 1e3:.2f}-{max(r['theirs']) * 1e3:.2f}) | {t_ / o:.0f}x | "
            f"{oc * 1e3:.3f} ms | {tc * 1e3:.2f} ms | {tc / oc:.0f}x |")
    lines += ["", "Goal: >= 100x faster per instance than stockpyl (27 ms median per instance in "
              "the brief), same optimal (s, S) and cost."]
    text = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
