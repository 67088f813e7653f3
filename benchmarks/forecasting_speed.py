"""Speed of partsopt's forecasting kernels against statsforecast 2.1.1, same run.

Both libraries forecast the same seeded panel (default 100,000 series x 104 weeks,
horizon 13) with the six methods CrostonClassic, CrostonSBA, TSB(0.1, 0.1),
ADIDA, IMAPA and SimpleExponentialSmoothing(0.1); statsforecast runs with
``n_jobs=1`` and ``n_jobs=2``.  The script reports medians and spreads of the
wall-clock times (and process CPU time for ours), the ratio, the differences
between the two libraries' forecasts, and peak memory: the traced peak of numpy
allocations during our run (tracemalloc) and the process peak RSS measured before
statsforecast runs.

ADIDA and IMAPA optimise alpha; ours uses the fast exact minimiser by default and
statsforecast's golden section with ``optimizer="golden"`` (forecasting/_ses.py).
Both are timed; the differences to statsforecast are reported for both (golden:
bit-identical; default: relative differences of order 1e-9, larger on the few
series whose SSE has several local minima).

Usage::

    python benchmarks/forecasting_speed.py [--series N] [--periods T] [--repeats R]
        [--sf-repeats R] [--out benchmarks/results/forecasting_speed.md]

Results are written as markdown (machine, date, load average, all numbers).
statsforecast is a benchmark extra (``pip install .[bench]``).

``--real-data DIR`` also compares the two libraries' forecasts (the six methods and
CrostonOptimized) on the real data sets in DIR (RAF, auto, MAN, carparts without
missing months); ``--skip-speed`` runs only that comparison and appends its table
to ``--out``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import forecasting as F  # noqa: E402

METHODS = ["croston", "sba", "tsb", "adida", "imapa", "ses"]
SF_NAMES = {"croston": "CrostonClassic", "sba": "CrostonSBA", "tsb": "TSB",
            "adida": "ADIDA", "imapa": "IMAPA", "ses": "SES"}


def make_panel(n: int, t: int, seed: int) -> np.ndarray:
    """Seeded spare-parts-like panel: demand probability 0.02..0.9 per series,
    Poisson(0.5..5)+1 sizes, 5 % all-zero series, 10 % lumpy (geometric sizes)."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.02, 0.9, n)[:, None]
    sizes = rng.poisson(rng.uniform(0.5, 5.0, n)[:, None], (n, t)) + 1.0
    y = (rng.random((n, t)) < p) * sizes
    lumpy = rng.random(n) < 0.10
    y[lumpy] = (rng.random((int(lumpy.sum()), t)) < 0.15) * rng.geometric(0.1, (int(lumpy.sum()), t))
    y[rng.random(n) < 0.05] = 0.0
    return y


def _timed(fn, repeats):
    walls, cpus, out = [], [], None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return walls, cpus, out


def _fmt(values):
    if len(values) == 1:
        return f"{values[0]:.3f} (1 run)"
    return f"{statistics.median(values):.3f} (min {min(values):.3f}, max {max(values):.3f}, n={len(values)})"


def _machine():
    model = platform.processor() or "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}, numpy {np.__version__}"


def _rel_summary(ours: np.ndarray, ref: np.ndarray) -> str:
    """Median, 99th percentile and share above 1e-6 of |ours - ref| / |ref| (0 where equal)."""
    rel = np.where(ours == ref, 0.0, np.abs(ours - ref) / np.maximum(np.abs(ref), 1e-300))
    return (f"{np.median(rel):.1e} / {np.quantile(rel, 0.99):.1e} / "
            f"{np.mean(rel > 1e-6):.2%}")


