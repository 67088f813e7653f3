"""Combining replays of disjoint sets of parts (DESIGN.md §9: work is partitioned by part).

Parts are independent in a replay (the multi-echelon coupling is within a part,
and lead-time draws are keyed by part-location and day), so replaying the
parts in several partitions — in one process or on a cluster — and merging the
results gives the same lines, orders and KPIs as one replay of everything.
Every KPI is recomputed from the merged frames by the registry, never averaged.
"""
from __future__ import annotations

import pandas as pd

from partsopt.simulate.engine import SimulationResult
from partsopt.simulate.kpis import kpi_table, network_kpis


def _concat(frames: list[pd.DataFrame], sort: list[str] | None = None) -> pd.DataFrame:
    out = pd.concat(frames, ignore_index=True)
    # categoricals with different categories come back as object: make keys plain text again
    for col in out.columns:
        if out[col].dtype == object and any(isinstance(f[col].dtype, pd.CategoricalDtype) for f in frames if col in f):
            out[col] = out[col].astype(object)
    if sort:
        out = out.sort_values(sort, kind="stable").reset_index(drop=True)
    return out


def merge_results(results: list[SimulationResult]) -> SimulationResult:
    """One :class:`SimulationResult` from replays of disjoint parts over the same dates."""
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
    stock = _concat([r.stock for r in results])
    misses = _concat([r.misses for r in results], ["date", "part", "location"])
    daily = pd.concat([r.daily for r in results]).groupby("date", sort=True).sum().reset_index()
    final = _concat([r.final_state for r in results], ["part", "location"])
    kpis = network_kpis(lines, orders, stock, misses)
    info = {**results[0].info, "rows": int(sum(r.info.get("rows", 0) for r in results)), "partitions": len(results)}
    return SimulationResult(kpis=kpis, kpis_by_location=kpi_table(lines, orders, stock, by="location"), lines=lines,
                            misses=misses, orders=orders, daily=daily, stock=stock, final_state=final, info=info)
