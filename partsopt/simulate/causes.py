"""Root causes of the misses of a replay, by counterfactual replay (DESIGN.md §7).

Every missed line gets exactly one cause ``family.detail``, decided in this
order:

1. **execution** — the line becomes a hit when the replay is run again with
   every order arriving exactly after its planned lead time (orders are always
   placed as suggested in a replay, so this is the only execution lever):
   ``execution.late_supply``.
2. **data** — (only when the policies computed from the *true* data are given,
   ``true_policies`` or ``true_planner``) the line becomes a hit when the replay
   uses them: ``data.master_data``.
3. **configuration** — otherwise:
   ``configuration.not_stocked`` when the policy keeps no stock at the line's
   location (order-up-to 0) although the part sells there;
   ``configuration.within_target`` when the policies give the chosen
   target (``target_level``, with ``target_name`` hit_rate or fill_rate; else
   ``expected_hit_rate``) and the part-location's misses are no more than the
   target allows: at most the 95 % quantile of Binomial(n, 1 − target), n =
   its lines (hit rate) or units (fill rate), misses = missed lines or units
   short — a miss count a process meeting the target produces 19 times in 20;
   ``configuration.service_level`` otherwise (the target or the review cycle
   is too low for the demand).

Counterfactual replays use the same seed and the same per-part-location,
per-day lead-time draws (:mod:`partsopt.simulate.leadtimes`), so they differ
from the original only in what they change.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from partsopt.simulate.engine import SimulationResult, simulate
from partsopt.simulate.kpis import network_kpis


#: misses at a part-location are "within target" up to this quantile of Binomial(lines, 1 − target)
WITHIN_TARGET_QUANTILE = 0.95


def _hits(result: SimulationResult) -> pd.Series:
    return pd.Series(result.lines["hit"].to_numpy(bool), index=result.lines["line_id"].astype(str).to_numpy())


def attribute_causes(dataset, policies: pd.DataFrame, start, end, result: SimulationResult, *,
                     true_policies: pd.DataFrame | None = None, true_planner: Callable | None = None,
                     **simulate_kwargs) -> SimulationResult:
    """``result`` with ``misses.cause`` / ``cause_detail`` filled and ``kpis.misses_by_cause`` counted.

    ``dataset, policies, start, end`` and ``simulate_kwargs`` must be those of the
    replay that produced ``result`` (they are replayed with one change each).
    """
    if not isinstance(result, SimulationResult):
        raise ValueError(f"result must be a SimulationResult from simulate(); received {type(result).__name__}.")
    if simulate_kwargs.get("counterfactual"):
        raise ValueError("attribute_causes replays the original run: pass it without counterfactual; "
                         f"received counterfactual={simulate_kwargs['counterfactual']!r}.")
    misses = result.misses.copy()
    ids = misses["line_id"].astype(str).to_numpy()
    cause = np.full(len(misses), "", dtype=object)
    if len(misses):
        planned = simulate(dataset, policies, start, end, counterfactual="planned_lead_times", **simulate_kwargs)
        fixed = _hits(planned).reindex(ids, fill_value=False).to_numpy(bool)
        cause[fixed] = "execution.late_supply"
        open_ = cause == ""
        if open_.any() and (true_policies is not None or true_planner is not None):
            kw = dict(simulate_kwargs)
            if true_planner is not None:
                kw["planner"] = true_planner
            true = simulate(dataset, true_policies, start, end, **kw)
            fixed = _hits(true).reindex(ids, fill_value=False).to_numpy(bool)
            cause[open_ & fixed] = "data.master_data"
        open_ = cause == ""
        if open_.any():
            cause[open_] = _configuration(misses[open_], result, policies)
    misses["cause"] = cause
    misses["cause_detail"] = [_DETAIL.get(c, "") for c in cause]
    kpis = dict(result.kpis)
    kpis.update(network_kpis(result.lines, result.orders, result.stock, misses))
    return dataclasses.replace(result, kpis=kpis, misses=misses, info={**result.info, "causes": True})


def _configuration(m: pd.DataFrame, result: SimulationResult, policies: pd.DataFrame) -> np.ndarray:
    key = pd.MultiIndex.from_arrays([m["part"].astype(str).to_numpy(), m["location"].astype(str).to_numpy()])
    pol = policies.assign(part=policies["part"].astype(str), location=policies["location"].astype(str))
    pol = pol.set_index(["part", "location"])
    S = pol["order_up_to"].reindex(key).fillna(0.0).to_numpy(np.float64)
    out = np.where(S <= 0, "configuration.not_stocked", "configuration.service_level").astype(object)
    level = "target_level" if "target_level" in pol else "expected_hit_rate" if "expected_hit_rate" in pol else None
    if level is not None:
        lines = result.lines
        g = lines.assign(part=lines["part"].astype(str), location=lines["location"].astype(str),
                         miss=~lines["hit"].to_numpy(bool),
                         short=lines["qty"] - lines["filled_qty_at_once"]).groupby(["part", "location"])
        agg = g.agg(n_lines=("miss", "size"), n_miss=("miss", "sum"), units=("qty", "sum"), short=("short", "sum"))
        agg = agg.reindex(key)
        target = pd.to_numeric(pol[level], errors="coerce").reindex(key).to_numpy(np.float64)
        by_fill = (pol["target_name"].reindex(key).astype(str).to_numpy() == "fill_rate") if (
            level == "target_level" and "target_name" in pol) else np.zeros(len(key), bool)
        trials = np.where(by_fill, agg["units"], agg["n_lines"]).astype(np.float64)
        failures = np.where(by_fill, agg["short"], agg["n_miss"]).astype(np.float64)
        ok = (S > 0) & np.isfinite(target) & (target > 0) & (target < 1) & np.isfinite(trials)
        allowed = np.full(len(key), -1.0)
        allowed[ok] = stats.binom.ppf(WITHIN_TARGET_QUANTILE, np.rint(trials[ok]), 1.0 - target[ok])
        out[ok & (failures <= allowed)] = "configuration.within_target"
    return out


_DETAIL = {
    "execution.late_supply": "a hit had every order arrived on its planned lead time",
    "data.master_data": "a hit with the policy computed from the true data",
    "configuration.not_stocked": "the part is not stocked at the location although it sells there",
    "configuration.within_target": "a miss the chosen service target allows for",
    "configuration.service_level": "the service target or review cycle is too low for the demand",
}
