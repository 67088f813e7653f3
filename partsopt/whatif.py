"""What-if: several scenarios replayed over the same demand and the same random draws.

A *scenario* is a resolved configuration (:mod:`partsopt.config`, one TOML file
each).  :func:`run_whatif` plans every scenario as of the replay start with the
pipeline (:func:`partsopt.pipeline.plan`, data before the start only), replays
it with :func:`partsopt.simulate.simulate` over the same window with **one
seed for all** (the lead-time draws are keyed by part-location and day, so two
scenarios see the same supplier delays wherever they order on the same day),
attributes the misses' root causes, and puts the KPIs side by side with the
deltas against the first scenario (:func:`kpis_side_by_side`).

The **cost–availability curve** (:func:`cost_availability_curve`) is the
planned trade-off of a configuration: for a sweep of service levels, the
expected network hit rate against the expected inventory value at cost.  The
forecasts and lead times are computed once; only the policies are solved again
per level.  Definitions per point (one policy table ``P`` at level ``ℓ``):

* expected network hit rate ``= Σ_i h_i · d_i / Σ_i d_i`` — ``h_i`` the
  policy's ``expected_hit_rate`` and ``d_i`` the customer demand rate
  ``mean_per_day`` [units/day] of part-location ``i`` (rows with customers
  only; warehouses that only supply other locations have ``d_i = 0``);
* inventory value ``= Σ_i inventory_value_i`` [currency] — the expected
  on-hand stock at cost of every part-location (policies table, DESIGN.md §5).

Only the customer-facing service level moves along the sweep; the other
targets (on-time ``service.otd_target``, the normal-order-rate floor) stay as
configured, so below the level at which one of them binds, the curve is flat:
a lower hit-rate target saves nothing there.

The same two numbers for each scenario's own plan (:func:`planned_point`) put
the scenarios on the curve; the simulated hit rate and average inventory value
of each replay are the measured counterpart.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from partsopt.config import resolve_config
from partsopt.pipeline import PlanResult, check_as_of, plan, prepare_plan, solve_policies
from partsopt.progress import ProgressFn, no_progress
from partsopt.simulate import KPIS, SimulationResult, attribute_causes, simulate

DEFAULT_LEVELS = (0.80, 0.90, 0.95, 0.98, 0.995)
#: rows of the side-by-side table, in order (KPIs of the registry, then counts and the plan's own figures)
COUNT_ROWS = ("lines", "misses", "misses_data", "misses_configuration", "misses_execution")
PLANNED_ROWS = ("planned_hit_rate", "planned_inventory_value")


# ------------------------------------------------------------------ kernels on arrays
def weighted_rate(rate: np.ndarray, weight: np.ndarray) -> float:
    """``Σ rate·weight / Σ weight`` over the rows with weight > 0 and a finite rate; NaN when none."""
    rate = np.asarray(rate, dtype=np.float64)
    weight = np.asarray(weight, dtype=np.float64)
    ok = (weight > 0) & np.isfinite(rate)
    w = weight[ok].sum()
    return float((rate[ok] * weight[ok]).sum() / w) if w > 0 else float("nan")


def planned_point(forecasts: pd.DataFrame, policies: pd.DataFrame) -> tuple[float, float]:
    """(expected network hit rate, expected inventory value at cost) of one plan (module docstring)."""
    for name, frame, cols in (("forecasts", forecasts, ("part", "location", "mean_per_day")),
                              ("policies", policies, ("part", "location", "expected_hit_rate", "inventory_value"))):
        missing = [c for c in cols if c not in frame]
        if missing:
            raise ValueError(f"{name} lacks the column(s) {missing}; received columns {list(frame.columns)}.")
    d = forecasts.set_index(["part", "location"])["mean_per_day"]
    key = pd.MultiIndex.from_arrays([policies["part"].to_numpy(), policies["location"].to_numpy()])
    weight = d.reindex(key).fillna(0.0).to_numpy(np.float64)
    hit = weighted_rate(policies["expected_hit_rate"].to_numpy(np.float64), weight)
    value = float(np.nansum(policies["inventory_value"].to_numpy(np.float64)))
    return hit, value


def _check_levels(levels) -> np.ndarray:
    arr = np.asarray(list(levels), dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0 or not np.all((arr > 0) & (arr < 1)):
        raise ValueError(f"levels must be one or more service levels in (0, 1); received {list(levels)!r}.")
    return np.unique(arr)


def _strip_none(d: dict) -> dict:
    """A configuration without its unset (None) keys, so a resolved one can be resolved again."""
    return {k: (_strip_none(v) if isinstance(v, dict) else v) for k, v in d.items() if v is not None}


def resolved(config: dict | None, source: str = "configuration") -> dict:
    """``config`` checked and completed (:func:`partsopt.config.resolve_config`); resolved input is kept as is."""
    return resolve_config(_strip_none(config or {}), source=source)


def _with_level(config: dict, level: float) -> dict:
    """``config`` with every customer-facing service level set to ``level`` (criticality classes too)."""
    user = _strip_none(config)
    user["service"] = {k: v for k, v in user.get("service", {}).items() if k != "by_criticality"}
    user["service"]["level"] = float(level)
    return user


def cost_availability_curve(dataset, as_of, config: dict, levels: Sequence[float] = DEFAULT_LEVELS, *,
                            progress: ProgressFn = no_progress) -> pd.DataFrame:
    """The planned cost–availability curve of ``config`` as of ``as_of`` (module docstring).

    Returns one row per service level: level, expected_hit_rate (demand-weighted
    over the customer-facing part-locations), inventory_value [currency, at
    cost], stocked (part-locations with order_up_to > 0).  Steps 1–5 of
    :func:`partsopt.pipeline.plan` run once; the policy step once per level.
    """
    lv = _check_levels(levels)
    config = resolved(config)
    as_of = check_as_of(dataset, as_of)
    total = len(lv) + 1
    progress(0, total, "curve: forecasts")
    prep = prepare_plan(dataset, as_of, config)
    rows = []
    for i, level in enumerate(lv):
        progress(i + 1, total, f"curve: policies at {level:.1%}")
        cfg = resolve_config(_with_level(config, level), source="cost-availability sweep")
        pol = solve_policies(prep, dataset, cfg)
        hit, value = planned_point(prep.forecasts, pol)
        rows.append({"level": float(level), "expected_hit_rate": hit, "inventory_value": value,
                     "stocked": int((pol["order_up_to"] > 0).sum())})
    progress(total, total, "curve: done")
    return pd.DataFrame(rows, columns=["level", "expected_hit_rate", "inventory_value", "stocked"])


def with_planned_point(curve: pd.DataFrame, config: dict, planned: PlanResult) -> pd.DataFrame:
    """``curve`` with the point of an existing plan added at its service level (no policy step re-run).

    Exact when the plan used one level for every class (``service.by_criticality``
    unset): the sweep at that level is that plan (checked in the tests).  With
    per-class levels the plan is not a point of the sweep; ``curve`` is returned
    unchanged.
    """
    config = resolved(config)
    if any(v is not None for v in config["service"]["by_criticality"].values()):
        return curve
    level = float(config["service"]["level"])
    if len(curve) and np.isclose(curve["level"].to_numpy(np.float64), level).any():
        return curve
    hit, value = planned_point(planned.forecasts, planned.policies)
    row = pd.DataFrame({"level": [level], "expected_hit_rate": [hit], "inventory_value": [value],
                        "stocked": [int((planned.policies["order_up_to"] > 0).sum())]})
    out = pd.concat([curve, row], ignore_index=True) if len(curve) else row
    return out.sort_values("level", kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------ scenarios
@dataclass
class ScenarioRun:
    """One scenario of a what-if: its plan as of the start and its replay (with root causes)."""

    name: str
    config: dict
    plan: PlanResult | None
    result: SimulationResult
    planned_hit_rate: float
    planned_inventory_value: float


@dataclass
class WhatifResult:
    """What :func:`run_whatif` returns."""

    runs: list[ScenarioRun]
    kpis: pd.DataFrame
    curve: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    seed: int
    info: dict = field(default_factory=dict)

    def points(self) -> pd.DataFrame:
        """Each scenario's planned and simulated (hit rate, inventory value) — the marks on the curve."""
        return scenario_points(self.runs)


