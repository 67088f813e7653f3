"""Network optimisation: stock levels of every part at every location, jointly.

Model
-----
A :class:`NetworkModel` holds one tree of locations (``parent``, -1 = orders from
the supplier) and, per (part, location), arrays of shape (parts, locations):
Poisson customer demand [units/day] and lines [lines/day], replenishment lead
time [days] (transit from the parent; supplier lead time at the top), unit cost
[money/unit] and the allowed level range (min/max overrides).  Each location
runs an (S-1, S) base-stock policy; :mod:`policies.metric` (VARI-METRIC by
default) gives every location's ready rate for a given allocation.

KPIs of an allocation (DESIGN.md §6), unit lines assumed (a line of one unit is
a hit iff the location has stock, P(OH >= 1) = P(pipeline <= S-1)):

    hits_p  = Σ_l line_rate[p,l] · ready[p,l]                     [lines/day]
    otd_p   = Σ_l line_rate[p,l] · (ready + ready_parent·P(transit >= S)·1[emergency_days_l <= promise_days_l])
    network hit rate = Σ_p hits_p / Σ lines ;  network OTD = Σ_p otd_p / Σ lines
    investment = Σ_{p,l} unit_cost[p,l] · S[p,l]                 [money]

(the OTD formula is :func:`policies.metric.otd_rate`: a miss is on time when the
parent has stock, P ≈ ready_parent · P(transit alone >= S); a top location's
misses go to the supplier and count as late).
Level 0 at a location means "not stocked there": its lines are served from the
parent by emergency delivery (a miss, possibly on time).

Options per part
----------------
The optimisation is a multiple-choice knapsack over parts (all locations of a
part stay together: the coupling between a dealer and its parent lives inside a
part, DESIGN.md §9).  A part's options are joint allocations, either

* ``"enumerate"``: every combination of levels in the allowed ranges (exact,
  for small networks / level ranges), or
* ``"greedy"``: paths of Sherbrooke-style greedy marginal analysis — start
  from the minimum levels and repeatedly add the stock increment with the most
  expected hits per unit of money (METRIC re-evaluated after each step, so a
  unit at a parent is credited with the hits it buys at all its children; at a
  leaf location 1..``lookahead`` units are tried at once, which gets past the
  convex start of the Poisson cdf).  One path per level of the top location
  (up to ``top_levels`` of them), because the best allocations are not nested
  in the depot level; the hull over their union then recovers the cheap mixes.
  Vectorised over parts (and top levels); the loop is over greedy steps.  On
  the small networks of the tests this lands within 1 % of the MILP optimum.

Then :mod:`policies.marginal` (hull, frontier, one-price Lagrangian bisection)
or :mod:`policies.milp` (CBC) chooses one option per part.

References: Sherbrooke (2004) ch. 4–5 (marginal analysis for METRIC systems);
see :mod:`policies.metric`, :mod:`policies.marginal`, :mod:`policies.milp`.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .marginal import efficient_frontier, lagrangian_multi, lagrangian_solve, price_cap, respond_multi
from .metric import _count_params, _metric_kernel, network_flow_rates, otd_rate, pmf_at, tree_depth
from .milp import Constraint, InfeasibleError, solve_multiple_choice

__all__ = ["NetworkModel", "NetworkOptions", "NetworkSolution", "evaluate_allocation",
           "build_options", "network_frontier", "optimise_network", "model_from_frames",
           "solution_frame"]


#: starts of the local search after the two-multiplier search (``optimise_network`` with two
#: binding targets): the final multipliers and the best other points of the dual search
N_MULTI_STARTS = 6


def _arr2(name, a, shape, *, integer=False, low=0.0, strict=False):
    try:
        out = np.broadcast_to(np.asarray(a, dtype=float), shape).copy()
    except ValueError:
        raise ValueError(f"{name} must broadcast to (parts, locations) = {shape}, "
                         f"received shape {np.shape(a)}") from None
    bad = ~np.isfinite(out) | ((out <= low) if strict else (out < low))
    if integer:
        bad |= out != np.round(out)
    if bad.any():
        i = tuple(int(v) for v in np.argwhere(bad)[0])
        rng = f"{'>' if strict else '>='} {low:g}" + (", integer" if integer else "")
        raise ValueError(f"{name} must be finite and {rng}; received {float(out[i])!r} at (part, location) {i}")
    return out.astype(np.int64) if integer else out


def _auto_max_level(parent, dr, lt, mn):
    """0.9999 quantile of Poisson(Λ · Σ lead times up to the supplier) + 1 [units]."""
    depth = tree_depth(parent)
    path = lt.copy()
    for d in range(1, int(depth.max()) + 1):
        idx = np.flatnonzero(depth == d)
        path[:, idx] += path[:, parent[idx]]
    flow = network_flow_rates(dr, parent)
    q = stats.poisson.ppf(0.9999, flow * path)
    return np.maximum(np.nan_to_num(q, nan=0.0).astype(np.int64) + 1, mn)


@dataclass(frozen=True)
class NetworkModel:
    """One network, many parts.  Arrays (parts, locations); see module docstring.

    parent : (L,) int;  demand_rate [units/day];  line_rate [lines/day] (default =
    demand_rate, i.e. unit lines);  lead_time [days];  unit_cost [money/unit] (> 0);
    emergency_days, promise_days : (L,) [days] for the OTD rule;  min_level,
    max_level : int [units];  method : "vari-metric" or "metric".
    A 1-d ``unit_cost`` is one cost per part; pass shape (1, L) for one per location.
    """

    parent: np.ndarray
    demand_rate: np.ndarray
    line_rate: np.ndarray
    lead_time: np.ndarray
    unit_cost: np.ndarray
    emergency_days: np.ndarray
    promise_days: np.ndarray
    min_level: np.ndarray
    max_level: np.ndarray
    method: str = "vari-metric"

    @classmethod
    def from_arrays(cls, parent, demand_rate, lead_time, unit_cost, *, line_rate=None,
                    emergency_days=1.0, promise_days=1.0, min_level=0, max_level="auto",
                    method="vari-metric") -> "NetworkModel":
        """Validate and broadcast the inputs (ValueError naming the parameter).

        ``max_level="auto"``: per (part, location) the 0.9999 quantile of
        Poisson(Λ · total lead time from the supplier) + 1 — the pipeline with no
        stock anywhere upstream, so no useful level is cut off.
        """
        parent = np.asarray(parent)
        tree_depth(parent)  # validates the tree
        dr = np.asarray(demand_rate, dtype=float)
        if dr.ndim == 1:
            dr = dr[None, :]
        if dr.ndim != 2 or dr.shape[1] != parent.size:
            raise ValueError(f"demand_rate must have shape (parts, {parent.size}), received {np.shape(demand_rate)}")
        shape = dr.shape
        dr = _arr2("demand_rate", dr, shape)
        lr = dr.copy() if line_rate is None else _arr2("line_rate", line_rate, shape)
        if np.any(lr > dr + 1e-12):
            raise ValueError("line_rate must be <= demand_rate (a line has at least one unit)")
        lt = _arr2("lead_time", lead_time, shape)
        uc = np.asarray(unit_cost, dtype=float)
        uc = _arr2("unit_cost", uc[:, None] if uc.ndim == 1 else uc, shape, strict=True)
        ed = _arr2("emergency_days", emergency_days, (1, parent.size))[0]
        pd_ = _arr2("promise_days", promise_days, (1, parent.size))[0]
        mn = _arr2("min_level", min_level, shape, integer=True)
        if isinstance(max_level, str):
            if max_level != "auto":
                raise ValueError(f"max_level must be 'auto' or integers >= 0, received {max_level!r}")
            mx = _auto_max_level(parent, dr, lt, mn)
        else:
            mx = _arr2("max_level", max_level, shape, integer=True)
        if np.any(mx < mn):
            i = tuple(int(v) for v in np.argwhere(mx < mn)[0])
            raise ValueError(f"max_level must be >= min_level; received max {mx[i]} < min {mn[i]} at (part, location) {i}")
        if method not in ("metric", "vari-metric"):
            raise ValueError(f"method must be 'metric' or 'vari-metric', received {method!r}")
        return cls(parent, dr, lr, lt, uc, ed, pd_, mn, mx, method)

    @property
    def shape(self):
        return self.demand_rate.shape


def _kpis(model: NetworkModel, stock):
    """Per stock row: hits (N,) and otd (N,) [lines/day], ready (N, L).  ``stock`` has
    shape (N, L), N = parts x reps, part-major: row i belongs to part i // reps."""
    n = stock.shape[0]
    reps = n // model.shape[0]
    take = lambda a: np.repeat(a, reps, axis=0) if reps > 1 else a  # noqa: E731
    depth = tree_depth(model.parent)
    res = _metric_kernel(take(model.demand_rate), model.parent, depth, take(model.lead_time),
                         stock, model.method == "vari-metric")
    ready = res.ready
    otd = _otd(model, res)
    lr = take(model.line_rate)
    return (lr * ready).sum(axis=1), (lr * otd).sum(axis=1), ready


