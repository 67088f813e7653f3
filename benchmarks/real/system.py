"""Base-stock option tables and Sherbrooke's system approach for a panel of materials.

With no order cost partsopt's (s, S) is a base stock policy, ``S = s + 1`` (periodic review every
period, lead time L): at each review the inventory position is raised to S, so the IP after a
review is S itself and the policy's expected unit fill rate and on-hand stock are the tables of
:func:`policies.service.build_tables` at ``y = S`` (module docstring of :mod:`policies.service`,
items 2-3, with the point mass π(S) = 1 of Q = 1).

* :func:`base_stock_options` - per material a row of candidate levels S with their expected fill
  rate [-] and on-hand stock [units] (the negative binomial family and compound-Poisson line
  sizes of the pipeline, :mod:`benchmarks.real.common`).  Materials whose support is wider than
  ``max_options`` levels get ``max_options`` levels evenly spread over 0..K-1 (a grid step of
  K / max_options units, i.e. well below one standard deviation of the lead-time demand).
* :func:`per_item_levels` - the per-item answer: the smallest level with fill rate >= target
  (what :func:`policies.single.optimize_single` returns with no order cost; checked in the tests).
* :func:`system_levels` - the *system approach* (Sherbrooke 2004, *Optimal Inventory Modeling of
  Systems*, 2nd ed., ch. 2 and §4.2; the availability / fill-rate target set for the whole
  system, not per item): per class, minimise the stock value Σ_i price_i · OH_i(S_i) subject to
  the class's unit fill rate Σ_i μ_i fill_i(S_i) / Σ_i μ_i >= target (μ_i the mean demand per
  period), by one shadow price over all materials' options
  (:func:`policies.marginal.lagrangian_solve`: greedy marginal analysis on the convex hulls,
  Everett 1963, with its exchange refinements).  Money goes where it buys the most filled units.
"""
from __future__ import annotations

import numpy as np

from policies import distributions as dist
from policies.marginal import lagrangian_solve
from policies.service import build_tables

__all__ = ["base_stock_options", "per_item_levels", "system_levels"]


def base_stock_options(mean, var, lead_time, *, tail: float = 1e-6, max_options: int = 128,
                       cells_per_chunk: int = 2_000_000, targets=None, rate_var=None):
    """Candidate base-stock levels per material and their expected fill rate and on-hand stock.

    ``mean``, ``var``: demand per period [units/period, units²/period] (mean > 0); ``lead_time``:
    [periods] >= 0 (review period 1).  Returns ``(level, fill, on_hand, valid)``, arrays
    (materials, max_options): the level S [units], the expected unit fill rate [-], the expected
    on-hand stock [units] and whether the option exists (rows with fewer levels are padded).
    With ``targets`` (a sequence of fill-rate targets, or one array of per-row targets per entry)
    a fifth array (materials, len(targets)) gives the exact per-item level for each: the smallest
    S of the full table with fill rate >= target (:func:`per_item_levels` on every level).
    Rows are grouped by support size so that each chunk's tables are narrow (loop over chunks,
    whole-array steps inside).

    ``rate_var``: optional uncertainty of the demand rate itself, Var(μ_i | data)
    [units²/period²] (e.g. :func:`benchmarks.real.credibility.rate_posterior_var`).  Demand over
    ``t`` periods given the rate is the compound Poisson of ``mean``/``var``; mixed over the rate's
    posterior its variance is ``t·var + t²·Var(μ)`` (law of total variance; a gamma-mixed Poisson
    is the negative binomial, Gelman et al., *Bayesian Data Analysis*, 3rd ed., §2.6).  It enters
    the tables as ``lead_time_sd = (L + 1)·sqrt(Var(μ))/μ`` [periods] (a random rate is a random
    time scale: ``μ² sd²`` = ``(L + 1)² Var(μ)``), exact at the end of the protection interval
    ``L + 1`` and slightly above it earlier in the review period; the line sizes stay those of the
    given ``var``.
    """
    mean = np.asarray(mean, dtype=float)
    n = mean.size
    var = np.broadcast_to(np.asarray(var, dtype=float), (n,))
    L = np.broadcast_to(np.asarray(lead_time, dtype=float), (n,))
    if not np.all(np.isfinite(mean) & (mean > 0)):
        raise ValueError(f"mean must be finite and > 0 [units/period]; received {mean[~(mean > 0)][:1]!r}")
    if np.any(~np.isfinite(L) | (L < 0)):
        raise ValueError(f"lead_time must be >= 0 [periods]; received {L[~(L >= 0)][:1]!r}")
    if int(max_options) < 2:
        raise ValueError(f"max_options must be an integer >= 2, received {max_options!r}")
    v = np.maximum(var, mean)
    if rate_var is None:
        sdL = np.zeros(n)
    else:
        rv = np.broadcast_to(np.asarray(rate_var, dtype=float), (n,))
        if np.any(~np.isfinite(rv) | (rv < 0)):
            raise ValueError(f"rate_var must be finite and >= 0 [units²/period²]; received {rv[~(rv >= 0)][:1]!r}")
        sdL = (L + 1.0) * np.sqrt(rv) / mean
    K = dist.support_size("nbinom", mean * (L + 1.0), v * (L + 1.0) + (mean * sdL) ** 2, tail)
    M = int(max_options)
    level = np.zeros((n, M), dtype=np.int64)
    fill = np.zeros((n, M))
    oh = np.zeros((n, M))
    valid = np.zeros((n, M), dtype=bool)
    tg = None if targets is None else [np.broadcast_to(np.asarray(t, dtype=float), (n,)) for t in targets]
    exact = None if tg is None else np.zeros((n, len(tg)), dtype=np.int64)
    order = np.argsort(K, kind="stable")
    i = 0
    while i < n:
        j = i + 1
        while j < n and (j - i + 1) * K[order[j]] <= cells_per_chunk:
            j += 1
        rows = order[i:j]
        T = build_tables("nbinom", mean[rows], v[rows], L[rows], 1.0, lead_time_sd=sdL[rows],
                         line_size_pmf="family", tail=tail)
        k = np.minimum(K[rows], T.K)
        # options: every level below M, else M levels evenly spread over 0..k-1
        grid = np.where(k[:, None] <= M, np.arange(M)[None, :],
                        np.round(np.linspace(0.0, 1.0, M)[None, :] * (k[:, None] - 1)).astype(np.int64))
        ok = grid < k[:, None]
        g = np.minimum(grid, T.K - 1)
        level[rows] = g
        fill[rows] = np.take_along_axis(T.fill, g, 1)
        oh[rows] = np.take_along_axis(T.on_hand, g, 1)
        valid[rows] = ok
        if tg is not None:
            full_valid = np.arange(T.K)[None, :] < k[:, None]
            full_level = np.broadcast_to(np.arange(T.K)[None, :], T.fill.shape)
            for a, t in enumerate(tg):
                exact[rows, a] = per_item_levels(full_level, T.fill, full_valid, t[rows])
        i = j
    if tg is not None:
        return level, fill, oh, valid, exact
    return level, fill, oh, valid


