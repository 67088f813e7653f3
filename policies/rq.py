"""Continuous-review (r, Q) policies: exact costs, optimal r for a given Q, classic
approximations (normal demand) and the exact optimum for Poisson demand.  Vectorised over rows.

Model and conventions (Snyder & Shen 2019, ch. 5; stockpyl's ``rq`` module): demand per unit
time (e.g. per year) has mean ``λ`` and standard deviation ``τ`` [units/time]; the lead time
``L`` [time] is constant, so lead-time demand has mean ``μ = λL`` and sd ``σ = τ√L`` (normal)
or is Poisson(λL).  When IP reaches r an order of Q is placed; ``h`` holding and ``p`` stockout
(backorder) cost [money/unit/time], ``K`` fixed cost [money/order].  With
``g(y) = h(y − μ) + (h + p) n(y)`` (the newsvendor cost of IP y, S&S eq. 5.5) the long-run
cost per unit time is (S&S eq. 5.7, Zipkin 2000 §6.4)

    g(r, Q) = [K λ + ∫_r^{r+Q} g(y) dy] / Q            (continuous demand)
    g(r, Q) = [K λ + Σ_{y=r+1}^{r+Q} g(y)] / Q          (discrete demand)

For the normal, ``∫_r^{r+Q} n(y) dy = n2(r) − n2(r+Q)`` with the second-order loss ``n2``
(:func:`policies.distributions.normal_loss2`), so the integral is closed-form.
"""
from __future__ import annotations

import numpy as np
from scipy import special, stats

from .distributions import normal_loss1, normal_loss2, poisson_loss1

__all__ = [
    "rq_cost_normal",
    "rq_optimal_r_for_q",
    "rq_eoqb_approximation",
    "rq_eoqss_approximation",
    "rq_eil_approximation",
    "rq_loss_function_approximation",
    "rq_cost_poisson",
    "rq_poisson_exact",
    "rq_fill_rate_normal",
    "rq_fill_rate_poisson",
]


def _arrays(names, values, positive=(), nonneg=()):
    arrs = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float)) for v in values))
    out = dict(zip(names, (np.array(a) for a in arrs)))
    for name in names:
        a = out[name]
        if name in positive:
            bad = ~np.isfinite(a) | (a <= 0)
            rng = "(0, inf)"
        elif name in nonneg:
            bad = ~np.isfinite(a) | (a < 0)
            rng = "[0, inf)"
        else:
            bad = ~np.isfinite(a)
            rng = "(-inf, inf)"
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name} must be finite and in {rng}; received {float(a[i])!r} at "
                             f"position {i}")
    return out


_COST = ("holding_cost", "stockout_cost", "fixed_cost", "demand_mean", "demand_sd", "lead_time")


def _lead_time_demand(a):
    mu = a["demand_mean"] * a["lead_time"]
    sigma = a["demand_sd"] * np.sqrt(a["lead_time"])
    if np.any(sigma <= 0):
        raise ValueError("demand_sd * sqrt(lead_time) must be > 0 for normal lead-time demand; "
                         f"received demand_sd={a['demand_sd'].tolist()}, "
                         f"lead_time={a['lead_time'].tolist()}")
    return mu, sigma


def _g_normal(y, h, p, mu, sigma):
    return h * (y - mu) + (h + p) * normal_loss1(y, mu, sigma)


def rq_cost_normal(reorder_point, order_quantity, holding_cost, stockout_cost, fixed_cost,
                   demand_mean, demand_sd, lead_time):
    """Exact expected cost per unit time of (r, Q), normal lead-time demand [money/time].

    ``g(r,Q) = {Kλ + h[(r+Q−μ)² − (r−μ)²]/2 + (h+p)[n2(r) − n2(r+Q)]} / Q`` (S&S eq. 5.7
    integrated in closed form; ORACLES O-12).
    """
    a = _arrays(("r", "Q") + _COST, (reorder_point, order_quantity, holding_cost, stockout_cost,
                                     fixed_cost, demand_mean, demand_sd, lead_time),
                positive=("Q", "holding_cost", "stockout_cost"),
                nonneg=("fixed_cost", "demand_mean", "demand_sd", "lead_time"))
    mu, sigma = _lead_time_demand(a)
    h, p, r, Q = a["holding_cost"], a["stockout_cost"], a["r"], a["Q"]
    integral = (0.5 * h * ((r + Q - mu) ** 2 - (r - mu) ** 2)
                + (h + p) * (normal_loss2(r, mu, sigma) - normal_loss2(r + Q, mu, sigma)))
    return (a["fixed_cost"] * a["demand_mean"] + integral) / Q


