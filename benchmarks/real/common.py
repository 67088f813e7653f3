"""Shared pieces of the real-data benchmarks: data loading and partsopt's planning steps on a panel.

The real sets are period panels (months or weeks, no dated order lines), so the benchmarks run the
pipeline's steps (:mod:`partsopt.forecast_step` step 3-4 and :mod:`partsopt.policy_step`) on the
panel directly, with the same functions and settings:

1. method per series: the pipeline's own backtest selection,
   :func:`partsopt.forecast_step.backtest_methods` (``BACKTEST_METHODS``, ``BACKTEST_ORIGINS`` = 8
   cut-offs, one-step RMSE; until 2026-11-22 evening the benchmarks called it with 3 cut-offs,
   unlike the pipeline), or one fixed method;
2. mean = the method's one-step forecast (>= 0) [units/period]; variance = max(1, MSE / mean of
   history) x mean, MSE = :func:`forecasting.leadtime.one_step_error_variance` after the first
   demand (the pipeline's compound-Poisson reading, never below Poisson);
3. policy: :func:`policies.single.optimize_single` with the negative binomial family (as
   ``partsopt.policy_step``), the target as ``fill_rate``, lead time L and review period 1
   [periods], ``line_size_pmf="family"``, ``tail=1e-6``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(ROOT / "benchmarks") not in sys.path:
    sys.path.insert(0, str(ROOT / "benchmarks"))

import forecasting  # noqa: E402
from machine import machine_summary  # noqa: E402
from forecasting.leadtime import one_step_error_variance  # noqa: E402
from partsopt.forecast_step import BACKTEST_METHODS, BACKTEST_MIN_PERIODS, backtest_methods  # noqa: E402
from policies.single import optimize_single  # noqa: E402

__all__ = ["default_data_dir", "machine", "moments", "pipeline_policy", "choose_methods", "load_refinery",
           "BACKTEST_METHODS", "md_table", "write_result"]


def default_data_dir() -> Path:
    """``../shared/data/real`` relative to the repository root (or its parent's)."""
    for cand in (ROOT.parent / "shared" / "data" / "real", ROOT.parent.parent / "shared" / "data" / "real"):
        if cand.is_dir():
            return cand
    return ROOT.parent / "shared" / "data" / "real"


def write_result(out, text: str) -> Path:
    """Write a result file whole or not at all: its folder is created, the text goes to a temporary
    name beside it and is renamed over ``out`` (a run stopped half-way leaves the old file)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out


def machine() -> str:
    """Cores, CPU model and library versions (:func:`machine.machine_summary`)."""
    return machine_summary()


def choose_methods(y_train: np.ndarray, method: str = "auto") -> np.ndarray:
    """Method name per series: the backtest selection of the pipeline, or ``method`` for all."""
    if method == "auto":
        if y_train.shape[1] < BACKTEST_MIN_PERIODS:
            raise ValueError(f"the pipeline's backtest selection needs >= {BACKTEST_MIN_PERIODS} periods, "
                             f"received {y_train.shape[1]}")
        return backtest_methods(y_train)
    return np.full(y_train.shape[0], method, dtype=object)


def moments(y_train: np.ndarray, methods: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, var) per series [units/period] as in ``partsopt.forecast_step`` step 4."""
    y = np.maximum(np.asarray(y_train, dtype=float), 0.0)
    mean = np.zeros(y.shape[0])
    var = np.zeros(y.shape[0])
    for m in pd.unique(methods):
        rows = np.flatnonzero(methods == m)
        sub = y[rows]
        res = forecasting.fit(sub, m)
        mean[rows] = np.maximum(res.level, 0.0)
        mse = one_step_error_variance(sub, res.fitted, after_first_demand=True)
        hist = sub.mean(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            vmr = np.where(hist > 0, mse / hist, 1.0)
        var[rows] = np.maximum(np.nan_to_num(vmr, nan=1.0), 1.0) * mean[rows]
    return mean, var


def pipeline_policy(mean, var, *, lead_time, unit_cost, target_level, periods_per_year, order_cost=0.0,
                    holding_rate=0.25, moq=1, chunk_size=200) -> pd.DataFrame:
    """(s, S) per series from :func:`policies.single.optimize_single` (module docstring, step 3).

    Series with a zero mean get s = -1, S = 0 (no stock), as the pipeline plans nothing there.
    """
    mean = np.asarray(mean, dtype=float)
    n = mean.size
    out = pd.DataFrame({"reorder_point": np.full(n, -1.0), "order_up_to": np.zeros(n),
                        "expected_fill_rate": np.full(n, np.nan), "expected_on_hand": np.zeros(n)})
    act = mean > 0
    if act.any():
        b = lambda a: np.broadcast_to(np.asarray(a, dtype=float), (n,))[act]  # noqa: E731
        res = optimize_single("nbinom", mean[act], np.maximum(np.asarray(var, float)[act], mean[act]),
                              lead_time=b(lead_time), review_period=1.0, unit_cost=b(unit_cost),
                              holding_rate=b(holding_rate), order_cost=b(order_cost), target_type="fill_rate",
                              target_level=b(target_level), moq=np.broadcast_to(np.asarray(moq), (n,))[act],
                              periods_per_year=periods_per_year, line_size_pmf="family", tail=1e-6,
                              chunk_size=chunk_size, reasons=False)
        for c in out.columns:
            out.loc[act, c] = res[c].to_numpy(float)
    return out


def load_refinery(data_dir: Path) -> dict:
    """The refinery set (README: ``refinery_spares_1b_wide.csv``) prepared for the replay.

    * Nov 1997 is left out (the source says its values are unreliable): 55 monthly columns remain,
      treated as consecutive months.
    * Blank cells are 0 (the source: a blank year means no consumption).
    * Negative cells are returns: the forecast sees withdrawals only (max(y, 0)); the replay adds a
      return back to stock (same for both policies).
    * Lead time in months = round(delivery_time_days / 30.4375), at least 0.
    * Criticality: ``high`` if any installation in high-criticality equipment, else ``medium``,
      else ``low``, else ``none`` (no criticality given).
    * Installations: high + medium + low counts (0 when none is given; ``n_installed_total`` is
      not used, it has implausible values up to 10 million).
    """
    df = pd.read_csv(data_dir / "refinery_spares_1b_wide.csv")
    months = [c for c in df.columns if len(c) == 7 and c[4] == "-" and c[:4].isdigit()]
    keep = [c for c in months if c != "1997-11"]
    y = df[keep].fillna(0.0).to_numpy(float)
    crit = np.where(df["n_installed_high_crit"].fillna(0) > 0, "high",
                    np.where(df["n_installed_med_crit"].fillna(0) > 0, "medium",
                             np.where(df["n_installed_low_crit"].fillna(0) > 0, "low", "none")))
    return {
        "y": y, "months": keep, "material": df["material"].to_numpy(),
        "lead_months": np.maximum(np.floor(df["delivery_time_days"].to_numpy(float) / 30.4375 + 0.5), 0).astype(int),
        "price": df["price"].to_numpy(float), "s": df["min_reorder_point"].to_numpy(float),
        "S": df["max_stock_level"].to_numpy(float), "criticality": crit,
        "installations": df[["n_installed_high_crit", "n_installed_med_crit", "n_installed_low_crit"]]
        .fillna(0).sum(axis=1).to_numpy(float),
    }


def md_table(df: pd.DataFrame) -> list[str]:
    """A markdown table (one string per line): floats with 4 decimals below 10, thousands otherwise."""
    cols = list(df.columns)
    out = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if isinstance(v, (float, np.floating)):
                cells.append("" if np.isnan(v) else (f"{v:.4f}" if abs(v) < 10 else f"{v:,.0f}"))
            else:
                cells.append(str(v))
        out.append("| " + " | ".join(cells) + " |")
    return out