def _otd(model, res):
    par = model.parent
    pr = np.where(par[None, :] >= 0, res.ready[:, np.where(par >= 0, par, 0)], 0.0)
    return otd_rate(res.ready, pr, res.transit_stockout, model.emergency_days[None, :],
                    model.promise_days[None, :])


def evaluate_allocation(model: NetworkModel, stock) -> pd.DataFrame:
    """Expected KPIs of one allocation ``stock`` (parts, locations) [units].

    Returns one row per (part, location): part, location, level, ready (= hit
    rate of unit lines), otd, lines [lines/day], investment [money].
    """
    st = _arr2("stock", stock, model.shape, integer=True)
    depth = tree_depth(model.parent)
    res = _metric_kernel(model.demand_rate, model.parent, depth, model.lead_time, st,
                         model.method == "vari-metric")
    otd = _otd(model, res)
    P, L = model.shape
    return pd.DataFrame({
        "part": np.repeat(np.arange(P), L), "location": np.tile(np.arange(L), P),
        "level": st.ravel(), "ready": res.ready.ravel(), "otd": otd.ravel(),
        "ebo": res.ebo.ravel(), "lines": model.line_rate.ravel(),
        "investment": (model.unit_cost * st).ravel(),
    })


@dataclass(frozen=True)
class NetworkOptions:
    """Options per part: levels (P, K, L) [units]; cost (P, K) [money]; hits, otd
    (P, K) [lines/day]; valid (P, K)."""

    levels: np.ndarray
    cost: np.ndarray
    hits: np.ndarray
    otd: np.ndarray
    valid: np.ndarray


def build_options(model: NetworkModel, kind: str = "greedy", *, max_steps: int = 60,
                  lookahead: int = 4, inner_lookahead: int = 2, stop_hit_rate: float = 0.9999,
                  enumerate_top: bool = True, top_levels: int = 16, chunk_parts: int = 1000,
                  max_options: int = 20000) -> NetworkOptions:
    """Candidate joint allocations per part (module docstring): ``"enumerate"`` or ``"greedy"``.

    max_steps : greedy steps per part (options = max_steps + 1 per greedy path);
    lookahead : units tried at once at a leaf location (closed form, cheap);
    inner_lookahead : units tried at once at a parent location (one METRIC
        re-evaluation of the network per unit tried);
    stop_hit_rate : a part stops adding stock once its hit rate reaches this;
    enumerate_top : with a single top location, run one greedy path per level of
        the top location (Sherbrooke 2004 §5: the optimal allocations are not nested
        in the depot level, so a single greedy path misses the cheap mixes; the
        union over depot levels lets the hull find them).  The paths run together,
        as extra rows of one vectorised greedy;
    top_levels : at most this many top levels per part, spread evenly over its
        [min_level, max_level] (all of them when the range is smaller);
    chunk_parts : parts per vectorised batch (parts sorted by pipeline size so a
        batch's pmf tables stay narrow); bounds the memory;
    max_options : refuse an enumeration larger than this per part.
    """
    if kind == "enumerate":
        return _enumerate(model, max_options)
    if kind != "greedy":
        raise ValueError(f"kind must be 'greedy' or 'enumerate', received {kind!r}")
    for nm, v in (("max_steps", max_steps), ("lookahead", lookahead), ("inner_lookahead", inner_lookahead),
                  ("top_levels", top_levels), ("chunk_parts", chunk_parts)):
        if int(v) != v or v < 1:
            raise ValueError(f"{nm} must be an integer >= 1, received {v!r}")
    if not 0 < stop_hit_rate <= 1:
        raise ValueError(f"stop_hit_rate must be in (0, 1], received {stop_hit_rate!r}")
    roots = np.flatnonzero(model.parent == -1)
    by_top = enumerate_top and roots.size == 1 and model.shape[1] > 1
    args = (int(max_steps), int(lookahead), int(inner_lookahead), float(stop_hit_rate))

    def run(sub):
        if by_top:
            return _greedy_by_top_level(sub, int(roots[0]), int(top_levels), *args)
        return _greedy_path(sub, *args)

    P = model.shape[0]
    if P <= chunk_parts:
        return run(model)
    size = (model.demand_rate.sum(axis=1) * model.lead_time.max(axis=1)
            + model.max_level.max(axis=1))
    order = np.argsort(size, kind="stable")
    parts = [run(_subset(model, order[i:i + chunk_parts])) for i in range(0, P, chunk_parts)]
    inv = np.empty(P, np.int64)
    inv[order] = np.arange(P)
    K = max(o.cost.shape[1] for o in parts)  # chunks may differ in option count: pad, invalid

    def cat(name):
        arrs = []
        for o in parts:
            a = getattr(o, name)
            pad = K - a.shape[1]
            if pad:
                width = [(0, 0), (0, pad)] + [(0, 0)] * (a.ndim - 2)
                a = np.pad(a, width, mode="edge" if name == "levels" else "constant")
            arrs.append(a)
        return np.concatenate(arrs)[inv]

    return NetworkOptions(cat("levels"), cat("cost"), cat("hits"), cat("otd"), cat("valid"))


