"""Forecast accuracy on the real spare-parts data, rolling origin over the last 12 periods.

Run from the repository root::

    python benchmarks/forecasting_accuracy.py [--data-dir DIR] [--datasets raf,auto,...]
        [--methods croston,sba,...] [--no-selection] [--out benchmarks/results/forecasting_accuracy.md]

Protocol (fixed, so results are comparable between runs):

* Data: the real sets described in ``../shared/data/real/README.md`` (read
  in place, never copied): RAF (5000 items x 84 months), auto (3000 SKUs x 24
  months), carparts (2674 parts x 51 months; the 165 parts with missing
  months are dropped -> 2509), manufacturing (3451 SKUs x 150 weeks,
  fractional values kept), M5 slice (28 items x 10 stores = 280 series x
  1913 days, daily as stored).
* Rolling origin, h = 1: for each of the last 12 periods T-12..T-1 the
  method is re-fitted on all data before that period and forecasts one step
  ahead.  The 12 one-step forecasts per series are scored against the 12
  actuals.
* Scores per series (forecasting.metrics): MASE and RMSSE scaled by the
  in-sample one-step naive MAE / MSE of the data before the first origin
  (series whose scale is 0 are left out and counted); bias = mean(forecast -
  actual) [units/period], positive = over-forecast; the achieved fill rate of
  the zero-lead-time order-up-to replay at target 0.90 (forecasting.metrics.fill_rate,
  the protocol of ORACLES.md section D, item average over series with demand
  in the window).  Per dataset: mean (and median) over series.
* Automatic selection: at every origin, ``forecasting.select_by_backtest``
  chooses one method per series using only the data before that origin
  (its own inner rolling-origin backtest), then that method forecasts the
  origin's period; scored like a method.

Goal (recorded, not asserted): the automatic selection at least as accurate
(MASE) as the best single method on every dataset.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import forecasting  # noqa: E402
from forecasting import metrics  # noqa: E402

N_TEST = 12
TARGET_FILL = 0.90
DEFAULT_METHODS = ["croston", "sba", "tsb", "adida", "imapa", "ses", "holt", "holt_winters"]
SEASON = {"raf": 12, "auto": 12, "carparts": 12, "manufacturing": 52, "m5": 7}


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------
def default_data_dir() -> Path:
    for cand in (ROOT.parent / "shared" / "data" / "real", ROOT.parent.parent / "shared" / "data" / "real"):
        if cand.is_dir():
            return cand
    return ROOT.parent / "shared" / "data" / "real"


def _date_cols(df: pd.DataFrame, pattern: str) -> list[str]:
    return [c for c in df.columns if pd.Series([c]).str.fullmatch(pattern).iloc[0]]


def load_dataset(name: str, data_dir: Path) -> tuple[np.ndarray, str]:
    """(panel series x periods, description) for one real dataset."""
    if name == "raf":
        df = pd.read_csv(data_dir / "raf_5000_wide.csv")
        cols = _date_cols(df, r"\d{4}-\d{2}")
        return df[cols].to_numpy(float), "RAF, 5000 items x 84 months"
    if name == "auto":
        df = pd.read_csv(data_dir / "auto_3000_wide.csv")
        cols = [f"p{i:02d}" for i in range(1, 25)]
        return df[cols].to_numpy(float), "auto (Syntetos & Boylan), 3000 SKUs x 24 months"
    if name == "carparts":
        df = pd.read_csv(data_dir / "carparts_wide.csv", index_col=0)
        y = df.to_numpy(float).T
        keep = np.all(np.isfinite(y), axis=1)
        return y[keep], f"carparts, {keep.sum()} of {y.shape[0]} parts (no missing month) x {y.shape[1]} months"
    if name == "manufacturing":
        df = pd.read_csv(data_dir / "manufacturing_weekly_wide.csv")
        cols = _date_cols(df, r"\d{4}-W\d{2}")
        return df[cols].to_numpy(float), f"manufacturing, {len(df)} SKUs x {len(cols)} weeks"
    if name == "m5":
        df = pd.read_parquet(data_dir / "m5_tiny_28items_10stores.parquet",
                             columns=["item_id", "store_id", "date", "value"])
        wide = df.pivot_table(index=["item_id", "store_id"], columns="date", values="value",
                              aggfunc="sum", observed=True).sort_index(axis=1)
        y = wide.to_numpy(float)
        y = np.where(np.isfinite(y), y, 0.0)
        return y, f"M5 slice, {y.shape[0]} item-stores x {y.shape[1]} days"
    raise ValueError(f"unknown dataset {name!r}")


# ---------------------------------------------------------------------------
# forecasts
# ---------------------------------------------------------------------------
def method_params(method: str, dataset: str) -> dict:
    if method == "holt_winters":
        return {"season_length": SEASON[dataset]}
    return {}


def method_ok(method: str, dataset: str, n_train_min: int) -> bool:
    if method == "holt_winters":
        return n_train_min >= 2 * SEASON[dataset] + 1
    return True


def rolling_one_step(y: np.ndarray, predict) -> np.ndarray:
    """One-step forecasts for each of the last N_TEST periods: (series, N_TEST)."""
    n = y.shape[1]
    out = np.empty((y.shape[0], N_TEST))
    for j, origin in enumerate(range(n - N_TEST, n)):
        out[:, j] = predict(y[:, :origin])
    return out


def score(y: np.ndarray, preds: np.ndarray) -> dict:
    n = y.shape[1]
    train, test = y[:, : n - N_TEST], y[:, n - N_TEST:]
    preds = np.maximum(preds, 0.0)
    mase = metrics.mase(test, preds, y_train=train)
    rmsse = metrics.rmsse(test, preds, y_train=train)
    bias = metrics.bias(test, preds)
    fr = metrics.fill_rate(test, preds, y_train=train, target=TARGET_FILL)
    ok = np.isfinite(mase)
    return {
        "n_scored": int(ok.sum()),
        "n_zero_scale": int((~ok).sum()),
        "mase_mean": float(np.nanmean(mase)),
        "mase_median": float(np.nanmedian(mase)),
        "rmsse_mean": float(np.nanmean(rmsse)),
        "bias_mean": float(np.mean(bias)),
        "fill_rate_mean": float(np.nanmean(fr)),
        "_mase": mase,
    }


def selection_predictor(dataset: str, methods: list[str]):
    """One-step forecasts of the per-series method chosen by forecasting.select_by_backtest."""
    select = getattr(forecasting, "select_by_backtest", None)
    if select is None:
        return None

    def predict(train: np.ndarray) -> np.ndarray:
        res = select(train, methods=methods, **_selection_kwargs(dataset, methods))
        chosen = np.asarray(_chosen(res))
        out = np.zeros(train.shape[0])
        for m in np.unique(chosen):  # loop over the few methods, not over series
            rows = chosen == m
            out[rows] = forecasting.forecast(train[rows], 1, str(m), **method_params(str(m), dataset))[:, 0]
        return out

    return predict


def _selection_kwargs(dataset: str, methods: list[str]) -> dict:
    params = {m: method_params(m, dataset) for m in methods if method_params(m, dataset)}
    return {"params": params} if params else {}


def _chosen(res):
    if isinstance(res, pd.DataFrame):
        return res["method"].to_numpy()
    if isinstance(res, dict):
        return res["method"]
    return getattr(res, "method")


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------
def machine() -> str:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}; Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}"


def run(args) -> str:
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    if not data_dir.is_dir():
        raise SystemExit(f"data directory not found: {data_dir} (pass --data-dir)")
    methods = args.methods.split(",") if args.methods else DEFAULT_METHODS
    lines = []
    summary = []
    for ds in args.datasets.split(","):
        y, desc = load_dataset(ds, data_dir)
        n_train_min = y.shape[1] - N_TEST
        rows = []
        used = [m for m in methods if method_ok(m, ds, n_train_min)]
        for m in used:
            t0 = time.perf_counter()
            preds = rolling_one_step(y, lambda tr, m=m: forecasting.forecast(tr, 1, m, **method_params(m, ds))[:, 0])
            dt = time.perf_counter() - t0
            rows.append((m, score(y, preds), dt))
        sel_note = ""
        if not args.no_selection:
            pred = selection_predictor(ds, used)
            if pred is None:
                sel_note = "automatic selection not run: forecasting.select_by_backtest is not available in this build"
            else:
                t0 = time.perf_counter()
                preds = rolling_one_step(y, pred)
                rows.append(("selection (backtest)", score(y, preds), time.perf_counter() - t0))
        lines.append(f"### {ds}: {desc}\n")
        lines.append("| method | series scored | zero-scale series | MASE mean | MASE median | RMSSE mean | bias mean [units/period] | fill rate @0.90 (item avg) | time [s] |")
        lines.append("|---|---|---|---|---|---|---|---|---|")
        for m, s, dt in rows:
            lines.append(f"| {m} | {s['n_scored']} | {s['n_zero_scale']} | {s['mase_mean']:.4f} | {s['mase_median']:.4f} | "
                         f"{s['rmsse_mean']:.4f} | {s['bias_mean']:+.4f} | {s['fill_rate_mean']:.4f} | {dt:.1f} |")
        if sel_note:
            lines.append(f"\n{sel_note}.")
        single = [(m, s) for m, s, _ in rows if not m.startswith("selection")]
        best_m, best_s = min(single, key=lambda r: r[1]["mase_mean"])
        sel = [s for m, s, _ in rows if m.startswith("selection")]
        if sel:
            verdict = "met" if sel[0]["mase_mean"] <= best_s["mase_mean"] else "NOT met"
            summary.append(f"| {ds} | {best_m} | {best_s['mase_mean']:.4f} | {sel[0]['mase_mean']:.4f} | {verdict} |")
        else:
            summary.append(f"| {ds} | {best_m} | {best_s['mase_mean']:.4f} | not run | - |")
        lines.append("")
    head = [
        "# Forecast accuracy on the real data (rolling origin, last 12 periods, h = 1)",
        "",
        f"- Date: {_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {machine()}",
        f"- Data: `{data_dir}` (read in place)",
        f"- Command: `python benchmarks/forecasting_accuracy.py {' '.join(sys.argv[1:])}`".rstrip(),
        "- Protocol: see the module docstring of `benchmarks/forecasting_accuracy.py`: one-step re-fit at each "
        "of the last 12 origins; MASE/RMSSE scaled by the in-sample naive error of the data before the first "
        "origin (zero-scale series left out, counted); bias = mean(forecast - actual); fill rate = "
        "`forecasting.metrics.fill_rate` at target 0.90. Method defaults: alpha = 0.1 (Croston, SBA, SES), "
        "alpha_d = alpha_p = 0.1 (TSB), optimised Holt / Holt-Winters (season 12 months, 52 weeks, 7 days; "
        "only where the first training window holds more than two seasons). Deterministic: no random draws.",
        "",
        "## Goal: automatic selection at least as accurate (MASE mean) as the best single method",
        "",
        "| dataset | best single method | its MASE | selection MASE | goal |",
        "|---|---|---|---|---|",
        *summary,
        "",
        "## Per dataset",
        "",
    ]
    return "\n".join(head + lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=None, help="folder with the real data files (default ../shared/data/real)")
    ap.add_argument("--datasets", default="raf,auto,carparts,manufacturing,m5")
    ap.add_argument("--methods", default=None, help=f"comma list (default {','.join(DEFAULT_METHODS)})")
    ap.add_argument("--no-selection", action="store_true", help="skip the automatic selection")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "forecasting_accuracy.md"))
    args = ap.parse_args(argv)
    text = run(args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
