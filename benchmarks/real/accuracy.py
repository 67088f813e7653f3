"""Forecast accuracy on all six real sets, with PIS, for the pipeline's method set.

Run from the repository root::

    python -m benchmarks.real.accuracy [--data-dir DIR] [--out benchmarks/results/real_accuracy.md]

This re-uses F2's rolling-origin protocol and code (``benchmarks/forecasting_accuracy.py``: the
last 12 periods, one-step forecasts re-fitted at every origin, MASE / RMSSE scaled by the naive
error before the first origin, bias; the backtest selection replayed at every origin from cached
forecasts, checked against ``select_by_backtest`` in tests/forecasting) and adds:

* the refinery set (``benchmarks.real.common.load_refinery``: Nov 1997 out, blanks 0; the
  forecast sees withdrawals, negative cells (returns) count as 0);
* PIS (periods in stock, :func:`forecasting.metrics.pis`, mean over series [units x periods];
  positive = forecasts ran ahead of demand) and its scaled form sPIS (mean [periods]);
* the method set of partsopt's pipeline (``partsopt.forecast_step.BACKTEST_METHODS``: croston,
  sba, tsb, ses, adida) and the automatic selection exactly as the pipeline runs it
  (:func:`partsopt.forecast_step.backtest_methods`: backtest over those methods, one-step RMSE,
  ``partsopt.forecast_step.BACKTEST_ORIGINS`` cut-offs - imported here, not repeated, so the
  recorded figure is the product's; tests/partsopt/test_backtest_selection.py checks the cached
  replay against that function).  The selection is replayed at each of the last 12 origins from
  forecasts cached at the last 12 + BACKTEST_ORIGINS origins (on auto, 24 months, the first inner
  cut-off then has 4 periods of history: the library's ``min_train``).  F2's full 8-method run
  (imapa, holt, holt-winters too) is in ``benchmarks/results/forecasting_accuracy.md``;
* beside them IMAPA and Holt (:data:`EXTRA`) and the library's two automatic selections with their
  defaults, replayed like F2's: ``select_by_backtest`` (six intermittent candidates, 8 cut-offs) and
  ``select_by_nested_backtest`` (per series over those or also Holt, or one method for the panel,
  chosen by an outer backtest); the second is judged against the best of every method scored here.
"""
from __future__ import annotations

import argparse
import sys
import datetime as _dt
import time
from pathlib import Path

import numpy as np

from benchmarks.real.common import BACKTEST_METHODS, ROOT, default_data_dir, load_refinery, machine, write_result
from partsopt.forecast_step import BACKTEST_ORIGINS  # noqa: E402 (the pipeline's cut-offs)
import forecasting  # noqa: E402
from forecasting import metrics  # noqa: E402
import forecasting_accuracy as fa  # noqa: E402

#: methods scored beside the pipeline's candidates: the rest of the library's automatic selections'
#: candidates (select_by_backtest / select_by_nested_backtest defaults).  Holt-Winters is not run here
#: (its season is set per dataset in benchmarks/forecasting_accuracy.py; F2's run has it).
EXTRA = tuple(m for m in dict.fromkeys(fa.LIBRARY_METHODS + fa.NESTED_METHODS + fa.NESTED_EXTRA)
              if m not in BACKTEST_METHODS)


def load(name: str, data_dir: Path):
    if name == "refinery":
        d = load_refinery(data_dir)
        return np.maximum(d["y"], 0.0), f"refinery, {d['y'].shape[0]} materials x {d['y'].shape[1]} months (Nov 1997 left out)"
    return fa.load_dataset(name, data_dir)


def pipeline_choice(y: np.ndarray, cached: dict) -> np.ndarray:
    """Index into BACKTEST_METHODS of the pipeline's choice per series at each of the last 12 origins.

    The replay of :func:`partsopt.forecast_step.backtest_methods` at every origin (one-step RMSE over
    BACKTEST_ORIGINS cut-offs) from ``cached[m]``, the one-step forecasts at the last
    12 + BACKTEST_ORIGINS origins.
    """
    pipe = list(BACKTEST_METHODS)
    return fa.backtest_choice(y, {m: cached[m] for m in pipe}, pipe, "rmse", BACKTEST_ORIGINS)