def _optimal_r(Q, h, p, mu, sigma, iterations=200):
    """Root of g(r) = g(r + Q) by bisection on [S* − Q, S*] (g convex, minimum at S*)."""
    S = mu + sigma * special.ndtri(p / (p + h))
    lo, hi = S - Q, S.copy()
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        f = _g_normal(mid, h, p, mu, sigma) - _g_normal(mid + Q, h, p, mu, sigma)
        pos = f > 0          # g(r) > g(r+Q): the window should move right
        lo = np.where(pos, mid, lo)
        hi = np.where(pos, hi, mid)
    return 0.5 * (lo + hi)


def rq_optimal_r_for_q(order_quantity, holding_cost, stockout_cost, demand_mean, demand_sd,
                       lead_time):
    """Optimal r for a given Q, normal demand: ``g(r) = g(r + Q)`` (S&S eq. 5.11) [units]."""
    a = _arrays(("Q", "holding_cost", "stockout_cost", "demand_mean", "demand_sd", "lead_time"),
                (order_quantity, holding_cost, stockout_cost, demand_mean, demand_sd, lead_time),
                positive=("Q", "holding_cost", "stockout_cost"),
                nonneg=("demand_mean", "demand_sd", "lead_time"))
    mu, sigma = _lead_time_demand(a)
    return _optimal_r(a["Q"], a["holding_cost"], a["stockout_cost"], mu, sigma)


def _cost_args(holding_cost, stockout_cost, fixed_cost, demand_mean, demand_sd, lead_time):
    a = _arrays(_COST, (holding_cost, stockout_cost, fixed_cost, demand_mean, demand_sd,
                        lead_time),
                positive=("holding_cost", "stockout_cost", "fixed_cost"),
                nonneg=("demand_mean", "demand_sd", "lead_time"))
    mu, sigma = _lead_time_demand(a)
    return a, mu, sigma


def rq_eoqb_approximation(holding_cost, stockout_cost, fixed_cost, demand_mean, demand_sd,
                          lead_time):
    """EOQB approximation (S&S §5.2.4): ``Q = sqrt(2Kλ(h+p)/(hp))`` (EOQ with planned
    backorders), then the optimal r for that Q.  Returns ``(r, Q)``."""
    a, mu, sigma = _cost_args(holding_cost, stockout_cost, fixed_cost, demand_mean, demand_sd,
                              lead_time)
    h, p = a["holding_cost"], a["stockout_cost"]
    Q = np.sqrt(2.0 * a["fixed_cost"] * a["demand_mean"] * (h + p) / (h * p))
    return _optimal_r(Q, h, p, mu, sigma), Q


def rq_eoqss_approximation(holding_cost, stockout_cost, fixed_cost, demand_mean, demand_sd,
                           lead_time):
    """EOQ + safety stock (S&S §5.2.4): ``Q = sqrt(2Kλ/h)``, ``r = μ + σ Φ⁻¹(p/(p+h))``.
    Returns ``(r, Q)``."""
    a, mu, sigma = _cost_args(holding_cost, stockout_cost, fixed_cost, demand_mean, demand_sd,
                              lead_time)
    h, p = a["holding_cost"], a["stockout_cost"]
    Q = np.sqrt(2.0 * a["fixed_cost"] * a["demand_mean"] / h)
    return mu + sigma * special.ndtri(p / (p + h)), Q


def rq_eil_approximation(holding_cost, stockout_cost, fixed_cost, demand_mean, demand_sd,
                         lead_time, tol=1e-6, max_iter=10_000):
    """Expected-inventory-level approximation (Hadley & Whitin 1963; S&S §5.2.3).

    Fixed point of ``1 − F(r) = Qh/(pλ)`` and ``Q = sqrt(2λ(K + p n(r))/h)`` starting from the
    EOQ; cost ``h(r − μ + Q/2) + Kλ/Q + pλ n(r)/Q`` [money/time].  Returns ``(r, Q, cost)``.
    """
    a, mu, sigma = _cost_args(holding_cost, stockout_cost, fixed_cost, demand_mean, demand_sd,
                              lead_time)
    h, p, K, lam = a["holding_cost"], a["stockout_cost"], a["fixed_cost"], a["demand_mean"]
    Q = np.sqrt(2.0 * K * lam / h)
    r = np.zeros_like(Q)
    active = np.ones(Q.shape, dtype=bool)
    for _ in range(max_iter):
        r_new = mu + sigma * special.ndtri(1.0 - Q * h / (p * lam))
        Q_new = np.sqrt(2.0 * lam * (K + p * normal_loss1(r_new, mu, sigma)) / h)
        done = (np.abs(Q_new - Q) <= tol) & (np.abs(r_new - r) <= tol)
        r = np.where(active, r_new, r)
        Q = np.where(active, Q_new, Q)
        active &= ~done
        if not active.any():
            break
    n = normal_loss1(r, mu, sigma)
    cost = h * (r - mu + Q / 2.0) + K * lam / Q + p * lam * n / Q
    return r, Q, cost


