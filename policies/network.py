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
    otd_p   = Σ_l line_rate[p,l] · (ready + (1-ready)·ready_parent·1[emergency_days_l <= promise_days_l])
    network hit rate = Σ_p hits_p / Σ lines ;  network OTD = Σ_p otd_p / Σ lines
    investment = Σ_{p,l} unit_cost[p,l] · S[p,l]                 [money]

(the OTD formula is :func:`policies.metric.otd_rate` with its independence
approximation; a top location's misses go to the supplier and count as late).
Level 0 at a location means "not stocked there": its lines are served from the
parent by emergency delivery (a miss, possibly on time).

Options per part
----------------
The optimisation is a multiple-choice knapsack over parts (all locations of a
part stay together: the coupling between a dealer and its parent lives inside a
part, DESIGN.md §9).  A part's options are joint allocations, either

* ``"enumerate"``: every combination of levels in the allowed ranges (exact,
  for small networks / level ranges), or
* ``"greedy"``: the path of Sherbrooke-style greedy marginal analysis — start
  from the minimum levels and repeatedly add the stock increment with the most
  expected hits per unit of money (METRIC re-evaluated after each step, so a
  unit at a parent is credited with the hits it buys at all its children; at a
  leaf location 1..``lookahead`` units are tried at once, which gets past the
  convex start of the Poisson cdf).  Vectorised over parts; the loop is over
  greedy steps.

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

from .marginal import efficient_frontier, lagrangian_solve
from .metric import _metric_kernel, otd_rate, tree_depth
from .milp import Constraint, InfeasibleError, solve_multiple_choice
from .distributions import pmf_matrix

__all__ = ["NetworkModel", "NetworkOptions", "NetworkSolution", "evaluate_allocation",
           "build_options", "network_frontier", "optimise_network"]


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
                    emergency_days=1.0, promise_days=1.0, min_level=0, max_level=10,
                    method="vari-metric") -> "NetworkModel":
        """Validate and broadcast the inputs (ValueError naming the parameter)."""
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
    """(hits (P,L), otd (P,L), ready (P,L)) for stock of shape (N, L) with parts
    repeated along N in blocks: stock rows are matched to model rows by N // reps."""
    n = stock.shape[0]
    reps = n // model.shape[0]
    take = lambda a: np.repeat(a, reps, axis=0) if reps > 1 else a  # noqa: E731
    depth = tree_depth(model.parent)
    res = _metric_kernel(take(model.demand_rate), model.parent, depth, take(model.lead_time),
                         stock, model.method == "vari-metric")
    ready = res.ready
    par = model.parent
    pr = np.where(par[None, :] >= 0, ready[:, np.where(par >= 0, par, 0)], 0.0)
    otd = otd_rate(ready, pr, model.emergency_days[None, :], model.promise_days[None, :])
    lr = take(model.line_rate)
    return (lr * ready).sum(axis=1), (lr * otd).sum(axis=1), ready


def evaluate_allocation(model: NetworkModel, stock) -> pd.DataFrame:
    """Expected KPIs of one allocation ``stock`` (parts, locations) [units].

    Returns one row per (part, location): part, location, level, ready (= hit
    rate of unit lines), otd, lines [lines/day], investment [money].
    """
    st = _arr2("stock", stock, model.shape, integer=True)
    depth = tree_depth(model.parent)
    res = _metric_kernel(model.demand_rate, model.parent, depth, model.lead_time, st,
                         model.method == "vari-metric")
    par = model.parent
    pr = np.where(par[None, :] >= 0, res.ready[:, np.where(par >= 0, par, 0)], 0.0)
    otd = otd_rate(res.ready, pr, model.emergency_days[None, :], model.promise_days[None, :])
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
                  enumerate_top: bool = True,
                  max_options: int = 20000) -> NetworkOptions:
    """Candidate joint allocations per part (module docstring): ``"enumerate"`` or ``"greedy"``.

    max_steps : greedy steps per part (options = max_steps + 1);
    lookahead : units tried at once at a leaf location (closed form, cheap);
    inner_lookahead : units tried at once at a parent location (one METRIC
        re-evaluation of the network per unit tried);
    stop_hit_rate : a part stops adding stock once its hit rate reaches this;
    enumerate_top : with a single top location, run one greedy path per level of
        the top location (Sherbrooke 2004 §5: the optimal allocations are not nested
        in the depot level, so a single greedy path misses the cheap mixes; the
        union over depot levels lets the hull find them).  Costs one greedy run per
        top level, vectorised together with the parts;
    max_options : refuse an enumeration larger than this per part.
    """
    if kind == "enumerate":
        return _enumerate(model, max_options)
    if kind == "greedy":
        if int(max_steps) != max_steps or max_steps < 1:
            raise ValueError(f"max_steps must be an integer >= 1, received {max_steps!r}")
        for nm, v in (("lookahead", lookahead), ("inner_lookahead", inner_lookahead)):
            if int(v) != v or v < 1:
                raise ValueError(f"{nm} must be an integer >= 1, received {v!r}")
        if not 0 < stop_hit_rate <= 1:
            raise ValueError(f"stop_hit_rate must be in (0, 1], received {stop_hit_rate!r}")
        roots = np.flatnonzero(model.parent == -1)
        if not enumerate_top or roots.size != 1 or model.shape[1] == 1:
            return _greedy_path(model, int(max_steps), int(lookahead), int(inner_lookahead),
                                float(stop_hit_rate))
        return _greedy_by_top_level(model, int(roots[0]), int(max_steps), int(lookahead),
                                    int(inner_lookahead), float(stop_hit_rate))
    raise ValueError(f"kind must be 'greedy' or 'enumerate', received {kind!r}")


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


