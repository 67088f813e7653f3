"""The weekly planning cycle: dataset → forecasts → policies → order suggestions.

DataFrames in, DataFrames out; no files (the CLI writes them).  :func:`plan`
runs, for one as-of date:

1. **Cut** the history at as-of: only demand lines dated before as-of and
   receipts received before as-of are used (no look-ahead).
2. **Supersession**: demand of a superseded part counts for the last part of
   its chain (:mod:`partsopt.supersession`).
3. **Part-locations**: every (part, location) with demand in the history
   window, a stock record, an items override or an installed-base rate, plus
   every warehouse above them (it replenishes them).
4. **Forecasts** and replenishment flows (:mod:`partsopt.forecast_step`).
5. **Lead times** from master data and receipts (:mod:`partsopt.leadtimes`).
6. **Policies**, echelon by echelon (:mod:`partsopt.policy_step`); with
   ``service.scope = "network"`` or a ``budget.total`` the customer-facing
   reorder points are then chosen by one shadow price (:mod:`partsopt.network_step`);
   then the manual overrides of the items table and supersession (old part: s = S = 0).
   :func:`draft_plan` stops before the price, :func:`finish_plan` applies it and
   goes on: the two halves a cluster runs on every partition around the client's
   bisection (:func:`partsopt.dask_backend.plan_on_cluster`).
7. **Orders** from the inventory snapshot with the one order rule
   (:mod:`partsopt.ordering`); a superseded part's stock counts towards its
   successor's inventory position at the same location (it is used up first).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting.leadtime import lead_time_moments
from partsopt.config import default_config
from partsopt.errors import ConfigError
from partsopt.forecast_step import add_flows, forecast_part_locations, location_depth
from partsopt.leadtimes import lead_time_table
from partsopt.network_step import (Allocation, NetworkOptions, apply_allocation, build_options,
                                   needs_allocation, partition_summary, respond, solve_allocation)
from partsopt.ordering import order_suggestions
from partsopt.partition import part_buckets, row_buckets
from partsopt.policy_step import POLICY_COLUMNS, apply_overrides, plan_policies, reevaluate_overridden
from partsopt.progress import ProgressFn, no_progress
from partsopt.supersession import final_successor
from partsopt.validate import Dataset

FORECAST_COLUMNS = ["part", "location", "demand_class", "method", "mean_per_day", "var_per_day",
                    "ltd_family", "ltd_mean", "ltd_var"]


@dataclass
class PlanResult:
    """What :func:`plan` returns: the three output tables of DESIGN.md §5 and context."""

    forecasts: pd.DataFrame
    policies: pd.DataFrame
    orders: pd.DataFrame
    as_of: pd.Timestamp
    config: dict
    issues: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the network allocation (:meth:`partsopt.network_step.Allocation.record`), None in row scope
    network: dict | None = None


def parse_as_of(as_of) -> pd.Timestamp:
    """The as-of date as a normalised Timestamp (ConfigError, exit 2, when it is not a date)."""
    try:
        return pd.Timestamp(as_of).normalize()
    except (ValueError, TypeError):
        raise ConfigError("--as-of is not a date.", where="--as-of", received=repr(as_of),
                          fix="write it as YYYY-MM-DD.") from None


def check_as_of_dates(as_of, first, last) -> pd.Timestamp:
    """The as-of date must fall after the first demand line (``first``) and at most a year after
    the last (``last``)."""
    ts = parse_as_of(as_of)
    if ts <= first or ts > last + pd.Timedelta(days=366):
        raise ConfigError("--as-of is outside the demand history.", where="--as-of",
                          received=f"{ts.date()}; the history runs from {first.date()} to {last.date()}",
                          fix=f"choose a date after {first.date()} and no later than a year after {last.date()} "
                              "(usually the Monday after the last full week of history).")
    return ts


def check_as_of(dataset: Dataset, as_of) -> pd.Timestamp:
    """The as-of date must fall after the first demand line and at most a year after the last."""
    return check_as_of_dates(as_of, dataset.demand["date"].min(), dataset.demand["date"].max())


def part_locations(lines: pd.DataFrame, dataset: Dataset, final: pd.Series, locations: pd.DataFrame,
                   window_start) -> pd.DataFrame:
    """Every (part, location) to plan: demand, stock, overrides, installed base, and their ancestors."""
    frames = [lines.loc[lines["date"] >= window_start, ["part", "location"]] if window_start is not None
              else lines[["part", "location"]]]
    if len(dataset.inventory):
        inv = dataset.inventory
        held = inv[(inv["on_hand"] > 0) | (inv["on_order"] > 0) | (inv["backorders"] > 0)]
        frames.append(pd.DataFrame({"part": held["part"].map(final).to_numpy(), "location": held["location"].to_numpy()}))
    if len(dataset.items):
        frames.append(pd.DataFrame({"part": dataset.items["part"].map(final).to_numpy(),
                                    "location": dataset.items["location"].to_numpy()}))
    if len(dataset.install_base) and len(dataset.bom):
        ib = dataset.install_base[["location", "model"]].merge(
            dataset.bom.loc[dataset.bom["failure_rate"].fillna(0) > 0, ["model", "part"]], on="model")
        frames.append(pd.DataFrame({"part": ib["part"].map(final).to_numpy(), "location": ib["location"].to_numpy()}))
    keys = pd.concat(frames, ignore_index=True).drop_duplicates()
    parent = locations.set_index("location")["parent"]
    level = keys
    while len(level):  # add ancestors, one tree level per round
        up = pd.DataFrame({"part": level["part"].to_numpy(), "location": level["location"].map(parent).to_numpy()})
        up = up[up["location"].notna() & (up["location"] != "")].drop_duplicates()
        merged = up.merge(keys, on=["part", "location"], how="left", indicator=True)
        level = merged.loc[merged["_merge"] == "left_only", ["part", "location"]]
        keys = pd.concat([keys, level], ignore_index=True)
    # a superseded part still held somewhere keeps a row: its policy says s = S = 0 and why
    if len(dataset.inventory):
        inv = dataset.inventory
        old = inv[(inv["part"].map(final) != inv["part"]) & (inv["on_hand"] + inv["on_order"] > 0)]
        keys = pd.concat([keys, old[["part", "location"]]], ignore_index=True).drop_duplicates()
    return keys.sort_values(["part", "location"], kind="stable").reset_index(drop=True)


def promise_days_by_location(demand: pd.DataFrame) -> pd.Series:
    """Median promised lead time of customer lines per location [days] (0 = same day)."""
    d = (demand["promised_date"] - demand["date"]).dt.days
    return d.groupby(demand["location"]).median().astype(np.float64)


@dataclass(frozen=True)
class PlanContext:
    """The network-wide facts a plan needs beyond one part's rows (DESIGN.md §9).

    Everything else in :func:`plan` is per part (forecasts per series, policies
    per row, echelons within a part), so a plan run on a partition of the parts
    with the context of the whole dataset gives exactly the rows of the
    whole-dataset plan.

    as_of          the checked as-of date
    promise_days   median promised lead time of customer lines per location
                   [days], over all parts (:func:`promise_days_by_location`)
    first_date     first demand date before as-of over all parts (the history
                   start when ``forecast.history_periods`` = 0, i.e. all history)
    """

    as_of: pd.Timestamp
    promise_days: pd.Series
    first_date: pd.Timestamp | None


def plan_context(dataset: Dataset, as_of, config: dict | None = None) -> PlanContext:
    """Check ``as_of`` and compute the network-wide :class:`PlanContext` from the whole dataset."""
    as_of = check_as_of(dataset, as_of)
    lines = dataset.demand[dataset.demand["date"] < as_of]
    first = lines["date"].min() if len(lines) else None
    return PlanContext(as_of=as_of, promise_days=promise_days_by_location(lines), first_date=first)


@dataclass
class PlanInputs:
    """Steps 1-5 of :func:`plan`: everything the policy step needs (reused by what-if sweeps)."""

    as_of: pd.Timestamp
    final: pd.Series
    forecasts: pd.DataFrame
    lead_times: pd.DataFrame
    depth: pd.Series
    buckets: np.ndarray
    context: "PlanContext"
    successors: pd.Series | None


def prepare_plan(dataset: Dataset, as_of, config: dict, *, context: "PlanContext | None" = None,
                 progress: ProgressFn = no_progress) -> PlanInputs:
    """History cut, supersession, part-locations, forecasts with flows and lead times (steps 1-5)."""
    from partsopt.forecast_step import history_window

    if context is None:
        context = plan_context(dataset, as_of, config)
    as_of = context.as_of
    lines = dataset.demand[dataset.demand["date"] < as_of]
    final = final_successor(dataset.parts)
    lines = lines.assign(part=lines["part"].map(final).to_numpy())
    receipts = dataset.receipts
    if len(receipts):
        receipts = receipts[receipts["order_date"] < as_of]
    start, _ = history_window(as_of, config["forecast"]["freq"], int(config["forecast"]["history_periods"]))
    keys = part_locations(lines, dataset, final, dataset.locations, start)
    progress(1, 6, "plan: forecasts")
    fc = forecast_part_locations(lines, keys, as_of, config, dataset.install_base, dataset.bom,
                                 parent=dataset.locations.set_index("location")["parent"],
                                 first_date=context.first_date)
    fc = add_flows(fc, dataset.locations)
    progress(2, 6, "plan: lead times")
    lead = lead_time_table(keys, dataset.parts, dataset.locations, receipts, dataset.items, as_of=as_of)
    # optimiser calls per bucket of parts: results independent of the partitioning (partsopt.partition)
    buckets = row_buckets(fc["part"].to_numpy(), part_buckets(dataset.parts))
    superseded = dataset.parts.loc[dataset.parts["superseded_by"] != "", "part"]
    succ = final.loc[superseded.to_numpy()] if len(superseded) else None
    return PlanInputs(as_of=as_of, final=final, forecasts=fc, lead_times=lead,
                      depth=location_depth(dataset.locations), buckets=buckets, context=context, successors=succ)


@dataclass
class PlanDraft:
    """A plan up to the network allocation (steps 1-6 before the shadow price).

    ``policies`` is the per-row plan (before the allocation and the overrides),
    ``options`` the option tables of its customer-facing rows (None when the
    configuration needs no allocation), ``extras`` the per-row inputs of
    :func:`partsopt.policy_step.plan_policies` that the allocation reuses.
    """

    prep: PlanInputs
    dataset: Dataset
    config: dict
    policies: pd.DataFrame
    options: NetworkOptions | None
    extras: dict


def draft_policies(prep: PlanInputs, dataset: Dataset, config: dict):
    """Per-row policies echelon by echelon and, when needed, their option tables."""
    extras: dict = {}
    pol = plan_policies(prep.forecasts, prep.lead_times, dataset.parts, dataset.locations, config,
                        promise_days=prep.context.promise_days, depth=prep.depth, extras=extras)
    options = None
    if needs_allocation(config):
        options = build_options(pol, prep.forecasts, prep.lead_times, dataset.locations, config,
                                e_on_time=extras["e_on_time"], buckets=prep.buckets, items=dataset.items)
    return pol, options, extras


def allocate_locally(options: NetworkOptions | None, config: dict) -> Allocation | None:
    """The shadow-price bisection in this process (the cluster runs the same loop)."""
    if options is None:
        return None
    return solve_allocation(partition_summary(options), lambda prices: respond(options, prices), config)


def finish_policies(pol: pd.DataFrame, options: NetworkOptions | None, allocation: Allocation | None,
                    prep: PlanInputs, dataset: Dataset, extras: dict) -> pd.DataFrame:
    """The allocation's levels, then overrides and supersession, re-evaluated where changed."""
    if allocation is not None:
        pol = apply_allocation(pol, options, allocation, dataset.locations, extras)
    pol = apply_overrides(pol, dataset.items, prep.successors)
    return reevaluate_overridden(pol, prep.forecasts, prep.lead_times)