def _subset(model: NetworkModel, idx) -> NetworkModel:
    """The same network restricted to the parts ``idx`` (rows may repeat)."""
    return NetworkModel(model.parent, model.demand_rate[idx], model.line_rate[idx], model.lead_time[idx],
                        model.unit_cost[idx], model.emergency_days, model.promise_days,
                        model.min_level[idx], model.max_level[idx], model.method)


def _enumerate(model, max_options):
    P, L = model.shape
    lo = model.min_level.min(axis=0)
    hi = model.max_level.max(axis=0)
    K = int(np.prod(hi - lo + 1))
    if K > max_options:
        raise ValueError(f"enumeration needs {K} options per part, more than max_options={max_options}; "
                         "narrow min_level/max_level or use kind='greedy'")
    grid = np.array(list(itertools.product(*[range(a, b + 1) for a, b in zip(lo, hi)])), dtype=np.int64)
    stock = np.tile(grid, (P, 1))  # part-major blocks of K
    hits, otd, _ = _kpis(model, stock)
    levels = stock.reshape(P, K, L)
    valid = np.all((levels >= model.min_level[:, None, :]) & (levels <= model.max_level[:, None, :]), axis=2)
    cost = (levels * model.unit_cost[:, None, :]).sum(axis=2)
    return NetworkOptions(levels, cost, hits.reshape(P, K), otd.reshape(P, K), valid)


def _subtree_masks(parent, depth):
    """mask[l] = locations in the subtree rooted at l (l included)."""
    L = parent.size
    mask = np.eye(L, dtype=bool)
    for d in range(int(depth.max()), 0, -1):
        for c in np.flatnonzero(depth == d):
            mask[parent[c]] |= mask[c]
    return mask


def _greedy_path(model, max_steps, lookahead, inner_lookahead, stop_hit_rate):
    """One greedy path per row of ``model``; only the rows still adding stock are
    computed at each step (parts that reached ``stop_hit_rate`` or ran out of useful
    increments drop out)."""
    P, L = model.shape
    parent = model.parent
    depth = tree_depth(parent)
    sub = _subtree_masks(parent, depth)
    vari = model.method == "vari-metric"
    is_parent = np.zeros(L, bool)
    is_parent[parent[parent >= 0]] = True
    leaves = np.flatnonzero(~is_parent)
    inner = np.flatnonzero(is_parent)
    lines_tot = model.line_rate.sum(axis=1)
    flow_all = network_flow_rates(model.demand_rate, parent)
    S = model.min_level.copy()
    levels = np.zeros((P, max_steps + 1, L), np.int64)
    hits_o = np.zeros((P, max_steps + 1))
    otd_o = np.zeros((P, max_steps + 1))
    valid = np.zeros((P, max_steps + 1), bool)
    act = np.arange(P)  # rows still moving
    for step in range(max_steps + 1):
        m = _subset(model, act)
        Sa = S[act]
        res = _metric_kernel(m.demand_rate, parent, depth, m.lead_time, Sa, vari, flow=flow_all[act])
        hits, otd, _ = _kpis_from_result(m, res)
        levels[:, step] = S
        hits_o[act, step] = hits
        otd_o[act, step] = otd
        valid[act, step] = True
        keep = hits < stop_hit_rate * lines_tot[act]
        if step == max_steps or not keep.any():
            break
        n = act.size
        rows = np.arange(n)
        best_ratio = np.zeros(n)
        best_loc = np.full(n, -1)
        best_k = np.zeros(n, np.int64)
        # leaves: exact closed form, +1..lookahead units (only their own hits change)
        if leaves.size:
            s_leaf = Sa[:, leaves]
            room = m.max_level[:, leaves] - s_leaf
            pm_leaf = res.pipeline_mean[:, leaves]
            pv_leaf = res.pipeline_var[:, leaves]
            # gain of j units at level s: P(s <= X <= s+j-1) = Σ_{i=0}^{j-1} pmf[s+i],
            # pmf[s+i+1] = pmf[s+i] (α + β (s+i)) / (s+i+1)  (see metric._count_params)
            al, be, _ = _count_params(pm_leaf.ravel(), pv_leaf.ravel())
            al, be = al.reshape(pm_leaf.shape), be.reshape(pm_leaf.shape)
            pk = pmf_at(pm_leaf, pv_leaf, s_leaf)
            gain = np.zeros((n, leaves.size))
            for j in range(1, lookahead + 1):
                gain = gain + pk
                kk = s_leaf + j - 1
                pk = pk * (al + be * kk) / (kk + 1.0)
                ratio = m.line_rate[:, leaves] * gain / (j * m.unit_cost[:, leaves])
                ratio = np.where(room >= j, ratio, -np.inf)
                jbest = np.argmax(ratio, axis=1)
                r = ratio[rows, jbest]
                better = r > best_ratio * (1 + 1e-12)
                best_ratio = np.where(better, r, best_ratio)
                best_loc = np.where(better, leaves[jbest], best_loc)
                best_k = np.where(better, j, best_k)
        # inner locations: re-evaluate the location's subtree with j more units there
        for l in inner:
            for j in range(1, inner_lookahead + 1):
                fits = Sa[:, l] + j <= m.max_level[:, l]
                if not fits.any():
                    break
                S2 = Sa.copy()
                S2[:, l] += j
                r2 = _metric_kernel(m.demand_rate, parent, depth, m.lead_time, S2, vari,
                                    prev=res, subtree=sub[l], with_transit=False)
                h2 = (m.line_rate * r2.ready).sum(axis=1)
                ratio = np.where(fits, (h2 - hits) / (j * m.unit_cost[:, l]), -np.inf)
                better = ratio > best_ratio * (1 + 1e-12)
                best_ratio = np.where(better, ratio, best_ratio)
                best_loc = np.where(better, l, best_loc)
                best_k = np.where(better, j, best_k)
        move = keep & (best_loc >= 0) & (best_ratio > 0)
        if not move.any():
            break
        S = S.copy()
        S[act[move], best_loc[move]] += best_k[move]
        act = act[move]
    # options after a part stopped are invalid (their levels stay zero-cost copies)
    levels = np.where(valid[:, :, None], levels, levels[:, :1, :])
    cost = (levels * model.unit_cost[:, None, :]).sum(axis=2)
    return NetworkOptions(levels, cost, hits_o, otd_o, valid)