def per_item_levels(level, fill, valid, target) -> np.ndarray:
    """Per material the smallest tabulated level with fill rate >= ``target`` (scalar or per row);
    the largest tabulated level where none reaches it."""
    target = np.broadcast_to(np.asarray(target, dtype=float), (level.shape[0],))
    if np.any(~np.isfinite(target) | (target <= 0) | (target >= 1)):
        raise ValueError(f"target must be in (0, 1), received {target[~((target > 0) & (target < 1))][:1]!r}")
    ok = valid & (fill >= target[:, None] - 1e-12)
    last = valid.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1)
    first = np.where(ok.any(axis=1), np.argmax(ok, axis=1), last)
    return np.take_along_axis(level, first[:, None], 1)[:, 0]


def system_levels(level, fill, on_hand, valid, mean, price, classes, targets: dict | None = None,
                  weights=None, *, budgets: dict | None = None) -> tuple[np.ndarray, dict]:
    """Sherbrooke's system approach per class (module docstring): the levels (materials,) and, per
    class, the shadow price [filled units per period per money] and whether the target was met.

    ``targets``: class label -> aggregate unit fill-rate target in (0, 1); classes missing from it
    keep level 0.  Or ``budgets`` instead: class label -> stock value [money] the class may hold
    (expected on-hand x price), and the levels give the class's highest expected fill rate within
    it (the same Lagrangian, the other side: Sherbrooke 2004 §2.4, the cost-constrained problem).
    ``price``: money per unit (> 0); ``mean``: demand per period [units/period].
    ``weights``: the weight of each material's fill rate in the class target (default ``mean``: the
    unit fill rate of the class; ones: the item-average fill rate, as Nguyen's protocol scores).
    """
    if (targets is None) == (budgets is None):
        raise ValueError(f"give exactly one of targets or budgets, received targets={targets!r}, budgets={budgets!r}")
    mean = np.asarray(mean, dtype=float)
    w = mean if weights is None else np.broadcast_to(np.asarray(weights, dtype=float), mean.shape)
    if np.any(~np.isfinite(w) | (w < 0)):
        raise ValueError(f"weights must be finite and >= 0, received {w[~(w >= 0)][:1]!r}")
    price = np.asarray(price, dtype=float)
    cls = np.asarray(classes)
    if np.any(~(price > 0)):
        raise ValueError(f"price must be > 0 [money/unit]; received {price[~(price > 0)][:1]!r}")
    out = np.zeros(mean.size, dtype=np.int64)
    info = {}
    goals = targets if targets is not None else budgets
    for c, goal in goals.items():       # loop over classes; each solve is vectorised over materials
        if targets is not None and not 0.0 < goal < 1.0:
            raise ValueError(f"target for class {c!r} must be in (0, 1), received {goal!r}")
        if budgets is not None and not (np.isfinite(goal) and goal >= 0.0):
            raise ValueError(f"budget for class {c!r} must be a finite stock value >= 0, received {goal!r}")
        rows = np.flatnonzero(cls == c)
        if rows.size == 0:
            continue
        cost = on_hand[rows] * price[rows, None]
        value = fill[rows] * w[rows, None]
        if targets is not None:
            # the tabulated levels reach fill 1 - tail or so; a target above what they can give is
            # capped at their best (reported as ``capped``)
            top = float(np.where(valid[rows], value, -np.inf).max(axis=1).sum())
            want = goal * float(w[rows].sum())
            sol = lagrangian_solve(cost, value, target_value=min(want, top), valid=valid[rows])
            capped = want > top
        else:
            # level 0 holds no stock, so every budget >= 0 is feasible
            sol = lagrangian_solve(cost, value, budget=float(goal), valid=valid[rows])
            capped = False
        out[rows] = level[rows, sol.choice]
        info[c] = {"shadow_price": sol.price, "feasible": sol.feasible, "capped": capped,
                   "expected_fill": sol.value / w[rows].sum(), "expected_stock_value": sol.cost}
    return out, info