def rq_loss_function_approximation(holding_cost, stockout_cost, fixed_cost, demand_mean,
                                   demand_sd, lead_time, tol=1e-6, max_iter=10_000):
    """Loss-function approximation (S&S §5.2.5; Zipkin 2000 §6.5): the exact first-order
    conditions ``n(r) = hQ/(h+p)`` and ``Q = sqrt(2(Kλ + (h+p) n2(r))/h)`` iterated from the
    EOQ.  Returns ``(r, Q)``."""
    a, mu, sigma = _cost_args(holding_cost, stockout_cost, fixed_cost, demand_mean, demand_sd,
                              lead_time)
    h, p, K, lam = a["holding_cost"], a["stockout_cost"], a["fixed_cost"], a["demand_mean"]
    Q = np.sqrt(2.0 * K * lam / h)
    r = np.zeros_like(Q)
    active = np.ones(Q.shape, dtype=bool)
    for _ in range(max_iter):
        target = h * Q / (h + p)
        # n(r) is decreasing in r: bisection on [μ − target − 10σ, μ + 10σ]
        lo = mu - target - 10.0 * sigma
        hi = mu + 10.0 * sigma
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            above = normal_loss1(mid, mu, sigma) > target
            lo = np.where(above, mid, lo)
            hi = np.where(above, hi, mid)
        r_new = 0.5 * (lo + hi)
        Q_new = np.sqrt(2.0 * (K * lam + (h + p) * normal_loss2(r_new, mu, sigma)) / h)
        done = (np.abs(Q_new - Q) <= tol) & (np.abs(r_new - r) <= tol)
        r = np.where(active, r_new, r)
        Q = np.where(active, Q_new, Q)
        active &= ~done
        if not active.any():
            break
    return r, Q


def _g_poisson(y, h, p, mu):
    return h * (y - mu) + (h + p) * poisson_loss1(y, mu)


def _poisson_args(holding_cost, stockout_cost, fixed_cost, demand_mean, lead_time):
    a = _arrays(("holding_cost", "stockout_cost", "fixed_cost", "demand_mean", "lead_time"),
                (holding_cost, stockout_cost, fixed_cost, demand_mean, lead_time),
                positive=("holding_cost", "stockout_cost"),
                nonneg=("fixed_cost", "demand_mean", "lead_time"))
    return a, a["demand_mean"] * a["lead_time"]


def rq_cost_poisson(reorder_point, order_quantity, holding_cost, stockout_cost, fixed_cost,
                    demand_mean, lead_time):
    """Exact cost per unit time of (r, Q) with Poisson demand (S&S eq. 5.40) [money/time]:
    ``[Kλ + Σ_{y=r+1}^{r+Q} g(y)] / Q``."""
    a, mu = _poisson_args(holding_cost, stockout_cost, fixed_cost, demand_mean, lead_time)
    r, Q = np.broadcast_arrays(np.atleast_1d(np.asarray(reorder_point)),
                               np.atleast_1d(np.asarray(order_quantity)))
    if np.any(Q < 1) or np.any(Q != np.round(Q)) or np.any(r != np.round(r)):
        raise ValueError(f"order_quantity must be an integer >= 1 and reorder_point an integer; "
                         f"received r={r.tolist()}, Q={Q.tolist()}")
    n = max(r.size, mu.size)
    r = np.broadcast_to(r, (n,)).astype(np.int64)
    Q = np.broadcast_to(Q, (n,)).astype(np.int64)
    h, p, K, lam, mu = (np.broadcast_to(x, (n,)) for x in
                        (a["holding_cost"], a["stockout_cost"], a["fixed_cost"],
                         a["demand_mean"], mu))
    j = np.arange(1, int(Q.max()) + 1)[None, :]
    y = (r[:, None] + j).astype(float)
    g = np.where(j <= Q[:, None], _g_poisson(y, h[:, None], p[:, None], mu[:, None]), 0.0)
    return (K * lam + g.sum(1)) / Q


