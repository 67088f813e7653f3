"""Benchmark: time and peak memory to generate and write each demo network size.

Each repeat runs in a fresh Python process (so the peak resident memory is that
run's own): ``write_demo`` = ``generate(size, seed)`` then ``save`` in the size's
default format, timed as wall clock and as the process's CPU time (user + sys;
the machine is shared with other jobs, so CPU time is the steadier figure),
then, as the reference measured in the same run, pandas reading the written
tables back (``read_csv`` / ``read_parquet``): the cost any consumer of the files
pays.  There is no public library that generates this dataset to compare with.

Usage::

    python benchmarks/demo_generation.py [--sizes small medium large] [--repeats 3]
        [--out benchmarks/results/demo_generation.md]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/machine.py
from machine import cpu_model as _cpu_model  # noqa: E402 (benchmarks/ is on sys.path)

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time, tempfile
from pathlib import Path
import pandas as pd
sys.path.insert(0, {root!r})
from partsopt.demo import generate, TABLES
from partsopt.demo.writer import save
from partsopt.demo.sizes import get_size
size, seed = {size!r}, {seed}
fmt = get_size(size).default_format
cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
t0, c0 = time.perf_counter(), cpu()
net = generate(size, seed)
with tempfile.TemporaryDirectory() as d:
    save(net, d, fmt)
    t2, c2 = time.perf_counter(), cpu()
    rows = {{name: len(df) for name, df in net.tables().items()}}
    nbytes = sum(p.stat().st_size for p in Path(d).rglob("*") if p.is_file())
    del net
    t3 = time.perf_counter()
    for name in TABLES:
        p = Path(d) / f"{{name}}.{{fmt}}"
        pd.read_csv(p) if fmt == "csv" else pd.read_parquet(p)
    t4 = time.perf_counter()
print(json.dumps(dict(total=t2 - t0, cpu=c2 - c0, read_back=t4 - t3, rows=rows, bytes=nbytes,
                      fmt=fmt, peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""


def run_one(size: str, seed: int) -> dict:
    code = CHILD.format(root=str(ROOT), size=size, seed=seed)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _fmt(values, unit="s", digits=2):
    med = statistics.median(values)
    return f"{med:.{digits}f} {unit} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["small", "medium", "large"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "demo_generation.md"))
    args = ap.parse_args(argv)
    load_start = os.getloadavg()
    results = {}
    for size in args.sizes:
        runs = [run_one(size, seed) for seed in range(args.repeats)]
        results[size] = runs
        print(size, json.dumps({k: v for k, v in runs[0].items() if k != "rows"}), file=sys.stderr)
    load_end = os.getloadavg()
    lines = [
        "# Demo network generation: time and peak memory",
        "",
        f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {os.cpu_count()} cores, `{_cpu_model()}`, Python {platform.python_version()}",
        f"- load average (1 min) at start / end: {load_start[0]:.1f} / {load_end[0]:.1f} "
        "(the machine is shared; a load above the core count slows every timing)",
        f"- command: `python benchmarks/demo_generation.py --sizes {' '.join(args.sizes)} --repeats {args.repeats}`",
        f"- each repeat is a fresh process with seed 0..{args.repeats - 1}; median (min–max) over repeats",
        "- reference measured in the same run: pandas reading the written tables back",
        "",
        "| size | format | demand lines | receipts | generate + write, wall | generate + write, CPU | peak RSS | files | pandas read-back (reference), wall |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for size, runs in results.items():
        r0 = runs[0]
        lines.append(
            f"| {size} | {r0['fmt']} | {r0['rows']['demand']:,} | {r0['rows']['receipts']:,} "
            f"| {_fmt([r['total'] for r in runs])} | {_fmt([r['cpu'] for r in runs])} "
            f"| {_fmt([r['peak_rss_mb'] / 1024 for r in runs], 'GB')} "
            f"| {r0['bytes'] / 1e6:.1f} MB | {_fmt([r['read_back'] for r in runs])} |")
    lines += [
        "",
        "Reading: generation is single-threaded numpy plus Arrow's C++ writers, so on an otherwise idle",
        "machine the wall time is about the CPU time; when other jobs load the machine beyond its cores,",
        "the wall time grows by the oversubscription factor while the CPU time stays put.  Goal: large",
        "well under a minute, within a few GB; small fast enough for tests (< 2 s).",
        "",
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
