"""The rows of a replay: part-locations as index arrays over the location tree.

Every simulated part-location is one *row*; all state of the simulator is a
numpy array indexed by row.  The rows are the union of

* the part-locations of the policies table,
* the part-locations with demand lines in the replay window,
* the part-locations of the inventory snapshot,

closed upwards: for every row, the same part at every ancestor location of
the tree is a row too (its stock feeds the row's orders).  A row without a
policy has ``s = S = 0``: it keeps no stock and orders only to cover what is
owed (it passes orders through to its own parent).

Rows are sorted by part, then location, so a run is independent of the input
row order.  ``parent`` holds the row index of the same part at the parent
location (−1: the location orders from the supplier).  ``children_by_parent``
lists the rows that have a parent, grouped by parent row (a static order used
to share a parent's stock among waiting children, smallest row index first).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Network:
    """Row attributes (arrays of length ``n``) and the tree structure."""

    part: np.ndarray            # object array of part keys
    location: np.ndarray        # object array of location keys
    parent: np.ndarray          # int64 row of the parent part-location, -1 = supplier
    depth: np.ndarray           # int64, 0 = top of the tree
    unit_cost: np.ndarray       # [currency/unit]
    unit_price: np.ndarray      # [currency/unit], NaN = unknown
    pack_size: np.ndarray       # [units]
    moq: np.ndarray             # [units]
    criticality: np.ndarray     # object array A/B/C
    review_days: np.ndarray     # [days]
    transit_days: np.ndarray    # planned transit from the parent [days]
    emergency_days: np.ndarray  # emergency delivery time from the parent / supplier [days]
    emergency_cost: np.ndarray  # [currency per emergency order line]
    order_cost: np.ndarray      # [currency per normal order line]
    holding_rate: np.ndarray    # [1/year]
    lead_time_days: np.ndarray  # planned supplier lead time (items override, else part master) [days]
    lead_time_sd_days: np.ndarray  # its standard deviation [days]
    children_by_parent: np.ndarray  # rows with a parent, sorted by parent row (stable)
    levels: list                # row index arrays by depth, deepest first

    @property
    def n(self) -> int:
        return len(self.part)

    def index(self, part, location) -> np.ndarray:
        """Row index of each (part, location) pair; −1 where it is not a row."""
        keys = pd.MultiIndex.from_arrays([self.part, self.location])
        return keys.get_indexer(pd.MultiIndex.from_arrays([np.asarray(part, dtype=object),
                                                           np.asarray(location, dtype=object)]))


def _ancestors(locations: pd.DataFrame) -> dict[str, list[str]]:
    parent = dict(zip(locations["location"], locations["parent"].fillna("")))
    out = {}
    for loc in parent:
        chain, cur = [], parent[loc]
        while cur:
            chain.append(cur)
            cur = parent.get(cur, "")
        out[loc] = chain
    return out


def build_network(dataset, policies: pd.DataFrame, demand: pd.DataFrame) -> Network:
    """Rows for a replay of ``demand`` (already cut to the window) against ``policies``."""
    parts = dataset.parts.set_index("part")
    locs = dataset.locations.set_index("location")
    pairs = [policies[["part", "location"]], demand[["part", "location"]]]
    if len(dataset.inventory):
        pairs.append(dataset.inventory[["part", "location"]])
    base = pd.concat(pairs, ignore_index=True).astype({"part": object, "location": object}).drop_duplicates()
    # close upwards: the same part at every ancestor location (a loop over locations, not rows)
    anc = _ancestors(dataset.locations.reset_index(drop=True))
    anc_rows = [(loc, a) for loc, chain in anc.items() for a in chain]
    if anc_rows:
        pairs_up = pd.DataFrame(anc_rows, columns=["location", "ancestor"])
        up = base.merge(pairs_up, on="location")[["part", "ancestor"]].rename(columns={"ancestor": "location"})
        base = pd.concat([base, up], ignore_index=True).drop_duplicates()
    base = base.sort_values(["part", "location"], kind="stable").reset_index(drop=True)
    part = base["part"].to_numpy(dtype=object)
    location = base["location"].to_numpy(dtype=object)
    n = len(base)

    parent_loc = locs["parent"].fillna("").reindex(location).to_numpy(dtype=object)
    keys = pd.MultiIndex.from_arrays([part, location])
    parent = keys.get_indexer(pd.MultiIndex.from_arrays([part, parent_loc])).astype(np.int64)
    parent[parent_loc == ""] = -1
    depth_of = {loc: len(chain) for loc, chain in anc.items()}
    depth = np.array([depth_of[x] for x in locs.index], dtype=np.int64)
    depth = pd.Series(depth, index=locs.index).reindex(location).to_numpy(dtype=np.int64)

    def pcol(name, default=np.nan):
        return parts[name].reindex(part).to_numpy(dtype=np.float64) if name in parts else np.full(n, default)

    def lcol(name):
        return locs[name].reindex(location).to_numpy(dtype=np.float64)

    lead = pcol("lead_time_days")
    items = dataset.items
    review = lcol("review_days")
    if len(items):
        idx = keys.get_indexer(pd.MultiIndex.from_arrays([items["part"].to_numpy(object),
                                                          items["location"].to_numpy(object)]))
        ok = idx >= 0
        for col, target in (("lead_time_days", lead), ("review_days", review)):
            if col in items:
                vals = items[col].to_numpy(dtype=np.float64)
                m = ok & np.isfinite(vals)
                target[idx[m]] = vals[m]
    crit = parts["criticality"].reindex(part).fillna("B").to_numpy(dtype=object)
    order = np.flatnonzero(parent >= 0)
    children = order[np.argsort(parent[order], kind="stable")]
    levels = [np.flatnonzero(depth == d) for d in range(int(depth.max(initial=0)), -1, -1)]
    return Network(part=part, location=location, parent=parent, depth=depth,
                   unit_cost=pcol("unit_cost"), unit_price=pcol("unit_price"),
                   pack_size=np.maximum(pcol("pack_size", 1.0), 1.0), moq=np.maximum(pcol("moq", 1.0), 1.0),
                   criticality=crit, review_days=review, transit_days=lcol("transit_days"),
                   emergency_days=lcol("emergency_days"), emergency_cost=lcol("emergency_cost"),
                   order_cost=lcol("order_cost"), holding_rate=lcol("holding_rate"),
                   lead_time_days=lead, lead_time_sd_days=np.nan_to_num(pcol("lead_time_sd_days", 0.0)),
                   children_by_parent=children, levels=levels)
