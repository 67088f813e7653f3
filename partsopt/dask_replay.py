"""Simulate and what-if partition by part, on a Dask cluster or in one process (DESIGN.md §9).

A scenario (:func:`partsopt.whatif.run_scenario`) is: the plan as of the
replay start, the replay (with re-planning every ``simulation.replan_weeks``
weeks), and the root cause of every miss (counterfactual replays).  Every
piece is per part, given a few network-wide facts computed here from the whole
dataset, so it runs partition by partition (:func:`partsopt.partition.split_dataset`)
and the pieces are put back together into the single-process result, equal to
the last digit:

* **the plan as of the start** - :func:`partsopt.dask_backend.plan_on_cluster`
  (the network-wide :class:`~partsopt.pipeline.PlanContext`, and whatever
  network-level coupling the plan has); its policies are then split by part;
* **the replay** - rows are part-locations, the multi-echelon coupling is
  within a part and the lead-time draws are keyed by part-location and day
  (:mod:`partsopt.simulate.leadtimes`), so a partition's replay gives exactly
  its parts' lines, orders and stock (and its buckets' daily stock figures);
  :func:`partsopt.simulate.merge.merge_results` restores the single replay's row
  order and dtypes, adds the bucket figures and recomputes every KPI;
* **re-planning** inside the replay - the planner a partition uses is
  :func:`partsopt.pipeline.plan` with the *whole network's* context at each
  re-planning date (promise days per location and the first demand date of
  every part, computed here from all demand lines before that date: exactly
  what the single-process planner computes from the cut data);
* **causes** - each counterfactual replay (planned lead times; the policies of
  the true data) changes one thing for every part, so it is partitioned like
  the replay; ``configuration.*`` causes use only the part-location's own
  lines and policy.  The policies of the true data (``true_dataset``) are
  planned on the cluster like the plan and split by part;
* **planned point and cost-availability curve** - per service level, each
  partition solves its policies (forecasts once per partition, as
  :func:`partsopt.whatif.cost_availability_curve` does); the client combines
  the partitions' policy rows into the single-process table order
  (:func:`partsopt.partition.combine_frames`) and computes the network figures
  with :func:`partsopt.whatif.planned_point` - the same sums over the same
  rows in the same order.

Every frame of the replay is exact, ``daily`` included: the end-of-day stock
units and value are kept per part bucket in every replay, and partitions hold
disjoint buckets (:mod:`partsopt.simulate.merge`).  Scenarios whose plan is
coupled across parts beyond the context (a network-level service target or a budget:
``service.scope = "network"`` or ``budget.total > 0``) keep their plan on the
cluster (``plan_on_cluster``), but their re-planning replay and their curve
run in this process: a partition alone cannot re-plan them.

With ``client=None`` the partitions run one after the other in this process
(the same results; used by the tests and handy to check a partitioning).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from partsopt.config import resolve_config
from partsopt.partition import combine_frames, is_plannable, part_buckets, row_buckets, split_dataset
from partsopt.pipeline import PlanResult, plan, plan_context, prepare_plan, solve_policies
from partsopt.progress import ProgressFn, no_progress
from partsopt.simulate import attribute_causes, simulate
from partsopt.simulate.merge import merge_results
from partsopt.whatif import (DEFAULT_LEVELS, ScenarioRun, WhatifResult, _check_levels, _with_level,
                             cost_availability_curve, planned_point, resolved, run_scenario, run_whatif)

#: partitions when no client is given (in-process partitioned run)
DEFAULT_LOCAL_PARTITIONS = 4
_CURVE_COLUMNS = ["level", "expected_hit_rate", "inventory_value", "stocked"]


def network_coupled(config: dict) -> bool:
    """True when the plan couples parts beyond the plan context (a network target or a budget)."""
    service = config.get("service") or {}
    budget = config.get("budget") or {}
    return str(service.get("scope") or "row") != "row" or float(budget.get("total") or 0.0) > 0


def split_by_part(frame: pd.DataFrame, dataset, n_partitions: int) -> list[pd.DataFrame]:
    """``frame`` (with a ``part`` column) cut into the partitions of :func:`split_dataset` (row order kept)."""
    bucket = row_buckets(frame["part"].to_numpy(), part_buckets(dataset.parts)) % n_partitions
    return [frame.iloc[np.flatnonzero(bucket == k)] for k in range(n_partitions)]


def replan_dates(start: pd.Timestamp, end: pd.Timestamp, replan_weeks: int) -> list[pd.Timestamp]:
    """The days a replay of ``start..end`` re-plans on (:mod:`partsopt.simulate.engine`, step 1)."""
    if replan_weeks <= 0:
        return []
    days = int((end - start).days) + 1
    return [start + pd.Timedelta(days=t) for t in range(7 * replan_weeks, days, 7 * replan_weeks)]


@dataclass(frozen=True)
class _ContextPlanner:
    """The replay's re-planning planner for one partition: the plan with the whole network's context."""

    config: dict
    contexts: dict

    def __call__(self, dataset_cut, as_of):
        return plan(dataset_cut, as_of, self.config, context=self.contexts[pd.Timestamp(as_of)]).policies


def _replay_partition(part, policies, true_policies, start, end, config, seed, contexts, causes):
    """Replay (and attribute the misses of) one partition exactly as :func:`run_scenario` does the whole."""
    replan = int(config["simulation"]["replan_weeks"])
    kw = dict(config=config, seed=seed)
    if replan > 0:
        kw.update(planner=_ContextPlanner(config, contexts), replan_weeks=replan)
    result = simulate(part, policies, start, end, **kw)
    if causes:
        result = attribute_causes(part, policies, start, end, result, true_policies=true_policies, **kw)
    return result


def _has_rows(part, policies, start, end) -> bool:
    """Whether a partition's replay has part-locations: a policy, an inventory record or a line in the window."""
    if len(policies) or len(part.inventory):
        return True
    d = part.demand["date"]
    return bool(((d >= start) & (d <= end)).any())