def _greedy_by_top_level(model, root, top_levels, max_steps, lookahead, inner_lookahead, stop_hit_rate):
    """Greedy paths with the top location's level fixed at each of (at most)
    ``top_levels`` values spread over each part's range, stacked as extra rows of one
    vectorised greedy run; a part's options are the union of its paths."""
    P, L = model.shape
    lo = model.min_level[:, root]
    hi = model.max_level[:, root]
    n0 = int(min(top_levels, (hi - lo).max() + 1))
    frac = np.linspace(0.0, 1.0, n0) if n0 > 1 else np.zeros(1)
    top = np.round(lo[:, None] + frac[None, :] * (hi - lo)[:, None]).astype(np.int64)  # (P, n0)
    dup = np.zeros_like(top, dtype=bool)
    dup[:, 1:] = top[:, 1:] == top[:, :-1]  # narrow ranges repeat a level: keep one copy
    rows = np.repeat(np.arange(P), n0)  # part-major, top level minor
    big = _subset(model, rows)
    mn, mx = big.min_level.copy(), big.max_level.copy()
    mn[:, root] = top.ravel()
    mx[:, root] = top.ravel()
    big = NetworkModel(big.parent, big.demand_rate, big.line_rate, big.lead_time, big.unit_cost,
                       big.emergency_days, big.promise_days, mn, mx, big.method)
    o = _greedy_path(big, max_steps, lookahead, inner_lookahead, stop_hit_rate)
    K = max_steps + 1
    valid = (o.valid & ~dup.ravel()[:, None]).reshape(P, n0 * K)
    return NetworkOptions(o.levels.reshape(P, n0 * K, L), o.cost.reshape(P, n0 * K),
                          o.hits.reshape(P, n0 * K), o.otd.reshape(P, n0 * K), valid)


def _kpis_from_result(model, res):
    otd = _otd(model, res)
    return (model.line_rate * res.ready).sum(axis=1), (model.line_rate * otd).sum(axis=1), otd


def network_frontier(model: NetworkModel, options: NetworkOptions | None = None) -> pd.DataFrame:
    """The network's cost–availability curve by greedy marginal analysis.

    One row per step: investment [money], hit_rate and otd_rate (line-weighted,
    network level), the part that moved and its new option, and the step's
    ratio [lines/day per money].
    """
    opts = build_options(model, "greedy") if options is None else options
    if model.line_rate.sum() <= 0:
        raise ValueError("line_rate must be > 0 somewhere: the network has no demand lines")
    fr = efficient_frontier(opts.cost, opts.hits, opts.valid, extras={"otd": opts.otd})
    lines = float(model.line_rate.sum())
    return pd.DataFrame({"investment": fr["cost"], "hit_rate": fr["value"] / lines,
                         "otd_rate": fr["otd"] / lines, "part": fr["group"],
                         "option": fr["to_option"], "ratio": fr["ratio"]})


@dataclass(frozen=True)
class NetworkSolution:
    """levels (P, L) [units]; investment [money]; hit_rate, otd_rate (network, line-
    weighted); status ("optimal", "feasible" = MILP time limit, or "heuristic" for
    the marginal-analysis solution); price = shadow price [lines/day per money]
    (NaN for the MILP); solver; choice = option per part."""

    levels: np.ndarray
    investment: float
    hit_rate: float
    otd_rate: float
    status: str
    price: float
    solver: str
    choice: np.ndarray


def _check_rate(name, x):
    if x is None:
        return None
    if not (np.isfinite(x) and 0 < x < 1):
        raise ValueError(f"{name} must be in (0, 1) (a network rate of 1 is out of reach of any "
                         f"finite stock), received {x!r}")
    return float(x)