def solve_policies(prep: PlanInputs, dataset: Dataset, config: dict) -> pd.DataFrame:
    """Step 6: policies echelon by echelon, the network allocation when configured, overrides
    and supersession, re-evaluated where changed."""
    pol, options, extras = draft_policies(prep, dataset, config)
    return finish_policies(pol, options, allocate_locally(options, config), prep, dataset, extras)


def draft_plan(dataset: Dataset, as_of, config: dict | None = None, *, progress: ProgressFn = no_progress,
               context: PlanContext | None = None) -> PlanDraft:
    """Steps 1-6 up to the shadow price (see :func:`plan`)."""
    config = config or default_config()
    progress(0, 6, "plan: history")
    prep = prepare_plan(dataset, as_of, config, context=context, progress=progress)
    progress(3, 6, "plan: policies")
    pol, options, extras = draft_policies(prep, dataset, config)
    return PlanDraft(prep=prep, dataset=dataset, config=config, policies=pol, options=options, extras=extras)


def plan(dataset: Dataset, as_of, config: dict | None = None, *, progress: ProgressFn = no_progress,
         context: PlanContext | None = None) -> PlanResult:
    """Run the weekly planning cycle for ``as_of`` (see the module docstring).

    ``context`` (from :func:`plan_context` on the whole dataset) lets ``dataset``
    be one partition of the parts (:mod:`partsopt.partition`); ``as_of`` is then
    ignored in favour of ``context.as_of``.
    """
    draft = draft_plan(dataset, as_of, config, progress=progress, context=context)
    return finish_plan(draft, allocate_locally(draft.options, draft.config), progress=progress)