def _curve_partition(part, config, context, levels):
    """Per level, the policy rows of one partition (forecasts once): what planned_point needs."""
    prep = prepare_plan(part, context.as_of, config, context=context)
    pols = []
    for level in levels:
        cfg = resolve_config(_with_level(config, level), source="cost-availability sweep")
        pol = solve_policies(prep, part, cfg)
        pols.append(pol[["part", "location", "expected_hit_rate", "inventory_value", "order_up_to"]])
    return prep.forecasts[["part", "location", "mean_per_day"]], pols


def check_replay_workers(client) -> None:
    """Raise ConfigError unless every worker can import this module (a worker with an older partsopt cannot)."""
    import importlib.util

    from partsopt.errors import ConfigError

    found = client.run(importlib.util.find_spec, __name__)
    lacking = sorted(addr for addr, spec in found.items() if spec is None)
    if lacking or not found:
        raise ConfigError("some Dask workers cannot run simulate/whatif: their partsopt lacks "
                          f"{__name__} (another version) or there are no workers.", where="--scheduler",
                          received=", ".join(lacking) or "no workers",
                          fix="install this partsopt version in every worker's Python environment, then restart "
                              "the workers.")


class PartitionRunner:
    """Runs scenarios and curves partition by partition on ``client`` (None: in this process).

    The methods take the arguments of :func:`partsopt.whatif.run_scenario` and
    :func:`partsopt.whatif.cost_availability_curve` and return the same
    results; :func:`partsopt.whatif.run_whatif` takes the runner
    (``runner=``).  ``progress(step, total, label)`` hears of every partition
    done.
    """

    def __init__(self, client=None, *, n_partitions: int | None = None, retries: int | None = None,
                 progress: ProgressFn = no_progress):
        from partsopt.dask_backend import TASK_RETRIES, default_partitions

        if n_partitions is not None and (isinstance(n_partitions, bool) or not isinstance(n_partitions, (int, np.integer))
                                         or n_partitions < 1):
            raise ValueError(f"n_partitions must be an integer >= 1 or None, received {n_partitions!r}")
        if retries is not None and (isinstance(retries, bool) or not isinstance(retries, (int, np.integer))
                                    or retries < 0):
            raise ValueError(f"retries must be an integer >= 0 or None, received {retries!r}")
        if client is not None:
            check_replay_workers(client)
        self.client = client
        if n_partitions is None:
            n_partitions = DEFAULT_LOCAL_PARTITIONS if client is None else default_partitions(client)
        self.n_partitions = int(n_partitions)
        self.retries = TASK_RETRIES if retries is None else int(retries)
        self.progress = progress

    # -- running tasks
    def _map(self, label: str, fn, items: list, *args) -> list:
        """``[fn(*item, *args) for item in items]`` (items are tuples), on the cluster when there is one; progress per partition."""
        total = len(items)
        self.progress(0, total, f"{label}: 0/{total} partitions")
        if self.client is None:
            out = []
            for i, item in enumerate(items):
                out.append(fn(*item, *args))
                self.progress(i + 1, total, f"{label}: {i + 1}/{total} partitions")
            return out
        from partsopt.dask_backend import gather_in_order

        futures = [self.client.submit(fn, *item, *args, pure=False, retries=self.retries) for item in items]
        try:
            out = gather_in_order(self.client, futures,
                                  lambda done, n: self.progress(done, n, f"{label}: {done}/{n} partitions"))
        except ImportError as exc:  # a worker with another partsopt (or none) cannot load the task
            from partsopt.errors import ConfigError

            raise ConfigError("a Dask worker cannot run partsopt's tasks (it lacks partsopt or has another "
                              "version).", where="--scheduler", received=f"{type(exc).__name__}: {exc}",
                              fix="install this partsopt version in every worker's Python environment, then "
                                  "restart the workers.") from None
        return out

    def plan(self, dataset, as_of, config: dict) -> PlanResult:
        """The plan as of ``as_of`` (:func:`partsopt.pipeline.plan`), partitioned."""
        if self.client is None:
            from partsopt.partition import combine_plans

            ctx = plan_context(dataset, as_of, config)
            parts = [p for p in split_dataset(dataset, self.n_partitions) if is_plannable(p)]
            if not parts:
                return plan(dataset, as_of, config, context=ctx)
            if network_coupled(config):
                return plan(dataset, as_of, config)
            return combine_plans([plan(p, as_of, config, context=ctx) for p in parts], dataset.issues)
        from partsopt.dask_backend import plan_on_cluster

        return plan_on_cluster(self.client, dataset, as_of, config, n_partitions=self.n_partitions,
                               retries=self.retries)

    # -- the two pieces of a what-if
    def run_scenario(self, dataset, name: str, config: dict, start, end, *, seed: int,
                     policies: pd.DataFrame | None = None, causes: bool = True, true_dataset=None,
                     progress: ProgressFn = no_progress) -> ScenarioRun:
        """:func:`partsopt.whatif.run_scenario`, partition by partition (the same :class:`ScenarioRun`)."""
        start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
        replan = int(config["simulation"]["replan_weeks"])
        if replan > 0 and network_coupled(config):  # a partition cannot re-plan a network-coupled plan
            return run_scenario(dataset, name, config, start, end, seed=seed, policies=policies, causes=causes,
                                true_dataset=true_dataset, progress=progress)
        planned = None
        if policies is None:
            planned = self.plan(dataset, start, config)
            policies = planned.policies
        true_policies = None
        if causes and true_dataset is not None:
            true_policies = self.plan(true_dataset, start, config).policies
        contexts = {d: plan_context(dataset, d, config) for d in replan_dates(start, end, replan)}
        n = self.n_partitions
        pieces = split_dataset(dataset, n)
        pol_parts = split_by_part(policies, dataset, n)
        true_parts = split_by_part(true_policies, dataset, n) if true_policies is not None else [None] * n
        keep = [k for k in range(n) if _has_rows(pieces[k], pol_parts[k], start, end)]
        if not keep:  # nothing to partition: the whole replay (it is empty) in one piece
            keep, pieces, pol_parts, true_parts = [0], [dataset], [policies], [true_policies]
        items = [(pieces[k], pol_parts[k], true_parts[k]) for k in keep]
        results = self._map(f"replay {name}", _replay_partition, items, start, end, config, int(seed),
                            contexts, bool(causes))
        result = merge_results(results)
        if causes:
            result.info["causes"] = True
        if planned is not None:
            hit, value = planned_point(planned.forecasts, planned.policies)
        else:
            hit = float("nan")
            value = (float(np.nansum(policies["inventory_value"].to_numpy(np.float64)))
                     if "inventory_value" in policies else float("nan"))
        return ScenarioRun(name=name, config=config, plan=planned, result=result, planned_hit_rate=hit,
                           planned_inventory_value=value)

    def cost_availability_curve(self, dataset, as_of, config: dict, levels=DEFAULT_LEVELS, *,
                                progress: ProgressFn = no_progress) -> pd.DataFrame:
        """:func:`partsopt.whatif.cost_availability_curve`, the policies solved partition by partition."""
        lv = _check_levels(levels)
        config = resolved(config)
        if network_coupled(config):  # the sweep's policies are coupled across parts: one process
            return cost_availability_curve(dataset, as_of, config, lv, progress=progress)
        ctx = plan_context(dataset, as_of, config)
        parts = [p for p in split_dataset(dataset, self.n_partitions) if is_plannable(p)]
        if not parts:
            return cost_availability_curve(dataset, as_of, config, lv, progress=progress)
        answers = self._map("curve", _curve_partition, [(p,) for p in parts], config, ctx, [float(x) for x in lv])
        forecasts = combine_frames([a[0] for a in answers], ["part", "location"])
        rows = []
        for i, level in enumerate(lv):
            pol = combine_frames([a[1][i] for a in answers], ["part", "location"])
            hit, value = planned_point(forecasts, pol)
            rows.append({"level": float(level), "expected_hit_rate": hit, "inventory_value": value,
                         "stocked": int((pol["order_up_to"] > 0).sum())})
        return pd.DataFrame(rows, columns=_CURVE_COLUMNS)