def run_one(name: str, data_dir: Path) -> tuple[str, list]:
    y, desc = load(name, data_dir)
    methods = list(BACKTEST_METHODS) + list(EXTRA)
    n = y.shape[1]
    n_cache = min(fa.N_TEST + max(BACKTEST_ORIGINS, fa.NESTED_INNER + fa.NESTED_OUTER), n - fa.MIN_TRAIN)
    cached, rows = {}, []
    train, test = y[:, : n - fa.N_TEST], y[:, n - fa.N_TEST:]
    for m in methods:
        t0 = time.perf_counter()
        cached[m] = fa.rolling_one_step(y, lambda tr, m=m: forecasting.forecast(tr, 1, m)[:, 0], n_origins=n_cache)
        rows.append((m, cached[m][:, -fa.N_TEST:], (time.perf_counter() - t0) * fa.N_TEST / n_cache))
    pipe = list(BACKTEST_METHODS)
    t0 = time.perf_counter()
    choice = pipeline_choice(y, cached)
    share = ", ".join(f"{pipe[i]} {np.mean(choice == i):.0%}" for i in range(len(pipe)) if np.any(choice == i))
    rows.append((f"selection (pipeline: backtest over {'/'.join(pipe)}, rmse, {BACKTEST_ORIGINS} cut-offs) [{share}]",
                 fa.pick(cached, pipe, choice), time.perf_counter() - t0))
    lib = fa.LIBRARY_METHODS
    t0 = time.perf_counter()
    choice = fa.backtest_choice(y, {m: cached[m] for m in lib}, lib, "rmse", fa.N_INNER_LONG)
    rows.append((f"selection (library: select_by_backtest defaults, over {'/'.join(lib)}, rmse, "
                 f"{fa.N_INNER_LONG} cut-offs)", fa.pick(cached, lib, choice), time.perf_counter() - t0))
    t0 = time.perf_counter()
    preds, wins = fa.nested_replay(y, cached, fa.NESTED_METHODS, fa.NESTED_EXTRA)
    share = ", ".join(f"{w} {wins.count(w)}" for w in dict.fromkeys(wins))
    rows.append((f"selection (library: select_by_nested_backtest defaults, per series over "
                 f"{'/'.join(fa.NESTED_METHODS)} or also {'/'.join(fa.NESTED_EXTRA)}, or one method; "
                 f"{fa.NESTED_INNER} inner / {fa.NESTED_OUTER} outer cut-offs) [strategy at the 12 origins: {share}]",
                 preds, time.perf_counter() - t0))
    out = []
    for label, preds, dt in rows:
        s = fa.score(y, preds)
        p = np.maximum(preds, 0.0)
        s["pis_mean"] = float(np.mean(metrics.pis(test, p)))
        with np.errstate(invalid="ignore", divide="ignore"):
            s["spis_mean"] = float(np.nanmean(metrics.spis(test, p, y_train=train)))
        out.append((label, s, dt))
    return desc, out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--datasets", default="raf,auto,carparts,manufacturing,refinery,m5")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "real_accuracy.md"))
    args = ap.parse_args(argv)
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    lines = [
        "# Forecast accuracy on the six real sets (pipeline methods, with PIS)",
        "",
        f"- Date: {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        f"- Data: `{data_dir}` (read in place)",
        f"- Command: `{' '.join(['python -m benchmarks.real.accuracy'] + (sys.argv[1:] if argv is None else argv))}`",
        "- Protocol: module docstring of `benchmarks/real/accuracy.py` (F2's rolling origin, last 12 periods, h = 1). "
        "Deterministic: the accuracy figures are exact and repeatable. Times: one run on a 2-core machine shared with "
        "other jobs, informative only (per method: its 12 scored re-fits, measured over the cached origins and scaled; "
        "per selection: the choice on top of the cached forecasts).",
        "",
    ]
    goal = ["## Goal: the automatic selection at least as accurate (MASE mean) as the best single method", "",
            "Pipeline: `partsopt.forecast_step.backtest_methods` (the pipeline's candidates, "
            f"{BACKTEST_ORIGINS} cut-offs) against the best of those candidates. Library: "
            "`forecasting.select_by_nested_backtest` with its defaults against the best of every method scored here "
            "(the pipeline's and " + "/".join(EXTRA) + ").", "",
            "| dataset | best pipeline candidate | its MASE | pipeline selection MASE | goal | best method scored | its MASE | "
            "library nested selection MASE | goal |",
            "|---|---|---|---|---|---|---|---|---|"]
    body = []
    for ds in args.datasets.split(","):
        desc, rows = run_one(ds, data_dir)
        singles = [(m, s) for m, s, _ in rows if not m.startswith("selection")]
        best = min([r for r in singles if r[0] in BACKTEST_METHODS], key=lambda r: r[1]["mase_mean"])
        best_all = min(singles, key=lambda r: r[1]["mase_mean"])
        sel = [s for m, s, _ in rows if m.startswith("selection (pipeline")][0]
        nested = [s for m, s, _ in rows if m.startswith("selection (library: select_by_nested")][0]
        ok = lambda v, b: "met" if v <= b[1]["mase_mean"] else "NOT met"  # noqa: E731
        goal.append(f"| {ds} | {best[0]} | {best[1]['mase_mean']:.5f} | {sel['mase_mean']:.5f} | "
                    f"{ok(sel['mase_mean'], best)} | {best_all[0]} | {best_all[1]['mase_mean']:.5f} | "
                    f"{nested['mase_mean']:.5f} | {ok(nested['mase_mean'], best_all)} |")
        body += [f"### {ds}: {desc}", "",
                 "| method | series scored | zero-scale | MASE mean | MASE median | RMSSE mean | bias [units/period] | PIS mean [units x periods] | sPIS mean [periods] | fill rate @0.90 | time [s] |",
                 "|---|---|---|---|---|---|---|---|---|---|---|"]
        for m, s, dt in rows:
            body.append(f"| {m} | {s['n_scored']} | {s['n_zero_scale']} | {s['mase_mean']:.4f} | {s['mase_median']:.4f} | "
                        f"{s['rmsse_mean']:.4f} | {s['bias_mean']:+.4f} | {s['pis_mean']:+.2f} | {s['spis_mean']:+.2f} | "
                        f"{s['fill_rate_mean']:.4f} | {dt:.1f} |")
        body.append("")
        write_result(args.out, "\n".join(lines + goal + [""] + body) + "\n")
        print(f"{ds} done", flush=True)


if __name__ == "__main__":
    main()