def optimise_network(model: NetworkModel, *, hit_target=None, otd_target=None, budget=None,
                     location_budget=None, location_capacity=None, solver: str = "greedy",
                     options: NetworkOptions | None = None, time_limit: float = 60.0) -> NetworkSolution:
    """Target-or-budget solve of the network.

    Target mode (``hit_target`` and/or ``otd_target`` given): minimum investment
    with network hit rate >= hit_target and OTD >= otd_target; a ``budget`` then
    caps the investment, and a target that cannot be met within it raises.
    Budget mode (only ``budget``): maximum network hit rate with investment <= budget.

    solver="milp": exact over the options (CBC), with optional per-location
    budgets ``location_budget`` (L,) [money] and capacities ``location_capacity``
    (L,) [units] (NaN = unconstrained).  solver="greedy": marginal analysis /
    Lagrangian — one shadow price by bisection for a hit target or a budget; with
    an OTD target, the cheapest allocation meeting both targets among: one shadow
    price on the hit lines, one on the on-time lines, two multipliers
    (:func:`policies.marginal.lagrangian_multi`, tried when neither single price
    meets both targets) and the walk along the hit-rate frontier to the first point
    meeting both; each is then improved by single-part changes that save money and keep
    both targets and, with both targets, by moves of two parts at once (one down, one
    up) that do, screened by their reduced cost at the multipliers (``solver`` of the
    result names the start taken).  With two multipliers the local search starts from
    the allocation at the final prices and from the ones at the ``N_MULTI_STARTS - 1``
    other points of the dual search of best Lagrangian value (2 in all above 10^6
    options): with few parts the options are lumpy, the duality gap is wide and the
    final prices' allocation can lie far from the optimum; an allocation that misses a
    target is first repaired, both by the cheapest move of one or two parts meeting
    both targets and by a greedy repair (options from several greedy paths are not the
    chain the multipliers assume).  Measured on the small networks of
    ``tests/policies/test_network.py`` (3 locations, 15-30 parts): within 1 % of the
    MILP optimum for a hit target, a budget, an OTD target alone or with a hit target
    where only one of them binds (at most +0.11 %); where both bind, at most +0.17 %
    (+0.34 % on all options; 0.1-4.1 % with single-part changes only).  The MILP is
    exact.  Cost: with both targets binding the two-multiplier search takes ~300
    responses over all options plus the local search (for 3,000 parts x 427 options,
    one thread: 14 s and 16 s CPU for hit/OTD targets 0.9/0.95 and 0.8/0.9, +3 % and
    +27 % over single-part changes only, within 0.0001 % of the Lagrangian lower
    bound); a single binding target costs two one-price bisections.
    Side constraints need the MILP.

    Raises ValueError naming the parameter, the received value and the valid
    range for an unreachable target (within the level ranges, or within the
    budget) or a budget below the minimum levels; with the MILP the error is a
    :class:`policies.milp.InfeasibleError` (a ValueError) whose ``binding`` lists
    the constraints whose removal restores feasibility.
    """
    hit_target = _check_rate("hit_target", hit_target)
    otd_target = _check_rate("otd_target", otd_target)
    if budget is None and hit_target is None and otd_target is None:
        raise ValueError("give a budget, a hit_target or an otd_target (received none)")
    if budget is not None and not (np.isfinite(budget) and budget >= 0):
        raise ValueError(f"budget must be finite and >= 0 [money], received {budget!r}")
    if solver not in ("greedy", "milp"):
        raise ValueError(f"solver must be 'greedy' or 'milp', received {solver!r}")
    if solver == "greedy" and (location_budget is not None or location_capacity is not None):
        raise ValueError("location_budget / location_capacity side constraints need solver='milp'")
    opts = build_options(model, "greedy") if options is None else options
    P, L = model.shape
    lines = float(model.line_rate.sum())
    if lines <= 0:
        raise ValueError("line_rate must be > 0 somewhere: the network has no demand lines, "
                         "so hit rate and OTD are undefined")
    rows = np.arange(P)
    max_hit = float(np.where(opts.valid, opts.hits, -np.inf).max(axis=1).sum()) / lines
    max_otd = float(np.where(opts.valid, opts.otd, -np.inf).max(axis=1).sum()) / lines
    min_cost = float(np.where(opts.valid, opts.cost, np.inf).min(axis=1).sum())
    if hit_target is not None and hit_target > max_hit + 1e-12:
        raise ValueError(f"hit_target must be <= {max_hit:.6f} (the highest network hit rate within the "
                         f"level ranges), received {hit_target!r}")
    if otd_target is not None and otd_target > max_otd + 1e-12:
        raise ValueError(f"otd_target must be <= {max_otd:.6f} (the highest network OTD within the "
                         f"level ranges), received {otd_target!r}")
    if budget is not None and budget < min_cost - 1e-9 * max(1.0, min_cost):
        raise ValueError(f"budget must be >= {min_cost:.6g} (the investment of the minimum levels), "
                         f"received {budget!r}")
    targets = hit_target is not None or otd_target is not None

    def finish(choice, status, price, name):
        lev = opts.levels[rows, choice]
        return NetworkSolution(lev, float(opts.cost[rows, choice].sum()),
                               float(opts.hits[rows, choice].sum()) / lines,
                               float(opts.otd[rows, choice].sum()) / lines, status, price, name, choice)

    def over_budget(best_hit, best_otd, how):
        msgs = []
        if hit_target is not None and hit_target > best_hit + 1e-12:
            msgs.append(f"hit_target must be <= {best_hit:.6f}")
        if otd_target is not None and otd_target > best_otd + 1e-12:
            msgs.append(f"otd_target must be <= {best_otd:.6f}")
        if not msgs:  # each target reachable alone, not both together
            msgs.append(f"hit_target <= {best_hit:.6f} and otd_target <= {best_otd:.6f} cannot both be met")
        return (f"{' and '.join(msgs)} ({how} within budget={budget!r}), received "
                f"hit_target={hit_target!r}, otd_target={otd_target!r}")

    if solver == "milp":
        cons = []
        if hit_target is not None:
            cons.append(Constraint("hit_target", opts.hits, ">=", hit_target * lines))
        if otd_target is not None:
            cons.append(Constraint("otd_target", opts.otd, ">=", otd_target * lines))
        if budget is not None:
            cons.append(Constraint("budget", opts.cost, "<=", float(budget)))
        for name, arr, per in (("location_budget", location_budget, opts.levels * model.unit_cost[:, None, :]),
                               ("location_capacity", location_capacity, opts.levels)):
            if arr is None:
                continue
            arr = np.asarray(arr, dtype=float)
            if arr.shape != (L,) or np.any(arr[np.isfinite(arr)] < 0):
                raise ValueError(f"{name} must have shape ({L},) with values >= 0 or NaN, received {arr!r}")
            for l in np.flatnonzero(np.isfinite(arr)):
                cons.append(Constraint(f"{name}[{l}]", per[:, :, l].astype(float), "<=", float(arr[l])))
        try:
            sol = solve_multiple_choice(opts.cost, opts.hits, objective="min_cost" if targets else "max_value",
                                        constraints=cons, valid=opts.valid, time_limit=time_limit)
        except InfeasibleError as exc:
            if budget is None or not targets:
                raise
            # how far the targets can go within the budget (and the side constraints)
            side = [c for c in cons if not c.name.endswith("_target")]
            best_h = solve_multiple_choice(opts.cost, opts.hits, objective="max_value", constraints=side,
                                           valid=opts.valid, time_limit=time_limit, diagnose=False)
            best_o = solve_multiple_choice(opts.cost, opts.otd, objective="max_value", constraints=side,
                                           valid=opts.valid, time_limit=time_limit, diagnose=False)
            raise InfeasibleError(over_budget(best_h.objective / lines, best_o.objective / lines,
                                              "the best the MILP reaches") + f"; binding: {', '.join(exc.binding)}",
                                  exc.binding) from None
        return finish(sol.choice, sol.status, float("nan"), "milp")

    if not targets:
        sol = lagrangian_solve(opts.cost, opts.hits, budget=float(budget), valid=opts.valid)
        return finish(sol.choice, "heuristic", sol.price, "lagrangian")
    if otd_target is None:
        sol = lagrangian_solve(opts.cost, opts.hits, target_value=hit_target * lines, valid=opts.valid)
        if budget is not None and sol.cost > budget + 1e-9:
            best = lagrangian_solve(opts.cost, opts.hits, budget=float(budget), valid=opts.valid)
            best_o = float(opts.otd[rows, best.choice].sum()) / lines
            raise ValueError(over_budget(best.value / lines, best_o, "the greedy frontier's best"))
        return finish(sol.choice, "heuristic", sol.price, "lagrangian")
    # an OTD target: the cheapest allocation meeting both targets among
    # (a) one shadow price on the hit lines, (b) one shadow price on the on-time lines,
    # (c) two multipliers (policies.marginal.lagrangian_multi) when a target is still missed,
    # (d) the walk along the hit-rate frontier to the first point meeting both
    cands = []   # (cost, choice, price, solver)

    def meets(choice):
        h = float(opts.hits[rows, choice].sum())
        o = float(opts.otd[rows, choice].sum())
        return ((hit_target is None or h >= hit_target * lines - 1e-9)
                and o >= otd_target * lines - 1e-9)

    gains = np.stack([opts.hits, opts.otd] if hit_target is not None else [opts.otd])
    T = (np.array([hit_target, otd_target]) if hit_target is not None
         else np.array([otd_target])) * lines

    def offer(choice, price, name, mu):
        if meets(choice):
            choice = _trim_multi(opts.cost, gains, T, opts.valid, choice)
            if gains.shape[0] > 1:   # both targets: pairwise exchanges screened at mu
                choice = _exchange_multi(opts.cost, gains, T, opts.valid, choice, mu,
                                         max_iter=50 if opts.cost.size <= 1_000_000 else 10)
            cands.append((float(opts.cost[rows, choice].sum()), choice, price, name))

    if hit_target is not None:
        sol = lagrangian_solve(opts.cost, opts.hits, target_value=hit_target * lines, valid=opts.valid)
        offer(sol.choice, sol.price, "lagrangian", [sol.price, 0.0])
    sol = lagrangian_solve(opts.cost, opts.otd, target_value=otd_target * lines, valid=opts.valid)
    offer(sol.choice, sol.price, "lagrangian-otd", [0.0, sol.price][-gains.shape[0]:])
    if hit_target is not None and not cands:
        cap = np.array([_price_cap(opts, g) for g in gains])
        asked = []   # every response of the search: (Lagrangian value q, cost, totals, mu)

        def respond(mu):
            c, a = respond_multi(opts.cost, gains, mu, opts.valid)[1:]
            asked.append((c - float(mu @ (a - T)), c, a, mu.copy()))
            return c, a

        multi = lagrangian_multi(respond, T, cap)
        for mu in _multi_starts(asked, multi.prices, N_MULTI_STARTS if opts.cost.size <= 1_000_000 else 2):
            ch = respond_multi(opts.cost, gains, mu, opts.valid)[0]
            if meets(ch):
                starts = [ch]
            else:   # options from several greedy paths are not a chain: repair, two ways —
                # the cheapest move of one or two parts meeting both targets, and the greedy repair
                starts = [_exchange_multi(opts.cost, gains, T, opts.valid, ch, multi.prices, max_iter=0),
                          _repair_multi(opts.cost, gains, T, opts.valid, ch)]
            for ch in starts:
                if ch is not None:
                    offer(ch, float(multi.prices[0]), "lagrangian-multi", multi.prices)
    fr = efficient_frontier(opts.cost, opts.hits, opts.valid, extras={"otd": opts.otd})
    ok = fr["otd"].to_numpy() >= otd_target * lines - 1e-9
    if hit_target is not None:
        ok &= fr["value"].to_numpy() >= hit_target * lines - 1e-9
    if ok.any():
        i = int(np.flatnonzero(ok)[0])
        price = float(fr["ratio"].iloc[i]) if i > 0 else float("inf")
        offer(_frontier_choice(opts, fr, i), price, "frontier",
              [price if np.isfinite(price) else 0.0, 0.0][:gains.shape[0]])
    if not cands:
        raise ValueError(f"otd_target must be <= {fr['otd'].max() / lines:.6f} together with "
                         f"hit_target={hit_target!r} (reached along the greedy frontier; try solver='milp'), "
                         f"received {otd_target!r}")
    best = min(cands, key=lambda c: c[0])
    if budget is not None and best[0] > budget + 1e-9:
        within = fr[fr["cost"] <= budget + 1e-9]
        raise ValueError(over_budget(within["value"].max() / lines, within["otd"].max() / lines,
                                     "the greedy frontier's best"))
    return finish(best[1], "heuristic", best[2], best[3])