def _greedy_path(model, max_steps, lookahead, inner_lookahead, stop_hit_rate):
    P, L = model.shape
    parent = model.parent
    depth = tree_depth(parent)
    vari = model.method == "vari-metric"
    is_parent = np.zeros(L, bool)
    is_parent[parent[parent >= 0]] = True
    leaves = np.flatnonzero(~is_parent)
    inner = np.flatnonzero(is_parent)
    lines_tot = model.line_rate.sum(axis=1)
    S = model.min_level.copy()
    levels = np.zeros((P, max_steps + 1, L), np.int64)
    hits_o = np.zeros((P, max_steps + 1))
    otd_o = np.zeros((P, max_steps + 1))
    valid = np.zeros((P, max_steps + 1), bool)
    active = np.ones(P, bool)
    rows = np.arange(P)
    for step in range(max_steps + 1):
        res = _metric_kernel(model.demand_rate, parent, depth, model.lead_time, S, vari)
        hits, otd, _ = _kpis_from_ready(model, res.ready)
        levels[:, step] = S
        hits_o[:, step] = hits
        otd_o[:, step] = otd
        valid[active, step] = True
        active &= hits < stop_hit_rate * lines_tot
        if step == max_steps or not active.any():
            break
        best_ratio = np.zeros(P)
        best_loc = np.full(P, -1)
        best_k = np.zeros(P, np.int64)
        # leaves: exact closed form, +1..lookahead units (only their own hits change)
        if leaves.size:
            s_leaf = S[:, leaves]
            room = model.max_level[:, leaves] - s_leaf
            kmax = int(s_leaf.max()) + lookahead
            pmf = pmf_matrix("nbinom", res.pipeline_mean[:, leaves].ravel(),
                             res.pipeline_var[:, leaves].ravel(), kmax=kmax + 1)[:, :kmax + 1]
            pmf = pmf.reshape(P, leaves.size, kmax + 1)
            # gain of j units at level s: P(s <= X <= s+j-1) = Σ_{i=0}^{j-1} pmf[s+i]
            gain = np.zeros((P, leaves.size))
            for j in range(1, lookahead + 1):
                gain = gain + np.take_along_axis(pmf, (s_leaf + j - 1)[:, :, None], axis=2)[:, :, 0]
                ratio = model.line_rate[:, leaves] * gain / (j * model.unit_cost[:, leaves])
                ratio = np.where(room >= j, ratio, -np.inf)
                jbest = np.argmax(ratio, axis=1)
                r = ratio[rows, jbest]
                better = r > best_ratio * (1 + 1e-12)
                best_ratio = np.where(better, r, best_ratio)
                best_loc = np.where(better, leaves[jbest], best_loc)
                best_k = np.where(better, j, best_k)
        # inner locations: re-evaluate the network with one more unit there
        for l in inner:
            for j in range(1, inner_lookahead + 1):
                S2 = S.copy()
                S2[:, l] += j
                r2 = _metric_kernel(model.demand_rate, parent, depth, model.lead_time, S2, vari)
                h2, _, _ = _kpis_from_ready(model, r2.ready)
                ratio = np.where(S[:, l] + j <= model.max_level[:, l],
                                 (h2 - hits) / (j * model.unit_cost[:, l]), -np.inf)
                better = ratio > best_ratio * (1 + 1e-12)
                best_ratio = np.where(better, ratio, best_ratio)
                best_loc = np.where(better, l, best_loc)
                best_k = np.where(better, j, best_k)
        move = active & (best_loc >= 0) & (best_ratio > 0)
        active &= move
        if not active.any():
            break
        S = S.copy()
        S[rows[move], best_loc[move]] += best_k[move]
    # options after a part stopped are invalid (their levels stay zero-cost copies)
    levels = np.where(valid[:, :, None], levels, levels[:, :1, :])
    cost = (levels * model.unit_cost[:, None, :]).sum(axis=2)
    return NetworkOptions(levels, cost, hits_o, otd_o, valid)


