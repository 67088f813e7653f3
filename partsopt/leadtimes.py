"""Replenishment lead times per part-location: planned (master data) and real (receipts).

The lead time of a part at a location is the time from placing a normal order
to receiving it [days]:

* at the **top** of the network (a location with no parent) it is the supplier
  lead time of the part master, ``lead_time_days`` ± ``lead_time_sd_days``;
* at any other location it is the location's ``transit_days`` from its parent
  (the wait at the parent when the parent is out of stock is added by the
  multi-echelon model, not here);
* an ``items.lead_time_days`` override replaces either.

Where the receipts history holds at least ``min_receipts`` received normal
orders of that part at that location (ordered and received before ``as_of``:
no look-ahead), their mean and sample standard deviation of
``received_date − order_date`` replace the master values: the plan uses the
lead times the network really achieves.  ``source`` says which was used.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

LEAD_TIME_COLUMNS = ["part", "location", "lt_mean_days", "lt_sd_days", "lt_master_days", "lt_source",
                     "n_receipts"]


def receipt_lead_times(receipts: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Observed lead time [days] of every received normal order (before ``as_of``)."""
    rec = receipts[(receipts["order_type"] == "normal") & receipts["received_date"].notna()]
    if as_of is not None:
        as_of = pd.Timestamp(as_of)
        rec = rec[rec["received_date"] < as_of]
    days = (rec["received_date"] - rec["order_date"]).dt.days.astype(np.float64)
    return pd.DataFrame({"part": rec["part"].to_numpy(), "location": rec["location"].to_numpy(),
                         "order_date": rec["order_date"].to_numpy(), "lead_time_days": days.to_numpy()})


def lead_time_table(keys: pd.DataFrame, parts: pd.DataFrame, locations: pd.DataFrame,
                    receipts: pd.DataFrame | None = None, items: pd.DataFrame | None = None, *,
                    as_of=None, min_receipts: int = 3, use_receipts: bool = True) -> pd.DataFrame:
    """Lead time mean and spread for each (part, location) row of ``keys``.

    Returns ``keys`` order with columns ``LEAD_TIME_COLUMNS``.  ``use_receipts=False``
    gives the master-data plan only (what the counterfactual "true data" replay
    compares against).
    """
    out = keys[["part", "location"]].reset_index(drop=True).copy()
    loc = locations.set_index("location")
    top = (loc["parent"] == "").reindex(out["location"]).to_numpy()
    transit = loc["transit_days"].reindex(out["location"]).to_numpy(dtype=np.float64)
    p = parts.set_index("part")
    master_mean = p["lead_time_days"].reindex(out["part"]).to_numpy(dtype=np.float64)
    master_sd = p["lead_time_sd_days"].reindex(out["part"]).to_numpy(dtype=np.float64)
    mean = np.where(top, master_mean, transit)
    sd = np.where(top, np.nan_to_num(master_sd), 0.0)
    source = np.where(top, "master", "transit").astype(object)

    if items is not None and len(items):
        ov = out.merge(items[["part", "location", "lead_time_days"]], on=["part", "location"], how="left")
        has = ov["lead_time_days"].notna().to_numpy()
        mean = np.where(has, ov["lead_time_days"].to_numpy(dtype=np.float64), mean)
        sd = np.where(has, 0.0, sd)
        source = np.where(has, "override", source)
    planned = mean.copy()

    n = np.zeros(len(out), np.int64)
    if use_receipts and receipts is not None and len(receipts):
        obs = receipt_lead_times(receipts, as_of)
        if len(obs):
            stats = obs.groupby(["part", "location"])["lead_time_days"].agg(["mean", "std", "count"]).reset_index()
            m = out.merge(stats, on=["part", "location"], how="left")
            count = m["count"].fillna(0).to_numpy(np.int64)
            use = count >= min_receipts
            mean = np.where(use, m["mean"].to_numpy(np.float64), mean)
            sd = np.where(use, np.nan_to_num(m["std"].to_numpy(np.float64)), sd)
            source = np.where(use, "receipts", source)
            n = count
    out["lt_mean_days"] = mean
    out["lt_sd_days"] = sd
    out["lt_master_days"] = planned
    out["lt_source"] = source
    out["n_receipts"] = n
    return out[LEAD_TIME_COLUMNS]