def rq_poisson_exact(holding_cost, stockout_cost, fixed_cost, demand_mean, lead_time):
    """Exact optimal (r, Q) and cost for Poisson demand (Federgruen & Zheng 1992).

    The Q cheapest IP levels of the convex ``g`` are contiguous, so the optimal window for
    Q + 1 extends the one for Q by the cheaper neighbour (left on a strict ``g(r) < g(r+Q+1)``,
    as S&S / stockpyl), and ``C(Q) = (Kλ + W(Q))/Q`` is quasi-convex: stop at its first
    increase.  Vectorised: all rows step together, finished rows are masked.
    Returns ``(r, Q, cost)`` arrays (int64, int64, float).
    """
    a, mu = _poisson_args(holding_cost, stockout_cost, fixed_cost, demand_mean, lead_time)
    h, p, K, lam = a["holding_cost"], a["stockout_cost"], a["fixed_cost"], a["demand_mean"]
    alpha = p / (p + h)
    S = stats.poisson.ppf(alpha, mu)
    S = np.where(np.isfinite(S), S, 0.0)
    S = np.where((S > 0) & (special.pdtr(S - 1, mu) >= alpha), S - 1, S).astype(np.int64)
    r = S - 1
    Q = np.ones_like(r)
    W = _g_poisson(S.astype(float), h, p, mu)
    cost = (K * lam + W) / Q
    active = np.ones(r.shape, dtype=bool)
    while active.any():
        gl = _g_poisson(r.astype(float), h, p, mu)               # left neighbour y = r
        gr = _g_poisson((r + Q + 1).astype(float), h, p, mu)      # right neighbour
        left = gl < gr
        W_new = W + np.where(left, gl, gr)
        c_new = (K * lam + W_new) / (Q + 1)
        stop = c_new > cost
        go = active & ~stop
        r = np.where(go & left, r - 1, r)
        Q = np.where(go, Q + 1, Q)
        W = np.where(go, W_new, W)
        cost = np.where(go, c_new, cost)
        active = go
    return r, Q, cost


def rq_fill_rate_normal(reorder_point, order_quantity, demand_mean, demand_sd, lead_time):
    """Unit fill rate of (r, Q) with normal lead-time demand and backorders [-]:
    ``β = 1 − [n(r) − n(r + Q)]/Q = 1 − σ_L [L(z_r) − L(z_{r+Q})]/Q`` (IP uniform on
    [r, r + Q]; Silver, Pyke & Thomas 2017 §7.6; Axsäter 2015 eq. 5.41).  ``demand_*`` per unit
    time, ``lead_time`` in the same time unit."""
    a = _arrays(("r", "Q", "demand_mean", "demand_sd", "lead_time"),
                (reorder_point, order_quantity, demand_mean, demand_sd, lead_time),
                positive=("Q",), nonneg=("demand_mean", "demand_sd", "lead_time"))
    mu, sigma = _lead_time_demand(a)
    r, Q = a["r"], a["Q"]
    return 1.0 - (normal_loss1(r, mu, sigma) - normal_loss1(r + Q, mu, sigma)) / Q


def rq_fill_rate_poisson(reorder_point, order_quantity, demand_mean, lead_time):
    """Unit fill rate of continuous-review (r, Q) with Poisson demand (unit lines, backorders):
    ``β = 1 − [n(r) − n(r + Q)]/Q`` with n the Poisson(λL) loss function (IP uniform on
    r+1..r+Q; a unit is short iff D_L >= IP; Axsäter 2015 §5.3) [-]."""
    a = _arrays(("r", "Q", "demand_mean", "lead_time"),
                (reorder_point, order_quantity, demand_mean, lead_time),
                positive=("Q",), nonneg=("demand_mean", "lead_time"))
    r, Q = a["r"], a["Q"]
    if np.any(r != np.round(r)) or np.any(Q != np.round(Q)):
        raise ValueError(f"reorder_point and order_quantity must be integers for Poisson demand; "
                         f"received r={r.tolist()}, Q={Q.tolist()}")
    mu = a["demand_mean"] * a["lead_time"]
    return 1.0 - (poisson_loss1(r, mu) - poisson_loss1(r + Q, mu)) / Q