def _greedy_by_top_level(model, root, max_steps, lookahead, inner_lookahead, stop_hit_rate):
    """Greedy paths with the top location's level fixed at each value of its range,
    stacked as extra rows of one vectorised greedy run; options = their union."""
    P, L = model.shape
    lo = int(model.min_level[:, root].min())
    hi = int(model.max_level[:, root].max())
    tops = np.arange(lo, hi + 1)
    n0 = tops.size
    rep = lambda a: np.repeat(a, n0, axis=0)  # noqa: E731  rows: part-major, top level minor
    top = np.tile(tops, P)
    mn, mx = rep(model.min_level), rep(model.max_level)
    ok_top = (top >= mn[:, root]) & (top <= mx[:, root])
    mn[:, root] = top
    mx[:, root] = top
    big = NetworkModel(model.parent, rep(model.demand_rate), rep(model.line_rate), rep(model.lead_time),
                       rep(model.unit_cost), model.emergency_days, model.promise_days, mn, mx, model.method)
    o = _greedy_path(big, max_steps, lookahead, inner_lookahead, stop_hit_rate)
    K = max_steps + 1
    valid = (o.valid & ok_top[:, None]).reshape(P, n0 * K)
    return NetworkOptions(o.levels.reshape(P, n0 * K, L), o.cost.reshape(P, n0 * K),
                          o.hits.reshape(P, n0 * K), o.otd.reshape(P, n0 * K), valid)


def _kpis_from_ready(model, ready):
    par = model.parent
    pr = np.where(par[None, :] >= 0, ready[:, np.where(par >= 0, par, 0)], 0.0)
    otd = otd_rate(ready, pr, model.emergency_days[None, :], model.promise_days[None, :])
    return (model.line_rate * ready).sum(axis=1), (model.line_rate * otd).sum(axis=1), otd


def network_frontier(model: NetworkModel, options: NetworkOptions | None = None) -> pd.DataFrame:
    """The network's cost–availability curve by greedy marginal analysis.

    One row per step: investment [money], hit_rate and otd_rate (line-weighted,
    network level), the part that moved and its new option, and the step's
    ratio [lines/day per money].
    """
    opts = build_options(model, "greedy") if options is None else options
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
    if not (np.isfinite(x) and 0 < x <= 1):
        raise ValueError(f"{name} must be in (0, 1], received {x!r}")
    return float(x)