def _met(tot, T):
    return bool(np.all(tot >= T - 1e-9 * np.maximum(np.abs(T), 1.0)))


def _repair_multi(cost, gains, T, valid, choice, max_iter=500):
    """Greedy repair of an allocation that misses some of the targets ``T`` (m,) on
    ``gains`` (m, G, K): repeatedly take the single-part change with the largest share of
    the remaining deficits it covers (each target's share capped at 1) per unit of extra
    money; None if no change helps or the moves (``max_iter``, 50 on more than 10^6
    options) do not reach every target.  Temporaries are (G, K): no (m, G, K) copies."""
    rows = np.arange(cost.shape[0])
    choice = choice.copy()
    floor = 1e-12 * max(float(np.abs(np.where(valid, cost, 0.0)).max()), 1.0)
    for _ in range(max_iter if cost.size <= 1_000_000 else 50):
        tot = np.array([float(g[rows, choice].sum()) for g in gains])
        if _met(tot, T):
            return choice
        score = np.zeros(cost.shape)
        for j in np.flatnonzero(T - tot > 0):
            d = T[j] - tot[j]
            score += np.clip(gains[j] - gains[j][rows, choice][:, None], 0.0, d) / d
        extra = np.maximum(cost - cost[rows, choice][:, None], floor)
        ratio = np.where(valid & (score > 0), score / extra, -np.inf)
        g, k = np.unravel_index(np.argmax(ratio), cost.shape)
        if not np.isfinite(ratio[g, k]):
            return None
        choice[g] = k
    return choice if _met(np.array([float(g[rows, choice].sum()) for g in gains]), T) else None