def finish_plan(draft: PlanDraft, allocation: Allocation | None, *,
                progress: ProgressFn = no_progress) -> PlanResult:
    """Steps 6-7 after the shadow price: allocation, overrides, orders (see :func:`plan`)."""
    prep, dataset, config = draft.prep, draft.dataset, draft.config
    steps = 6
    as_of, fc, lead = prep.as_of, prep.forecasts, prep.lead_times
    pol = finish_policies(draft.policies, draft.options, allocation, prep, dataset, draft.extras)

    progress(4, steps, "plan: lead-time demand")
    ltd_mean, ltd_var = lead_time_moments(fc["flow_mean_per_day"].to_numpy(), fc["flow_var_per_day"].to_numpy(),
                                          pol["lead_time_days"].to_numpy(), lead["lt_sd_days"].to_numpy(),
                                          pol["review_days"].to_numpy())
    forecasts = fc.copy()
    forecasts["ltd_family"] = np.where(ltd_var > ltd_mean * (1 + 1e-9), "nbinom", "poisson")
    forecasts["ltd_mean"] = ltd_mean
    forecasts["ltd_var"] = ltd_var
    forecasts = forecasts[FORECAST_COLUMNS + [c for c in forecasts.columns if c not in FORECAST_COLUMNS]]

    progress(5, steps, "plan: orders")
    orders = plan_orders(pol, dataset, prep.final, as_of)
    policies_out = pol[POLICY_COLUMNS + [c for c in pol.columns if c not in POLICY_COLUMNS]]
    progress(6, steps, "plan: done")
    return PlanResult(forecasts=forecasts, policies=policies_out, orders=orders, as_of=as_of, config=config,
                      issues=dataset.issues, network=None if allocation is None else allocation.record())


def plan_orders(pol: pd.DataFrame, dataset: Dataset, final: pd.Series, as_of) -> pd.DataFrame:
    """Order suggestions from the inventory snapshot; old parts' stock counts for their successors."""
    inv = dataset.inventory
    if len(inv):
        inv = inv.assign(part=inv["part"].map(final).to_numpy())
        inv = inv.groupby(["part", "location"], as_index=False)[["on_hand", "on_order", "backorders"]].sum()
    monday = pd.Timestamp(as_of) - pd.Timedelta(days=pd.Timestamp(as_of).dayofweek)
    live = pol[pol["override"] != "superseded"]
    orders = order_suggestions(live, inv, dataset.parts, dataset.locations, monday)
    if len(orders):
        orders["as_of"] = pd.Timestamp(as_of)
    return orders