def real_data_agreement(folder: str) -> list[str]:
    """Max |ours - statsforecast| per method on the real data sets (markdown lines)."""
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import (ADIDA, IMAPA, TSB, CrostonClassic, CrostonOptimized,
                                      CrostonSBA, SimpleExponentialSmoothing)
    base = Path(folder)
    sets = {}
    raf = pd.read_csv(base / "raf_5000_wide.csv")
    sets["RAF"] = raf[[c for c in raf.columns if c[:2] in ("19", "20")]].to_numpy(float)
    auto = pd.read_csv(base / "auto_3000_wide.csv")
    sets["auto"] = auto[[f"p{i:02d}" for i in range(1, 25)]].to_numpy(float)
    man = pd.read_csv(base / "manufacturing_weekly_wide.csv")
    sets["MAN (fractional)"] = man[[c for c in man.columns if "-W" in c]].to_numpy(float)
    cp = pd.read_csv(base / "carparts_wide.csv").drop(columns="month").T
    sets["carparts (complete)"] = cp[~cp.isna().any(axis=1)].to_numpy(float)
    names = {"croston": "CrostonClassic", "sba": "CrostonSBA", "tsb": "TSB",
             "adida": "ADIDA", "imapa": "IMAPA", "ses": "SES",
             "croston alpha=optimize": "CrostonOptimized"}
    lines = ["## Agreement with statsforecast on the real data (relative differences)", "",
             "| data set | series x periods | " + " | ".join(names) + " |",
             "|---|---|" + "---|" * len(names)]
    for label, y in sets.items():
        n, t = y.shape
        df = pd.DataFrame({"unique_id": np.repeat(np.arange(n), t),
                           "ds": np.tile(np.arange(1, t + 1), n), "y": y.ravel()})
        ref = StatsForecast(models=[CrostonClassic(), CrostonSBA(), TSB(alpha_d=0.1, alpha_p=0.1),
                                    ADIDA(), IMAPA(), SimpleExponentialSmoothing(0.1, alias="SES"),
                                    CrostonOptimized()], freq=1, n_jobs=1
                            ).forecast(df=df, h=2).sort_values(["unique_id", "ds"])
        for optimizer in ("newton", "golden"):
            ours = F.forecast_many(y, 2, optimizer=optimizer)
            ours["croston alpha=optimize"] = F.forecast(y, 2, "croston", alpha="optimize",
                                                        optimizer=optimizer)
            cells = []
            for m, col in names.items():
                r = ref[col].to_numpy().reshape(n, 2)
                rel = np.where(r == ours[m], 0.0,
                               np.abs(ours[m] - r) / np.maximum(np.abs(r), 1e-300))
                cells.append(f"{float(np.max(rel)):.1e} ({float(np.median(rel)):.0e})")
            lines.append(f"| {label}, optimizer={optimizer} | {n} x {t} | " + " | ".join(cells)
                         + " |")
    return lines + ["", "(max relative difference, median in brackets; 0 = bit-identical)", ""]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=100_000)
    ap.add_argument("--periods", type=int, default=104)
    ap.add_argument("--horizon", type=int, default=13)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sf-repeats", type=int, default=1)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "forecasting_speed.md"))
    ap.add_argument("--real-data", default=None,
                    help="folder with the real data sets: also compare forecasts there")
    ap.add_argument("--skip-speed", action="store_true",
                    help="only the real-data comparison, appended to --out")
    args = ap.parse_args(argv)
    if args.skip_speed:
        if not args.real_data:
            ap.error("--skip-speed needs --real-data")
        extra = real_data_agreement(args.real_data)
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write("\n" + "\n".join(extra))
        print("\n".join(extra))
        return

    y = make_panel(args.series, args.periods, args.seed)
    h = args.horizon
    load_start = os.getloadavg()
    lines = []

    # ---- ours: per method, and all six via forecast_many (n_jobs 1 and 2)
    F.forecast_many(y[:2000], h)             # warm-up (imports, allocator)
    per_method = {}
    for m in METHODS:
        walls, cpus, _ = _timed(lambda: F.forecast(y, h, m), args.repeats)
        per_method[m] = (walls, cpus)
    sum_single = sum(statistics.median(per_method[m][0]) for m in METHODS)
    many = {}
    for jobs in (1, 2):
        walls, cpus, res = _timed(lambda: F.forecast_many(y, h, METHODS, n_jobs=jobs),
                                  args.repeats)
        many[jobs] = (walls, cpus)
    ours = res
    walls, cpus, ours_golden = _timed(
        lambda: F.forecast_many(y, h, METHODS, optimizer="golden"), args.repeats)
    many["golden"] = (walls, cpus)
    tracemalloc.start()
    F.forecast_many(y, h, METHODS)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_ours = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # MiB (Linux KiB)

    # ---- statsforecast, same panel
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import (ADIDA, IMAPA, TSB, CrostonClassic, CrostonSBA,
                                      SimpleExponentialSmoothing)
    import statsforecast as sf_pkg

    def models():
        return [CrostonClassic(), CrostonSBA(), TSB(alpha_d=0.1, alpha_p=0.1), ADIDA(),
                IMAPA(), SimpleExponentialSmoothing(alpha=0.1, alias="SES")]
    n, t = y.shape
    df = pd.DataFrame({"unique_id": np.repeat(np.arange(n), t),
                       "ds": np.tile(np.arange(1, t + 1), n), "y": y.ravel()})
    small = df[df["unique_id"] < 200]
    StatsForecast(models=models(), freq=1, n_jobs=1).forecast(df=small, h=h)   # warm-up
    sf = {}
    sf_out = None
    for jobs in (1, 2):
        walls, cpus, out = _timed(
            lambda: StatsForecast(models=models(), freq=1, n_jobs=jobs).forecast(df=df, h=h),
            args.sf_repeats)
        sf[jobs] = (walls, cpus)
        sf_out = out
    sf_out = sf_out.sort_values(["unique_id", "ds"])
    diffs = {}
    for m in METHODS:
        ref = sf_out[SF_NAMES[m]].to_numpy().reshape(n, h)
        diffs[m] = (float(np.max(np.abs(ref - ours[m]))), _rel_summary(ours[m], ref),
                    float(np.max(np.abs(ref - ours_golden[m]))))
    load_end = os.getloadavg()

    ours1 = statistics.median(many[1][0])
    ours2 = statistics.median(many[2][0])
    sf1 = statistics.median(sf[1][0])
    sf2 = statistics.median(sf[2][0])
    lines += [
        "# Forecasting speed: partsopt `forecasting` vs statsforecast",
        "",
        f"- Date (UTC): {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M}",
        f"- Machine: {_machine()}",
        f"- Load average (1/5/15 min) at start {load_start[0]:.2f}/{load_start[1]:.2f}/"
        f"{load_start[2]:.2f}, at end {load_end[0]:.2f}/{load_end[1]:.2f}/{load_end[2]:.2f} "
        "(other jobs shared the machine: compare the ratios, and CPU times for ours)",
        f"- Panel: {n:,} series x {t} periods, seed {args.seed}, "
        f"{(y == 0).mean():.1%} zeros; horizon {h}; statsforecast {sf_pkg.__version__}",
        f"- Command: `python benchmarks/forecasting_speed.py --series {n} --periods {t} "
        f"--repeats {args.repeats} --sf-repeats {args.sf_repeats}`",
        f"- Repeats: ours {args.repeats} (median, min, max), statsforecast {args.sf_repeats} "
        "per n_jobs setting (each run costs tens of seconds)",
        "",
        "## All six methods together (wall seconds)",
        "",
        "| run | wall s | CPU s (process) |",
        "|---|---|---|",
        f"| ours, `forecast_many`, n_jobs=1 | {_fmt(many[1][0])} | {_fmt(many[1][1])} |",
        f"| ours, `forecast_many`, n_jobs=2 | {_fmt(many[2][0])} | {_fmt(many[2][1])} |",
        f"| ours, `forecast_many`, n_jobs=1, `optimizer=\"golden\"` | {_fmt(many['golden'][0])} "
        f"| {_fmt(many['golden'][1])} |",
        f"| ours, six separate `forecast` calls (sum of medians) | {sum_single:.3f} | |",
        f"| statsforecast n_jobs=1 | {_fmt(sf[1][0])} | {_fmt(sf[1][1])} |",
        f"| statsforecast n_jobs=2 | {_fmt(sf[2][0])} | (workers not counted) |",
        "",
        f"- Speed-up, single thread (statsforecast n_jobs=1 / ours n_jobs=1): **{sf1 / ours1:.1f}x**",
        f"- Speed-up, two workers (statsforecast n_jobs=2 / ours n_jobs=2): **{sf2 / ours2:.1f}x**",
        f"- Speed-up, separate calls vs statsforecast n_jobs=1: {sf1 / sum_single:.1f}x",
        f"- Goal (issue 3): >= 20x, i.e. all six in <= {sf1 / 20:.2f} s here.",
        "",
        "## Per method, ours (`forecast(y, 13, m)`, n_jobs=1)",
        "",
        "| method | wall s | CPU s | max abs diff vs statsforecast | relative diff: median / "
        "99th pct / share > 1e-6 | max abs diff, `optimizer=\"golden\"` |",
        "|---|---|---|---|---|---|",
    ]
    for m in METHODS:
        lines.append(f"| {m} | {_fmt(per_method[m][0])} | {_fmt(per_method[m][1])} | "
                     f"{diffs[m][0]:.3g} | {diffs[m][1]} | {diffs[m][2]:.3g} |")
    lines += [
        "",
        "## Memory",
        "",
        f"- Ours, traced peak of allocations during `forecast_many` (tracemalloc, includes "
        f"numpy buffers; the {y.nbytes / 2**20:.0f} MiB input is allocated before): "
        f"{traced_peak / 2**20:.0f} MiB",
        f"- Process peak RSS after our runs, before statsforecast was imported: "
        f"{rss_ours:.0f} MiB (includes the input panel and Python/numpy)",
        f"- Goal: <= 2 GB.",
        "",
    ]
    if args.real_data:
        lines += real_data_agreement(args.real_data)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