def _trim_multi(cost, gains, T, valid, choice, max_iter=200):
    """Local improvement of a feasible allocation: while some single-part change saves money
    and keeps every target met, take the one that saves the most (never worse); at most
    ``max_iter`` moves (20 on more than 10^6 options).  Temporaries are (G, K)."""
    rows = np.arange(cost.shape[0])
    choice = choice.copy()
    tol = 1e-9 * np.maximum(np.abs(T), 1.0)
    eps_c = 1e-12 * max(float(np.abs(np.where(valid, cost, 0.0)).max(axis=1).sum()), 1e-300)
    for _ in range(max_iter if cost.size <= 1_000_000 else 20):
        saving = cost[rows, choice][:, None] - cost
        cand = valid & (saving > eps_c)
        for j, g in enumerate(gains):
            now = g[rows, choice]
            cand &= float(now.sum()) + (g - now[:, None]) >= T[j] - tol[j]
        if not cand.any():
            break
        g, k = np.unravel_index(np.argmax(np.where(cand, saving, -np.inf)), cost.shape)
        choice[g] = k
    return choice


def _pair_moves(cost, gains, T, valid, choice, mu, max_pool):
    """The best move of one or two parts from ``choice``: among the moves ending with every
    target met, the one of least total cost change (< 0 when ``choice`` already meets the
    targets and the move saves money; possibly > 0 when it repairs a shortfall).  Returns
    (new choice, cost change) or (None, inf) if no single or pair move meets the targets.

    Single moves are searched over all options.  Pairs are searched in a pool of moves
    screened by their reduced cost at multipliers μ >= 0: with r = Δcost − μ·Δgains per move
    and slacks s = totals − T, a pair (a, b) meeting the targets (Δgains_a + Δgains_b >= −s)
    with Δcost_a + Δcost_b < d has r_a + r_b < d + μ·s, so when ``choice`` is feasible only
    moves with r < d + μ·s − min r can be in a saving pair, d = min(0, best single move)
    (the reduced-cost test of Lagrangian relaxation, Fisher 1981, Management Science 27;
    it follows from Δcost = r + μ·Δgains and Δgains >= −s).  When repairing, every move
    is in the pool.  At most ``max_pool`` moves of least r are kept (beyond that the pair
    search is a heuristic); all pairs of the pool are scored at once ((pool, pool)
    arrays).  Temporaries are (G, K)."""
    rows = np.arange(cost.shape[0])
    mu = np.maximum(np.asarray(mu, dtype=float), 0.0)
    tol = 1e-9 * np.maximum(np.abs(T), 1.0)
    eps_c = 1e-12 * max(float(np.abs(np.where(valid, cost, 0.0)).max(axis=1).sum()), 1e-300)
    cur_c = cost[rows, choice]
    now = np.array([g[rows, choice] for g in gains])            # (m, G)
    s = now.sum(axis=1) - T                                      # slacks (m,), < 0: a shortfall
    feasible = bool(np.all(s >= -tol))
    d_c = cost - cur_c[:, None]
    # single moves
    ok1 = valid.copy()
    for j, g in enumerate(gains):
        ok1 &= g - now[j][:, None] >= -s[j] - tol[j]
    ok1[rows, choice] = False
    best_c, best = np.inf, None
    if ok1.any():
        g1, k1 = np.unravel_index(np.argmin(np.where(ok1, d_c, np.inf)), cost.shape)
        best_c = float(d_c[g1, k1])
        best = choice.copy()
        best[g1] = k1
    # pair moves from the screened pool
    r = d_c.copy()
    for j, g in enumerate(gains):
        if mu[j] > 0:
            r -= mu[j] * (g - now[j][:, None])
    r = np.where(valid, r, np.inf)
    r[rows, choice] = np.inf
    flat = r.ravel()
    finite = np.isfinite(flat)
    if finite.sum() < 2:
        return best, best_c
    if feasible:
        bound = min(best_c, 0.0)
        pool = np.flatnonzero(flat < bound + float(mu @ np.maximum(s, 0.0)) - float(flat.min()) + eps_c)
    else:
        pool = np.flatnonzero(finite)
    if pool.size > max_pool:
        pool = pool[np.argpartition(flat[pool], max_pool - 1)[:max_pool]]
    if pool.size >= 2:
        pg, pk = np.unravel_index(pool, cost.shape)
        dc = d_c[pg, pk]
        ok = pg[:, None] != pg[None, :]
        for j, g in enumerate(gains):
            da = g[pg, pk] - now[j][pg]
            ok &= da[:, None] + da[None, :] >= -s[j] - tol[j]
        net = np.where(ok, dc[:, None] + dc[None, :], np.inf)
        a, b = np.unravel_index(np.argmin(net), net.shape)
        if net[a, b] < best_c - eps_c:
            best_c = float(net[a, b])
            best = choice.copy()
            best[pg[a]], best[pg[b]] = pk[a], pk[b]
    return best, best_c


def _exchange_multi(cost, gains, T, valid, choice, mu, max_pool=2000, max_iter=50):
    """Local search with moves of one or two parts at once (:func:`_pair_moves`; a pair is
    typically one part down, saving money, and one up, winning back what the other loses)
    under several ">=" targets.  From an allocation that misses a target, first the cheapest
    such move that meets every target (None if there is none); then, while the best move
    keeping every target saves money, take it and the single-part savings after it
    (:func:`_trim_multi`), at most ``max_iter`` rounds (``optimise_network``: 10 above 10^6
    options).  Never worse than a feasible ``choice``."""
    eps_c = 1e-12 * max(float(np.abs(np.where(valid, cost, 0.0)).max(axis=1).sum()), 1e-300)
    choice = choice.copy()
    if not _met(np.array([float(g[np.arange(cost.shape[0]), choice].sum()) for g in gains]), T):
        choice, _ = _pair_moves(cost, gains, T, valid, choice, mu, max_pool)
        if choice is None:
            return None
        choice = _trim_multi(cost, gains, T, valid, choice)
    for _ in range(max_iter):
        new, dc = _pair_moves(cost, gains, T, valid, choice, mu, max_pool)
        if new is None or not dc < -eps_c:
            break
        choice = _trim_multi(cost, gains, T, valid, new)
    return choice


def _multi_starts(asked, prices, n):
    """Multipliers of the starts for the local search after :func:`lagrangian_multi`: its
    final ``prices``, then the points it asked about, best Lagrangian value q(μ) first (the
    allocations nearest the dual optimum, on both sides of each target: with few parts the
    lumpy options leave a wide duality gap and the final prices' allocation is often far
    from the optimum), one per distinct response (cost and totals), ``n`` in all."""
    out, seen = [np.asarray(prices, dtype=float)], set()
    for q, c, a, mu in sorted(asked, key=lambda t: -t[0]):
        if len(out) >= n:
            break
        key = (round(c, 9), *np.round(a, 9))
        if key in seen:
            continue
        seen.add(key)
        out.append(mu)
    return out


