"""Refinery spares: the company's own Min/Max against partsopt's (s, S) on the same demand.

Run from the repository root::

    python -m benchmarks.real.refinery [--data-dir DIR] [--out benchmarks/results/real_refinery.md]

Protocol (no look-ahead):

* Data: ``refinery_spares_1b_wide.csv`` (7,024 materials, monthly consumption 1997-01..2001-08),
  prepared by :func:`benchmarks.real.common.load_refinery` (Nov 1997 left out, blanks = 0,
  negative cells = returns, lead time in whole months, criticality from the installation counts).
* Training window: the 35 kept months 1997-01..1999-12; test window: 2000-01..2001-08 (20 months).
* partsopt's (s, S): the pipeline's steps on the training window (backtest selection, moments,
  negative binomial, :func:`policies.single.optimize_single` with the fill-rate target, the
  material's lead time, monthly review, holding rate 0.25/year, price as unit cost (0.01 where the
  price is 0), no order cost unless ``--order-cost``).
* The company's (s, S) = (min_reorder_point, max_stock_level), read as "order up to Max when the
  inventory position is at or below Min" (the SAP reorder-point reading; Min = Max is then base
  stock at Max).  Caveat: the Min/Max values were extracted in 2001; they may have been revised
  during the test window with knowledge partsopt does not have, or set on other grounds.
* Both policies are replayed by :func:`benchmarks.real.replay.ss_replay` on the same monthly
  demand (returns go back to stock) from 1997-01 with on-hand = S, nothing on order; KPIs count
  the test window only (the training months warm up the state).
* Headline target (chosen without the test window): for each criticality class, partsopt's
  fill-rate target is the fill rate the company's Min/Max achieved on the training window for
  that class (clipped to 0.50..0.995).  Also a curve over uniform targets.
* Reported per criticality: achieved fill rate (units filled at once / units demanded, totals over
  the class), hit rate (months with demand filled in full / months with demand), average stock
  value (mean over the test months of max(on-hand before demand, 0) x price, summed over the
  class) and orders per year.
"""
from __future__ import annotations

import argparse
import sys
import datetime as _dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.real.common import (ROOT, choose_methods, default_data_dir, load_refinery, machine, md_table, moments,
                                    pipeline_policy)
from benchmarks.real.replay import ss_replay

N_TRAIN = 35
TARGETS = (0.80, 0.85, 0.90, 0.93, 0.95, 0.97, 0.98, 0.99)
CLASSES = ("high", "medium", "low", "none")


def kpis(out: dict, price: np.ndarray, crit: np.ndarray, periods_per_year: float = 12.0,
         n_periods: int = 1, history=None) -> pd.DataFrame:
    """Fill rate, hit rate, stock value and orders/year per criticality class and in total.

    ``history``: optional mask of the materials with demand in the training window; adds the row
    ``all with history`` (the materials partsopt can plan from history).
    """
    rows = []
    groups = CLASSES + ("all",) + (("all with history",) if history is not None else ())
    for c in groups:
        m = (np.ones(crit.size, bool) if c == "all" else history if c == "all with history" else crit == c)
        dem = out["demand"][m].sum()
        rows.append({
            "criticality": c, "materials": int(m.sum()),
            "fill_rate": out["supplied"][m].sum() / dem if dem > 0 else np.nan,
            "hit_rate": out["lines_hit"][m].sum() / max(out["lines"][m].sum(), 1),
            "stock_value": float((out["mean_on_hand"][m] * price[m]).sum()),
            "stock_units": float(out["mean_on_hand"][m].sum()),
            "orders_per_year": float(out["orders"][m].sum() * periods_per_year / n_periods),
        })
    return pd.DataFrame(rows)


