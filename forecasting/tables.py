"""Table-level functions: long demand rows -> period panel -> classes, methods, forecasts.

These sit on top of the array entry point :func:`forecasting.forecast`.  A long
table has one row per demand event or per (series, period) with a quantity; rows
are summed per series and period, and **periods without rows are zero demand**
(that is how the array functions' "no NaN" rule is met).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._checks import check_horizon
from .classification import classify
from .methods import _spec, forecast
from .selection import select_by_class

__all__ = ["panel_from_long", "forecast_table"]


def panel_from_long(df: pd.DataFrame, id_cols=("part", "location"), date_col: str = "date",
                    qty_col: str = "qty", freq: str = "W-SUN", start=None, end=None):
    """Build the (series x periods) panel from a long table.

    Parameters
    ----------
    df : rows with the id columns, a date column and a quantity column.
    id_cols : column name or names identifying a series.
    freq : pandas period frequency of the panel ("W-SUN" weeks ending Sunday,
        "M" months, "D" days, ...).
    start, end : first and last period (dates); default the data's range.

    Returns ``(panel, index, periods)``: a float64 (N, T) array oldest first, the
    series labels (Index or MultiIndex, sorted) and the PeriodIndex of the columns.
    """
    ids = [id_cols] if isinstance(id_cols, str) else list(id_cols)
    missing = [c for c in ids + [date_col, qty_col] if c not in df.columns]
    if missing:
        raise ValueError(f"df is missing column(s) {missing}; received columns "
                         f"{list(df.columns)}")
    if df.empty:
        raise ValueError("df has no rows; a panel needs at least one demand row")
    qty = pd.to_numeric(df[qty_col], errors="coerce")
    if qty.isna().any():
        first = int(np.argmax(qty.isna().to_numpy()))
        raise ValueError(f"column {qty_col!r} must be numeric without missing values; "
                         f"row {first} holds {df[qty_col].iloc[first]!r}")
    try:
        per = pd.to_datetime(df[date_col]).dt.to_period(freq)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"column {date_col!r} must hold dates and freq a pandas period "
                         f"frequency; received freq={freq!r}: {exc}") from None
    lo = per.min() if start is None else pd.Period(start, freq=freq)
    hi = per.max() if end is None else pd.Period(end, freq=freq)
    if hi < lo:
        raise ValueError(f"end ({hi}) is before start ({lo})")
    periods = pd.period_range(lo, hi, freq=freq)
    keep = (per >= lo) & (per <= hi)
    work = df.loc[keep, ids].copy()
    work["_p"] = per[keep].array.asi8 - lo.ordinal
    work["_q"] = qty[keep].to_numpy(dtype=np.float64)
    grouped = work.groupby(ids + ["_p"], sort=True, observed=True)["_q"].sum()
    keys = grouped.index.droplevel("_p").unique()
    index = keys if len(ids) > 1 else pd.Index(keys, name=ids[0])
    if len(ids) == 1 and isinstance(keys, pd.MultiIndex):
        index = keys.get_level_values(0)
    row = index.get_indexer(grouped.index.droplevel("_p"))
    col = grouped.index.get_level_values("_p").to_numpy()
    panel = np.zeros((len(index), len(periods)))
    panel[row, col] = grouped.to_numpy()
    return panel, index, periods


def forecast_table(df: pd.DataFrame, h: int, method: str = "auto", id_cols=("part", "location"),
                   date_col: str = "date", qty_col: str = "qty", freq: str = "W-SUN",
                   start=None, end=None, rules: dict | None = None,
                   classify_options: dict | None = None, n_jobs: int = 1) -> pd.DataFrame:
    """Classify and forecast every series of a long table.

    ``method="auto"`` picks the method per series from its demand class
    (:func:`forecasting.select_by_class`, ``rules`` overrides the table); any
    registered name applies that method (with its defaults) to every series.

    Returns one row per series: the id columns, ``demand_class``, ``adi``,
    ``cv2``, ``n_nonzero``, ``method``, ``mean_per_period`` (the one-step
    forecast) and ``step_1 .. step_h``; ``attrs`` holds ``first_period``,
    ``last_period`` and ``freq`` of the panel the forecasts were made on.
    """
    h = check_horizon(h)
    if method != "auto":
        _spec(method)
    panel, index, periods = panel_from_long(df, id_cols, date_col, qty_col, freq, start, end)
    neg = panel < 0
    if neg.any():
        # name the series and the period as the table has them, not by array position
        row, col = np.argwhere(neg)[0]
        raise ValueError(f"column {qty_col!r} sums to a negative demand ({panel[row, col]}) for "
                         f"series {index[row]!r} in period {periods[col]}; demand must be >= 0 "
                         f"(net returns out first)")
    cls = classify(panel, **(classify_options or {}))
    if method == "auto":
        chosen = select_by_class(cls["demand_class"], rules)
    else:
        chosen = np.full(panel.shape[0], method, dtype=object)
    out = np.zeros((panel.shape[0], h))
    for m in pd.unique(chosen):
        rows = np.nonzero(chosen == m)[0]
        out[rows] = forecast(panel[rows], h, m, n_jobs=n_jobs)
    res = pd.DataFrame(index=index).reset_index()
    res["demand_class"] = cls["demand_class"].to_numpy()
    for c in ("adi", "cv2", "n_nonzero"):
        res[c] = cls[c].to_numpy()
    res["method"] = chosen
    res["mean_per_period"] = out[:, 0]
    for j in range(h):
        res[f"step_{j + 1}"] = out[:, j]
    res.attrs.update(first_period=str(periods[0]), last_period=str(periods[-1]),
                     freq=str(freq))
    return res
