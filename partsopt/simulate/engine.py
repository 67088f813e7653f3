"""The replay simulator: repair-order lines replayed day by day against a policy.

State (numpy arrays over the rows of :mod:`partsopt.simulate.network`, one row
per part-location) and a loop over days; every step inside a day is a handful
of whole-array operations, never a Python loop over rows.

State per row [units]
---------------------
``on_hand``      physical stock
``on_order``     ordered by the row and not yet received (in transit, or
                 waiting at the parent)
``backorders``   customer demand owed by the row (lines not yet delivered)
``wait_e/wait_n``  the row's emergency / normal orders waiting at its parent
                 (the parent was out of stock); the parent owes them
``owed_e/owed_n``  per parent row: the sum of its children's waiting orders

The day loop (day t)
--------------------
1. *Re-plan* (only with a ``planner`` every ``replan_weeks`` weeks): the
   planner sees the data before day t only (demand lines dated < t, receipts
   received < t, the simulated stock at the start of t) and returns the
   policies used from day t on.
2. *Receive* every stock arrival due on day t (``on_hand += q``,
   ``on_order −= q``) and fill the row's backorders from it, oldest first.
3. *Ship waiting orders*: each parent's free stock goes to its children's
   waiting orders, emergency orders before normal ones, children in row order;
   a shipment arrives at the child after ``emergency_days`` (emergency) or the
   transit time (normal: drawn, see :mod:`partsopt.simulate.leadtimes`).
4. *Serve the day's demand lines* in line order per row (a grouped cumulative
   sum): each line takes what it can from local stock; the shortfall is shipped
   by emergency from the parent's stock (delivered after the row's
   ``emergency_days``: a *miss* that may still be on time); with
   ``lateral=True`` what the parent cannot cover comes from the sibling location
   (same parent) with the most stock, on the same terms; what is left is
   backordered at the row and filled on arrival (FIFO).
5. *Order*, level by level from the dealers up to the top (so a parent's review
   sees the orders its children placed the same day): :func:`partsopt.ordering.order_rule`
   — the same function as the weekly order suggestions — with
   ``on_hand = on_hand − owed_n``, ``backorders = backorders + owed_e`` (IP =
   on hand + on order − everything owed), ``review_day`` from
   :func:`partsopt.ordering.is_review_day`.  Emergency orders are placed any
   day, normal orders on review days.  A top row orders from the supplier: the
   order arrives after the drawn lead time (normal) or ``emergency_days``
   (emergency).  Any other row orders from its parent: the order waits there
   and step 3 ships it at once if the parent has stock.
6. *Record*: inventory at the end of the day (value, days in stock, per month).
   The on-hand units and value Σ on_hand·unit_cost are running totals per
   part bucket (:data:`partsopt.partition.N_BUCKETS`): every stock change adds
   to its bucket, in the order of the change's rows; the day's figure is the
   ``math.fsum`` of the buckets.  A bucket's total sees the same additions
   whichever other parts are replayed with it, so a replay partitioned by
   part bucket gives the same bits (:mod:`partsopt.simulate.merge`).

A stock arrival scheduled with a lead time of L days from day t is received at
the start of day ``t + max(L, 1)``.  Lines delivered by an emergency shipment
are delivered on ``t + emergency_days`` (0 = the same day).

Outputs (:class:`SimulationResult`)
-----------------------------------
``lines``   one row per demand line: line_id, date, part, location, qty,
            filled_from (local / parent / lateral / backorder: the worst source
            used), filled_qty_at_once (from local stock), parent_qty,
            lateral_qty, backorder_qty, delivered_date (NaT: not delivered by the
            end), promised_date, hit, on_time, emergency, unit_cost, unit_price,
            criticality, demand_class, month
``orders``  every replenishment order line placed: date, part, location, qty,
            order_type (normal / emergency), source (supplier / parent /
            lateral), from_location, for_line (True: an emergency shipment
            straight to a demand line, not into stock), planned_arrival,
            arrival (when the last unit arrived; NaT: still open), line_cost
            (order_cost or emergency_cost of the location), month, ...
``stock``   per row and month: days, unit_days, value_days, days_in_stock,
            holding_cost, end_on_hand, end_value, end_obsolete_value
``daily``   date, inventory_value, on_hand_units (end of day), lines, hit_lines
``misses``  DESIGN.md §5 misses.csv (causes: :mod:`partsopt.simulate.causes`)
``kpis`` / ``kpis_by_location``  from the registry :mod:`partsopt.simulate.kpis`
``final_state``  per row: on_hand, on_order, backorders, owed_to_children, s, S

The key columns (part, location, criticality, demand_class, month) of
``lines``, ``orders`` and ``stock`` are pandas categoricals: the frames have
millions of rows at network scale and group fast that way.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from partsopt.ordering import is_review_day, order_rule
from partsopt.partition import N_BUCKETS, part_buckets, row_buckets
from partsopt.simulate._arrays import allocate_in_order, fifo_completion, grouped_exclusive_cumsum
from partsopt.simulate.kpis import kpi_table, network_kpis
from partsopt.simulate.leadtimes import build_lead_times
from partsopt.simulate.misses import misses_table
from partsopt.simulate.network import Network, build_network

COUNTERFACTUALS = (None, "planned_lead_times")
INITIAL = ("order_up_to", "inventory", "zero")
OBSOLETE_DAYS = 365
_KIND = {"emergency": 0, "normal": 1}      # order_type codes (emergency sorts first)
_SOURCE = {"supplier": 0, "parent": 1, "lateral": 2}


def bucket_totals(per_bucket: np.ndarray) -> np.ndarray:
    """Day totals (days,) of a (days, N_BUCKETS) table of per-bucket figures, each correctly rounded.

    ``math.fsum`` (Shewchuk 1997) rounds the exact sum once, so the total does
    not depend on the order of the buckets: replays of disjoint sets of buckets
    whose tables are added (x + 0.0 = x) give the same bits as one replay of all.
    A loop over days, not rows.
    """
    return np.array([math.fsum(day) for day in np.asarray(per_bucket, np.float64).tolist()], dtype=np.float64)


@dataclass
class SimulationResult:
    """Everything a replay produced (all DataFrames, see the module docstring).

    ``daily_by_bucket`` holds ``inventory_value`` [money] and ``on_hand_units``
    [units] at the end of each day per part bucket (:data:`partsopt.partition.N_BUCKETS`),
    (days, N_BUCKETS) arrays; ``daily`` holds their :func:`bucket_totals`.
    :func:`partsopt.simulate.merge.merge_results` adds them to form the merged totals.
    """

    kpis: dict
    kpis_by_location: pd.DataFrame
    lines: pd.DataFrame
    misses: pd.DataFrame
    orders: pd.DataFrame
    daily: pd.DataFrame
    stock: pd.DataFrame
    final_state: pd.DataFrame
    info: dict = field(default_factory=dict)
    daily_by_bucket: dict = field(default_factory=dict)

    def hit_rate_by_period(self, freq: str = "W") -> pd.DataFrame:
        """Lines, hit lines and hit rate per calendar period (``freq`` "W" weeks or "M" months)."""
        if freq not in ("W", "M"):
            raise ValueError(f"freq must be 'W' or 'M'; received {freq!r}.")
        period = self.daily["date"].dt.to_period(freq)
        out = self.daily.groupby(period)[["lines", "hit_lines"]].sum()
        out["hit_rate"] = (out["hit_lines"] / out["lines"]).where(out["lines"] > 0)
        out.index = out.index.rename("period").astype(str)
        return out.reset_index()

    def kpis_by(self, by) -> pd.DataFrame:
        """The KPI table grouped by any of location, part, criticality, demand_class, month."""
        return kpi_table(self.lines, self.orders, self.stock, by=by)


# ----------------------------------------------------------------------------- public entry
def simulate(dataset, policies: pd.DataFrame | None, start, end, *, config: dict | None = None,
             seed: int | None = None, lateral: bool = False, planner: Callable | None = None,
             replan_weeks: int | None = None, counterfactual: str | None = None,
             progress: Callable | None = None, initial: str = "order_up_to",
             min_receipts: int = 5) -> SimulationResult:
    """Replay the demand lines dated ``start``..``end`` (inclusive) against a policy.

    dataset         a validated :class:`partsopt.validate.Dataset`
    policies        DataFrame with part, location, reorder_point, order_up_to
                    (optional: order_quantity Q > 0 for an (s, nQ) row, as the
                    order rule takes it; review_days, the cycle the policy was planned for,
                    which then replaces the location's; demand_class, for
                    grouping); may be None when a ``planner`` gives the first
                    policy at ``start``
    config          a resolved scenario (:mod:`partsopt.config`): ``simulation.seed``
                    and ``simulation.replan_weeks`` are used when ``seed`` /
                    ``replan_weeks`` are not given; ``costs.*`` overrides and
                    ``policy.review_days`` (> 0) apply
    seed            seed of the lead-time draws (draws are per part-location and
                    day, so runs differing in one thing share all other draws)
    lateral         also source emergencies from the sibling with the most stock
    planner         ``planner(dataset_cut, as_of) -> policies``, called at ``start``
                    when ``policies`` is None and every ``replan_weeks`` weeks
    counterfactual  None, or "planned_lead_times": every normal order arrives
                    exactly after its planned lead time
    progress        ``progress(step, total, label)`` callback
    initial         starting stock: "order_up_to" (each row at S, nothing on
                    order), "inventory" (the snapshot's on_hand; its on_order
                    arrives after the planned lead time; snapshot backorders are
                    not replayed) or "zero"
    min_receipts    receipts needed to bootstrap a leg's lead times
    """
    cfg = config or {}
    sim_cfg = cfg.get("simulation", {})
    seed = int(sim_cfg.get("seed", 0) if seed is None else seed)
    replan_weeks = int(sim_cfg.get("replan_weeks", 0) if replan_weeks is None else replan_weeks)
    start, end = _check_args(dataset, policies, start, end, seed, replan_weeks, counterfactual, initial, planner)
    if policies is None:
        policies = _check_policies(planner(_cut_dataset(dataset, start, None), start))
    _check_known(dataset, policies)
    demand = dataset.demand
    window = demand[(demand["date"] >= start) & (demand["date"] <= end)]
    net = build_network(dataset, policies, window)
    _apply_config(net, cfg)
    lt = build_lead_times(net, dataset.receipts if len(dataset.receipts) else None, seed=seed,
                          min_receipts=min_receipts, before=start)
    sim = _Replay(dataset, net, lt, policies, window, start, end, lateral=lateral, planner=planner,
                  replan_weeks=replan_weeks, planned=counterfactual == "planned_lead_times",
                  progress=progress, initial=initial)
    sim.run()
    return sim.result(seed=seed, counterfactual=counterfactual)


def _check_args(dataset, policies, start, end, seed, replan_weeks, counterfactual, initial, planner):
    try:
        start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"start and end must be dates (YYYY-MM-DD); received start={start!r}, end={end!r} "
                         f"({exc}).") from None
    if end < start:
        raise ValueError(f"end must be on or after start; received start={start.date()}, end={end.date()}.")
    if seed < 0:
        raise ValueError(f"seed must be an integer >= 0; received {seed}.")
    if replan_weeks < 0:
        raise ValueError(f"replan_weeks must be an integer >= 0; received {replan_weeks}.")
    if counterfactual not in COUNTERFACTUALS:
        raise ValueError(f"counterfactual must be one of {COUNTERFACTUALS}; received {counterfactual!r}.")
    if initial not in INITIAL:
        raise ValueError(f"initial must be one of {INITIAL}; received {initial!r}.")
    if policies is None and planner is None:
        raise ValueError("policies is None and no planner is given; pass a policies DataFrame "
                         "(part, location, reorder_point, order_up_to) or a planner(dataset_cut, as_of).")
    if replan_weeks > 0 and planner is None:
        raise ValueError(f"replan_weeks={replan_weeks} needs a planner(dataset_cut, as_of); received planner=None.")
    if policies is not None:
        _check_policies(policies)
    return start, end


def _check_policies(policies) -> pd.DataFrame:
    if not isinstance(policies, pd.DataFrame):
        raise ValueError(f"policies must be a DataFrame; received {type(policies).__name__}.")
    missing = [c for c in ("part", "location", "reorder_point", "order_up_to") if c not in policies]
    if missing:
        raise ValueError(f"policies lacks the column(s) {missing}; received columns {list(policies.columns)}.")
    s = policies["reorder_point"].to_numpy(np.float64)
    S = policies["order_up_to"].to_numpy(np.float64)
    bad = ~np.isfinite(s) | ~np.isfinite(S) | (S < 0) | (s > S)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError("policies: reorder_point and order_up_to must be finite with 0 <= order_up_to and "
                         f"reorder_point <= order_up_to; received reorder_point={s[i]}, order_up_to={S[i]} "
                         f"for part {policies['part'].iloc[i]!r} at {policies['location'].iloc[i]!r} "
                         f"({int(bad.sum())} bad row(s)).")
    if policies.duplicated(["part", "location"]).any():
        dup = policies.loc[policies.duplicated(["part", "location"]), ["part", "location"]].iloc[0]
        raise ValueError(f"policies has more than one row for part {dup['part']!r} at {dup['location']!r}; "
                         "give one policy per part-location.")
    return policies


def _check_known(dataset, policies: pd.DataFrame) -> None:
    for col, table in (("part", dataset.parts), ("location", dataset.locations)):
        unknown = ~policies[col].isin(table[col])
        if unknown.any():
            vals = policies.loc[unknown, col].astype(str).unique()
            raise ValueError(f"policies name {col}(s) not in the dataset's {col}s table: "
                             f"{', '.join(vals[:5])}{' ...' if len(vals) > 5 else ''} ({int(unknown.sum())} row(s)); "
                             f"give policies only for {col}s of the dataset.")


def _apply_config(net: Network, cfg: dict) -> None:
    costs = cfg.get("costs", {})
    if costs.get("holding_rate", 0.0) > 0:
        net.holding_rate[:] = costs["holding_rate"]
    if costs.get("order_cost", -1.0) >= 0:
        net.order_cost[:] = costs["order_cost"]
    if costs.get("emergency_cost", -1.0) >= 0:
        net.emergency_cost[:] = costs["emergency_cost"]
    review = cfg.get("policy", {}).get("review_days", 0.0)
    if review > 0:
        net.review_days[:] = review


def _cut_dataset(dataset, as_of, state: pd.DataFrame | None, demand_by_date: pd.DataFrame | None = None):
    """The data a planner may see at ``as_of``: nothing dated on or after it.

    ``demand_by_date`` (the demand table stably sorted by date) makes the cut a
    slice; the planner then sees the demand lines in date order.
    """
    t = dict(dataset.tables)
    if demand_by_date is not None:
        k = int(np.searchsorted(demand_by_date["date"].to_numpy(), np.datetime64(as_of), side="left"))
        t["demand"] = demand_by_date.iloc[:k]
    else:
        t["demand"] = dataset.demand[dataset.demand["date"] < as_of].reset_index(drop=True)
    rec = dataset.receipts
    if len(rec):
        rec = rec[rec["order_date"] < as_of].copy()
        rec.loc[rec["received_date"] >= as_of, "received_date"] = pd.NaT
        t["receipts"] = rec.reset_index(drop=True)
    if state is not None:
        t["inventory"] = state
    return dataclasses.replace(dataset, tables=t)


# ----------------------------------------------------------------------------- the replay
class _Replay:
    def __init__(self, dataset, net: Network, lt, policies, window, start, end, *, lateral, planner,
                 replan_weeks, planned, progress, initial):
        self.ds, self.net, self.lt = dataset, net, lt
        self.start, self.end = start, end
        self.days = int((end - start).days) + 1
        self.lateral, self.planner, self.replan_weeks = lateral, planner, replan_weeks
        self.planned, self.progress = planned, progress
        self._demand_by_date = None
        n = net.n
        self.s = np.zeros(n)
        self.S = np.zeros(n)
        self.Q = np.zeros(n)  # order quantity of (s, nQ) rows; 0 = an (s, S) row
        self.demand_class = np.full(n, "", dtype=object)
        self._base_review = net.review_days.copy()
        self._set_policies(policies)
        # demand lines sorted by (day, row, line order): each day is a slice
        rows = net.index(window["part"].to_numpy(object), window["location"].to_numpy(object))
        day = (window["date"] - start).dt.days.to_numpy(np.int64)
        seq = np.arange(len(window))
        order = np.lexsort((seq, rows, day))
        self.w = window.iloc[order].reset_index(drop=True)
        self.l_row, self.l_day = rows[order], day[order]
        self.l_qty = self.w["qty"].to_numpy(np.float64)
        self.l_off = np.searchsorted(self.l_day, np.arange(self.days + 1))
        nl = len(self.w)
        self.l_local = np.zeros(nl)
        self.l_parent = np.zeros(nl)
        self.l_lateral = np.zeros(nl)
        self.l_bo = np.zeros(nl)
        self.l_bo_end = np.zeros(nl)
        self.l_em_day = np.full(nl, -1, np.int64)
        # state
        self.oh = np.zeros(n)
        self.oo = np.zeros(n)
        self.bo = np.zeros(n)
        self.wait = {"emergency": np.zeros(n), "normal": np.zeros(n)}
        self.owed = {"emergency": np.zeros(n), "normal": np.zeros(n)}
        self.win = {"emergency": np.zeros(n), "normal": np.zeros(n)}   # cumulative units put in the waiting queue
        self.wout = {"emergency": np.zeros(n), "normal": np.zeros(n)}  # cumulative units shipped from it
        self.bo_in = np.zeros(n)
        self.bo_out = np.zeros(n)
        self.arrivals: dict[int, list] = {}
        # logs
        self.ev_bo: list = []       # (rows, day, cum_out)
        self.ev_ship: list = []     # (stream, cum_out, arrival)
        self.ord_log: list = []     # dict of arrays per batch
        # history before the start: last demand day per row (for obsolete stock)
        hist = dataset.demand[dataset.demand["date"] < start]
        self.last_dem = np.full(n, -10**9, np.int64)
        if len(hist):
            hrow = net.index(hist["part"].to_numpy(object), hist["location"].to_numpy(object))
            hday = (hist["date"] - start).dt.days.to_numpy(np.int64)
            ok = hrow >= 0
            np.maximum.at(self.last_dem, hrow[ok], hday[ok])
        for rows in net.levels:  # demand below a location counts for its stock too (deepest first)
            rows = rows[net.parent[rows] >= 0]
            np.maximum.at(self.last_dem, net.parent[rows], self.last_dem[rows])
        # months of the window
        dates = start + pd.to_timedelta(np.arange(self.days), unit="D")
        month = dates.to_period("M")
        self.months = month.unique()
        self.day_month = np.asarray(pd.Categorical(month, categories=self.months).codes, np.int64)
        self.month_last = np.r_[self.day_month[1:] != self.day_month[:-1], True]
        nm = len(self.months)
        self.m_units = np.zeros((nm, n))
        self.m_instock = np.zeros((nm, n))
        self.m_days = np.bincount(self.day_month, minlength=nm).astype(np.float64)
        self.m_end = np.zeros((nm, n))
        self.m_end_obs = np.zeros((nm, n), dtype=bool)
        # end-of-day stock per part bucket (step 6; see _change and _record)
        self.bucket = row_buckets(net.part, part_buckets(dataset.parts))
        self.bucket_value = np.zeros((self.days, N_BUCKETS))
        self.bucket_units = np.zeros((self.days, N_BUCKETS))
        # time integrals of on hand, updated only where stock changes (see _change)
        self.acc_units = np.zeros(n)
        self.acc_instock = np.zeros(n)
        self.last_change = np.zeros(n, np.int64)
        self.child_rank = np.empty(n, np.int64)
        self.child_rank[net.children_by_parent] = np.arange(len(net.children_by_parent))
        self._initial(initial)
        # on-hand units and value per part bucket, running totals kept by _change
        self.units_b = np.bincount(self.bucket, weights=self.oh, minlength=N_BUCKETS)
        self.value_b = np.bincount(self.bucket, weights=self.oh * net.unit_cost, minlength=N_BUCKETS)

    # -- setup
    def _set_policies(self, policies: pd.DataFrame) -> None:
        idx = self.net.index(policies["part"].to_numpy(object), policies["location"].to_numpy(object))
        ok = idx >= 0
        self.s[:] = 0.0
        self.S[:] = 0.0
        self.s[idx[ok]] = policies["reorder_point"].to_numpy(np.float64)[ok]
        self.S[idx[ok]] = policies["order_up_to"].to_numpy(np.float64)[ok]
        self.Q[:] = 0.0
        if "order_quantity" in policies:
            q = np.nan_to_num(pd.to_numeric(policies["order_quantity"], errors="coerce").to_numpy(np.float64))
            self.Q[idx[ok]] = np.maximum(q[ok], 0.0)
        if "demand_class" in policies:
            self.demand_class[idx[ok]] = policies["demand_class"].astype(str).to_numpy(object)[ok]
        review = self._base_review.copy()
        if "review_days" in policies:  # the cycle the policy was planned for
            r = pd.to_numeric(policies["review_days"], errors="coerce").to_numpy(np.float64)
            m = ok & np.isfinite(r) & (r > 0)
            review[idx[m]] = r[m]
        cycle = np.maximum(np.rint(np.nan_to_num(review, nan=7.0)), 1).astype(np.int64)
        self.cycles, self.cycle_code = np.unique(cycle, return_inverse=True)

    def _initial(self, initial: str) -> None:
        if initial == "order_up_to":
            self.oh[:] = self.S
        elif initial == "inventory" and len(self.ds.inventory):
            inv = self.ds.inventory
            idx = self.net.index(inv["part"].to_numpy(object), inv["location"].to_numpy(object))
            ok = idx >= 0
            self.oh[idx[ok]] = inv["on_hand"].to_numpy(np.float64)[ok]
            oo = inv["on_order"].to_numpy(np.float64)[ok]
            rows = idx[ok][oo > 0]
            if len(rows):
                self.oo[rows] += oo[oo > 0]
                arr = np.maximum(self.lt.planned[rows], 1)
                for d in np.unique(arr):
                    sel = arr == d
                    self._schedule(int(d), rows[sel], oo[oo > 0][sel])

    def _schedule(self, day: int, rows: np.ndarray, qty: np.ndarray) -> None:
        if len(rows) and day < self.days:
            self.arrivals.setdefault(day, []).append((rows, qty))

    def _schedule_many(self, days: np.ndarray, rows: np.ndarray, qty: np.ndarray) -> None:
        if len(rows) == 0:
            return
        order = np.argsort(days, kind="stable")
        days, rows, qty = days[order], rows[order], qty[order]
        cut = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
        bounds = np.r_[cut, len(days)]
        for a, b in zip(bounds[:-1], bounds[1:]):  # a loop over distinct arrival days, not rows
            self._schedule(int(days[a]), rows[a:b], qty[a:b])

    def _log_orders(self, day, rows, qty, kind, planned_arrival, arrival, stream_end, source, *, from_rows=None,
                    for_line=False):
        k = len(rows)
        if k == 0:
            return
        if from_rows is None:
            from_rows = self.net.parent[rows] if source == "parent" else np.full(k, -1, np.int64)
        self.ord_log.append({"day": np.full(k, day, np.int64), "row": rows, "qty": qty,
                             "kind": np.full(k, _KIND[kind], np.int8),
                             "planned": np.asarray(planned_arrival, np.int64), "arrival": np.asarray(arrival, np.int64),
                             "stream_end": np.asarray(stream_end, np.float64),
                             "source": np.full(k, _SOURCE[source], np.int8),
                             "from_row": np.asarray(from_rows, np.int64), "for_line": np.full(k, bool(for_line))})

    # -- the loop
    def run(self) -> None:
        step = self.replan_weeks * 7
        for t in range(self.days):
            if step and t > 0 and t % step == 0:
                self._replan(t)
            self._receive(t)
            self._ship_waiting(t)
            self._serve(t)
            self._order(t)
            self._record(t)
            if self.progress is not None and (t % 30 == 29 or t == self.days - 1):
                self.progress(t + 1, self.days, "simulate")

    def _replan(self, t: int) -> None:
        as_of = self.start + pd.Timedelta(days=t)
        owed = self.owed["emergency"] + self.owed["normal"]
        state = pd.DataFrame({"part": self.net.part, "location": self.net.location, "on_hand": self.oh.copy(),
                              "on_order": self.oo.copy(), "backorders": self.bo + owed})
        if self._demand_by_date is None:
            self._demand_by_date = self.ds.demand.sort_values("date", kind="stable").reset_index(drop=True)
        pol = _check_policies(self.planner(_cut_dataset(self.ds, as_of, state, self._demand_by_date), as_of))
        _check_known(self.ds, pol)
        self._set_policies(pol)

    def _receive(self, t: int) -> None:
        batch = self.arrivals.pop(t, None)
        self.arrived_today = np.zeros(0, np.int64)
        if not batch:
            return
        rows = np.concatenate([b[0] for b in batch])
        qty = np.concatenate([b[1] for b in batch])
        self._change(t, rows, qty)
        np.subtract.at(self.oo, rows, qty)
        r = np.unique(rows)
        self.arrived_today = r
        r = r[self.bo[r] > 0]
        if len(r):
            f = np.minimum(self.bo[r], self.oh[r])
            r, f = r[f > 0], f[f > 0]
            self._change(t, r, -f)
            self.bo[r] -= f
            self.bo_out[r] += f
            self.ev_bo.append((r, np.full(len(r), t, np.int64), self.bo_out[r].copy()))

    def _ship_waiting(self, t: int, new=None) -> None:
        """Parents' stock to their children's waiting orders.

        Parents' stock only rises by arrivals (step 2), so in the morning only the
        children of parents that received stock today can be shipped to, and after a
        level's orders only the orders just placed (``new``) can be.
        """
        for kind in ("emergency", "normal"):
            wait = self.wait[kind]
            if new is None:
                if len(self.arrived_today) == 0:
                    return
                c = np.flatnonzero(wait > 0)
                got = np.zeros(self.net.n, bool)
                got[self.arrived_today] = True
                c = c[got[np.maximum(self.net.parent[c], 0)] & (self.net.parent[c] >= 0)]
            else:
                c = np.unique(new)
                c = c[wait[c] > 0]
            if len(c) == 0:
                continue
            c = c[np.argsort(self.child_rank[c], kind="stable")]  # grouped by parent, in row order
            p = self.net.parent[c]
            ok = self.oh[p] > 0
            c, p = c[ok], p[ok]
            if len(c) == 0:
                continue
            x = allocate_in_order(self.oh[p], wait[c], p)
            m = x > 0
            c, p, x = c[m], p[m], x[m]
            self._change(t, p, -x)
            np.subtract.at(self.owed[kind], p, x)
            wait[c] -= x
            self.wout[kind][c] += x
            if kind == "emergency":
                lead = np.rint(self.net.emergency_days[c]).astype(np.int64)
            else:
                lead = self.lt.draw(c, t, planned=self.planned, stream=1)
            arrive = t + np.maximum(lead, 1)
            self._schedule_many(arrive, c, x)
            stream = c * 2 + (0 if kind == "emergency" else 1)
            self.ev_ship.append((stream, self.wout[kind][c].copy(), arrive))

    def _serve(self, t: int) -> None:
        a, b = self.l_off[t], self.l_off[t + 1]
        if a == b:
            return
        r, q = self.l_row[a:b], self.l_qty[a:b]
        up = r
        while len(up):  # the line's location and every location above it saw demand today
            self.last_dem[up] = t
            up = self.net.parent[up]
            up = up[up >= 0]
        local = allocate_in_order(self.oh[r], q, r)
        self._change(t, r, -local)
        self.l_local[a:b] = local
        short = q - local
        idx = np.flatnonzero((short > 0) & (self.net.parent[r] >= 0))
        if len(idx):
            pr = self.net.parent[r[idx]]
            o = np.argsort(pr, kind="stable")
            idx, pr = idx[o], pr[o]
            got = allocate_in_order(self.oh[pr], short[idx], pr)
            self._change(t, pr, -got)
            self.l_parent[a + idx] = got
            short[idx] -= got
            em = got > 0
            rows = r[idx[em]]
            arr = t + np.rint(self.net.emergency_days[rows]).astype(np.int64)
            self.l_em_day[a + idx[em]] = arr
            self._log_orders(t, rows, got[em], "emergency", arr, arr, np.zeros(len(rows)), "parent", for_line=True)
        if self.lateral:
            self._lateral(t, a, r, short)
        bo_idx = np.flatnonzero(short > 0)
        if len(bo_idx):
            br, bq = r[bo_idx], short[bo_idx]
            end = self.bo_in[br] + grouped_exclusive_cumsum(bq, br) + bq
            self.l_bo[a + bo_idx] = bq
            self.l_bo_end[a + bo_idx] = end
            np.add.at(self.bo, br, bq)
            np.add.at(self.bo_in, br, bq)

    def _lateral(self, t: int, a: int, r: np.ndarray, short: np.ndarray) -> None:
        """Sibling with the most stock (same parent) covers what is still short."""
        idx = np.flatnonzero((short > 0) & (self.net.parent[r] >= 0))
        if len(idx) == 0:
            return
        ch = self.net.children_by_parent
        par_sorted = self.net.parent[ch]
        lo = np.searchsorted(par_sorted, self.net.parent[r[idx]], side="left")
        hi = np.searchsorted(par_sorted, self.net.parent[r[idx]], side="right")
        size = hi - lo
        seg = np.repeat(np.arange(len(idx)), size)
        pos = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size) + np.repeat(lo, size)
        cand = ch[pos]
        stock = np.where(cand == r[idx][seg], -1.0, self.oh[cand])
        # the candidate with the most stock per line (first on ties)
        o = np.lexsort((-stock, seg))
        first = np.r_[True, seg[o][1:] != seg[o][:-1]]
        best = cand[o][first]
        best_stock = stock[o][first]
        has = best_stock > 0
        idx, best = idx[has], best[has]
        if len(idx) == 0:
            return
        o = np.argsort(best, kind="stable")
        idx, best = idx[o], best[o]
        got = allocate_in_order(self.oh[best], short[idx], best)
        self._change(t, best, -got)
        self.l_lateral[a + idx] = got
        short[idx] -= got
        em = got > 0
        rows = r[idx[em]]
        arr = t + np.rint(self.net.emergency_days[rows]).astype(np.int64)
        self.l_em_day[a + idx[em]] = np.maximum(self.l_em_day[a + idx[em]], arr)
        self._log_orders(t, rows, got[em], "emergency", arr, arr, np.zeros(len(rows)), "lateral",
                         from_rows=best[em], for_line=True)

    def _order(self, t: int) -> None:
        net = self.net
        day = self.start + pd.Timedelta(days=t)
        owed_e = self.owed["emergency"]
        by_cycle = is_review_day(day, self.cycles)  # the review rule, once per distinct cycle length
        for rows in net.levels:
            if len(rows) == 0:
                continue
            review = by_cycle[self.cycle_code[rows]]
            # rows that cannot order today are left out (no review, nothing owed): the same decisions
            act = review | ((self.bo[rows] + owed_e[rows]) > 0)
            if not act.all():
                rows, review = rows[act], review[act]
                if len(rows) == 0:
                    continue
            o = order_rule(self.oh[rows] - self.owed["normal"][rows], self.oo[rows],
                           self.bo[rows] + self.owed["emergency"][rows], self.s[rows], self.S[rows],
                           pack_size=net.pack_size[rows], moq=net.moq[rows], review_day=review,
                           order_quantity=self.Q[rows])
            new_waits = []
            for kind, qty in (("emergency", o.emergency), ("normal", o.normal)):
                sel = qty > 0
                if not sel.any():
                    continue
                rr, qq = rows[sel], qty[sel]
                self.oo[rr] += qq
                top = net.parent[rr] < 0
                if top.any():
                    tr, tq = rr[top], qq[top]
                    if kind == "emergency":
                        lead = np.rint(net.emergency_days[tr]).astype(np.int64)
                        plan = lead
                    else:
                        lead = self.lt.draw(tr, t, planned=self.planned, stream=0)
                        plan = self.lt.planned[tr]
                    arrive = t + np.maximum(lead, 1)
                    self._schedule_many(arrive, tr, tq)
                    self._log_orders(t, tr, tq, kind, t + np.maximum(plan, 1), arrive, np.zeros(len(tr)), "supplier")
                inner = ~top
                if inner.any():
                    cr, cq = rr[inner], qq[inner]
                    self.wait[kind][cr] += cq
                    new_waits.append(cr)
                    self.win[kind][cr] += cq
                    np.add.at(self.owed[kind], net.parent[cr], cq)
                    plan = (np.rint(net.emergency_days[cr]).astype(np.int64) if kind == "emergency"
                            else self.lt.planned[cr])
                    self._log_orders(t, cr, cq, kind, t + np.maximum(plan, 1), np.full(len(cr), -1),
                                     self.win[kind][cr].copy(), "parent")
            if new_waits:
                self._ship_waiting(t, new=np.concatenate(new_waits))

    def _change(self, t: int, rows: np.ndarray, delta: np.ndarray) -> None:
        """Add ``delta`` to the on hand of ``rows`` (repeats allowed), keeping the integrals.

        The stock a row held at the end of each day since its last change is
        accumulated first (unit-days and days in stock), so the end-of-day
        record costs nothing for rows whose stock did not move.  The change
        in units and value [money] is added to the running totals of the rows'
        part buckets.
        """
        if len(rows) == 0:
            return
        held = t - self.last_change[rows]
        self.acc_units[rows] += self.oh[rows] * held       # repeated rows: same value, written once
        self.acc_instock[rows] += (self.oh[rows] > 0) * held
        self.last_change[rows] = t
        np.add.at(self.oh, rows, delta)
        # per bucket, added in the order of ``rows`` (np.bincount adds sequentially; a bucket's rows
        # come in the same relative order in every partition of the parts, so the same bits)
        b = self.bucket[rows]
        self.units_b += np.bincount(b, weights=delta, minlength=N_BUCKETS)
        self.value_b += np.bincount(b, weights=delta * self.net.unit_cost[rows], minlength=N_BUCKETS)

    def _flush(self, t_next: int) -> None:
        held = t_next - self.last_change
        self.acc_units += self.oh * held
        self.acc_instock += (self.oh > 0) * held
        self.last_change[:] = t_next

    def _record(self, t: int) -> None:
        m = self.day_month[t]
        self.bucket_units[t] = self.units_b
        self.bucket_value[t] = self.value_b
        if self.month_last[t]:
            self._flush(t + 1)
            self.m_units[m] = self.acc_units
            self.m_instock[m] = self.acc_instock
            self.acc_units[:] = 0.0
            self.acc_instock[:] = 0.0
            self.m_end[m] = self.oh
            self.m_end_obs[m] = (t - self.last_dem) >= OBSOLETE_DAYS

    # -- outputs
    def result(self, *, seed, counterfactual) -> SimulationResult:
        net = self.net
        lines = self._lines()
        orders = self._orders()
        stock = self._stock()
        by_bucket = {"inventory_value": self.bucket_value, "on_hand_units": self.bucket_units}
        days = pd.DataFrame({"date": self.start + pd.to_timedelta(np.arange(self.days), unit="D"),
                             **{k: bucket_totals(v) for k, v in by_bucket.items()}})
        days["lines"] = np.bincount(self.l_day, minlength=self.days).astype(np.int64)
        days["hit_lines"] = np.bincount(self.l_day, weights=lines["hit"].to_numpy(np.float64),
                                        minlength=self.days).astype(np.int64)
        misses = misses_table(lines)
        kpis = network_kpis(lines, orders, stock, misses)
        by_loc = kpi_table(lines, orders, stock, by="location")
        owed = self.owed["emergency"] + self.owed["normal"]
        final = pd.DataFrame({"part": net.part, "location": net.location, "on_hand": self.oh,
                              "on_order": self.oo, "backorders": self.bo, "owed_to_children": owed,
                              "reorder_point": self.s, "order_up_to": self.S})
        info = {"start": self.start, "end": self.end, "days": self.days, "rows": net.n, "seed": seed,
                "counterfactual": counterfactual, "lateral": self.lateral, "replan_weeks": self.replan_weeks}
        return SimulationResult(kpis=kpis, kpis_by_location=by_loc, lines=lines, misses=misses, orders=orders,
                                daily=days, stock=stock, final_state=final, info=info, daily_by_bucket=by_bucket)

    def _lines(self) -> pd.DataFrame:
        net, w = self.net, self.w
        r = self.l_row
        bo_done = np.full(len(w), -1, np.int64)
        has_bo = self.l_bo > 0
        if has_bo.any() and self.ev_bo:
            ev_r = np.concatenate([e[0] for e in self.ev_bo])
            ev_d = np.concatenate([e[1] for e in self.ev_bo])
            ev_c = np.concatenate([e[2] for e in self.ev_bo])
            bo_done[has_bo] = fifo_completion(ev_r, ev_c, ev_d, r[has_bo], self.l_bo_end[has_bo])
        done = self.l_day.copy()
        done = np.where(self.l_em_day >= 0, np.maximum(done, self.l_em_day), done)
        never = has_bo & (bo_done < 0)
        done = np.where(has_bo, np.maximum(done, bo_done), done)
        delivered = self.start + pd.to_timedelta(done, unit="D")
        delivered = pd.Series(delivered).where(~never, pd.NaT)
        qty = self.l_qty
        hit = self.l_local >= qty
        code = np.where(hit, 0, np.where(self.l_bo > 0, 3, np.where(self.l_lateral > 0, 2, 1)))
        source = pd.Categorical.from_codes(code, ["local", "parent", "lateral", "backorder"])
        promised = w["promised_date"] if "promised_date" in w else w["date"]
        promised = promised.fillna(w["date"])
        on_time = delivered.notna().to_numpy() & (delivered.to_numpy() <= promised.to_numpy())
        out = pd.DataFrame({
            "line_id": w["line_id"].to_numpy(object) if "line_id" in w else np.arange(len(w)).astype(str),
            "date": w["date"].to_numpy(), "part": self._cat("part", r), "location": self._cat("location", r),
            "qty": qty,
            "filled_from": source, "filled_qty_at_once": self.l_local, "parent_qty": self.l_parent,
            "lateral_qty": self.l_lateral, "backorder_qty": self.l_bo,
            "delivered_date": delivered.to_numpy(), "promised_date": promised.to_numpy(),
            "hit": hit, "on_time": on_time, "emergency": (self.l_parent + self.l_lateral) > 0,
            "unit_cost": net.unit_cost[r], "unit_price": net.unit_price[r],
            "criticality": self._cat("criticality", r), "demand_class": self._cat("demand_class", r),
            "month": pd.Categorical.from_codes(self.day_month[self.l_day], self.months.astype(str)),
        })
        return out

    def _codes(self, name: str):
        """(codes per row, sorted unique values) of a row attribute, computed once."""
        cache = self.__dict__.setdefault("_cats", {})
        if name not in cache:
            values = self.demand_class if name == "demand_class" else getattr(self.net, name)
            cache[name] = pd.factorize(values, sort=True)
        return cache[name]

    def _cat(self, name: str, rows: np.ndarray) -> pd.Categorical:
        """A row attribute for ``rows`` as a categorical (cheap to build and to group by)."""
        codes, uniques = self._codes(name)
        return pd.Categorical.from_codes(codes[rows], uniques)

    def _orders(self) -> pd.DataFrame:
        net = self.net
        cols = ["date", "part", "location", "qty", "order_type", "source", "from_location", "for_line",
                "planned_arrival", "arrival", "line_cost", "month", "criticality", "demand_class"]
        if not self.ord_log:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
        cat = {k: np.concatenate([b[k] for b in self.ord_log]) for k in self.ord_log[0]}
        arrival = cat["arrival"].copy()
        waiting = arrival < 0
        if waiting.any() and self.ev_ship:
            es = np.concatenate([e[0] for e in self.ev_ship])
            ec = np.concatenate([e[1] for e in self.ev_ship])
            ea = np.concatenate([e[2] for e in self.ev_ship])
            stream = cat["row"][waiting] * 2 + cat["kind"][waiting].astype(np.int64)
            arrival[waiting] = fifo_completion(es, ec, ea, stream, cat["stream_end"][waiting])
        order = np.lexsort((cat["kind"], cat["row"], cat["day"]))
        cat = {k: v[order] for k, v in cat.items()}
        arrival = arrival[order]
        row = cat["row"]
        kind = cat["kind"]
        to_date = lambda d: pd.Series(self.start + pd.to_timedelta(d, unit="D"))  # noqa: E731
        arr = to_date(np.where(arrival >= 0, arrival, 0)).where(arrival >= 0, pd.NaT)
        cost = np.where(kind == _KIND["emergency"], net.emergency_cost[row], net.order_cost[row])
        frm = cat["from_row"]
        loc_codes, loc_names = self._codes("location")
        from_loc = pd.Categorical.from_codes(np.where(frm >= 0, loc_codes[np.maximum(frm, 0)] + 1, 0),
                                             np.r_[[""], np.asarray(loc_names, dtype=object)].astype(object))
        out = pd.DataFrame({"date": to_date(cat["day"]).to_numpy(), "part": self._cat("part", row),
                            "location": self._cat("location", row),
                            "qty": cat["qty"], "order_type": pd.Categorical.from_codes(kind, list(_KIND)),
                            "source": pd.Categorical.from_codes(cat["source"], list(_SOURCE)),
                            "from_location": from_loc,
                            "for_line": cat["for_line"],
                            "planned_arrival": to_date(cat["planned"]).to_numpy(), "arrival": arr.to_numpy(),
                            "line_cost": cost, "criticality": self._cat("criticality", row),
                            "demand_class": self._cat("demand_class", row),
                            "month": pd.Categorical.from_codes(self.day_month[cat["day"]], self.months.astype(str))})
        return out[cols]

    def _stock(self) -> pd.DataFrame:
        """Per row and month; keys as categoricals (the frame has rows × months rows)."""
        net = self.net
        nm, n = self.m_units.shape
        m = np.repeat(np.arange(nm), n)
        rows = np.tile(np.arange(n), nm)
        cost = net.unit_cost[rows]
        units = self.m_units.ravel()
        end = self.m_end.ravel()

        out = pd.DataFrame({
            "part": self._cat("part", rows), "location": self._cat("location", rows),
            "month": pd.Categorical.from_codes(m, self.months.astype(str)),
            "criticality": self._cat("criticality", rows), "demand_class": self._cat("demand_class", rows),
            "days": self.m_days[m], "unit_days": units, "value_days": units * cost,
            "days_in_stock": self.m_instock.ravel(),
            "holding_cost": units * cost * net.holding_rate[rows] / 365.0,
            "end_on_hand": end, "end_value": end * cost,
            "end_obsolete_value": np.where(self.m_end_obs.ravel(), end * cost, 0.0),
        })
        return out