def run(data_dir: Path, order_cost: float = 0.0) -> dict:
    d = load_refinery(data_dir)
    y, L, price, crit = d["y"], d["lead_months"], d["price"], d["criticality"]
    T = y.shape[1]
    n_test = T - N_TRAIN
    train = np.maximum(y[:, :N_TRAIN], 0.0)
    t0 = time.perf_counter()
    methods = choose_methods(train, "auto")
    mean, var = moments(train, methods)
    t_fc = time.perf_counter() - t0
    cost = np.where(price > 0, price, 0.01)
    comp_s, comp_S = d["s"], d["S"]
    company = ss_replay(y, comp_s, comp_S, L, start=0, measure_from=N_TRAIN)
    company_train = ss_replay(y[:, :N_TRAIN], comp_s, comp_S, L, start=0, measure_from=12)
    k_train = kpis(company_train, price, crit, n_periods=N_TRAIN - 12).set_index("criticality")
    hist = mean > 0
    k_company = kpis(company, price, crit, n_periods=n_test, history=hist)
    # headline: per-class target = company's training-window fill rate
    tgt_by_class = {c: float(np.clip(np.nan_to_num(k_train.loc[c, "fill_rate"], nan=0.95), 0.50, 0.995))
                    for c in CLASSES}
    tgt = np.array([tgt_by_class[c] for c in crit])
    t0 = time.perf_counter()
    pol = pipeline_policy(mean, var, lead_time=L, unit_cost=cost, target_level=tgt, periods_per_year=12.0,
                          order_cost=order_cost)
    t_pol = time.perf_counter() - t0
    ours = ss_replay(y, pol["reorder_point"].to_numpy(), pol["order_up_to"].to_numpy(), L, start=0,
                     measure_from=N_TRAIN)
    k_ours = kpis(ours, price, crit, n_periods=n_test, history=hist)
    curve = []
    for target in TARGETS:
        p = pipeline_policy(mean, var, lead_time=L, unit_cost=cost, target_level=target, periods_per_year=12.0,
                            order_cost=order_cost)
        o = ss_replay(y, p["reorder_point"].to_numpy(), p["order_up_to"].to_numpy(), L, start=0,
                      measure_from=N_TRAIN)
        k = kpis(o, price, crit, n_periods=n_test, history=hist)
        k.insert(0, "target", target)
        curve.append(k)
    return {"company": k_company, "company_train": k_train.reset_index(), "ours": k_ours,
            "targets": tgt_by_class, "curve": pd.concat(curve, ignore_index=True),
            "methods": pd.Series(methods).value_counts(normalize=True), "n": y.shape[0],
            "times": {"forecast": t_fc, "policy": t_pol}, "n_test": n_test, "n_hist": int(hist.sum()),
            "units_test": float(np.maximum(y[:, N_TRAIN:], 0).sum()),
            "units_nohist": float(np.maximum(y[~hist, N_TRAIN:], 0).sum()),
            "lead": pd.Series(L).describe()}


def _fmt_table(df: pd.DataFrame) -> list[str]:
    return md_table(df)


