"""Combining replays of disjoint sets of parts (DESIGN.md §9: work is partitioned by part).

Parts are independent in a replay (the multi-echelon coupling is within a part,
and lead-time draws are keyed by part-location and day), so replaying the
parts in several partitions — in one process or on a cluster — and merging the
results gives the same lines, orders and KPIs as one replay of everything.
Every KPI is recomputed from the merged frames by the registry, never averaged.

The merged frames are put back into the single replay's row order and dtypes,
so that they equal the frames of one replay of everything to the last digit
(``pd.testing.assert_frame_equal(..., check_exact=True)``):

* one replay orders its rows (part-locations) by (part, location); its
  ``lines`` by (date, row, line order), ``orders`` by (date, row, order
  type), ``stock`` by (month, row), ``final_state`` by row — a stable sort of
  the concatenated partitions by those keys restores that order, because
  every row's records come from one partition, in their own order;
* the key columns are categoricals whose categories are the sorted values of
  the replay's rows (``from_location``: ``""`` first); the merged categories
  are the sorted union of the partitions' categories, i.e. the same;
* ``daily`` on-hand units and inventory value: every replay keeps them per
  part bucket (:data:`partsopt.partition.N_BUCKETS`, ``daily_by_bucket``), a
  running total per bucket that sees the same additions in any replay holding
  the bucket's parts (:mod:`partsopt.simulate.engine`, step 6); partitions of
  :func:`partsopt.partition.split_dataset` hold disjoint buckets, so adding
  their bucket tables gives the single replay's table exactly (x + 0.0 = x),
  and the day totals are formed from it as the single replay forms them
  (:func:`partsopt.simulate.engine.bucket_totals`, ``math.fsum``).  Results
  whose parts share a bucket (a split not by bucket) merge to the same
  figures up to rounding only.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from partsopt.simulate.engine import SimulationResult, bucket_totals
from partsopt.simulate.kpis import kpi_table, network_kpis


def _union_categories(frames: list[pd.DataFrame], col: str):
    """Sorted union of a column's categories over the frames (None: no frame holds it as a categorical)."""
    cats = [f[col].dtype.categories for f in frames if col in f and isinstance(f[col].dtype, pd.CategoricalDtype)]
    if not cats:
        return None
    first = cats[0]
    if all(c.equals(first) for c in cats[1:]):
        return first
    values = np.concatenate([np.asarray(c, dtype=object) for c in cats])
    return pd.Index(sorted(set(values.tolist())), dtype=first.dtype)


def _concat(frames: list[pd.DataFrame], sort: list[str] | None = None) -> pd.DataFrame:
    """Concatenate partition frames, restore categoricals (sorted union of categories), sort stably."""
    nonempty = [f for f in frames if len(f)]
    if not nonempty:
        return frames[0].reset_index(drop=True)
    cats = {col: _union_categories(nonempty, col) for col in nonempty[0].columns}
    out = pd.concat(nonempty, ignore_index=True) if len(nonempty) > 1 else nonempty[0].reset_index(drop=True)
    for col, categories in cats.items():
        if categories is not None and not (isinstance(out[col].dtype, pd.CategoricalDtype)
                                           and out[col].dtype.categories.equals(categories)):
            ordered = bool(nonempty[0][col].dtype.ordered)
            out[col] = pd.Categorical(np.asarray(out[col], dtype=object), categories=categories, ordered=ordered)
    if sort:
        out = out.sort_values(sort, kind="stable").reset_index(drop=True)
    return out


def _merge_daily(results: list[SimulationResult]) -> tuple[pd.DataFrame, dict]:
    """The merged ``daily`` frame and ``daily_by_bucket`` tables (module docstring).

    Line counts add; the stock figures are the totals of the added bucket
    tables.  A result without bucket tables (built by hand) has its day
    figures added as they are.
    """
    daily = pd.concat([r.daily for r in results]).groupby("date", sort=True).sum().reset_index()
    names = set(results[0].daily_by_bucket)
    if not names or any(set(r.daily_by_bucket) != names for r in results):
        return daily, {}
    by_bucket = {}
    for name in sorted(names):
        table = np.array(results[0].daily_by_bucket[name], dtype=np.float64, copy=True)
        for r in results[1:]:
            table = table + r.daily_by_bucket[name]
        by_bucket[name] = table
        daily[name] = bucket_totals(table)
    return daily, by_bucket


def merge_results(results: list[SimulationResult]) -> SimulationResult:
    """One :class:`SimulationResult` from replays of disjoint parts over the same dates (module docstring).

    ``info`` is the first result's with ``rows`` summed and ``partitions`` set;
    with cause analysis in every result, ``kpis.misses_by_cause`` is counted
    over the merged misses.
    """
    if not results:
        raise ValueError("merge_results needs at least one SimulationResult; received an empty list.")
    if any(not isinstance(r, SimulationResult) for r in results):
        raise ValueError("merge_results takes SimulationResult objects from simulate(); received "
                         f"{sorted({type(r).__name__ for r in results})}.")
    spans = {(r.info.get("start"), r.info.get("end")) for r in results}
    if len(spans) > 1:
        raise ValueError(f"merge_results needs replays over the same dates; received the spans {sorted(spans)}.")
    parts = [set(r.final_state["part"].astype(str)) for r in results]
    seen: set = set()
    for p in parts:
        if seen & p:
            raise ValueError(f"merge_results needs disjoint parts; part(s) {sorted(seen & p)[:5]} appear in more "
                             "than one result.")
        seen |= p
    lines = _concat([r.lines for r in results], ["date", "part", "location"])
    orders = _concat([r.orders for r in results], ["date", "part", "location", "order_type"])
    stock = _concat([r.stock for r in results], ["month", "part", "location"])
    misses = _concat([r.misses for r in results], ["date", "part", "location"])
    daily, by_bucket = _merge_daily(results)
    final = _concat([r.final_state for r in results], ["part", "location"])
    kpis = network_kpis(lines, orders, stock, misses)
    info = {**results[0].info, "rows": int(sum(r.info.get("rows", 0) for r in results)), "partitions": len(results)}
    return SimulationResult(kpis=kpis, kpis_by_location=kpi_table(lines, orders, stock, by="location"), lines=lines,
                            misses=misses, orders=orders, daily=daily, stock=stock, final_state=final, info=info,
                            daily_by_bucket=by_bucket)
