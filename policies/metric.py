"""Multi-echelon base-stock evaluation: METRIC and VARI-METRIC.

A network of locations is a forest given by a ``parent`` index array (``-1`` for a
location that orders from the supplier).  Every location runs a one-for-one
(S-1, S) base-stock policy for each part.  A location's *replenishment pipeline*
(units on order or in transit to it, plus its share of the backorders at its
parent) determines its backorders, its on-hand stock and its hit rate:

* **Top** (parent -1): pipeline X_0 ~ Poisson(Λ_0 · T_0), where Λ_0 [units/day]
  is the total demand flowing through it (its own customers plus every
  descendant's) and T_0 [days] the supplier lead time (Palm's theorem).
* **Child i of j**, METRIC (Sherbrooke 1968): the average delay caused by the
  parent is Little's law W_j = EBO_j / Λ_j [days], and
  X_i ~ Poisson(Λ_i · (T_i + W_j)).
* **Child i of j**, VARI-METRIC (Graves 1985; Sherbrooke 1986): each backorder
  at j belongs to i with probability f = Λ_i / Λ_j (binomial disaggregation), so

      E[X_i]   = Λ_i T_i + f · EBO_j
      Var[X_i] = Λ_i T_i + f (1 - f) · EBO_j + f² · VBO_j

  and X_i is fitted by a negative binomial with that mean and variance (Poisson
  when Var ≤ Mean; Sherbrooke 2004 uses a binomial there, the difference is
  negligible because Var - Mean = f² (VBO_j - EBO_j) is then tiny).

For a pipeline X and base stock s (units):

    EBO(s)  = E[(X - s)^+]              = (m - s) + Σ_{k<s} (s - k) p_k
    E[((X - s)^+)²]                     = v + (m - s)² - Σ_{k<s} (s - k)² p_k
    VBO(s)  = E[((X - s)^+)²] - EBO(s)²
    EOH(s)  = E[(s - X)^+]              = s - m + EBO(s)
    ready(s) = P(on hand ≥ 1) = P(X ≤ s - 1)

(m, v = mean and variance of X).  By PASTA a unit demand line arriving at the
location finds stock with probability ``ready(s)``: that is the hit rate of unit
lines (DESIGN.md §6) and also their fill rate.

References: C.C. Sherbrooke, "METRIC: A Multi-Echelon Technique for Recoverable
Item Control", Operations Research 16 (1968) 122-141; S.C. Graves, "A
Multi-Echelon Inventory Model for a Repairable Item with One-for-One
Replenishment", Management Science 31 (1985) 1247-1256; C.C. Sherbrooke,
"VARI-METRIC: Improved Approximations for Multi-Indenture, Multi-Echelon
Availability Models", Operations Research 34 (1986) 311-319; C.C. Sherbrooke,
*Optimal Inventory Modeling of Systems*, 2nd ed., Kluwer 2004, ch. 2-5.

All functions are vectorised across parts: arrays of shape (parts, locations)
with one ``parent`` array for the whole network; the only Python loop is over
the depth levels of the tree.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .distributions import pmf_matrix

__all__ = [
    "MetricResult",
    "metric_evaluate",
    "pipeline_backorders",
    "network_flow_rates",
    "tree_depth",
    "otd_rate",
]

_METHODS = ("metric", "vari-metric")


# --------------------------------------------------------------------------- kernels
def _pmf_below(mean: np.ndarray, var: np.ndarray, kmax: int) -> np.ndarray:
    """pmf p_k, k = 0..kmax-1 (n, kmax), of Poisson(mean) where var <= mean, else of the
    negative binomial with that mean and variance (``policies.distributions``).

    The support is asked up to ``kmax`` so that the truncated tail lumped in the
    last column of :func:`policies.distributions.pmf_matrix` is never used.
    """
    if kmax <= 0:
        return np.zeros((mean.shape[0], 0))
    return pmf_matrix("nbinom", mean, var, kmax=kmax)[:, :kmax]


def pipeline_backorders(mean, var, stock):
    """Backorder moments, on-hand and ready rate of a pipeline X against base stock s.

    Parameters
    ----------
    mean, var : array_like
        Mean and variance of the pipeline X [units]; Poisson when var <= mean,
        else negative binomial (see module docstring).
    stock : array_like of int
        Base-stock level s [units], >= 0.

    Returns
    -------
    ebo, vbo, eoh, ready : ndarray
        E[(X-s)^+], Var[(X-s)^+], E[(s-X)^+] [units] and P(X <= s-1).
    Formulas: module docstring (Sherbrooke 2004, eqs. 2.x; exact for the
    stated distribution).
    """
    mean, var, stock = np.broadcast_arrays(np.asarray(mean, float), np.asarray(var, float),
                                           np.asarray(stock))
    if np.any(~np.isfinite(mean)) or np.any(mean < 0):
        raise ValueError(f"mean must be finite and >= 0, received min {np.nanmin(mean)!r}")
    if np.any(~np.isfinite(var)) or np.any(var < 0):
        raise ValueError(f"var must be finite and >= 0, received min {np.nanmin(var)!r}")
    if np.any(stock < 0) or np.any(stock != np.round(stock)):
        raise ValueError("stock must hold integers >= 0, received "
                         f"{stock[(stock < 0) | (stock != np.round(stock))].ravel()[:3]!r}")
    shape = mean.shape
    out = _backorders_kernel(mean.ravel(), var.ravel(), stock.ravel().astype(np.int64))
    return tuple(a.reshape(shape) for a in out)


def _backorders_kernel(m, v, s):
    """Flat-array kernel of :func:`pipeline_backorders`."""
    kmax = int(s.max()) if s.size else 0
    p = _pmf_below(m, v, kmax)
    k = np.arange(kmax)[None, :]
    gap = np.clip(s[:, None] - k, 0, None).astype(float)  # (s-k)^+ for k < s
    below1 = (gap * p).sum(axis=1)
    below2 = (gap * gap * p).sum(axis=1)
    ebo = np.maximum((m - s) + below1, 0.0)
    second = np.maximum(v + (m - s) ** 2 - below2, 0.0)
    vbo = np.maximum(second - ebo * ebo, 0.0)
    eoh = np.maximum(s - m + ebo, 0.0)
    ready = np.where(k < (s[:, None]), p, 0.0).sum(axis=1)  # P(X <= s-1)
    return ebo, vbo, eoh, np.minimum(ready, 1.0)


# --------------------------------------------------------------------------- network
def tree_depth(parent) -> np.ndarray:
    """Depth of every location in the forest given by ``parent`` (-1 = top).

    Raises ValueError on an out-of-range parent or a cycle.
    """
    parent = np.asarray(parent)
    if parent.ndim != 1 or parent.size == 0:
        raise ValueError(f"parent must be a non-empty 1-d integer array, received shape {parent.shape}")
    if not np.issubdtype(parent.dtype, np.integer):
        raise ValueError(f"parent must hold integers (-1 for the top), received dtype {parent.dtype}")
    n = parent.size
    bad = (parent < -1) | (parent >= n) | (parent == np.arange(n))
    if bad.any():
        raise ValueError(f"parent must be -1 or another location's index in [0, {n - 1}], "
                         f"received {parent[bad][:3].tolist()} at locations {np.flatnonzero(bad)[:3].tolist()}")
    depth = np.full(n, -1)
    depth[parent == -1] = 0
    for d in range(1, n + 1):
        new = (depth == -1) & (parent >= 0)
        new &= depth[np.where(parent >= 0, parent, 0)] == d - 1
        if not new.any():
            break
        depth[new] = d
    if (depth < 0).any():
        raise ValueError("parent must describe a forest (no cycles), locations "
                         f"{np.flatnonzero(depth < 0)[:5].tolist()} are on a cycle")
    return depth


def network_flow_rates(demand_rate, parent) -> np.ndarray:
    """Total demand Λ_j [units/day] through each location: its own customer demand
    plus the flow of all its children (bottom-up sum over the tree).

    ``demand_rate`` has shape (parts, locations); ``parent`` shape (locations,).
    """
    parent = np.asarray(parent)
    depth = tree_depth(parent)
    lam = np.array(demand_rate, dtype=float, copy=True)
    for d in range(int(depth.max()), 0, -1):
        idx = np.flatnonzero(depth == d)
        np.add.at(lam.T, parent[idx], lam.T[idx])
    return lam


@dataclass(frozen=True)
class MetricResult:
    """Steady-state KPIs per (part, location), all arrays of shape (parts, locations).

    flow [units/day], pipeline_mean / pipeline_var [units], ebo / vbo (expected
    backorders and their variance) [units], eoh (expected on hand) [units],
    ready (P(on hand >= 1) = hit rate of unit lines), wait (mean delay a
    replenishment order placed on this location waits for stock, EBO/Λ) [days].
    """

    flow: np.ndarray
    pipeline_mean: np.ndarray
    pipeline_var: np.ndarray
    ebo: np.ndarray
    vbo: np.ndarray
    eoh: np.ndarray
    ready: np.ndarray
    wait: np.ndarray


def metric_evaluate(demand_rate, parent, lead_time, stock, *, method: str = "vari-metric") -> MetricResult:
    """Evaluate (S-1, S) base-stock levels in a multi-echelon network by METRIC or VARI-METRIC.

    Parameters
    ----------
    demand_rate : array_like, shape (parts, locations) or (locations,)
        Customer demand arriving directly at each location [units/day], Poisson.
    parent : array_like of int, shape (locations,)
        Index of the location that replenishes each location; -1 for a
        location ordering from the supplier.
    lead_time : array_like, broadcastable to (parts, locations)
        Replenishment time [days]: supplier lead time at a top location, transit
        time from the parent (when the parent has stock) elsewhere.
    stock : array_like of int, broadcastable to (parts, locations)
        Base-stock level S [units] at every location.
    method : {"metric", "vari-metric"}
        METRIC (Poisson pipelines, Sherbrooke 1968) or VARI-METRIC (two-moment,
        negative binomial, Graves 1985 / Sherbrooke 1986).

    Returns
    -------
    MetricResult  (module docstring gives every formula)
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, received {method!r}")
    parent = np.asarray(parent)
    depth = tree_depth(parent)
    nloc = parent.size
    dr = np.asarray(demand_rate, dtype=float)
    if dr.ndim == 1:
        dr = dr[None, :]
    if dr.ndim != 2 or dr.shape[1] != nloc:
        raise ValueError(f"demand_rate must have shape (parts, {nloc}), received {np.shape(demand_rate)}")
    if not np.all(np.isfinite(dr)) or np.any(dr < 0):
        raise ValueError("demand_rate must be finite and >= 0 [units/day], received min "
                         f"{np.nanmin(dr)!r}")
    try:
        lt = np.broadcast_to(np.asarray(lead_time, dtype=float), dr.shape)
        st = np.broadcast_to(np.asarray(stock), dr.shape)
    except ValueError as exc:
        raise ValueError(f"lead_time and stock must broadcast to shape {dr.shape}: {exc}") from None
    if not np.all(np.isfinite(lt)) or np.any(lt < 0):
        raise ValueError(f"lead_time must be finite and >= 0 [days], received min {np.nanmin(lt)!r}")
    if np.any(st < 0) or np.any(st != np.round(st)):
        raise ValueError("stock must hold integers >= 0 [units], received "
                         f"{np.asarray(st)[(st < 0) | (st != np.round(st))][:3]!r}")
    return _metric_kernel(dr, parent, depth, lt, st.astype(np.int64), method == "vari-metric")


