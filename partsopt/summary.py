"""Summaries of a dataset for people: the network, the volume, the demand classes, the stock."""
from __future__ import annotations

import pandas as pd

import forecasting
from partsopt.panel import build_panel
from partsopt.validate import Dataset

KIND_ORDER = {"central": 0, "regional": 1, "dealer": 2}


def network_summary(data: Dataset) -> dict[str, pd.DataFrame]:
    """Three small tables: locations by level, totals, and parts by demand class.

    Demand classes are those of each part's network-level weekly demand
    (Syntetos-Boylan-Croston cut-offs, :func:`forecasting.classify`), over the
    whole history.
    """
    loc = data.locations
    by_kind = (loc.groupby("kind").size().rename("locations").reset_index()
               .sort_values("kind", key=lambda s: s.map(KIND_ORDER)).reset_index(drop=True))
    stock_value = 0.0
    if len(data.inventory):
        inv = data.inventory.merge(data.parts[["part", "unit_cost"]], on="part", how="left")
        stock_value = float((inv["on_hand"] * inv["unit_cost"]).sum())
    demand = data.demand
    totals = pd.DataFrame({
        "measure": ["parts", "part-locations with demand", "demand lines", "units demanded",
                    "first day", "last day", "stock value at cost"],
        "value": [f"{len(data.parts):,}", f"{len(demand[['part', 'location']].drop_duplicates()):,}",
                  f"{len(demand):,}", f"{int(demand['qty'].sum()):,}",
                  str(demand["date"].min().date()), str(demand["date"].max().date()), f"{stock_value:,.0f}"],
    })
    panel = build_panel(demand, by=("part",), freq="W")
    cls = forecasting.classify(panel.values, dead_periods=26)
    classes = (cls["demand_class"].value_counts().reindex(list(forecasting.CLASSES), fill_value=0)
               .rename_axis("demand_class").rename("parts").reset_index())
    classes["share"] = (classes["parts"] / max(int(classes["parts"].sum()), 1)).round(3)
    return {"locations": by_kind, "totals": totals, "classes": classes}