def _price_cap(opts: NetworkOptions, gain: np.ndarray) -> float:
    """The upper end of the multiplier search for ``gain`` (:func:`policies.marginal.price_cap`),
    at least 1e-12 [money per line/day]."""
    return float(max(price_cap(opts.cost, gain, opts.valid), 1e-12))


def _frontier_choice(opts: NetworkOptions, fr: pd.DataFrame, i: int) -> np.ndarray:
    """Option per part after the first i steps of the frontier."""
    cheapest = np.where(opts.valid, opts.cost, np.inf)
    base = np.argmax(np.where(cheapest <= cheapest.min(axis=1, keepdims=True) + 1e-12,
                              np.where(opts.valid, opts.hits, -np.inf), -np.inf), axis=1)
    choice = base.copy()
    steps = fr.iloc[1:i + 1]
    if len(steps):
        last = steps.groupby("group", sort=False)["step"].idxmax()
        choice[steps.loc[last, "group"].to_numpy()] = steps.loc[last, "to_option"].to_numpy()
    return choice


# --------------------------------------------------------------------------- DataFrame edge
def model_from_frames(locations: pd.DataFrame, rows: pd.DataFrame, *,
                      method: str = "vari-metric") -> tuple[NetworkModel, pd.Index, pd.Index]:
    """Build a :class:`NetworkModel` from long tables (keys are strings).

    locations : columns ``location``, ``parent`` (empty / NaN = orders from the
        supplier), optional ``transit_days`` (0), ``emergency_days`` (1),
        ``promise_days`` (1) [days].
    rows : one row per (part, location) with demand: ``part``, ``location``,
        ``demand_rate`` [units/day], ``unit_cost`` [money/unit], optional
        ``line_rate`` [lines/day] (= demand_rate), ``lead_time_days`` (the
        location's ``transit_days`` if absent; required at the top location, where
        it is the supplier lead time), ``min_level`` (0), ``max_level`` (auto).
        Missing (part, location) pairs get no demand and the location's transit time.

    Returns (model, parts, locations) — the two Index objects give the row and
    column order of the model's arrays.
    """
    for name, df, cols in (("locations", locations, ("location", "parent")),
                           ("rows", rows, ("part", "location", "demand_rate", "unit_cost"))):
        miss = [c for c in cols if c not in df.columns]
        if miss:
            raise ValueError(f"{name} must have columns {list(cols)}; missing {miss}")
    locs = pd.Index(locations["location"].astype(str), name="location")
    if locs.has_duplicates:
        raise ValueError(f"locations.location must be unique, duplicated {locs[locs.duplicated()][:3].tolist()}")
    par_names = locations["parent"].where(locations["parent"].notna(), "").astype(str).to_numpy()
    unknown = sorted({p for p in par_names if p and p not in locs})
    if unknown:
        raise ValueError(f"locations.parent must name a location or be empty, received unknown {unknown[:3]}")
    parent = np.array([locs.get_loc(p) if p else -1 for p in par_names], dtype=np.int64)
    L = locs.size
    get = lambda col, default: (locations[col].fillna(default).to_numpy(float)  # noqa: E731
                                if col in locations.columns else np.full(L, float(default)))
    transit = get("transit_days", 0.0)
    rows = rows.assign(part=rows["part"].astype(str), location=rows["location"].astype(str))
    bad_loc = sorted(set(rows["location"]) - set(locs))
    if bad_loc:
        raise ValueError(f"rows.location must be one of locations.location, received unknown {bad_loc[:3]}")
    if rows.duplicated(["part", "location"]).any():
        d = rows.loc[rows.duplicated(["part", "location"]), ["part", "location"]].head(3)
        raise ValueError(f"rows must have one row per (part, location), duplicated {d.values.tolist()}")
    parts = pd.Index(sorted(rows["part"].unique()), name="part")
    P = parts.size
    pi = parts.get_indexer(rows["part"])
    li = locs.get_indexer(rows["location"])

    def grid(col, fill):
        out = np.full((P, L), fill, dtype=float)
        if col in rows.columns:
            vals = rows[col].to_numpy(float)
            ok = ~np.isnan(vals)
            out[pi[ok], li[ok]] = vals[ok]
        return out

    dr = grid("demand_rate", 0.0)
    lr = grid("line_rate", np.nan)
    lr = np.where(np.isnan(lr), dr, lr)
    lt = grid("lead_time_days", np.nan)
    lt = np.where(np.isnan(lt), transit[None, :], lt)
    top = parent == -1
    top_lt = grid("lead_time_days", np.nan)[:, top]
    if np.isnan(top_lt).any():
        p_bad = parts[np.isnan(top_lt).any(axis=1)][:3].tolist()
        raise ValueError(f"rows.lead_time_days (the supplier lead time) is required at the top location(s) "
                         f"{locs[top].tolist()}; missing for parts {p_bad}")
    cost = pd.Series(rows["unit_cost"].to_numpy(float)).groupby(pi).max().reindex(range(P)).to_numpy()
    uc = grid("unit_cost", np.nan)
    uc = np.where(np.isnan(uc), cost[:, None], uc)
    mn = grid("min_level", 0.0)
    mx_given = grid("max_level", np.nan)
    model = NetworkModel.from_arrays(parent, dr, lt, uc, line_rate=lr, emergency_days=get("emergency_days", 1.0),
                                     promise_days=get("promise_days", 1.0), min_level=mn, method=method)
    if not np.isnan(mx_given).all():
        mx = np.where(np.isnan(mx_given), model.max_level, mx_given)
        model = NetworkModel.from_arrays(parent, dr, lt, uc, line_rate=lr, emergency_days=model.emergency_days,
                                         promise_days=model.promise_days, min_level=mn, max_level=mx,
                                         method=method)
    return model, parts, locs


def solution_frame(model: NetworkModel, solution: NetworkSolution, parts=None, locations=None) -> pd.DataFrame:
    """The solution as a long table: part, location, level, stocked (level > 0;
    a part not stocked at a location is served from its parent), expected ready
    (hit) rate, OTD, EBO [units], lines [lines/day], investment [money]."""
    ev = evaluate_allocation(model, solution.levels)
    ev.insert(3, "stocked", ev["level"] > 0)
    if parts is not None:
        ev["part"] = np.asarray(parts)[ev["part"].to_numpy()]
    if locations is not None:
        ev["location"] = np.asarray(locations)[ev["location"].to_numpy()]
    return ev
