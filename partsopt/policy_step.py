"""Pipeline step 2: stock policies per part-location, echelon by echelon.

Each part-location gets the least-cost periodic-review policy (reorder point s,
order-up-to S) that meets its targets, from :func:`policies.optimize_single`
with daily periods:

* **demand**: the replenishment flow per day (own customers + the locations it
  supplies, from :mod:`partsopt.forecast_step`), negative binomial when the
  variance exceeds the mean, else Poisson; lines of log-series sizes (the
  compound-Poisson reading of the negative binomial) so the hit rate counts
  multi-unit lines as the customer sees them;
* **lead time**: :mod:`partsopt.leadtimes` (master data, corrected by receipts);
  with ``policy.multi_echelon`` a location supplied by a warehouse also waits
  for the warehouse's stock: its lead time is ``transit + W`` with the METRIC
  mean wait ``W = E[backorders at the parent] / flow into the parent`` [days]
  (Sherbrooke 1968; Little's law), unless its lead time already comes from
  receipts (which include the waits that really happened);
* **targets**: customer-facing rows get ``service.target`` at the level of their
  criticality class, the on-time target ``service.otd_target`` (a miss
  delivered by emergency from the parent is on time when the parent has stock
  and ``emergency_days`` fit into the promised lead time: probability
  ``ready_rate(parent) · 1[emergency_days ≤ promise_days]``) and the
  normal-order-rate floor ``service.normal_order_rate``; warehouses that only
  supply other locations get the unit fill rate ``policy.upper_fill_rate``;
* **costs**: the location's holding rate, order cost and emergency cost (or the
  scenario's ``costs.*`` overrides) with the part's unit cost, pack size, MOQ;
* **order quantity** ``Q = S − s`` [units]: at least ``policy.min_order_up_to_gap`` (and the
  MOQ, rounded up to the pack size).  ``policy.type = "sS"`` searches the least-cost Q above
  that minimum; ``"base_stock"`` fixes Q at it, i.e. order-up-to-S at every review where
  IP ≤ S − Q (S = s + 1, a pure base-stock policy, for a part sold by the unit with MOQ 1 and
  the default gap 1; Silver, Pyke & Thomas 2017, §7.1.2).

The echelons are solved top-down (depth 0 = the central warehouse) because a
location's lead time and emergency on-time probability depend on its parent's
policy.  Within an echelon every row is solved at once (vectorised).

With ``service.scope = "network"`` or a ``budget.total``, the customer-facing
reorder points are then re-chosen by one shadow price across the network
(:mod:`partsopt.network_step`, order quantities kept).

Afterwards: ``items.stocked = false`` → s = S = 0 (served from the parent);
``items.min_qty`` raises s to at least it and ``items.max_qty`` caps S
(manual overrides, kept visible in the reason); superseded parts get s = S = 0.
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd

from policies.service import evaluate_policy
from policies.single import optimize_single
from partsopt.config import service_level_for

POLICY_COLUMNS = ["part", "location", "policy", "reorder_point", "order_up_to", "safety_stock",
                  "lead_time_days", "review_days", "target_name", "target_level", "expected_hit_rate",
                  "expected_fill_rate", "expected_on_hand", "inventory_value", "annual_holding_cost", "reason"]


#: Environment variable: threads of the optimiser in one plan (default min(2, cores)).  Dask
#: workers run one task per worker thread, so partsopt's local clusters set it to 1
#: (:func:`partsopt.dask_backend.connect`); set it to 1 in the environment of remote workers too.
THREADS_ENV = "PARTSOPT_THREADS"


def optimiser_threads() -> int:
    """Threads for :func:`policies.optimize_single` (results do not depend on it)."""
    raw = os.environ.get(THREADS_ENV, "").strip()
    if raw:
        try:
            n = int(raw)
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"{THREADS_ENV} must be an integer >= 1; received {raw!r}")
        return n
    return min(2, os.cpu_count() or 1)


def _cost_column(config_value: float, location_values: np.ndarray, unset: float) -> np.ndarray:
    return location_values if config_value == unset else np.full(len(location_values), float(config_value))


def plan_policies(fc: pd.DataFrame, lead: pd.DataFrame, parts: pd.DataFrame, locations: pd.DataFrame,
                  config: dict, *, promise_days: pd.Series | None = None,
                  depth: pd.Series | None = None, extras: dict | None = None) -> pd.DataFrame:
    """Policies for every row of ``fc`` (forecasts with flows) joined with ``lead`` (lead times).

    ``extras`` (a dict, optional) receives per-row inputs the network allocation reuses
    (:mod:`partsopt.network_step`): ``e_on_time`` (emergency on-time probability),
    ``holding_rate``, ``order_cost``, ``emergency_cost`` and ``ltd_mean`` (mean flow over lead
    time + review [units]).

    Each echelon is one call of the optimiser.  Its result for a row depends on
    that row alone (not on the other rows of the call: ``tests/policies/
    test_row_independence.py``), so a plan on any partition of the parts gives
    the same bytes as the plan of the whole network (DESIGN.md §9).
    """
    from partsopt.forecast_step import location_depth

    depth = location_depth(locations) if depth is None else depth
    rows = fc.merge(lead[["part", "location", "lt_mean_days", "lt_sd_days", "lt_source"]],
                    on=["part", "location"], how="left")
    p = parts.set_index("part")
    loc = locations.set_index("location")
    rows["criticality"] = p["criticality"].reindex(rows["part"]).to_numpy()
    rows["unit_cost"] = p["unit_cost"].reindex(rows["part"]).to_numpy(np.float64)
    rows["pack_size"] = p["pack_size"].reindex(rows["part"]).to_numpy(np.int64)
    rows["moq"] = p["moq"].reindex(rows["part"]).to_numpy(np.int64)
    rows["parent"] = loc["parent"].reindex(rows["location"]).to_numpy()
    rows["depth"] = depth.reindex(rows["location"]).to_numpy(np.int64)
    cfg_review = float(config["policy"]["review_days"])
    rows["review_days"] = (np.full(len(rows), cfg_review) if cfg_review > 0
                           else loc["review_days"].reindex(rows["location"]).to_numpy(np.float64))
    costs = config["costs"]
    rows["holding_rate"] = _cost_column(costs["holding_rate"], loc["holding_rate"].reindex(rows["location"]).to_numpy(), 0.0)
    rows["order_cost"] = _cost_column(costs["order_cost"], loc["order_cost"].reindex(rows["location"]).to_numpy(), -1.0)
    rows["emergency_cost"] = _cost_column(costs["emergency_cost"],
                                          loc["emergency_cost"].reindex(rows["location"]).to_numpy(), -1.0)
    emergency_days = loc["emergency_days"].reindex(rows["location"]).to_numpy(np.float64)
    promise = (promise_days.reindex(rows["location"]).fillna(0.0).to_numpy(np.float64)
               if promise_days is not None else np.zeros(len(rows)))
    customer = rows["mean_per_day"].to_numpy() > 0
    level = service_level_for(config, rows["criticality"].to_numpy())
    svc = config["service"]

    n = len(rows)
    res_cols = {k: np.full(n, np.nan) for k in ("reorder_point", "order_up_to", "safety_stock", "lead_time_days",
                                                 "expected_hit_rate", "expected_fill_rate", "expected_ready_rate",
                                                 "expected_on_hand", "expected_backorders", "expected_otd_rate",
                                                 "inventory_value", "annual_holding_cost", "annual_cost",
                                                 "normal_order_rate", "orders_per_year", "wait_days", "order_quantity")}
    policy = np.full(n, "sS", dtype=object)
    reason = np.full(n, "", dtype=object)
    target_name = np.where(customer, svc["target"], "fill_rate").astype(object)
    target_level = np.where(customer, level, float(config["policy"]["upper_fill_rate"]))
    multi = bool(config["policy"]["multi_echelon"])
    q_min, max_q = order_quantity_bounds(rows["moq"].to_numpy(np.int64), config)
    e_on_all = np.zeros(n)
    key = pd.MultiIndex.from_frame(rows[["part", "location"]])

    for d in sorted(rows["depth"].unique()):
        sel = np.flatnonzero((rows["depth"] == d).to_numpy())
        sub = rows.iloc[sel]
        L = sub["lt_mean_days"].to_numpy(np.float64).copy()
        e_on_time = np.zeros(len(sel))
        wait = np.zeros(len(sel))
        if d > 0:
            pidx = key.get_indexer(pd.MultiIndex.from_arrays([sub["part"].to_numpy(), sub["parent"].to_numpy()]))
            has_parent = pidx >= 0
            parent_ready = np.where(has_parent, res_cols["expected_ready_rate"][np.maximum(pidx, 0)], 0.0)
            parent_ready = np.nan_to_num(parent_ready, nan=1.0)
            e_on_time = parent_ready * (emergency_days[sel] <= promise[sel])
            if multi:
                wait = np.where(has_parent, res_cols["wait_days"][np.maximum(pidx, 0)], 0.0)
                wait = np.where(sub["lt_source"].to_numpy() == "receipts", 0.0, np.nan_to_num(wait))
                L = L + wait
        e_on_all[sel] = e_on_time
        mean = sub["flow_mean_per_day"].to_numpy(np.float64)
        var = np.maximum(sub["flow_var_per_day"].to_numpy(np.float64), mean)
        active = mean > 0
        res_cols["lead_time_days"][sel] = L
        for grp in [active]:  # the whole echelon in one call (rows are independent, see above)
            if not grp.any():
                continue
            a = sel[grp]
            cust = customer[a]
            out = optimize_single(
                "nbinom", mean[grp], var[grp], lead_time=L[grp],
                review_period=rows["review_days"].to_numpy()[a], unit_cost=rows["unit_cost"].to_numpy()[a],
                holding_rate=rows["holding_rate"].to_numpy()[a], order_cost=rows["order_cost"].to_numpy()[a],
                emergency_cost=rows["emergency_cost"].to_numpy()[a], target_type=target_name[a],
                target_level=target_level[a],
                otd_target=np.where(cust, svc["otd_target"], np.nan),
                emergency_on_time=e_on_time[grp],
                normal_order_target=(np.where(cust, svc["normal_order_rate"], np.nan)
                                     if svc["normal_order_rate"] > 0 else None),
                pack_size=rows["pack_size"].to_numpy()[a], moq=q_min[a], max_q=max_q,
                q_method=config["policy"]["q_method"], periods_per_year=365.0,
                lead_time_sd=sub["lt_sd_days"].to_numpy(np.float64)[grp], line_size_pmf="family",
                tail=1e-6, chunk_size=4096, workers=optimiser_threads())
            for col in ("reorder_point", "order_up_to", "safety_stock", "expected_hit_rate", "expected_fill_rate",
                        "expected_ready_rate", "expected_on_hand", "expected_backorders", "expected_otd_rate",
                        "inventory_value", "annual_holding_cost", "annual_cost", "normal_order_rate",
                        "orders_per_year", "order_quantity"):
                res_cols[col][a] = out[col].to_numpy(np.float64)
            policy[a] = out["policy"].to_numpy(dtype=object)
            reason[a] = gap_note(out["reason"].to_numpy(dtype=object), rows["moq"].to_numpy(np.int64)[a],
                                 q_min[a], config)
            flow = mean[grp]
            res_cols["wait_days"][a] = out["expected_backorders"].to_numpy(np.float64) / flow
        idle = sel[~active]
        for col, v in (("reorder_point", 0.0), ("order_up_to", 0.0), ("safety_stock", 0.0),
                       ("expected_hit_rate", 1.0), ("expected_fill_rate", 1.0), ("expected_ready_rate", 0.0),
                       ("expected_on_hand", 0.0), ("expected_backorders", 0.0), ("expected_otd_rate", 1.0),
                       ("inventory_value", 0.0), ("annual_holding_cost", 0.0), ("annual_cost", 0.0),
                       ("normal_order_rate", 1.0), ("orders_per_year", 0.0), ("wait_days", 0.0),
                       ("order_quantity", 0.0)):
            res_cols[col][idle] = v
        reason[idle] = "no demand forecast here or below: not stocked (s = S = 0)"
        res_cols["wait_days"][sel[active]] = np.nan_to_num(res_cols["wait_days"][sel[active]])

    out = rows[["part", "location"]].copy()
    out["policy"] = policy
    for col, vals in res_cols.items():
        out[col] = vals
    # an optimiser reorder point of -1 with S = 0 is "not stocked": DESIGN.md writes s = S = 0
    zero = out["order_up_to"].to_numpy() <= 0
    out.loc[zero, "reorder_point"] = 0.0
    # Q drives the (s, nQ) order rule only; (s, S) rows order up to S (partsopt.ordering)
    out["order_quantity"] = np.where(out["policy"].to_numpy() == "snQ", out["order_quantity"].to_numpy(), 0.0)
    out["review_days"] = rows["review_days"].to_numpy()
    out["target_name"] = target_name
    out["target_level"] = target_level
    out["reason"] = reason
    out["criticality"] = rows["criticality"].to_numpy()
    out["unit_cost"] = rows["unit_cost"].to_numpy()
    out["pack_size"] = rows["pack_size"].to_numpy()
    out["moq"] = rows["moq"].to_numpy()
    out["lt_source"] = rows["lt_source"].to_numpy()
    out["demand_class"] = rows["demand_class"].to_numpy()
    if extras is not None:
        extras.update(e_on_time=e_on_all, holding_rate=rows["holding_rate"].to_numpy(np.float64),
                      order_cost=rows["order_cost"].to_numpy(np.float64),
                      emergency_cost=rows["emergency_cost"].to_numpy(np.float64),
                      ltd_mean=rows["flow_mean_per_day"].to_numpy(np.float64) * (
                          res_cols["lead_time_days"] + rows["review_days"].to_numpy(np.float64)))
    return out


def order_quantity_bounds(moq: np.ndarray, config: dict) -> tuple[np.ndarray, int]:
    """The optimiser's least order quantity per row and its cap on the Q search [units].

    ``S − s >= max(moq, policy.min_order_up_to_gap)`` is the same constraint on Q as the MOQ
    (:func:`policies.optimize_single` rounds it up to the pack size), so the gap is passed as a
    raised MOQ; the part's own MOQ still drives the order rule.  ``policy.type = "base_stock"``
    caps the search at one unit, which leaves Q at that least value (``max_q`` = 1).
    """
    gap = int(config["policy"]["min_order_up_to_gap"])
    q_min = np.maximum(np.asarray(moq, dtype=np.int64), gap)
    max_q = 1 if config["policy"]["type"] == "base_stock" else 500
    return q_min, max_q


def gap_note(reason: np.ndarray, moq: np.ndarray, q_min: np.ndarray, config: dict) -> np.ndarray:
    """Reasons of the rows whose least order quantity the gap (not the MOQ) set, with that said."""
    raised = q_min > moq
    if not raised.any():
        return reason
    out = reason.copy()
    out[raised] = (pd.Series(reason[raised]).astype(str)
                   + f"; S - s >= policy.min_order_up_to_gap = {int(config['policy']['min_order_up_to_gap'])}"
                   + " (the part's MOQ is " + pd.Series(moq[raised]).astype(str) + ")").to_numpy(dtype=object)
    return out


def override_levels(s: np.ndarray, S: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """The manual min/max override rule (``items.min_qty`` / ``max_qty``, NaN = none).

    s is raised to min_qty (and S to at least s + 1); S is capped at max_qty (and s to at
    most max_qty − 1, not below 0).  Returns ``(s, S, raised, capped)``.
    """
    raise_s = ~np.isnan(lo) & (lo > s)
    cap_S = ~np.isnan(hi) & (hi < S)
    s = np.where(raise_s, lo, s)
    S = np.where(raise_s, np.maximum(S, s + 1), S)
    S = np.where(cap_S, hi, S)
    s = np.where(cap_S, np.minimum(s, np.maximum(hi - 1, 0)), s)
    return s, S, raise_s, cap_S


def apply_overrides(pol: pd.DataFrame, items: pd.DataFrame, superseded: pd.Series | None = None) -> pd.DataFrame:
    """items.stocked / min_qty / max_qty and supersession, applied after optimisation (vectorised)."""
    out = pol.copy()
    if items is not None and len(items):
        m = out[["part", "location"]].merge(items[["part", "location", "stocked", "min_qty", "max_qty"]],
                                            on=["part", "location"], how="left")
        not_stocked = (m["stocked"] == False).to_numpy()  # noqa: E712 - NaN (no override) is not False
        lo = m["min_qty"].to_numpy(np.float64)
        hi = m["max_qty"].to_numpy(np.float64)
        s = out["reorder_point"].to_numpy(np.float64).copy()
        S = out["order_up_to"].to_numpy(np.float64).copy()
        s, S, raise_s, cap_S = override_levels(s, S, lo, hi)
        reason = out["reason"].to_numpy(dtype=object).copy()
        reason = np.where(raise_s, reason + "; override: s raised to min_qty " + pd.Series(lo).astype(str).to_numpy(), reason)
        reason = np.where(cap_S, reason + "; override: S capped at max_qty " + pd.Series(hi).astype(str).to_numpy(), reason)
        s = np.where(not_stocked, 0.0, s)
        S = np.where(not_stocked, 0.0, S)
        # a manual min/max is an (s, S) policy: the (s, nQ) batch no longer applies
        out["order_quantity"] = np.where(raise_s | cap_S | not_stocked, 0.0, out["order_quantity"].to_numpy())
        reason = np.where(not_stocked, "not stocked here (items.stocked = false): served from the parent", reason)
        out["reorder_point"], out["order_up_to"], out["reason"] = s, S, reason
        out["override"] = np.where(not_stocked, "not_stocked", np.where(raise_s, "min_qty",
                                   np.where(cap_S, "max_qty", "")))
    else:
        out["override"] = ""
    if superseded is not None and len(superseded):
        sup = out["part"].isin(superseded.index).to_numpy()
        succ = out["part"].map(superseded).to_numpy(dtype=object)
        out.loc[sup, ["reorder_point", "order_up_to", "order_quantity"]] = 0.0
        out.loc[sup, "reason"] = "superseded by " + pd.Series(succ[sup]).astype(str).to_numpy() + \
            ": no new stock; its stock is used up first"
        out.loc[sup, "override"] = "superseded"
    return out


def reevaluate_overridden(pol: pd.DataFrame, fc: pd.DataFrame, lead: pd.DataFrame) -> pd.DataFrame:
    """Expected KPIs of rows whose levels an override changed, at the levels actually used.

    min/max overrides: :func:`policies.service.evaluate_policy` at the new (s, S)
    (same demand, lead time and review as the optimiser saw), all rows in one
    call (each row's result depends on that row alone).  Not stocked or
    superseded: nothing on hand, every customer line a miss.
    """
    out = pol.copy()
    kind = out["override"].to_numpy()
    zero = np.isin(kind, ("not_stocked", "superseded")) | ((kind != "") & (out["order_up_to"].to_numpy() <= 0))
    if zero.any():
        direct = fc["mean_per_day"].to_numpy() > 0
        out.loc[zero, ["expected_on_hand", "inventory_value", "annual_holding_cost", "safety_stock"]] = 0.0
        for col in ("expected_hit_rate", "expected_fill_rate", "expected_ready_rate"):
            out.loc[zero, col] = np.where(direct[zero], 0.0, 1.0)
    moved = (kind != "") & ~zero
    flow = fc["flow_mean_per_day"].to_numpy(np.float64)
    moved &= flow > 0
    groups = [np.flatnonzero(moved)]
    var = np.maximum(fc["flow_var_per_day"].to_numpy(np.float64), flow)
    cols = {"expected_hit_rate": "hit_rate", "expected_fill_rate": "fill_rate",
            "expected_ready_rate": "ready_rate", "expected_on_hand": "expected_on_hand",
            "expected_backorders": "expected_backorders", "orders_per_year": "orders_per_year"}
    for idx in groups:
        if not len(idx):
            continue
        ev = evaluate_policy("nbinom", flow[idx], var[idx], out["lead_time_days"].to_numpy()[idx],
                             out["review_days"].to_numpy()[idx],
                             reorder_point=np.floor(out["reorder_point"].to_numpy()[idx]).astype(np.int64),
                             order_up_to=np.ceil(out["order_up_to"].to_numpy()[idx]).astype(np.int64),
                             lead_time_sd=lead["lt_sd_days"].to_numpy(np.float64)[idx], line_size_pmf="family")
        for mine, theirs in cols.items():
            out.loc[out.index[idx], mine] = ev[theirs].to_numpy()
        value = out["expected_on_hand"].to_numpy()[idx] * out["unit_cost"].to_numpy()[idx]
        out.loc[out.index[idx], "inventory_value"] = value
        rate = np.asarray(out["annual_holding_cost"].to_numpy()[idx] / np.maximum(
            pol["inventory_value"].to_numpy()[idx], 1e-300))
        out.loc[out.index[idx], "annual_holding_cost"] = value * np.where(np.isfinite(rate), rate, 0.0)
    return out
