"""The KPI registry: one definition per KPI (DESIGN.md §6), usable at any grouping.

Every KPI is a ratio or a sum of *components*, additive sums over the three
frames a replay produces:

``lines``   one row per demand line (qty, filled_qty_at_once, hit, on_time,
            delivered_date, unit_cost, unit_price, ...)
``orders``  one row per replenishment order line (order_type normal/emergency,
            line_cost)
``stock``   one row per part-location and month (value_days = Σ_days on_hand ×
            unit_cost [currency·day], holding_cost, end_value,
            end_obsolete_value, days)

:func:`components` sums them per group (location, part, criticality,
demand_class, month, or any mix; none = the network); each registered KPI is a
function of that components table, so the network figure and the figure of
every group come from the same definition.  Definitions (the ``formula`` of
each entry):

=====================  ===========================================================
hit_rate               lines filled in full, at once, from the requesting
                       location's stock ÷ all lines (an emergency-filled line is a
                       miss even when on time)
fill_rate              units filled from local stock at once ÷ units demanded
otd_rate               lines delivered by their promised date (any source) ÷ lines
normal_order_rate      normal replenishment order lines ÷ all order lines
turnover               cost of parts issued per year ÷ average inventory value at
                       cost = Σ qty·unit_cost (delivered lines) × 365 ÷ value_days
avg_inventory_value    value_days ÷ days [currency]
holding_cost           Σ_days on_hand × unit_cost × holding_rate / 365 [currency]
emergency_cost         Σ emergency order lines × the location's emergency_cost
gross_margin           (revenue − cost of parts issued) ÷ revenue, over delivered
                       lines whose part has a price
obsolete_share         value of stock with no demand in the last 365 days at its
                       location or any location it supplies ÷ stock value, at
                       the end of the period
=====================  ===========================================================

Sources: DESIGN.md §6 and the dealer KPI documents summarised in KPIS.md
(命中率 hit rate, 备件满意率 fill rate, 准时交付 OTD, 正常订单率 normal-order rate,
库存周转率 turnover, 备件毛利率 gross margin, 滞销备件库存 obsolete stock).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from partsopt.simulate.misses import misses_by_cause

GROUP_KEYS = ("location", "part", "criticality", "demand_class", "month")


@dataclass(frozen=True)
class KPI:
    """One KPI: ``func(components) -> Series`` (one value per group)."""

    func: Callable[[pd.DataFrame], pd.Series]
    description: str
    formula: str
    higher_is_better: bool | None
    target: float | None = None


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    num = num.astype(np.float64)
    den = den.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (num / den).where(den > 0)


KPIS: dict[str, KPI] = {
    "hit_rate": KPI(lambda c: _ratio(c["hit_lines"], c["lines"]),
                    "lines filled in full, at once, from stock at the requesting location",
                    "hit_lines / lines", True, 0.95),
    "fill_rate": KPI(lambda c: _ratio(c["units_at_once"], c["units"]),
                     "units filled from local stock at once per unit demanded",
                     "units_at_once / units", True, None),
    "otd_rate": KPI(lambda c: _ratio(c["on_time_lines"], c["lines"]),
                    "lines delivered by their promised date, from any source",
                    "on_time_lines / lines", True, 0.95),
    "normal_order_rate": KPI(lambda c: _ratio(c["normal_order_lines"], c["order_lines"]),
                             "replenishment order lines placed on the standard cycle",
                             "normal_order_lines / (normal_order_lines + emergency_order_lines)", True, 0.85),
    "turnover": KPI(lambda c: _ratio(c["cost_issued"] * 365.0, c["value_days"]),
                    "cost of parts issued per year over the average inventory value at cost",
                    "(cost_issued / days * 365) / (value_days / days)", None, None),
    "avg_inventory_value": KPI(lambda c: _ratio(c["value_days"], c["days"]),
                               "average stock value at cost [currency]", "value_days / days", False, None),
    "holding_cost": KPI(lambda c: c["holding_cost"].astype(np.float64),
                        "cost of holding the stock over the period [currency]",
                        "sum over days of on_hand * unit_cost * holding_rate / 365", False, None),
    "emergency_cost": KPI(lambda c: c["emergency_cost"].astype(np.float64),
                          "cost of the emergency order lines [currency]",
                          "emergency_order_lines * emergency_cost of the location", False, None),
    "gross_margin": KPI(lambda c: _ratio(c["revenue"] - c["cost_priced"], c["revenue"]),
                        "parts gross margin where prices are known",
                        "(revenue - cost_of_parts_issued) / revenue", True, 0.30),
    "obsolete_share": KPI(lambda c: _ratio(c["end_obsolete_value"], c["end_value"]),
                          "share of stock value with no demand in the last 12 months",
                          "end_obsolete_value / end_value", False, None),
}

COMPONENTS = ("lines", "hit_lines", "units", "units_at_once", "on_time_lines", "cost_issued", "revenue",
              "cost_priced", "order_lines", "normal_order_lines", "emergency_order_lines", "emergency_cost",
              "value_days", "holding_cost", "days", "end_value", "end_obsolete_value")


def _by(by) -> list[str]:
    if by is None:
        return []
    keys = [by] if isinstance(by, str) else list(by)
    bad = [k for k in keys if k not in GROUP_KEYS]
    if bad:
        raise ValueError(f"by must name columns among {GROUP_KEYS}; received {bad}.")
    return keys


def _group_sum(frame: pd.DataFrame, keys: list[str], cols: dict[str, np.ndarray]) -> pd.DataFrame:
    data = pd.DataFrame(cols, index=frame.index)
    if not keys:
        return data.sum().to_frame().T
    for k in keys:
        data[k] = frame[k].to_numpy() if not isinstance(frame[k].dtype, pd.CategoricalDtype) else frame[k]
    g = data.groupby(keys, sort=True, dropna=False, observed=True).sum()
    # plain (object) index levels, so frames grouped from categorical and text keys align
    if isinstance(g.index, pd.MultiIndex):
        g.index = pd.MultiIndex.from_arrays([g.index.get_level_values(i).astype(object)
                                             for i in range(g.index.nlevels)], names=g.index.names)
    else:
        g.index = pd.Index(g.index.astype(object), name=g.index.name)
    return g


def _last_month(month: pd.Series) -> np.ndarray:
    if isinstance(month.dtype, pd.CategoricalDtype):
        cats = month.cat.categories.astype(str)
        return (month.cat.codes.to_numpy() == int(np.argmax(cats == max(cats))))
    month = month.astype(str)
    return (month == month.max()).to_numpy()


def components(lines: pd.DataFrame, orders: pd.DataFrame, stock: pd.DataFrame, by=None) -> pd.DataFrame:
    """The additive components of every KPI per group (``by`` ⊂ GROUP_KEYS; None = network)."""
    keys = _by(by)
    qty = lines["qty"].to_numpy(np.float64)
    delivered = pd.notna(lines["delivered_date"]).to_numpy()
    cost = qty * lines["unit_cost"].to_numpy(np.float64) * delivered
    price = lines["unit_price"].to_numpy(np.float64)
    priced = delivered & np.isfinite(price)
    lc = _group_sum(lines, keys, {
        "lines": np.ones(len(lines)), "hit_lines": lines["hit"].to_numpy(np.float64),
        "units": qty, "units_at_once": lines["filled_qty_at_once"].to_numpy(np.float64),
        "on_time_lines": lines["on_time"].to_numpy(np.float64), "cost_issued": cost,
        "revenue": np.where(priced, qty * np.nan_to_num(price), 0.0), "cost_priced": np.where(priced, cost, 0.0)})
    em = (orders["order_type"] == "emergency").to_numpy()
    oc = _group_sum(orders, keys, {
        "order_lines": np.ones(len(orders)), "normal_order_lines": (~em).astype(np.float64),
        "emergency_order_lines": em.astype(np.float64),
        "emergency_cost": np.where(em, orders["line_cost"].to_numpy(np.float64), 0.0)})
    last = _last_month(stock["month"]) if len(stock) else np.zeros(0, bool)
    at_end = np.ones(len(stock), bool) if "month" in keys else np.asarray(last)
    sc = _group_sum(stock, keys, {
        "value_days": stock["value_days"].to_numpy(np.float64),
        "holding_cost": stock["holding_cost"].to_numpy(np.float64),
        "end_value": np.where(at_end, stock["end_value"].to_numpy(np.float64), 0.0),
        "end_obsolete_value": np.where(at_end, stock["end_obsolete_value"].to_numpy(np.float64), 0.0)})
    # calendar days of each group: the days of its months (not summed over rows)
    month_days = stock.groupby("month", observed=True)["days"].max() if len(stock) else pd.Series(dtype=float)
    month_days.index = month_days.index.astype(str)
    if "month" in keys:
        sc["days"] = month_days.reindex(sc.index.get_level_values("month")).to_numpy()
    else:
        sc["days"] = float(month_days.sum())
    out = pd.concat([lc, oc, sc], axis=1).fillna(0.0)
    if keys:
        out = out.sort_index()
    for c in COMPONENTS:
        if c not in out:
            out[c] = 0.0
    return out[list(COMPONENTS)]


def kpi_table(lines: pd.DataFrame, orders: pd.DataFrame, stock: pd.DataFrame, by=None) -> pd.DataFrame:
    """Every registered KPI per group, with the line and miss counts."""
    keys = _by(by)
    comp = components(lines, orders, stock, by=keys)
    out = pd.DataFrame({name: kpi.func(comp) for name, kpi in KPIS.items()}, index=comp.index)
    out["lines"] = comp["lines"].astype(np.int64)
    out["misses"] = (comp["lines"] - comp["hit_lines"]).astype(np.int64)
    out["order_lines"] = comp["order_lines"].astype(np.int64)
    return out.reset_index() if keys else out.reset_index(drop=True)


def network_kpis(lines: pd.DataFrame, orders: pd.DataFrame, stock: pd.DataFrame, misses: pd.DataFrame) -> dict:
    """The network-level ``kpis.json`` content (DESIGN.md §5): floats (None where undefined) and counts."""
    row = kpi_table(lines, orders, stock).iloc[0]
    out = {}
    for name in KPIS:
        v = row[name]
        out[name] = None if pd.isna(v) else float(v)
    out["lines"] = int(row["lines"])
    out["misses"] = int(row["misses"])
    out["misses_by_cause"] = misses_by_cause(misses)
    return out
