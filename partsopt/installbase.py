"""Demand from the installed base: a forecast for parts with little or no history.

A new part has no repair history, but the vehicles (machines) that use it are
known: ``install_base`` (units of each model at each location) and ``bom``
(quantity of the part per unit of model, failures per unit-year).  The expected
demand of part *p* at location *l* is

    rate[p, l] = Σ_m units[l, m] · qty_per_unit[m, p] · failure_rate[m, p] / 365   [units/day]

(the standard installed-base failure model, e.g. Dekker, Pinçe, Zuidwijk & Jalil
2013, "On the use of installed base information for spare parts logistics",
EJOR 226:536-549, §3).  BOM rows with no failure rate contribute nothing.

As the part's own history grows the two are blended with a credibility weight
``w = min(1, n_history / full_credibility)`` on the history, where
``n_history`` is the number of periods the part-location has been observed
(from its first demand) and ``full_credibility`` the number of periods after
which the history alone is trusted (default 26 weeks):

    mean = w · history_mean + (1 − w) · rate
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def install_base_rates(install_base: pd.DataFrame, bom: pd.DataFrame) -> pd.DataFrame:
    """Expected demand per day [units/day] per (part, location) from installed base × BOM."""
    if not len(install_base) or not len(bom):
        return pd.DataFrame({"part": pd.Series(dtype=object), "location": pd.Series(dtype=object),
                             "ib_rate_per_day": pd.Series(dtype=np.float64)})
    b = bom[bom["failure_rate"].notna()]
    m = install_base[["location", "model", "units"]].merge(b[["model", "part", "qty_per_unit", "failure_rate"]],
                                                           on="model", how="inner")
    m["ib_rate_per_day"] = m["units"] * m["qty_per_unit"] * m["failure_rate"] / 365.0
    return m.groupby(["part", "location"], as_index=False)["ib_rate_per_day"].sum()


def blend_with_history(history_mean, ib_rate, n_history_periods, full_credibility: float = 26.0) -> np.ndarray:
    """Credibility blend of the history mean and the installed-base rate (same units)."""
    if full_credibility <= 0:
        raise ValueError(f"full_credibility must be > 0 periods; received {full_credibility}")
    w = np.clip(np.asarray(n_history_periods, dtype=np.float64) / full_credibility, 0.0, 1.0)
    h = np.asarray(history_mean, dtype=np.float64)
    r = np.asarray(ib_rate, dtype=np.float64)
    return np.where(np.isnan(r), h, w * np.nan_to_num(h) + (1.0 - w) * r)