def replay_window(dataset, start=None, end=None, *, days: int = 365) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The replay window: given dates, or by default the last ``days`` days of the demand history.

    ``start`` must come after the first demand date (the plan needs history
    before it) and ``end`` on or before the last one; ValueError otherwise.
    """
    first, last = dataset.demand["date"].min().normalize(), dataset.demand["date"].max().normalize()
    try:
        e = last if end is None else pd.Timestamp(end).normalize()
        s = (e - pd.Timedelta(days=days - 1)) if start is None else pd.Timestamp(start).normalize()
    except (ValueError, TypeError):
        raise ValueError(f"start and end must be dates (YYYY-MM-DD); received start={start!r}, end={end!r}.") from None
    if start is None and s <= first:
        s = first + pd.Timedelta(days=(e - first).days // 2 or 1)
    if not (first < s <= e <= last):
        raise ValueError(f"the replay window {s.date()}..{e.date()} is outside the demand history "
                         f"({first.date()} to {last.date()}); start must be after {first.date()}, "
                         f"end on or after start and no later than {last.date()}.")
    return s, e


def run_scenario(dataset, name: str, config: dict, start, end, *, seed: int, policies: pd.DataFrame | None = None,
                 causes: bool = True, true_dataset=None, progress: ProgressFn = no_progress) -> ScenarioRun:
    """Plan ``config`` as of ``start`` (unless ``policies`` are given), replay ``start..end``, attribute causes.

    With ``simulation.replan_weeks > 0`` the replay re-plans with the same
    configuration every that many weeks (the planner sees the data before each
    re-planning date only).  ``true_dataset`` (the same parts and locations
    with the *true* master data, e.g. the demo's ground truth) lets the cause
    analysis name ``data.*`` misses: the lines that become hits with the
    policies planned from it (:func:`partsopt.simulate.attribute_causes`).
    """
    planned = None
    if policies is None:
        planned = plan(dataset, start, config, progress=progress)
        policies = planned.policies
    replan = int(config["simulation"]["replan_weeks"])
    kw = dict(config=config, seed=seed)
    if replan > 0:
        kw.update(planner=lambda ds, as_of: plan(ds, as_of, config).policies, replan_weeks=replan)
    result = simulate(dataset, policies, start, end, **kw)
    if causes:
        if true_dataset is not None:
            true_policies = plan(true_dataset, start, config).policies
            result = attribute_causes(dataset, policies, start, end, result, true_policies=true_policies, **kw)
        else:
            result = attribute_causes(dataset, policies, start, end, result, **kw)
    if planned is not None:
        hit, value = planned_point(planned.forecasts, planned.policies)
    else:  # given policies: no forecasts to weight the expected hit rate with
        hit = float("nan")
        value = (float(np.nansum(policies["inventory_value"].to_numpy(np.float64)))
                 if "inventory_value" in policies else float("nan"))
    return ScenarioRun(name=name, config=config, plan=planned, result=result, planned_hit_rate=hit,
                       planned_inventory_value=value)


def scenario_names(configs: Sequence[dict], fallbacks: Sequence[str]) -> list[str]:
    """Unique display names: each configuration's ``name``; the fallbacks (file stems) when names repeat."""
    if len(fallbacks) != len(configs):
        raise ValueError(f"fallbacks must give one name per scenario; received {len(fallbacks)} for {len(configs)}.")
    names = [str(c.get("name", "")) or f for c, f in zip(configs, fallbacks)]
    if len(set(names)) < len(names):
        names = list(fallbacks)
    if len(set(names)) < len(names):
        names = [f"{n} #{i + 1}" for i, n in enumerate(names)]
    return names


def run_whatif(dataset, scenarios: Sequence[tuple[str, dict]], start, end, *, seed: int | None = None,
               levels: Sequence[float] | None = DEFAULT_LEVELS, causes: bool = True,
               progress: ProgressFn = no_progress, runner=None) -> WhatifResult:
    """Replay every ``(name, config)`` over ``start..end`` with one seed; KPIs side by side; the curve.

    seed    the lead-time draws' seed for every scenario (default: the first
            scenario's ``simulation.seed``)
    levels  service levels of the cost–availability curve (of the first
            scenario's configuration); None or empty: no curve
    runner  where the work runs: None (this process), or an object with the
            methods ``run_scenario`` and ``cost_availability_curve`` taking the
            arguments of the functions of that name - e.g.
            :class:`partsopt.dask_replay.PartitionRunner` (partition by part,
            on a Dask cluster; the same results)
    """
    if not scenarios:
        raise ValueError("scenarios must hold at least one (name, config) pair; received none.")
    names = [n for n, _ in scenarios]
    if len(set(names)) < len(names):
        raise ValueError(f"scenario names must be unique; received {names}.")
    configs = [resolved(c, source=f"scenario {n}") for n, c in scenarios]
    seed = int(configs[0]["simulation"]["seed"] if seed is None else seed)
    if seed < 0:
        raise ValueError(f"seed must be an integer >= 0; received {seed}.")
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    scenario_fn = run_scenario if runner is None else runner.run_scenario
    curve_fn = cost_availability_curve if runner is None else runner.cost_availability_curve
    runs = []
    n = len(scenarios) + (1 if levels else 0)
    for i, (name, cfg) in enumerate(zip(names, configs)):
        progress(i, n, f"whatif: scenario {name}")
        runs.append(scenario_fn(dataset, name, cfg, start, end, seed=seed, causes=causes))
    curve = pd.DataFrame(columns=["level", "expected_hit_rate", "inventory_value", "stocked"])
    if levels:
        progress(len(scenarios), n, "whatif: cost-availability curve")
        lv = _check_levels(levels)
        # the first scenario's own plan is the sweep's point at its level: not solved twice
        same = np.zeros(len(lv), bool)
        if not any(v is not None for v in configs[0]["service"]["by_criticality"].values()):
            same = np.isclose(lv, float(configs[0]["service"]["level"]))
        if (~same).any():
            curve = curve_fn(dataset, start, configs[0], lv[~same])
        if same.any():
            curve = with_planned_point(curve, configs[0], runs[0].plan)
    progress(n, n, "whatif: done")
    return WhatifResult(runs=runs, kpis=kpis_side_by_side(runs), curve=curve, start=start, end=end, seed=seed,
                        info={"scenarios": names, "levels": list(levels or [])})


def scenario_points(runs: Sequence[ScenarioRun]) -> pd.DataFrame:
    """scenario, planned_hit_rate, planned_inventory_value, simulated_hit_rate, simulated_inventory_value."""
    return pd.DataFrame({
        "scenario": [r.name for r in runs],
        "planned_hit_rate": [r.planned_hit_rate for r in runs],
        "planned_inventory_value": [r.planned_inventory_value for r in runs],
        "simulated_hit_rate": [_num(r.result.kpis.get("hit_rate")) for r in runs],
        "simulated_inventory_value": [_num(r.result.kpis.get("avg_inventory_value")) for r in runs],
    })


def _num(v) -> float:
    return float("nan") if v is None else float(v)


def kpi_values(kpis: dict, planned_hit_rate: float = float("nan"),
               planned_inventory_value: float = float("nan")) -> dict[str, float]:
    """One scenario's column of the side-by-side table, from its ``kpis.json`` dict."""
    out = {name: _num(kpis.get(name)) for name in KPIS}
    out["lines"] = float(kpis.get("lines", 0))
    out["misses"] = float(kpis.get("misses", 0))
    by_cause = kpis.get("misses_by_cause", {}) or {}
    for fam in ("data", "configuration", "execution"):
        out[f"misses_{fam}"] = float(by_cause.get(fam, 0))
    out["planned_hit_rate"] = float(planned_hit_rate)
    out["planned_inventory_value"] = float(planned_inventory_value)
    return out


def kpis_side_by_side(runs: Sequence[ScenarioRun]) -> pd.DataFrame:
    """One row per KPI: kpi, better (higher/lower/''), one column per scenario, ``delta_<name>`` vs the first.

    ``delta_<name> = value(name) − value(first scenario)`` in the KPI's own unit
    (rates as fractions, values in currency).
    """
    if not runs:
        raise ValueError("runs must hold at least one ScenarioRun; received none.")
    cols = {r.name: kpi_values(r.result.kpis, r.planned_hit_rate, r.planned_inventory_value) for r in runs}
    order = list(KPIS) + list(COUNT_ROWS) + list(PLANNED_ROWS)
    table = pd.DataFrame({"kpi": order})
    better = {k: ("higher" if v.higher_is_better else "lower" if v.higher_is_better is False else "")
              for k, v in KPIS.items()}
    better.update({"misses": "lower", "misses_data": "lower", "misses_configuration": "lower",
                   "misses_execution": "lower", "planned_hit_rate": "higher", "planned_inventory_value": "lower"})
    table["better"] = [better.get(k, "") for k in order]
    for name, vals in cols.items():
        table[name] = [vals[k] for k in order]
    first = runs[0].name
    for r in runs[1:]:
        table[f"delta_{r.name}"] = table[r.name] - table[first]
    return table


__all__ = ["with_planned_point", "DEFAULT_LEVELS", "ScenarioRun", "WhatifResult", "cost_availability_curve", "kpi_values",
           "kpis_side_by_side", "planned_point", "replay_window", "run_scenario", "run_whatif",
           "scenario_names", "scenario_points", "weighted_rate"]