def report(res: dict, data_dir: Path, argv: str, order_cost: float) -> str:
    comp = res["company"].set_index("criticality")
    ours = res["ours"].set_index("criticality")
    head = pd.DataFrame({
        "criticality": comp.index, "materials": comp["materials"].to_numpy(),
        "target (company's 1997-99 fill rate)": [res["targets"].get(c, np.nan) for c in comp.index],
        "company fill rate": comp["fill_rate"].to_numpy(), "partsopt fill rate": ours["fill_rate"].to_numpy(),
        "company stock value": comp["stock_value"].to_numpy(), "partsopt stock value": ours["stock_value"].to_numpy(),
        "company hit rate": comp["hit_rate"].to_numpy(), "partsopt hit rate": ours["hit_rate"].to_numpy(),
        "company orders/yr": comp["orders_per_year"].to_numpy(), "partsopt orders/yr": ours["orders_per_year"].to_numpy(),
    })
    head["target (company's 1997-99 fill rate)"] = head["target (company's 1997-99 fill rate)"].astype(float)
    a = head.set_index("criticality").loc["all"]
    met = a["partsopt fill rate"] >= a["company fill rate"] - 1e-12 and a["partsopt stock value"] < a["company stock value"]
    by_class = []
    for c in CLASSES:
        r = head.set_index("criticality").loc[c]
        ok = (r["partsopt fill rate"] >= r["company fill rate"] - 1e-12) and (r["partsopt stock value"] < r["company stock value"])
        by_class.append(f"{c}: {'met' if ok else 'NOT met'}")
    curve = res["curve"]
    call = curve[curve["criticality"].isin(["all", "all with history"])][
        ["criticality", "target", "fill_rate", "hit_rate", "stock_value", "orders_per_year"]]
    lines = [
        "# Refinery spares: company Min/Max vs partsopt (s, S), same demand, same lead times",
        "",
        f"- Date: {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        f"- Data: `{data_dir}/refinery_spares_1b_wide.csv` (read in place), {res['n']} materials",
        f"- Command: `python -m benchmarks.real.refinery {argv}`",
        "- Protocol: module docstring of `benchmarks/real/refinery.py` (train 1997-01..1999-12 without Nov 1997, "
        f"test 2000-01..2001-08 = {res['n_test']} months; both policies replayed from 1997-01 with on-hand = S; "
        "returns go back to stock; KPIs over the test window).",
        f"- Lead time [months]: median {res['lead']['50%']:.0f}, max {res['lead']['max']:.0f}. "
        f"Order cost in partsopt's optimisation: {order_cost:g} per order (0 = base stock, S = s + 1).",
        "- Methods chosen by the backtest selection: " + ", ".join(f"{k} {v:.0%}" for k, v in res["methods"].items()),
        f"- Times: forecasts {res['times']['forecast']:.1f} s, policies (one target set) {res['times']['policy']:.1f} s.",
        "",
        "## Headline: partsopt at the company's own past fill rate, by criticality",
        "",
        f"Goal (recorded): the same or higher fill rate than the company's Min/Max with less stock value. "
        f"Overall: **{'met' if met else 'NOT met'}** ({'; '.join(by_class)}).",
        "",
        *_fmt_table(head),
        "",
        "Stock value: mean over the 20 test months of on-hand (before demand, >= 0) x price, summed. "
        "Fill rate: units filled at once / units demanded over the class. `all with history`: the "
        f"{int(res['n_hist'])} materials with demand in 1997-99; the other {res['n'] - int(res['n_hist'])} had none, "
        "so the pipeline (which plans from history) stocks nothing for them, while the company holds Min >= 1 "
        f"of each; they carry {res['units_nohist']:.0f} of the {res['units_test']:.0f} units demanded in the test window.",
        "",
        "## partsopt's trade-off curve (uniform targets, all materials)",
        "",
        f"Company Min/Max on the same window: fill rate {a['company fill rate']:.4f}, stock value "
        f"{a['company stock value']:,.0f}, hit rate {a['company hit rate']:.4f}; on the materials with "
        f"demand in 1997-99: fill rate {head.set_index('criticality').loc['all with history', 'company fill rate']:.4f}, "
        f"stock value {head.set_index('criticality').loc['all with history', 'company stock value']:,.0f}.",
        "",
        *_fmt_table(call),
        "",
        "## Company Min/Max on the training window (1998-01..1999-12, after a 12-month warm-up)",
        "",
        *_fmt_table(res["company_train"][["criticality", "materials", "fill_rate", "hit_rate", "stock_value"]]),
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--order-cost", type=float, default=0.0)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "real_refinery.md"))
    args = ap.parse_args(argv)
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    res = run(data_dir, args.order_cost)
    text = report(res, data_dir, " ".join(sys.argv[1:] if argv is None else argv), args.order_cost)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    res["curve"].to_csv(out.with_suffix(".curve.csv"), index=False)
    res["company"].to_csv(out.with_suffix(".company.csv"), index=False)
    res["ours"].to_csv(out.with_suffix(".partsopt.csv"), index=False)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
