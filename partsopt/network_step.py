"""Pipeline step 6b: the network service target and the budget, with one shadow price.

``service.scope = "network"`` (issue 4): the customer-facing part-locations *together* reach
``service.level`` as the **line-weighted expected network hit rate**

    H = Σ_i lines_i · hit_i(s_i) / Σ_i lines_i                      [-]

at minimum expected inventory investment ``Σ_i c_i · E[OH_i](s_i)`` [money]; with
``service.by_criticality`` every class given a level is its own pool with its own target
(classes are disjoint, so each pool has its own price).  ``budget.total = B > 0``: the
investment of the whole plan (every row, warehouses included) stays <= B; when the target
costs more, the plan takes the best network hit rate within B (one price over all pools).
With ``scope = "row"`` a budget caps the row plan: a row plan that costs at most B is kept
as it is, a dearer one moves to the budget allocation (said in every reason).

Method (Everett 1963; Sherbrooke 2004 ch. 4; :mod:`policies.marginal`): the per-row solve of
:mod:`partsopt.policy_step` fixes each row's order quantity Q (S − s), lead time (with the
METRIC wait) and floors; :func:`policies.levels.level_options` tabulates, per customer-facing
row, the reorder points s = −1 (not stocked) .. s_hi with their cost and value (hit lines per
year of the row's own customers).  For prices λ (one per pool) [hit lines/year per unit of
money] every row takes ``argmax_s value − λ·cost`` (ties: the cheaper), and λ is found by
bisection: the largest λ whose allocation meets the pool's target (least investment), or the
smallest λ whose total investment fits the budget (most value).

Rules that keep the rest of the plan valid:

* a row that also supplies other locations keeps at least its per-row level: its children's
  METRIC waits and emergency on-time probabilities were computed from it, so they never get
  worse (a higher level there only makes them better, which the plan does not re-count);
* ``service.row_floors = true`` (default) keeps each row's on-time and normal-order-rate floors
  (:mod:`policies.levels`); with false they become **network-level constraints** next to the
  hit targets (:func:`_solve_coupled`), so a part-location may fall below them or be left
  unstocked (s = S = 0) and served from its parent: the expected on-time customer lines
  Σ w·(hit + (1 − hit)·e) >= otd_target · Σ w (e = the emergency on-time probability, which
  couples a dealer to its parent's level; parents are never lowered) and the normal-order
  surplus Σ (1 − nor)·normal − nor·emergency >= 0.  Every row then takes argmax
  μ_pool·value + μ_otd·ontime + μ_nor·surplus − cost, the multipliers μ [money per line/year]
  found by :func:`policies.marginal.lagrangian_multi` (Kelley cutting planes on the dual,
  then monotone bisections to a feasible, tightened allocation; Everett 1963, Fisher 1981);
  the record gives the Lagrangian lower bound.  Within a binding budget the one-price budget
  allocation is used and the OTD / normal-order constraints are not enforced (said in the note);
* warehouses that only supply other locations keep their per-row policy; their investment
  counts in the budget.

Bit-identical on a cluster (DESIGN.md §9): every sum the bisection needs is formed **per part
bucket** (:data:`partsopt.partition.N_BUCKETS`; a bucket's rows are in the same order in every
partition), partitions hold disjoint buckets, and bucket sums are added with :func:`math.fsum`
(correctly rounded, so independent of the order).  :func:`partition_summary` and
:func:`respond` are what a partition answers; :func:`solve_allocation` is the client's loop.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from partsopt.config import service_level_for
from partsopt.errors import ConfigError
from partsopt.partition import N_BUCKETS
from partsopt.policy_step import override_levels
from policies.levels import LevelOptions, level_options
from policies.marginal import _argmax_cheapest, lagrangian_multi, price_cap

#: Bisection stops when the price bracket is this narrow relative to the price.
PRICE_TOL = 1e-10
#: Bisection rounds at most (the bracket halves every round).
MAX_ROUNDS = 200
#: Reorder points tabulated per row at most (besides "not stocked"): bounds the option tables'
#: memory on fast movers (rows x columns x 13 arrays).
MAX_SPAN = 40
_PER = 1000.0   # prices are shown per 1,000 of stock


def needs_allocation(config: dict) -> bool:
    """True when the plan needs the option tables: network scope, or a budget."""
    return config["service"]["scope"] == "network" or float(config["budget"]["total"]) > 0


def pool_names(config: dict) -> list[str]:
    """Pools of customer-facing rows with one target each: the classes given a level in
    ``service.by_criticality`` and "other" (the rest, at ``service.level``); "all" if none."""
    given = [c for c, v in config["service"]["by_criticality"].items() if v is not None]
    return given + ["other"] if given else ["all"]


def pool_levels(config: dict) -> np.ndarray:
    names = pool_names(config)
    by = config["service"]["by_criticality"]
    lvl = float(config["service"]["level"])
    return np.array([float(by[n]) if n in by and by[n] is not None else lvl for n in names])


def _pool_of(config: dict, criticality: np.ndarray) -> np.ndarray:
    names = pool_names(config)
    crit = np.asarray(criticality, dtype=object)
    out = np.full(crit.shape, len(names) - 1, dtype=np.int64)
    for i, n in enumerate(names[:-1]):
        out[crit == n] = i
    return out


@dataclass
class NetworkOptions:
    """What one plan (or one partition's plan) holds for the allocation.

    rows      positions in the policies table of the option rows (customer-facing, stocked
              by demand); options the :class:`~policies.levels.LevelOptions` of those rows
    value     (n, K) the value of each option: hit lines [lines/year] of the row's own
              customers (``service.target = "fill_rate"``: units filled [units/year])
    weight    (n,) the row's own customer lines (units) per year
    pool, bucket  (n,) pool index and part bucket of each option row
    col_row   (n,) the column of the per-row solve's level
    supplier  (n,) the row also supplies other locations (no option below col_row)
    fixed_cost_b  (N_BUCKETS,) investment of the rows outside the options, per bucket
    row_cost_b    (N_BUCKETS,) investment of the per-row plan (every row), per bucket
    """

    rows: np.ndarray
    options: LevelOptions
    value: np.ndarray
    weight: np.ndarray
    pool: np.ndarray
    bucket: np.ndarray
    col_row: np.ndarray
    supplier: np.ndarray
    fixed_cost_b: np.ndarray
    row_cost_b: np.ndarray
    n_pools: int
    value_unit: str = "hit lines"
    #: network OTD / normal-order constraints (``scope = "network"``, ``row_floors = false``),
    #: else None: (n, K) on-time customer lines, normal order lines and emergency lines per
    #: year of every option, (n,) the row's own customer lines, the normal-order-rate target
    ontime: np.ndarray | None = None
    normal: np.ndarray | None = None
    emergency: np.ndarray | None = None
    otd_weight: np.ndarray | None = None
    nor_rate: float = 0.0


def build_options(pol: pd.DataFrame, fc: pd.DataFrame, lead: pd.DataFrame, locations: pd.DataFrame,
                  config: dict, *, e_on_time: np.ndarray, buckets: np.ndarray | None = None,
                  items: pd.DataFrame | None = None) -> NetworkOptions:
    """Option tables of the customer-facing rows of a per-row plan (before overrides).

    ``pol`` is the output of :func:`partsopt.policy_step.plan_policies` (rows in the order of
    ``fc``), ``e_on_time`` the emergency on-time probability of each row it used (its
    ``extras``), ``buckets`` the part bucket of each row.  Options are tabulated one bucket at
    a time, so each row's numbers depend only on its bucket (as the per-row solve).

    ``items`` (manual overrides, applied after the allocation by
    :func:`partsopt.policy_step.apply_overrides`) restrict the options so that the overrides
    leave the chosen level as it is: ``stocked = false`` leaves only "not stocked",
    ``min_qty`` only s >= min_qty, ``max_qty`` only S <= max_qty (if no option is left, the
    per-row level stays the only one and the override moves it afterwards, as in row scope).
    """
    n = len(pol)
    buckets = np.zeros(n, np.int64) if buckets is None else np.asarray(buckets, np.int64)
    svc = config["service"]
    own = fc["mean_per_day"].to_numpy(np.float64)
    flow = fc["flow_mean_per_day"].to_numpy(np.float64)
    var = np.maximum(fc["flow_var_per_day"].to_numpy(np.float64), flow)
    S_row = pol["order_up_to"].to_numpy(np.float64)
    s_row = np.where(S_row <= 0, -1, pol["reorder_point"].to_numpy(np.float64)).astype(np.int64)
    typ = pol["policy"].to_numpy(dtype=object)
    Q = np.where(typ == "snQ", pol["order_quantity"].to_numpy(np.float64),
                 np.where(S_row <= 0, 1.0, S_row - s_row)).astype(np.int64)
    L = pol["lead_time_days"].to_numpy(np.float64)
    R = pol["review_days"].to_numpy(np.float64)
    # a row supplies others when some location of the same part has it as parent
    parent = locations.set_index("location")["parent"]
    up = pd.MultiIndex.from_arrays([pol["part"].to_numpy(), pol["location"].map(parent).to_numpy()])
    supplier = pd.MultiIndex.from_frame(pol[["part", "location"]]).isin(up)
    opt_rows = np.flatnonzero((own > 0) & (flow > 0))
    value_b = pol["inventory_value"].to_numpy(np.float64)
    fixed = np.ones(n, bool)
    fixed[opt_rows] = False
    fixed_cost_b = _bucket_sum(buckets[fixed], value_b[fixed], N_BUCKETS)
    row_cost_b = _bucket_sum(buckets, value_b, N_BUCKETS)
    floors = bool(svc["row_floors"])
    otd = float(svc["otd_target"])
    e = np.asarray(e_on_time, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        hit_floor = np.where(e < 1.0, (otd - e) / (1.0 - e), -np.inf)
    nor = float(svc["normal_order_rate"])
    sd = lead.set_index(["part", "location"])["lt_sd_days"].reindex(
        pd.MultiIndex.from_frame(pol[["part", "location"]])).to_numpy(np.float64)
    sd = np.nan_to_num(sd)
    # reorder points tabulated: from 3 standard deviations of the lead-time demand below the
    # per-row level (and not stocked, always) to 2 above, at most MAX_SPAN around it
    ltd_sd = np.ceil(np.nan_to_num(np.sqrt(var * (L + R)))).astype(np.int64)
    s_lo = np.where(supplier, s_row, np.maximum(-1, s_row - 2 - 3 * ltd_sd))
    s_hi = s_row + 2 + 2 * ltd_sd
    s_lo = np.maximum(s_lo, np.where(supplier, s_row, s_row - MAX_SPAN // 2))
    s_lo = np.minimum(s_lo, s_row)
    s_hi = np.minimum(s_hi, s_lo + MAX_SPAN - 1)
    s_hi = np.maximum(s_hi, s_row)
    unit_cost = pol["unit_cost"].to_numpy(np.float64)
    parts = []
    order = opt_rows[np.argsort(buckets[opt_rows], kind="stable")]
    for grp in np.split(order, np.flatnonzero(np.diff(buckets[order])) + 1):
        if not grp.size:
            continue
        opt = level_options("nbinom", flow[grp], var[grp], L[grp], R[grp], order_quantity=Q[grp],
                            policy=np.where(typ[grp] == "snQ", "snQ", "sS"), s_lo=s_lo[grp], s_hi=s_hi[grp],
                            unit_cost=unit_cost[grp], lead_time_sd=sd[grp], line_size_pmf="family",
                            hit_floor=hit_floor[grp] if floors else None,
                            normal_order_target=np.full(grp.size, nor) if (floors and nor > 0) else None,
                            tail=1e-6)
        parts.append((grp, opt))
    opt = _stack([p[1] for p in parts], K_min=1) if parts else None
    rows = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    back = np.argsort(rows, kind="stable")     # options in policies-table order
    rows = rows[back]
    if opt is None:
        opt = level_options("poisson", np.zeros(0), order_quantity=np.zeros(0, np.int64),
                            s_hi=np.zeros(0, np.int64), unit_cost=np.zeros(0) + 1.0)
    else:
        opt = _take(opt, back)
    share = np.where(flow[rows] > 0, own[rows] / np.where(flow[rows] > 0, flow[rows], 1.0), 0.0)
    if svc["target"] == "fill_rate":
        weight = own[rows] * 365.0
        value = opt.fill_rate * weight[:, None]
    else:
        weight = opt.lines_per_year * share
        value = opt.hit_rate * weight[:, None]
    col_row = np.where(S_row[rows] <= 0, 0, s_row[rows] - s_lo[rows] + 1)
    valid = opt.valid.copy()
    sup = supplier[rows]
    valid[sup, 0] = False
    if items is not None and len(items):
        m = pol[["part", "location"]].iloc[rows].merge(
            items[["part", "location", "stocked", "min_qty", "max_qty"]], on=["part", "location"], how="left")
        off = (m["stocked"] == False).to_numpy()  # noqa: E712 - NaN (no override) is not False
        lo_q = m["min_qty"].to_numpy(np.float64)
        hi_q = m["max_qty"].to_numpy(np.float64)
        stocked_col = np.arange(opt.K)[None, :] > 0
        keep = np.ones_like(valid)
        keep &= ~(~np.isnan(lo_q)[:, None] & (opt.reorder_point < lo_q[:, None]) & stocked_col)
        keep &= ~(~np.isnan(lo_q)[:, None] & (lo_q[:, None] > 0) & ~stocked_col)
        keep &= ~(~np.isnan(hi_q)[:, None] & (opt.order_up_to > hi_q[:, None]))
        valid = np.where(off[:, None], ~stocked_col, valid & keep)
        # no option survives (e.g. min_qty and max_qty tighter than Q): the override will move
        # the per-row level afterwards; that moved level is the row's only option
        stuck = ~valid.any(axis=1) & (~np.isnan(lo_q) | ~np.isnan(hi_q))
        if stuck.any():
            value, opt = _override_option(opt, value, weight, stuck, col_row, lo_q, hi_q, rows, flow, var, L, R,
                                          sd, unit_cost, buckets, svc["target"])
            valid[np.flatnonzero(stuck), col_row[stuck]] = True
    # the per-row level stays allowed where nothing else is
    none = ~valid.any(axis=1)
    valid[np.flatnonzero(none), col_row[none]] = True
    # and always for a supplier (its floor is its per-row level)
    valid[np.flatnonzero(sup), col_row[sup]] = True
    opt = LevelOptions(**{**opt.__dict__, "valid": valid, "value": value})   # one value array
    pool = _pool_of(config, pol["criticality"].to_numpy(dtype=object)[rows])
    coupled = {}
    if network_constraints(config):
        coupled = _coupled_quantities(opt, share, e[rows] if e.size else np.zeros(0), nor)
    return NetworkOptions(rows=rows, options=opt, value=value, weight=weight, pool=pool,
                          bucket=buckets[rows], col_row=col_row, supplier=sup,
                          fixed_cost_b=fixed_cost_b, row_cost_b=row_cost_b,
                          n_pools=len(pool_names(config)),
                          value_unit="filled units" if svc["target"] == "fill_rate" else "hit lines", **coupled)


def network_constraints(config: dict) -> bool:
    """True when on-time delivery and the normal-order rate are network-level constraints:
    ``service.scope = "network"`` with ``service.row_floors = false``."""
    return config["service"]["scope"] == "network" and not bool(config["service"]["row_floors"])


def _coupled_quantities(opt: LevelOptions, share: np.ndarray, e: np.ndarray, nor: float) -> dict:
    """Per option the quantities of the network OTD and normal-order-rate constraints.

    With the definitions of the per-row floors (:mod:`policies.levels`) and of the plan's
    ``expected_otd_rate`` / ``normal_order_rate`` columns (:func:`apply_allocation`):

    * on-time customer lines [lines/year] = w·(hit + (1 − hit)·e): the row's own customer
      lines w (its flow lines × own share), hits on time, misses on time when the parent has
      stock and the emergency arrives by the promised date (probability e, fixed by the
      parent's level, which the allocation never lowers);
    * normal order lines [1/year] = the orders of the row's Q (0 when not stocked);
    * emergency lines [1/year] = lines·(1 − hit), every miss of the row's flow one emergency.
    """
    e = np.clip(np.nan_to_num(np.asarray(e, np.float64), nan=0.0), 0.0, 1.0)[:, None]
    w = opt.lines_per_year * share
    hit = opt.hit_rate
    unstocked = (np.arange(opt.K)[None, :] == 0) | (opt.order_up_to <= 0)
    return {"ontime": w[:, None] * (hit + (1.0 - hit) * e),
            "normal": np.where(unstocked, 0.0, opt.orders_per_year[:, None]),
            "emergency": opt.lines_per_year[:, None] * (1.0 - hit),
            "otd_weight": w, "nor_rate": float(nor)}


def _override_option(opt, value, weight, stuck, col_row, lo_q, hi_q, rows, flow, var, L, R, sd, unit_cost,
                     buckets, target):
    """Put the level an items override makes of the per-row level into column ``col_row`` of
    the ``stuck`` rows (the rule of :func:`partsopt.policy_step.apply_overrides`, evaluated by
    :func:`policies.service.evaluate_policy` one bucket at a time as
    :func:`partsopt.policy_step.reevaluate_overridden` does)."""
    from policies.service import evaluate_policy

    idx = np.flatnonzero(stuck)
    c = col_row[idx]
    s = opt.reorder_point[idx, c].astype(np.float64)
    S = opt.order_up_to[idx, c].astype(np.float64)
    lo, hi = lo_q[idx], hi_q[idx]
    s, S, _, _ = override_levels(s, S, lo, hi)
    fields = {k: v.copy() for k, v in opt.__dict__.items()}
    value = value.copy()
    r = rows[idx]
    b = buckets[r]
    for bk in np.unique(b):
        j = np.flatnonzero(b == bk)
        live = S[j] > 0
        jj = j[live]
        if jj.size:
            rr = r[jj]
            ev = evaluate_policy("nbinom", flow[rr], var[rr], L[rr], R[rr], reorder_point=np.floor(s[jj]).astype(np.int64),
                                 order_up_to=np.ceil(S[jj]).astype(np.int64), lead_time_sd=sd[rr],
                                 line_size_pmf="family")
            for mine, theirs in (("hit_rate", "hit_rate"), ("fill_rate", "fill_rate"), ("ready_rate", "ready_rate"),
                                 ("on_hand", "expected_on_hand"), ("backorders", "expected_backorders")):
                fields[mine][idx[jj], c[jj]] = ev[theirs].to_numpy()
        dead = j[~live]
        for mine in ("hit_rate", "fill_rate", "ready_rate", "on_hand", "backorders"):
            fields[mine][idx[dead], c[dead]] = 0.0
    fields["reorder_point"][idx, c] = s.astype(np.int64)
    fields["order_up_to"][idx, c] = S.astype(np.int64)
    fields["cost"][idx, c] = fields["on_hand"][idx, c] * unit_cost[r]
    measure = fields["fill_rate"] if target == "fill_rate" else fields["hit_rate"]
    value[idx, c] = measure[idx, c] * weight[idx]
    return value, LevelOptions(**fields)


def _bucket_sum(bucket, x, nb, pool=None, n_pools=1):
    """Σ of x per (pool, bucket) in row order (np.bincount adds sequentially)."""
    idx = bucket if pool is None else pool * nb + bucket
    out = np.bincount(idx, weights=x, minlength=nb * n_pools)
    return out if pool is None else out.reshape(n_pools, nb)


def _stack(opts: list[LevelOptions], K_min: int) -> LevelOptions:
    K = max(K_min, max(o.K for o in opts))

    def pad(a, fill):
        return a if a.shape[1] == K else np.concatenate(
            [a, np.broadcast_to(fill(a), (a.shape[0], K - a.shape[1]))], axis=1)
    last = lambda a: a[:, -1:]  # noqa: E731  (columns past s_hi repeat s_hi)
    fields = {}
    for name in ("reorder_point", "order_up_to", "hit_rate", "fill_rate", "ready_rate", "on_hand",
                 "backorders", "ip_mean", "cost", "value"):
        fields[name] = np.concatenate([pad(getattr(o, name), last) for o in opts])
    fields["valid"] = np.concatenate([pad(o.valid, lambda a: np.zeros((a.shape[0], 1), bool)) for o in opts])
    for name in ("lines_per_year", "orders_per_year", "hit_threshold"):
        fields[name] = np.concatenate([getattr(o, name) for o in opts])
    return LevelOptions(**fields)


def _take(o: LevelOptions, idx) -> LevelOptions:
    return LevelOptions(**{k: v[idx] for k, v in o.__dict__.items()})


# ------------------------------------------------------------------ what a partition answers
def partition_summary(no: NetworkOptions) -> dict:
    """Per-bucket constants of a partition: lines per pool, fixed and row-plan investment,
    the largest value/cost ratio between two options of a row per pool (price bracket)."""
    P = no.n_pools
    o = no.options
    top = np.zeros(P)
    if len(no.rows):
        # the steepest step from any valid option to a dearer valid one bounds every hull ratio
        c = np.where(o.valid, o.cost, np.inf)
        v = np.where(o.valid, no.value, -np.inf)
        base = np.argmin(c, axis=1)
        vlo = np.take_along_axis(v, base[:, None], 1)[:, 0]
        cs = np.sort(c, axis=1)
        with np.errstate(invalid="ignore"):
            d = np.diff(cs, axis=1)
        d = np.where(np.isfinite(d) & (d > 0), d, np.inf)
        dc_min = d.min(axis=1) if d.shape[1] else np.full(len(no.rows), np.inf)
        vmax = v.max(axis=1)
        # a hull step rises from a value >= the base's, over at least the smallest cost gap
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(np.isfinite(dc_min), (vmax - vlo) / dc_min, 0.0)
        np.maximum.at(top, no.pool, np.nan_to_num(r, nan=0.0, posinf=0.0))
    lines = _bucket_sum(no.bucket, no.weight, N_BUCKETS, no.pool, P)
    row_v = _bucket_sum(no.bucket, no.value[np.arange(len(no.rows)), no.col_row], N_BUCKETS, no.pool, P)
    out = {"lines": lines, "fixed_cost": no.fixed_cost_b, "row_cost": no.row_cost_b, "row_value": row_v,
           "top_ratio": top}
    if no.ontime is not None:
        out["otd_lines"] = _bucket_sum(no.bucket, no.otd_weight, N_BUCKETS)
        out["price_cap"] = _price_caps(no)
    return out


def _gains(no: NetworkOptions) -> list[np.ndarray]:
    """The constraint quantities of every option: value of each pool (0 outside it), on-time
    lines, normal-order surplus (1 − nor)·normal − nor·emergency [lines/year]."""
    g = [np.where((no.pool == p)[:, None], no.value, 0.0) for p in range(no.n_pools)]
    return g + [no.ontime, (1.0 - no.nor_rate) * no.normal - no.nor_rate * no.emergency]


def _price_caps(no: NetworkOptions) -> np.ndarray:
    """Per constraint, a multiplier [money per line/year] at which every row takes an option of
    largest gain (:func:`policies.marginal.price_cap` on each constraint's gains)."""
    m = no.n_pools + 2
    if not len(no.rows):
        return np.zeros(m)
    o = no.options
    return np.array([price_cap(o.cost, g, o.valid) for g in _gains(no)])


def choose(no: NetworkOptions, prices) -> np.ndarray:
    """Each option row's column at the prices, ties to the cheaper.

    ``prices`` of length n_pools: one price λ per pool [value/year per unit of money],
    argmax value − λ·cost.  Of length n_pools + 2 (network OTD and normal-order constraints,
    :func:`network_constraints`): multipliers μ [money per line/year] of the pools' hit
    targets, of on-time lines and of the normal-order surplus, argmax
    μ_pool·value + μ_otd·ontime + μ_nor·((1 − nor)·normal − nor·emergency) − cost.
    """
    o = no.options
    p = np.asarray(prices, np.float64)
    if p.size == no.n_pools + 2:
        if no.ontime is None:
            raise ValueError(f"prices of length n_pools + 2 = {p.size} need the network OTD / normal-order "
                             "quantities (service.scope = 'network', service.row_floors = false)")
        mu = p[no.pool][:, None]
        gain = mu * no.value + p[-2] * no.ontime + p[-1] * ((1.0 - no.nor_rate) * no.normal
                                                           - no.nor_rate * no.emergency)
        return _argmax_cheapest(np.where(o.valid, gain - o.cost, -np.inf), o.cost, o.valid)
    lam = p[no.pool][:, None]
    score = np.where(o.valid, no.value - lam * o.cost, -np.inf)
    best = score.max(axis=1, keepdims=True)
    tol = 1e-12 * np.maximum(np.abs(best), 1.0)
    cand = o.valid & (score >= best - tol)
    return np.argmin(np.where(cand, o.cost, np.inf), axis=1)


def respond(no: NetworkOptions, prices) -> tuple[np.ndarray, ...]:
    """A partition's answer at ``prices`` (:func:`choose`): cost and value per (pool, bucket);
    with the network OTD / normal-order constraints also on-time lines, normal order lines
    and emergency lines per (pool, bucket)."""
    P = no.n_pools
    n_out = 2 if no.ontime is None else 5
    if not len(no.rows):
        return tuple(np.zeros((P, N_BUCKETS)) for _ in range(n_out))
    k = choose(no, prices)
    i = np.arange(len(no.rows))
    arrays = [no.options.cost, no.value] + ([] if no.ontime is None else [no.ontime, no.normal, no.emergency])
    return tuple(_bucket_sum(no.bucket, a[i, k], N_BUCKETS, no.pool, P) for a in arrays)


def without_network_constraints(summary: dict) -> dict:
    """``summary`` without the network OTD / normal-order keys: :func:`solve_allocation` then
    solves the hit targets alone with one price per pool, on the same option tables (what
    ``row_floors = false`` did before the network constraints; for comparisons)."""
    return {k: v for k, v in summary.items() if k not in ("otd_lines", "price_cap")}


def merge_summaries(summaries: list[dict]) -> dict:
    """Partitions hold disjoint buckets: their per-bucket arrays add exactly (x + 0 = x)."""
    out = {k: np.array(v, copy=True) for k, v in summaries[0].items()}
    for s in summaries[1:]:
        for k in ("lines", "fixed_cost", "row_cost", "row_value", "otd_lines"):
            if k in out:
                out[k] = out[k] + s[k]
        for k in ("top_ratio", "price_cap"):
            if k in out:
                out[k] = np.maximum(out[k], s[k])
    return out


def merge_responses(answers: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    out = [a.copy() for a in answers[0]]
    for ans in answers[1:]:
        out = [x + y for x, y in zip(out, ans)]
    return tuple(out)


def _total(a) -> float:
    return math.fsum(np.asarray(a, np.float64).ravel().tolist())


# ------------------------------------------------------------------ the client's loop
@dataclass
class Allocation:
    """The outcome of :func:`solve_allocation`.

    mode      "target" (least investment meeting the pool targets), "budget" (most value
              within ``budget.total``) or "row" (a budget the row plan already keeps: no change)
    prices    (pools,) the shadow price per pool [value/year per unit of money]; with network
              OTD / normal-order constraints (pools + 2,) the multipliers μ [money per line/year]
              of the pools' hit targets, on-time lines and normal-order surplus (:func:`choose`)
    pools, levels, reached (bool per pool), hit (expected hit rate per pool)
    investment  expected investment of the whole plan [money] (before overrides)
    network_hit expected line-weighted hit rate of the customer-facing rows
    """

    mode: str
    prices: np.ndarray
    pools: list
    levels: np.ndarray
    reached: np.ndarray
    hit: np.ndarray
    investment: float
    network_hit: float
    budget: float
    rounds: int
    note: str = ""
    extra: dict = field(default_factory=dict)

    def hit_prices(self) -> np.ndarray:
        """The pools' prices as value/year per unit of money (λ): the prices themselves, or
        1 / μ of the multipliers of a solve with network OTD / normal-order constraints
        (μ = 0, a hit target that does not bind because the OTD or normal-order constraint
        already buys more: 0, and the record's ``multipliers`` say so)."""
        p = np.asarray(self.prices, np.float64)
        if p.size == len(self.pools) + 2:
            mu = p[: len(self.pools)]
            return np.where(mu > 0, 1.0 / np.where(mu > 0, mu, 1.0), 0.0)
        return p

    def record(self) -> dict:
        """A JSON-ready record (run.json, the plan summary)."""
        return {"mode": self.mode, "pools": list(self.pools),
                "price_per_1000": [float(p) * _PER for p in self.hit_prices()],
                "target_level": [float(x) for x in self.levels],
                "reached": [bool(x) for x in self.reached], "expected_hit_rate": [float(x) for x in self.hit],
                "expected_network_hit_rate": float(self.network_hit), "investment": float(self.investment),
                "budget": float(self.budget), "rounds": int(self.rounds), "note": self.note, **self.extra}


def solve_allocation(summary: dict, ask: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
                     config: dict) -> Allocation:
    """Shadow prices for the pools' targets and the budget (module docstring).

    ``summary`` = :func:`merge_summaries` of the partitions' :func:`partition_summary`;
    ``ask(prices)`` returns the merged :func:`respond` of every partition.  Raises
    ConfigError when ``budget.total`` is below the cheapest plan meeting the floors.
    """
    P = summary["lines"].shape[0]
    names = pool_names(config)
    levels = pool_levels(config)
    lines = np.array([_total(summary["lines"][p]) for p in range(P)])
    fixed = _total(summary["fixed_cost"])
    budget = float(config["budget"]["total"])
    hi0 = 2.0 * summary["top_ratio"] + 1.0
    rounds = 0

    def totals(prices):
        answer = ask(prices)
        c, v = answer[0], answer[1]
        return np.array([_total(c[p]) for p in range(P)]), np.array([_total(v[p]) for p in range(P)])

    def result(mode, prices, reached, note=""):
        c, v = totals(prices)
        with np.errstate(divide="ignore", invalid="ignore"):
            hit = np.where(lines > 0, v / lines, np.nan)
        net = _total(v) / _total(lines) if _total(lines) > 0 else float("nan")
        return Allocation(mode=mode, prices=np.asarray(prices, np.float64), pools=names, levels=levels,
                          reached=np.asarray(reached, bool), hit=hit, investment=fixed + _total(c),
                          network_hit=net, budget=budget, rounds=rounds, note=note)

    if config["service"]["scope"] == "row":
        row_cost = _total(summary["row_cost"])
        if row_cost <= budget:
            v = np.array([_total(summary["row_value"][p]) for p in range(P)])
            with np.errstate(divide="ignore", invalid="ignore"):
                hit = np.where(lines > 0, v / lines, np.nan)
            return Allocation(mode="row", prices=np.zeros(P), pools=names, levels=levels,
                              reached=np.ones(P, bool), hit=hit, investment=row_cost,
                              network_hit=_total(v) / _total(lines) if _total(lines) > 0 else float("nan"),
                              budget=budget, rounds=0,
                              note=f"the row plan ({row_cost:,.0f}) keeps the budget {budget:,.0f}")
        target = None
    else:
        target = levels * lines
    if target is not None and "otd_lines" in summary:
        res = _solve_coupled(summary, ask, config, names, levels, lines, fixed, budget)
        rounds = res.rounds
        if budget <= 0 or res.investment <= budget + 1e-9 * max(budget, 1.0):
            if budget > 0:
                res.note = (res.note + "; " if res.note else "") + f"within the budget {budget:,.0f}"
            return res
        over = res.investment
        target_note = ("; the network OTD and normal-order-rate constraints are not enforced within a "
                       "binding budget")
    elif target is not None:
        # per pool: the largest price whose allocation still meets the pool's target
        lo, hi = np.zeros(P), hi0.copy()
        _, v_hi = totals(hi)
        _, v_lo = totals(lo)
        met_hi = v_hi >= target - 1e-9 * np.maximum(lines, 1.0)
        reach = v_lo >= target - 1e-9 * np.maximum(lines, 1.0)
        done = met_hi | ~reach | (lines <= 0)
        lo = np.where(met_hi, hi, lo)
        while not done.all() and rounds < MAX_ROUNDS:
            mid = np.where(done, lo, 0.5 * (lo + hi))
            _, v = totals(mid)
            ok = v >= target - 1e-9 * np.maximum(lines, 1.0)
            lo = np.where(~done & ok, mid, lo)
            hi = np.where(~done & ~ok, mid, hi)
            rounds += 1
            done |= (hi - lo) <= PRICE_TOL * np.maximum(hi, 1e-300)
        res = result("target", lo, reach | (lines <= 0),
                     "" if reach.all() else "target out of reach for " + ", ".join(
                         n for n, r, w in zip(names, reach, lines) if not r and w > 0)
                     + ": the best hit rate the floors and levels allow")
        if budget <= 0 or res.investment <= budget + 1e-9 * max(budget, 1.0):
            if budget > 0:
                res.note = (res.note + "; " if res.note else "") + f"within the budget {budget:,.0f}"
            return res
        over = res.investment
    else:
        over = _total(summary["row_cost"])
    if "otd_lines" not in summary or target is None:
        target_note = ""
    # budget: one price for every pool, the smallest whose investment fits
    top = float(hi0.max())
    c_hi = fixed + _total(totals(np.full(P, top))[0])
    if c_hi > budget + 1e-9 * max(budget, 1.0):
        raise ConfigError("budget.total is below the cheapest plan that meets the floors.", where="budget.total",
                          received=f"budget.total = {budget:,.2f}; the cheapest plan costs {c_hi:,.2f} "
                                   f"(warehouses {fixed:,.2f} + customer-facing part-locations "
                                   f"{c_hi - fixed:,.2f})",
                          fix=f"raise budget.total to at least {math.ceil(c_hi):,}, or relax the per-row floors "
                              "(service.row_floors = false, service.otd_target, service.normal_order_rate).")
    lo, hi = 0.0, top
    if fixed + _total(totals(np.zeros(P))[0]) <= budget:
        hi = 0.0
    else:
        while rounds < MAX_ROUNDS and hi - lo > PRICE_TOL * hi:
            mid = 0.5 * (lo + hi)
            c = fixed + _total(totals(np.full(P, mid))[0])
            if c <= budget:
                hi = mid
            else:
                lo = mid
            rounds += 1
    res = result("budget", np.full(P, hi), np.zeros(P, bool))
    res.reached = res.hit >= levels - 1e-9
    what = "the network target" if target is not None else "the row plan"
    res.note = (f"{what} costs {over:,.0f} > budget {budget:,.0f}: best network hit rate within the budget"
                + target_note)
    return res


def _solve_coupled(summary, ask, config, names, levels, lines, fixed, budget) -> Allocation:
    """The network target with on-time delivery and the normal-order rate as network-level,
    line-weighted constraints (``row_floors = false``), by :func:`policies.marginal.lagrangian_multi`.

    Constraints (sums over the customer-facing option rows, expected values per year):

    * per pool p:  Σ hit lines (fill rate: filled units) >= level_p · Σ lines   (as in one price);
    * OTD:         Σ on-time customer lines >= service.otd_target · Σ customer lines;
    * normal-order rate:  Σ normal / Σ (normal + emergency) >= nor, i.e.
      Σ (1 − nor)·normal − nor·emergency >= 0 (``service.normal_order_rate = 0``: always met).

    Every sum is formed per bucket and added with :func:`math.fsum` (bit-identical on a
    cluster); the multiplier search is on the client only.
    """
    P = len(names)
    otd = float(config["service"]["otd_target"])
    nor = float(config["service"]["normal_order_rate"])
    otd_lines = _total(summary["otd_lines"])

    def sums(mu):
        c, v, on, nrm, em = ask(np.asarray(mu, np.float64))
        vv = np.array([_total(v[p]) for p in range(P)])
        n_, e_ = _total(nrm), _total(em)
        return _total(c), vv, _total(on), n_, e_

    def gains(mu):
        c, vv, on, n_, e_ = sums(mu)
        return c, np.r_[vv, on, (1.0 - nor) * n_ - nor * e_]

    target = np.r_[levels * lines, otd * otd_lines, 0.0]
    cap = np.maximum(np.asarray(summary["price_cap"], np.float64), 1e-300)
    sol = lagrangian_multi(gains, target, np.where(cap > 1e-300, cap, 1.0), max_rounds=MAX_ROUNDS)
    c, vv, on, n_, e_ = sums(sol.prices)
    with np.errstate(divide="ignore", invalid="ignore"):
        hit = np.where(lines > 0, vv / lines, np.nan)
    tl = _total(lines)
    net = _total(vv) / tl if tl > 0 else float("nan")
    reached = sol.reached[:P] | (lines <= 0)
    what = ["the hit target of " + n for n, r in zip(names, reached) if not r]
    if not sol.reached[P]:
        what.append("the network OTD target")
    if not sol.reached[P + 1]:
        what.append("the network normal-order rate")
    note = ("" if not what else "out of reach: " + ", ".join(what) + "; the best the levels allow")
    binding = [n for n, x in (("the network OTD", sol.prices[P]), ("the network normal-order rate", sol.prices[P + 1]))
               if x > 0]
    slack = [n for n, x, w, v, t in zip(names, sol.prices[:P], lines, vv, target[:P])
             if x <= 0 and w > 0 and v > t + 1e-6 * w]
    if slack and binding:
        note = (note + "; " if note else "") + (
            f"{' and '.join(binding)} target{'s' if len(binding) > 1 else ''} set{'' if len(binding) > 1 else 's'} "
            f"the stock: the hit target ({', '.join(slack)}) is over-fulfilled (its price is 0)")
    inv = fixed + c
    extra = {"constraints": "network OTD and normal-order rate",
             "otd_target": otd, "normal_order_rate_target": nor,
             "expected_network_otd_rate": on / otd_lines if otd_lines > 0 else float("nan"),
             "expected_network_normal_order_rate": n_ / (n_ + e_) if n_ + e_ > 0 else 1.0,
             "multipliers": [float(x) for x in sol.prices],
             "lower_bound": fixed + sol.dual_bound,
             "gap_bound": (c - sol.dual_bound) / inv if inv > 0 else 0.0,
             "cuts": int(sol.cuts)}
    return Allocation(mode="target", prices=np.asarray(sol.prices, np.float64), pools=names, levels=levels,
                      reached=reached, hit=hit, investment=inv, network_hit=net, budget=budget,
                      rounds=sol.rounds, note=note, extra=extra)


# ------------------------------------------------------------------ applying the prices
def apply_allocation(pol: pd.DataFrame, no: NetworkOptions, alloc: Allocation, locations: pd.DataFrame,
                     extras: dict) -> pd.DataFrame:
    """The per-row plan with the option rows at the allocation's levels and reasons.

    ``extras`` is what :func:`partsopt.policy_step.plan_policies` reported (emergency on-time
    probability and cost rates per row).  Mode "row" changes nothing.
    """
    if alloc.mode == "row" or not len(no.rows):
        return pol
    out = pol.copy()
    o = no.options
    rows = no.rows
    i = np.arange(rows.size)
    k = choose(no, alloc.prices)
    changed = k != no.col_row
    s = o.reorder_point[i, k]
    S = o.order_up_to[i, k]
    unstocked = S <= 0
    hit = o.hit_rate[i, k]
    oh = o.on_hand[i, k]
    c = out["unit_cost"].to_numpy(np.float64)[rows]
    e = np.asarray(extras["e_on_time"], np.float64)[rows]
    hr = np.asarray(extras["holding_rate"], np.float64)[rows]
    A = np.asarray(extras["order_cost"], np.float64)[rows]
    E = np.asarray(extras["emergency_cost"], np.float64)[rows]
    ltd = np.asarray(extras["ltd_mean"], np.float64)[rows]
    orders = np.where(unstocked, 0.0, o.orders_per_year)
    emerg = o.lines_per_year * (1.0 - hit)
    with np.errstate(divide="ignore", invalid="ignore"):
        nor = np.where(orders + emerg > 0, orders / (orders + emerg), 1.0)
    new = {
        "reorder_point": np.where(unstocked, 0.0, s).astype(np.float64),
        "order_up_to": np.where(unstocked, 0.0, S).astype(np.float64),
        "safety_stock": np.where(unstocked, 0.0, o.ip_mean[i, k] - ltd),
        "expected_hit_rate": hit, "expected_fill_rate": o.fill_rate[i, k],
        "expected_ready_rate": o.ready_rate[i, k], "expected_on_hand": oh,
        "expected_backorders": o.backorders[i, k], "expected_otd_rate": hit + (1.0 - hit) * e,
        "inventory_value": oh * c, "annual_holding_cost": hr * oh * c,
        "annual_cost": hr * oh * c + A * orders + E * emerg, "normal_order_rate": nor,
        "orders_per_year": orders,
    }
    idx = out.index[rows[changed]]
    for col, vals in new.items():
        out.loc[idx, col] = vals[changed]
    q = out["order_quantity"].to_numpy(np.float64).copy()
    q[rows[changed & unstocked]] = 0.0
    out["order_quantity"] = q
    out["reason"] = _reasons(out["reason"].to_numpy(dtype=object).copy(), no, alloc, k, locations,
                             out["location"].to_numpy(dtype=object), pol)
    return out


def _reasons(reason, no, alloc, k, locations, location, pol):
    o = no.options
    rows = no.rows
    i = np.arange(rows.size)
    # value bought per 1,000 of stock by the last step into the chosen level (from the
    # next cheaper valid option) and by the next step up
    cost, val = o.cost, no.value
    vmask = o.valid
    c_k, v_k = cost[i, k], val[i, k]
    below = vmask & (cost < c_k[:, None] - 1e-12)
    above = vmask & (cost > c_k[:, None] + 1e-12)
    jb = np.argmax(np.where(below, cost, -np.inf), axis=1)
    ja = np.argmin(np.where(above, cost, np.inf), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_in = np.where(below.any(1), (v_k - val[i, jb]) / (c_k - cost[i, jb]) * _PER, np.nan)
        r_up = np.where(above.any(1), (val[i, ja] - v_k) / (cost[i, ja] - c_k) * _PER, np.nan)
    parent = locations.set_index("location")["parent"].reindex(location[rows]).fillna("").to_numpy(dtype=object)
    what = no.value_unit
    label = {"target": "network allocation", "budget": "budget allocation"}[alloc.mode]
    s_row = pol["reorder_point"].to_numpy()[rows]
    S_row = pol["order_up_to"].to_numpy()[rows]
    coupled = np.asarray(alloc.prices).size == no.n_pools + 2
    for n, (kk, ps, pr, ri, ru, sr, Sr, sup, par) in enumerate(zip(
            k.tolist(), no.pool.tolist(), np.asarray(alloc.prices)[no.pool].tolist(), r_in.tolist(), r_up.tolist(),
            s_row.tolist(), S_row.tolist(), no.supplier.tolist(), parent.tolist())):
        if coupled:
            lam = (f"prices {pr:.3g} per {what[:-1]}/yr, {alloc.prices[-2]:.3g} per on-time line/yr, "
                   f"{alloc.prices[-1]:.3g} per normal-order line/yr")
        else:
            lam = f"λ = {pr * _PER:.3g} {what}/yr per 1,000 of stock"
        s_, S_ = int(o.reorder_point[n, kk]), int(o.order_up_to[n, kk])
        if S_ <= 0:
            reason[rows[n]] = f"not stocked: served from {par or 'the supplier'} ({label}, {lam})"
            continue
        text = f"{label} ({lam}): s={s_}, S={S_}, hit rate {o.hit_rate[n, kk]:.3f}"
        text += (f"; the last step bought {ri:.3g} {what}/yr per 1,000" if ri == ri
                 else "; the lowest level allowed")
        if ru == ru:
            text += f", the next would buy {ru:.3g}"
        if kk != no.col_row[n]:
            text += f" (row target alone: s={int(sr) if Sr > 0 else -1}, S={int(Sr)})"
        if sup:
            text += "; supplies other locations: kept at least at its own-target level"
        reason[rows[n]] = text
    return reason


__all__ = ["needs_allocation", "pool_names", "pool_levels", "NetworkOptions", "build_options",
           "partition_summary", "choose", "respond", "network_constraints", "without_network_constraints", "merge_summaries", "merge_responses", "Allocation",
           "solve_allocation", "apply_allocation", "PRICE_TOL", "MAX_ROUNDS", "MAX_SPAN"]
