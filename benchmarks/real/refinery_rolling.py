"""Refinery spares: the company's Min/Max against partsopt re-planned every month.

Run from the repository root::

    python -m benchmarks.real.refinery_rolling [--data-dir DIR] [--every 1]
        [--out benchmarks/results/real_refinery_rolling.md]

:mod:`benchmarks.real.refinery` plans once, on 1997-01..1999-12, and holds those levels through
the 20 test months.  A plant running partsopt re-plans every month from the withdrawals so far, as
the weekly plan does.  This script does that, with no look-ahead:

* before each test month k (every ``--every`` months), :func:`benchmarks.real.refinery.plan` is
  re-fitted on the withdrawals before k - forecast, installed-base prior, posterior predictive
  lead-time demand - and sets the base-stock levels of two look-ahead-free rules of the static
  benchmark (the refinery results' rules 1 and 2):

  1. ``default``: partsopt's default service level (``service.level`` of the product's default
     configuration) as the target of every class;
  2. ``budget``: the company's own stock value on 1998-99 (its Min/Max replayed there, known when
     planning for 2000) as the budget, the most expected fill within it;

  for the variants ``system_post`` (per class) and ``pooled_post`` (one shadow price);
* the levels in force each month are replayed by :func:`benchmarks.real.replay.ss_replay` with
  per-period levels (s = S - 1), from 1997-01 with on-hand = S (the first plan covers the
  training months), on the same demand and lead times as the company's Min/Max, and measured
  over the test window;
* forecasts: the one chosen on the inner split of the training window
  (:func:`benchmarks.real.refinery.inner_forecast_choice`, SES on this data) and the pipeline's
  per-series selection (``auto``).

Goal (recorded, issue 8): the same or higher fill rate than the company's Min/Max with less stock
value.  Caveat as in the static benchmark: the company's Min/Max was extracted in 2001 and may
embody knowledge of the test window; it is held fixed, as it was read.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.real.common import ROOT, default_data_dir, load_refinery, machine, md_table, write_result
from benchmarks.real.refinery import (CLASSES, N_TRAIN, default_targets, inner_forecast_choice, kpis, plan)
from benchmarks.real.replay import replanned_levels, ss_replay
from benchmarks.real.tradeoff import inventory_at

RULES = ("default", "budget")
VARIANTS = ("system_post", "pooled_post")
CURVE = (0.85, 0.90, 0.93)      # uniform targets below the default level, for the stock-vs-fill curve


def rolling_plan_levels(d: dict, forecast: str, budgets: dict, every: int = 1, progress=None,
                        curve=()) -> dict:
    """{(rule, variant): (materials, months) base-stock levels}, re-planned every ``every`` months of
    the test window from the withdrawals before it (module docstring).  ``curve``: also uniform
    targets (rule ``"0.9"`` etc.), planned from the same fits."""
    y, L, price, crit = d["y"], d["lead_months"], d["price"], d["criticality"]
    cost = np.where(price > 0, price, 0.01)
    target_sets = [("default", default_targets())] + [(f"{t:g}", dict({c: t for c in CLASSES}, all=t)) for t in curve]
    rules = RULES + tuple(name for name, _ in target_sets[1:])

    def plan_at(k):
        p = plan(np.maximum(y[:, :k], 0.0), L, cost, crit, d["installations"], target_sets, forecast, budgets=budgets)
        return {(r, v): p["levels"][r][v] for r in rules for v in VARIANTS}

    return replanned_levels(plan_at, y.shape[1], N_TRAIN, every, progress)


def run(data_dir: Path, every: int = 1, curve=CURVE) -> dict:
    d = load_refinery(data_dir)
    y, L, price, crit = d["y"], d["lead_months"], d["price"], d["criticality"]
    n_test = y.shape[1] - N_TRAIN
    company = ss_replay(y, d["s"], d["S"], L, start=0, measure_from=N_TRAIN)
    company_train = ss_replay(y[:, :N_TRAIN], d["s"], d["S"], L, start=0, measure_from=12)
    k_train = kpis(company_train, price, crit, n_periods=N_TRAIN - 12).set_index("criticality")
    budgets = {c: float(k_train.loc[c, "stock_value"]) for c in CLASSES + ("all",)}
    hist = np.maximum(y[:, :N_TRAIN], 0.0).sum(axis=1) > 0
    chosen, _ = inner_forecast_choice(y)
    rows, times = [], {}
    k_comp = kpis(company, price, crit, n_periods=n_test, history=hist)
    for f in dict.fromkeys((chosen, "auto")):
        t0 = time.perf_counter()
        levels = rolling_plan_levels(d, f, budgets, every, curve=curve,
                                     progress=lambda k: print(f"  {f}: re-planned before month {k}", flush=True))
        times[f] = time.perf_counter() - t0
        for (rule, variant), S in levels.items():
            o = ss_replay(y, S - 1.0, S, L, start=0, measure_from=N_TRAIN)
            k = kpis(o, price, crit, n_periods=n_test, history=hist)
            k.insert(0, "variant", variant)
            k.insert(0, "rule", rule)
            k.insert(0, "forecast", f)
            rows.append(k)
    return {"runs": pd.concat(rows, ignore_index=True), "company": k_comp, "budgets": budgets, "chosen": chosen,
            "times": times, "every": every, "n": y.shape[0], "n_test": n_test}


def stock_at_company_fill(res: dict) -> pd.DataFrame:
    """Per forecast and variant, the stock value at which the rolling plan's curve over uniform targets
    (the curve's targets and the default level) reaches the company's fill rate: linear interpolation
    between the two neighbouring targets (NaN when the curve does not bracket it)."""
    comp = res["company"].set_index("criticality").loc["all"]
    runs = res["runs"][res["runs"]["criticality"] == "all"]
    uniform = runs[runs["rule"] != "budget"].copy()
    uniform["level"] = np.where(uniform["rule"] == "default", default_targets()["all"],
                                pd.to_numeric(uniform["rule"], errors="coerce"))
    rows = []
    for (f, v), g in uniform.groupby(["forecast", "variant"], sort=False):
        g = g.sort_values("level")
        x, s = g["fill_rate"].to_numpy(), g["stock_value"].to_numpy()
        val = inventory_at(x, s, comp["fill_rate"])
        rows.append({"forecast": f, "variant": v, "targets": ", ".join(f"{t:g}" for t in g["level"]),
                     "stock value at the company's fill rate": val,
                     "vs company": f"{val / comp['stock_value'] - 1:+.1%}" if np.isfinite(val) else "not bracketed"})
    return pd.DataFrame(rows)


def verdicts(res: dict) -> pd.DataFrame:
    """Company vs each rolling policy over all materials: fill rate, stock value and the goal."""
    comp = res["company"].set_index("criticality").loc["all"]
    out = [{"policy": "company Min/Max", "forecast": "", "fill rate": comp["fill_rate"], "hit rate": comp["hit_rate"],
            "stock value": comp["stock_value"], "stock value vs company": "", "goal": ""}]
    for (f, rule, variant), g in res["runs"].groupby(["forecast", "rule", "variant"], sort=False):
        r = g.set_index("criticality").loc["all"]
        ok = r["fill_rate"] >= comp["fill_rate"] - 1e-12 and r["stock_value"] < comp["stock_value"]
        out.append({"policy": f"{rule}, {variant}", "forecast": f, "fill rate": r["fill_rate"],
                    "hit rate": r["hit_rate"], "stock value": r["stock_value"],
                    "stock value vs company": f"{r['stock_value'] / comp['stock_value'] - 1:+.1%}",
                    "goal": "met" if ok else "NOT met"})
    return pd.DataFrame(out)


def report(res: dict, data_dir: Path, argv: str) -> str:
    lines = [
        "# Refinery: the company's Min/Max against partsopt re-planned every month",
        "",
        f"- Date: {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        f"- Data: `{data_dir}` (read in place); {res['n']:,} materials, test window 2000-01..2001-08 "
        f"({res['n_test']} months)",
        f"- Command: `python -m benchmarks.real.refinery_rolling {argv}`",
        f"- Protocol: module docstring of `benchmarks/real/refinery_rolling.py`; re-planned every {res['every']} "
        f"month(s); forecast chosen on the inner split: `{res['chosen']}`, and the pipeline's `auto`.",
        "- Time for the re-plans: " + ", ".join(f"`{f}` {t:.0f} s" for f, t in res["times"].items()),
        f"- Default service level: {default_targets()['all']:g}; budget (company Min/Max stock value on 1998-99): "
        f"{res['budgets']['all']:,.0f} in total.",
        "",
        "## Over all materials",
        "",
        *md_table(verdicts(res)),
        "",
        "## The stock value at the company's fill rate",
        "",
        "The rolling plan at uniform targets (and the default level), interpolated to the company's fill rate "
        "over all materials:",
        "",
        *md_table(stock_at_company_fill(res)),
        "",
        "## By criticality",
        "",
        *md_table(pd.concat([res["company"].assign(forecast="", rule="company Min/Max", variant=""), res["runs"]],
                            ignore_index=True)[["forecast", "rule", "variant", "criticality", "materials", "fill_rate",
                                                "hit_rate", "stock_value", "orders_per_year"]]),
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--every", type=int, default=1, help="months between re-plans (default 1)")
    ap.add_argument("--curve", default=",".join(f"{t:g}" for t in CURVE),
                    help="uniform targets for the stock-vs-fill curve, comma list ('' for none)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "real_refinery_rolling.md"))
    args = ap.parse_args(argv)
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    res = run(data_dir, args.every, tuple(float(t) for t in args.curve.split(",") if t.strip()))
    out = write_result(args.out, report(res, data_dir, " ".join(sys.argv[1:] if argv is None else argv)))
    res["runs"].to_csv(out.with_suffix(".csv"), index=False)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