def optimise_network(model: NetworkModel, *, hit_target=None, otd_target=None, budget=None,
                     location_budget=None, location_capacity=None, solver: str = "greedy",
                     options: NetworkOptions | None = None, time_limit: float = 60.0) -> NetworkSolution:
    """Target-or-budget solve of the network.

    Target mode (``hit_target`` and/or ``otd_target`` given, no ``budget``):
    minimum investment with network hit rate >= hit_target and OTD >= otd_target.
    Budget mode (``budget`` given): maximum hit rate with investment <= budget
    (and OTD >= otd_target if given).

    solver="milp": exact over the options (CBC), with optional per-location
    budgets ``location_budget`` (L,) [money] and capacities ``location_capacity``
    (L,) [units] (NaN = unconstrained).  solver="greedy": marginal analysis /
    Lagrangian — one shadow price by bisection when a single constraint binds
    (hit target or budget); with an OTD target as well, the walk along the
    hit-rate frontier up to the first point meeting both (a heuristic: the MILP
    is exact).  Side constraints need the MILP.

    Raises ValueError (naming the parameter, the received value and the valid
    range) for an unreachable target or a budget too small; with the MILP an
    :class:`policies.milp.InfeasibleError` names the binding constraints.
    """
    hit_target = _check_rate("hit_target", hit_target)
    otd_target = _check_rate("otd_target", otd_target)
    if budget is None and hit_target is None and otd_target is None:
        raise ValueError("give a budget, a hit_target or an otd_target (received none)")
    if budget is not None and hit_target is not None:
        raise ValueError(f"give either hit_target (minimise investment) or budget (maximise hit rate), "
                         f"received both: hit_target={hit_target!r}, budget={budget!r}")
    if budget is not None and not (np.isfinite(budget) and budget >= 0):
        raise ValueError(f"budget must be finite and >= 0 [money], received {budget!r}")
    if solver not in ("greedy", "milp"):
        raise ValueError(f"solver must be 'greedy' or 'milp', received {solver!r}")
    if solver == "greedy" and (location_budget is not None or location_capacity is not None):
        raise ValueError("location_budget / location_capacity side constraints need solver='milp'")
    opts = build_options(model, "greedy") if options is None else options
    P, L = model.shape
    lines = float(model.line_rate.sum())
    rows = np.arange(P)
    max_hit = float(np.where(opts.valid, opts.hits, -np.inf).max(axis=1).sum()) / lines
    max_otd = float(np.where(opts.valid, opts.otd, -np.inf).max(axis=1).sum()) / lines
    if hit_target is not None and hit_target > max_hit + 1e-12:
        raise ValueError(f"hit_target must be <= {max_hit:.6f} (the highest network hit rate within the "
                         f"level ranges), received {hit_target!r}")
    if otd_target is not None and otd_target > max_otd + 1e-12:
        raise ValueError(f"otd_target must be <= {max_otd:.6f} (the highest network OTD within the "
                         f"level ranges), received {otd_target!r}")

    def finish(choice, status, price, name):
        lev = opts.levels[rows, choice]
        return NetworkSolution(lev, float(opts.cost[rows, choice].sum()),
                               float(opts.hits[rows, choice].sum()) / lines,
                               float(opts.otd[rows, choice].sum()) / lines, status, price, name, choice)

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
        sol = solve_multiple_choice(opts.cost, opts.hits, objective="max_value" if budget is not None else "min_cost",
                                    constraints=cons, valid=opts.valid, time_limit=time_limit)
        return finish(sol.choice, sol.status, float("nan"), "milp")

    if budget is not None and otd_target is None:
        min_cost = float(np.where(opts.valid, opts.cost, np.inf).min(axis=1).sum())
        if budget < min_cost:
            raise ValueError(f"budget must be >= {min_cost:.6g} (the investment of the minimum levels), "
                             f"received {budget!r}")
        sol = lagrangian_solve(opts.cost, opts.hits, budget=float(budget), valid=opts.valid)
        return finish(sol.choice, "heuristic", sol.price, "lagrangian")
    if otd_target is None:
        sol = lagrangian_solve(opts.cost, opts.hits, target_value=hit_target * lines, valid=opts.valid)
        return finish(sol.choice, "heuristic", sol.price, "lagrangian")
    # hit target and/or budget together with an OTD target: walk the hit-rate frontier
    fr = efficient_frontier(opts.cost, opts.hits, opts.valid, extras={"otd": opts.otd})
    ok = fr["otd"].to_numpy() >= otd_target * lines - 1e-9
    if hit_target is not None:
        ok &= fr["value"].to_numpy() >= hit_target * lines - 1e-9
    if budget is not None:
        within = fr["cost"].to_numpy() <= budget + 1e-9
        if not (ok & within).any():
            best = fr["otd"].to_numpy()[within].max() / lines if within.any() else float("nan")
            raise ValueError(f"otd_target must be <= {best:.6f} (the OTD reached on the frontier within "
                             f"budget={budget!r}), received {otd_target!r}")
        # best hit rate within budget among frontier points meeting the OTD target
        i = int(np.flatnonzero(ok & within)[-1])
    else:
        if not ok.any():
            raise ValueError(f"otd_target must be <= {fr['otd'].max() / lines:.6f} (reached along the "
                             f"greedy frontier; try solver='milp'), received {otd_target!r}")
        i = int(np.flatnonzero(ok)[0])
    choice = _frontier_choice(opts, fr, i)
    return finish(choice, "heuristic", float(fr["ratio"].iloc[i]) if i > 0 else float("inf"), "frontier")


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
