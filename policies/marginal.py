"""Greedy marginal analysis over multiple-choice groups: hull, frontier, Lagrangian.

The network problem is a *multiple-choice knapsack*: every group g (a part at one
location, or a part across all its locations) must pick exactly one option k
(a stock level, or a joint allocation of levels), which costs ``cost[g, k]``
[money, inventory investment] and buys ``value[g, k]`` (e.g. expected hits
[lines/year]).  Greedy marginal analysis (Sherbrooke 2004, ch. 4; Fox 1966)
spends each unit of money where it buys the most value:

1. **Hull** — per group, the upper concave envelope of its (cost, value) points,
   starting from its cheapest option.  Only hull vertices are ever chosen by the
   greedy or by the Lagrangian, and consecutive hull steps have strictly
   decreasing ratios Δvalue/Δcost, which restores the "decreasing marginal
   gains" that base-stock hit rates lack below the mode of the pipeline.
2. **Frontier** — all hull steps of all groups sorted by ratio, descending; the
   cumulative sums trace the efficient cost–value curve.  Every point on it is
   optimal for its budget among allocations on the hulls (the Lagrangian
   relaxation is tight at the breakpoints; between them the greedy is within
   one step of the optimum — Everett 1963).
3. **Lagrangian** — for a price λ [value/money] each group independently picks
   argmax_k value[g,k] − λ·cost[g,k]; that is exactly "every step with ratio
   ≥ λ" (:func:`respond_at_price`).  :func:`lagrangian_solve` finds λ by
   bisection, which is the form that scales out: each partition only answers
   "cost and value at price λ" (DESIGN.md §9).

Missing options (a smaller option list for some groups, min/max overrides) are
marked by ``valid = False``.  Everything is vectorised over groups; the loops
are over hull steps and bisection iterations.

References: C.C. Sherbrooke, *Optimal Inventory Modeling of Systems*, 2nd ed.
2004, §4.2 (marginal analysis, convexification); H. Everett, "Generalized
Lagrange multiplier method for solving problems of optimum allocation of
resources", Operations Research 11 (1963) 399–417; B. Fox, "Discrete
optimization via marginal analysis", Management Science 13 (1966) 210–216.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Hull", "convex_hull_steps", "efficient_frontier", "respond_at_price",
           "lagrangian_solve", "LagrangianSolution"]


def _as_options(cost, value, valid=None, extras=None):
    cost = np.asarray(cost, dtype=float)
    value = np.asarray(value, dtype=float)
    if cost.ndim != 2 or cost.shape != value.shape:
        raise ValueError(f"cost and value must be 2-d arrays (groups, options) of the same shape, "
                         f"received {cost.shape} and {value.shape}")
    if valid is None:
        valid = np.ones(cost.shape, dtype=bool)
    valid = np.asarray(valid, dtype=bool)
    if valid.shape != cost.shape:
        raise ValueError(f"valid must have shape {cost.shape}, received {valid.shape}")
    if not valid.any(axis=1).all():
        raise ValueError(f"every group needs at least one valid option; groups "
                         f"{np.flatnonzero(~valid.any(axis=1))[:5].tolist()} have none "
                         "(check min/max overrides)")
    bad = valid & ~(np.isfinite(cost) & np.isfinite(value))
    if bad.any():
        g = np.argwhere(bad)[0]
        raise ValueError(f"cost and value must be finite for valid options, received "
                         f"cost={cost[tuple(g)]!r}, value={value[tuple(g)]!r} at (group, option)={tuple(g)}")
    if np.any(valid & (cost < 0)):
        raise ValueError(f"cost must be >= 0 [money], received min {cost[valid].min()!r}")
    ex = {}
    for name, arr in (extras or {}).items():
        arr = np.asarray(arr, dtype=float)
        if arr.shape != cost.shape:
            raise ValueError(f"extras[{name!r}] must have shape {cost.shape}, received {arr.shape}")
        ex[name] = arr
    return cost, value, valid, ex


@dataclass(frozen=True)
class Hull:
    """Per-group hull of a multiple-choice problem.

    base : (G,) int, the option each group starts from (cheapest valid, best value on ties);
    steps : DataFrame, one row per hull step, columns group, step (0, 1, ... within
        the group), from_option, to_option, d_cost, d_value, ratio (= d_value/d_cost),
        and ``d_<extra>`` for every extra measure.
    """

    base: np.ndarray
    base_cost: float
    base_value: float
    base_extras: dict
    steps: pd.DataFrame


def convex_hull_steps(cost, value, valid=None, extras=None) -> Hull:
    """Upper concave envelope of each group's (cost, value) options.

    From the current vertex k, the next vertex is the option j with cost_j > cost_k
    maximising (value_j − value_k)/(cost_j − cost_k), the costliest on ties; steps
    with ratio <= 0 are dropped (no value for the money).  Vectorised over groups,
    loop over hull steps (at most the number of options).

    Parameters
    ----------
    cost, value : (G, K) arrays [money], [value units]
    valid : (G, K) bool, options that may be chosen (default all)
    extras : dict name -> (G, K) array of further measures carried along
        (e.g. expected on-time lines); the steps report their differences.
    """
    cost, value, valid, ex = _as_options(cost, value, valid, extras)
    G, K = cost.shape
    rows = np.arange(G)
    # base = cheapest valid option, best value among the cheapest
    c_masked = np.where(valid, cost, np.inf)
    cmin = c_masked.min(axis=1)
    is_min = valid & (cost <= cmin[:, None] + 1e-12 * np.maximum(1.0, np.abs(cmin[:, None])))
    base = np.argmax(np.where(is_min, value, -np.inf), axis=1)
    cur = base.copy()
    active = np.ones(G, dtype=bool)
    recs = []
    step = 0
    while active.any():
        g = rows[active]
        c0 = cost[g, cur[g]][:, None]
        v0 = value[g, cur[g]][:, None]
        dc = cost[g] - c0
        dv = value[g] - v0
        ok = valid[g] & (dc > 1e-12 * np.maximum(1.0, np.abs(c0)))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(ok, dv / np.where(ok, dc, 1.0), -np.inf)
        best = ratio.max(axis=1)
        # costliest option among the (numerically) tied best ratios
        tie = ok & (ratio >= best[:, None] - 1e-12 * np.abs(best[:, None]))
        nxt = np.argmax(np.where(tie, cost[g], -np.inf), axis=1)
        go = best > 0
        if go.any():
            gg = g[go]
            recs.append((gg, np.full(gg.size, step), cur[gg], nxt[go]))
            cur[gg] = nxt[go]
        active[g[~go]] = False
        step += 1
    if recs:
        grp = np.concatenate([r[0] for r in recs])
        stp = np.concatenate([r[1] for r in recs])
        frm = np.concatenate([r[2] for r in recs])
        to = np.concatenate([r[3] for r in recs])
    else:
        grp = stp = frm = to = np.zeros(0, dtype=np.int64)
    order = np.lexsort((stp, grp))
    grp, stp, frm, to = grp[order], stp[order], frm[order], to[order]
    d_cost = cost[grp, to] - cost[grp, frm]
    d_value = value[grp, to] - value[grp, frm]
    steps = pd.DataFrame({"group": grp, "step": stp, "from_option": frm, "to_option": to,
                          "d_cost": d_cost, "d_value": d_value, "ratio": d_value / d_cost})
    for name, arr in ex.items():
        steps["d_" + name] = arr[grp, to] - arr[grp, frm]
    return Hull(base, float(cost[rows, base].sum()), float(value[rows, base].sum()),
                {n: float(a[rows, base].sum()) for n, a in ex.items()}, steps)


def efficient_frontier(cost, value, valid=None, extras=None) -> pd.DataFrame:
    """The cost–value curve of the whole problem by greedy marginal analysis.

    Returns one row per greedy step (plus a first row for the all-base
    allocation, step = -1): the group and the option it moves to, the step's
    ratio [value/money], and the cumulative ``cost`` and ``value`` (and every
    extra measure) after the step.  Within a group the steps keep their order
    (their ratios decrease), so every prefix is a valid allocation.
    """
    hull = convex_hull_steps(cost, value, valid, extras)
    st = hull.steps
    # sort by ratio descending; ties: by group then step (keeps each group's order)
    order = np.lexsort((st["step"].to_numpy(), st["group"].to_numpy(), -st["ratio"].to_numpy()))
    st = st.iloc[order].reset_index(drop=True)
    out = pd.DataFrame({
        "step": np.arange(-1, len(st)),
        "group": np.concatenate([[-1], st["group"].to_numpy()]),
        "to_option": np.concatenate([[-1], st["to_option"].to_numpy()]),
        "ratio": np.concatenate([[np.inf], st["ratio"].to_numpy()]),
        "cost": hull.base_cost + np.concatenate([[0.0], np.cumsum(st["d_cost"].to_numpy())]),
        "value": hull.base_value + np.concatenate([[0.0], np.cumsum(st["d_value"].to_numpy())]),
    })
    for name in hull.base_extras:
        out[name] = hull.base_extras[name] + np.concatenate([[0.0], np.cumsum(st["d_" + name].to_numpy())])
    return out


def respond_at_price(cost, value, price, valid=None):
    """Each group's best option at price λ: argmax_k value[g,k] − λ·cost[g,k].

    Ties go to the cheaper option.  Returns (choice (G,), total cost, total value).
    This is the only question a partition of the network has to answer for the
    Lagrangian bisection (DESIGN.md §9).
    """
    cost, value, valid, _ = _as_options(cost, value, valid)
    if not np.isfinite(price) or price < 0:
        raise ValueError(f"price must be finite and >= 0 [value/money], received {price!r}")
    return _respond(cost, value, valid, float(price))


def _respond(cost, value, valid, price):
    score = np.where(valid, value - price * cost, -np.inf)
    best = score.max(axis=1, keepdims=True)
    tol = 1e-12 * np.maximum(1.0, np.abs(best))
    cand = valid & (score >= best - tol)
    choice = np.argmin(np.where(cand, cost, np.inf), axis=1)
    rows = np.arange(cost.shape[0])
    return choice, float(cost[rows, choice].sum()), float(value[rows, choice].sum())


@dataclass(frozen=True)
class LagrangianSolution:
    """choice (G,) option per group; cost, value totals; price = the shadow price λ
    [value/money] found; iterations of the bisection; feasible (target met / budget kept)."""

    choice: np.ndarray
    cost: float
    value: float
    price: float
    iterations: int
    feasible: bool


def lagrangian_solve(cost, value, *, target_value=None, budget=None, valid=None,
                     tol: float = 1e-10, max_iter: int = 200) -> LagrangianSolution:
    """Min cost with total value >= ``target_value``, or max value with total cost <= ``budget``,
    by bisection on one shadow price λ.

    λ_hi gives a cheap allocation, λ_lo a rich one; bisection narrows [λ_lo, λ_hi]
    until their responses differ by the steps whose ratio lies in between (ties at
    the critical price).  Those are then added in ratio order, one at a time, while
    they are needed (target) or fit (budget) — the finishing rule of the greedy
    frontier, so the budget answer is a frontier point.  In target mode the step
    that crosses the target is replaced by the cheapest single-group change that
    closes the remaining gap, when one is cheaper (it never costs more than the
    frontier's crossing step).  The result is within one greedy step of the
    optimum of the multiple-choice knapsack (Everett 1963).

    Raises ValueError if the target is above the largest achievable value, or the
    budget below the cheapest allocation (message gives the valid range).
    """
    cost, value, valid, _ = _as_options(cost, value, valid)
    if (target_value is None) == (budget is None):
        raise ValueError("give exactly one of target_value or budget, received "
                         f"target_value={target_value!r}, budget={budget!r}")
    G = cost.shape[0]
    rows = np.arange(G)
    _, _, top_value = _respond(cost, value, valid, 0.0)
    hull = convex_hull_steps(cost, value, valid)
    min_cost = hull.base_cost
    if target_value is not None:
        if not np.isfinite(target_value) or target_value > top_value + 1e-9 * max(1.0, abs(top_value)):
            raise ValueError(f"target_value must be <= {top_value:.6g} (the largest achievable value), "
                             f"received {target_value!r}")
    else:
        if not np.isfinite(budget) or budget < min_cost - 1e-9 * max(1.0, min_cost):
            raise ValueError(f"budget must be >= {min_cost:.6g} (the cheapest allocation), received {budget!r}")
    # price bracket: above the largest step ratio nothing is bought
    ratios = hull.steps["ratio"].to_numpy()
    hi = float(ratios.max()) * 2.0 + 1.0 if ratios.size else 1.0
    lo = 0.0

    def ok(resp):  # is the response at this price feasible?
        return resp[2] >= target_value - 1e-12 if target_value is not None else resp[1] <= budget + 1e-9

    it = 0
    if target_value is not None:
        # feasible at lo (rich), infeasible-or-equal at hi; find the largest feasible price
        r_hi = _respond(cost, value, valid, hi)
        if ok(r_hi):
            return LagrangianSolution(r_hi[0], r_hi[1], r_hi[2], hi, 0, True)
        while it < max_iter and hi - lo > tol * max(1.0, hi):
            mid = 0.5 * (lo + hi)
            if ok(_respond(cost, value, valid, mid)):
                lo = mid
            else:
                hi = mid
            it += 1
    else:
        r_lo = _respond(cost, value, valid, lo)
        if ok(r_lo):
            return LagrangianSolution(r_lo[0], r_lo[1], r_lo[2], lo, 0, True)
        while it < max_iter and hi - lo > tol * max(1.0, hi):
            mid = 0.5 * (lo + hi)
            if ok(_respond(cost, value, valid, mid)):
                hi = mid
            else:
                lo = mid
            it += 1
    # hull-vertex responses at the two ends of the bracket
    choice = _hull_choice(hull, hi, G)
    st = hull.steps
    # steps with ratio in [lo, hi): the rich response takes them, the lean one not; greedy order
    between = st[(st["ratio"] < hi) & (st["ratio"] >= lo)]
    between = between.iloc[np.lexsort((between["step"].to_numpy(), between["group"].to_numpy(),
                                       -between["ratio"].to_numpy()))]
    tot_c = float(cost[rows, choice].sum())
    tot_v = float(value[rows, choice].sum())
    for g, to, dc, dv in zip(between["group"].to_numpy(), between["to_option"].to_numpy(),
                             between["d_cost"].to_numpy(), between["d_value"].to_numpy()):
        if target_value is not None:
            if tot_v >= target_value - 1e-12:
                break
            if tot_v + dv >= target_value - 1e-12:
                # the step that crosses the target: take instead the cheapest option of
                # any single group that closes the remaining gap (never costlier than dc)
                gap = target_value - tot_v
                gain_v = value - value[rows, choice][:, None]
                gain_c = cost - cost[rows, choice][:, None]
                fits = valid & (gain_v >= gap - 1e-12) & (gain_c <= dc)
                if fits.any():
                    gg, kk = np.unravel_index(np.argmin(np.where(fits, gain_c, np.inf)), cost.shape)
                    g, to, dc, dv = gg, kk, gain_c[gg, kk], gain_v[gg, kk]
        elif tot_c + dc > budget + 1e-9:
            break
        choice[g] = to
        tot_c += dc
        tot_v += dv
    feasible = tot_v >= target_value - 1e-9 if target_value is not None else tot_c <= budget + 1e-9
    return LagrangianSolution(choice, tot_c, tot_v, 0.5 * (lo + hi), it, bool(feasible))


def _hull_choice(hull: Hull, price: float, G: int) -> np.ndarray:
    """Hull vertex per group after all steps with ratio >= price."""
    st = hull.steps
    take = st[st["ratio"] >= price]
    choice = hull.base.copy()
    if len(take):
        last = take.groupby("group", sort=False)["step"].idxmax()
        choice[take.loc[last, "group"].to_numpy()] = take.loc[last, "to_option"].to_numpy()
    return choice