def _metric_kernel(dr, parent, depth, lt, st, vari):
    lam = dr.copy()
    for d in range(int(depth.max()), 0, -1):  # bottom-up flows
        idx = np.flatnonzero(depth == d)
        np.add.at(lam.T, parent[idx], lam.T[idx])
    shape = dr.shape
    pm, pv, ebo, vbo, eoh, ready = (np.zeros(shape) for _ in range(6))
    for d in range(int(depth.max()) + 1):  # top-down pipelines
        idx = np.flatnonzero(depth == d)
        base = lam[:, idx] * lt[:, idx]
        if d == 0:
            m, v = base, base.copy()
        else:
            par = parent[idx]
            with np.errstate(divide="ignore", invalid="ignore"):
                f = np.where(lam[:, par] > 0, lam[:, idx] / lam[:, par], 0.0)
            m = base + f * ebo[:, par]
            v = (base + f * (1.0 - f) * ebo[:, par] + f * f * vbo[:, par]) if vari else m.copy()
        e, vb, oh, rd = _backorders_kernel(m.ravel(), v.ravel(), st[:, idx].ravel())
        pm[:, idx], pv[:, idx] = m, v
        ebo[:, idx] = e.reshape(m.shape)
        vbo[:, idx] = vb.reshape(m.shape)
        eoh[:, idx] = oh.reshape(m.shape)
        ready[:, idx] = rd.reshape(m.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        wait = np.where(lam > 0, ebo / lam, 0.0)
    return MetricResult(lam, pm, pv, ebo, vbo, eoh, ready, wait)


def otd_rate(hit, parent_ready, emergency_days, promise_days):
    """Expected on-time-delivery rate of a location's lines (DESIGN.md §6).

        OTD = hit + (1 - hit) · ready_parent · 1[emergency_days <= promise_days]

    A line missed at the location is still on time when the parent has stock
    and the emergency delivery arrives by the promised date.  Approximation:
    the parent's stock state is taken independent of the child's stockout
    (in reality they are positively correlated through the child's pipeline,
    so this slightly over-states OTD); for a top location pass
    ``parent_ready = 0`` (a miss is served by the supplier, assumed late).

    hit, parent_ready: probabilities in [0, 1]; emergency_days, promise_days [days].
    """
    hit = np.asarray(hit, float)
    pr = np.asarray(parent_ready, float)
    for name, a in (("hit", hit), ("parent_ready", pr)):
        if np.any(~np.isfinite(a)) or np.any((a < 0) | (a > 1)):
            raise ValueError(f"{name} must be probabilities in [0, 1], received {a[(a < 0) | (a > 1)][:3]!r}")
    on_time = np.asarray(emergency_days, float) <= np.asarray(promise_days, float)
    return hit + (1.0 - hit) * pr * on_time