def run_scenario_on_cluster(client, dataset, name: str, config: dict, start, end, *, seed: int,
                            policies: pd.DataFrame | None = None, causes: bool = True, true_dataset=None,
                            n_partitions: int | None = None, progress: ProgressFn = no_progress) -> ScenarioRun:
    """:func:`partsopt.whatif.run_scenario` partition by part on ``client`` (None: in this process)."""
    runner = PartitionRunner(client, n_partitions=n_partitions, progress=progress)
    return runner.run_scenario(dataset, name, config, start, end, seed=seed, policies=policies, causes=causes,
                               true_dataset=true_dataset)


def curve_on_cluster(client, dataset, as_of, config: dict, levels=DEFAULT_LEVELS, *,
                     n_partitions: int | None = None, progress: ProgressFn = no_progress) -> pd.DataFrame:
    """:func:`partsopt.whatif.cost_availability_curve` partition by part on ``client`` (None: in this process)."""
    return PartitionRunner(client, n_partitions=n_partitions, progress=progress).cost_availability_curve(
        dataset, as_of, config, levels)


def run_whatif_on_cluster(client, dataset, scenarios, start, end, *, seed: int | None = None,
                          levels=DEFAULT_LEVELS, causes: bool = True, n_partitions: int | None = None,
                          progress: ProgressFn = no_progress) -> WhatifResult:
    """:func:`partsopt.whatif.run_whatif` partition by part on ``client`` (None: in this process)."""
    runner = PartitionRunner(client, n_partitions=n_partitions, progress=progress)
    return run_whatif(dataset, scenarios, start, end, seed=seed, levels=levels, causes=causes, progress=progress,
                      runner=runner)


__all__ = ["DEFAULT_LOCAL_PARTITIONS", "PartitionRunner", "check_replay_workers", "curve_on_cluster", "network_coupled", "replan_dates",
           "run_scenario_on_cluster", "run_whatif_on_cluster", "split_by_part"]
