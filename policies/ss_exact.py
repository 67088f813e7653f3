"""Exact cost-optimal (s, S) for periodic review with Poisson demand: Zheng & Federgruen (1991).

Model (Snyder & Shen 2019, §4.6; the conventions of stockpyl's ``s_s_discrete_exact``):
periodic review, zero lead time, demand per period ``D ~ Poisson(μ)`` [units/period], at each
review the inventory position is raised to ``S`` if it is ``<= s``; per period a fixed cost
``K`` [money/order] per order, holding ``h`` and backorder ``p`` [money/unit/period] charged on
the end-of-period inventory.  One-period cost of an inventory position ``y`` after ordering

    G(y) = h E[(y − D)^+] + p E[(D − y)^+] = h (y − μ) + (h + p) n(y)      [money/period]

and the long-run average cost of ``(s, S)`` (Zheng & Federgruen 1991, eq. 2; S&S eq. 4.50)

    c(s, S) = [K + Σ_{j=0}^{S−s−1} m(j) G(S − j)] / M(S − s)                [money/period]

with the renewal quantities ``m(0) = 1/(1 − p_0)``, ``m(j) = Σ_{l=1}^{j} p_l m(j − l)/(1 − p_0)``
and ``M(q) = Σ_{j<q} m(j)`` (expected number of periods until ``q`` units are demanded).

Algorithm (Zheng & Federgruen 1991, §3, steps 0-2), run for a whole batch at once: every
instance keeps its own state (s, S, S0, c0) and each loop iteration advances all instances that
are still active with whole-array numpy steps (masks), so no Python loop runs per instance.
``G`` is tabulated per instance on ``[ylo, yhi]`` where

    ylo = ⌊μ − (K + G(y*))/p⌋ − 2,   yhi = ⌈μ + (K + G(y*))/h⌉ + 2,

a range that provably contains the optimal s and every S the algorithm visits: since
``G(y) >= h(y − μ)`` and the final cost is ``<= c(y*−1, y*) <= K + G(y*)``, the search for S
stops before ``yhi``; since ``G(y) >= p(μ − y)`` the first loop stops before ``ylo``.
"""
from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["optimal_ss_poisson", "ss_cost_poisson", "renewal_m"]


def _validate(mean, fixed_cost, holding_cost, stockout_cost):
    arrs = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, dtype=float))
                                 for a in (mean, fixed_cost, holding_cost, stockout_cost)))
    names = ("mean", "fixed_cost", "holding_cost", "stockout_cost")
    lows = ((0.0, False), (0.0, True), (0.0, False), (0.0, False))  # (bound, inclusive)
    for name, a, (lo, incl) in zip(names, arrs, lows):
        if a.ndim != 1:
            raise ValueError(f"{name} must be a scalar or 1-D array, received shape {a.shape}")
        bad = ~np.isfinite(a) | ((a < lo) if incl else (a <= lo))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            rng = "[0, inf)" if incl else "(0, inf)"
            raise ValueError(f"{name} must be finite and in {rng}; received {float(a[i])!r} "
                             f"at position {i}")
    return [np.ascontiguousarray(a) for a in arrs]


def _G_poisson(y, mu, h, p):
    """One-period cost G(y) = h(y − μ) + (h + p) E[(D − y)^+], D ~ Poisson(μ) [money/period]."""
    yp = np.maximum(y, 0.0)
    loss = mu * special.pdtrc(yp - 1.0, mu) - yp * special.pdtrc(yp, mu)
    loss = np.where(yp == 0, mu, loss)
    loss = np.where(y < 0, mu - y, loss)
    return h * (y - mu) + (h + p) * loss


def renewal_m(pmf: np.ndarray, length: int) -> np.ndarray:
    """Renewal density ``m(j)``, j = 0..length−1, of per-period demand pmf rows (ZF 1991 eq. 3).

    ``m(0) = 1/(1 − p_0)``, ``m(j) = Σ_{l=1}^{j} p_l m(j − l) / (1 − p_0)``: the expected number
    of periods in which the cumulative demand equals exactly ``j`` [periods].  Loops over j with
    whole-array steps over rows.  Requires ``p_0 < 1``.
    """
    pmf = np.asarray(pmf, dtype=float)
    n, kp = pmf.shape
    q = 1.0 - pmf[:, 0]
    m = np.zeros((n, length))
    m[:, 0] = 1.0 / q
    # p padded to the needed length (demand sizes above the support have probability 0)
    p = np.zeros((n, length))
    w = min(kp, length)
    p[:, :w] = pmf[:, :w]
    for j in range(1, length):
        # Σ_{l=1}^{j} p_l m(j-l)
        m[:, j] = np.einsum("ij,ij->i", p[:, 1: j + 1], m[:, j - 1:: -1] if j > 0 else m[:, :0]) / q
    return m


class _Batch:
    """Tabulated G, m, M per instance and a vectorised evaluator of c(s, S)."""

    def __init__(self, mu, K, h, p):
        self.mu, self.K, self.h, self.p = mu, K, h, p
        n = mu.size
        # y* = argmin G: the newsvendor fractile, smallest y with F(y) >= p/(h+p)
        self.ystar = _poisson_quantile(p / (h + p), mu)
        g_star = _G_poisson(self.ystar.astype(float), mu, h, p)
        span = K + g_star
        self.ylo = np.floor(mu - span / p).astype(np.int64) - 2
        yhi = np.ceil(mu + span / h).astype(np.int64) + 2
        self.T = int((yhi - self.ylo).max()) + 1
        grid = self.ylo[:, None] + np.arange(self.T)[None, :]
        self.G = _G_poisson(grid.astype(float), mu[:, None], h[:, None], p[:, None])
        kk = np.arange(self.T + 1, dtype=float)[None, :]
        with np.errstate(divide="ignore"):
            pmf = np.exp(kk * np.log(mu[:, None]) - mu[:, None] - special.gammaln(kk + 1.0))
        self.m = renewal_m(pmf, self.T + 1)
        self.M = np.zeros((n, self.T + 2))
        np.cumsum(self.m, axis=1, out=self.M[:, 1:])

    def g(self, rows, y):
        return self.G[rows, y - self.ylo[rows]]

    def cost_terms(self, rows, s, S):
        """(numerator, denominator) of c(s, S) for instances ``rows`` (full sums)."""
        q = S - s
        J = int(q.max())
        j = np.arange(J)[None, :]
        idx = (S - self.ylo[rows])[:, None] - j
        valid = j < q[:, None]
        # gather only the (rows, J) entries needed; m(j) = 0 weights pad the short rows
        g = self.G[rows[:, None], np.maximum(idx, 0)]
        mv = np.where(valid, self.m[rows, :J], 0.0)
        return self.K[rows] + np.einsum("ij,ij->i", mv, g), self.M[rows, q]


def _poisson_quantile(prob, mu):
    """Smallest integer y >= 0 with P(Poisson(μ) <= y) >= prob (vectorised)."""
    from scipy import stats
    y = stats.poisson.ppf(prob, mu)
    y = np.where(np.isfinite(y), y, 0).astype(np.int64)
    # guard against ppf rounding: step down while the previous value already qualifies
    prev_ok = special.pdtr(y - 1, mu) >= prob
    y = np.where((y > 0) & prev_ok, y - 1, y)
    return y


def ss_cost_poisson(s, S, mean, fixed_cost, holding_cost, stockout_cost):
    """Average cost c(s, S) [money/period] of given (s, S) policies, Poisson demand (ZF eq. 2).

    Every argument is a scalar or an array (broadcast together); returns an array.
    """
    mu, K, h, p = _validate(mean, fixed_cost, holding_cost, stockout_cost)
    s, S = np.broadcast_arrays(np.atleast_1d(np.asarray(s)), np.atleast_1d(np.asarray(S)))
    n = max(mu.size, s.size)
    mu, K, h, p = (np.broadcast_to(a, (n,)).copy() for a in (mu, K, h, p))
    s = np.broadcast_to(s, (n,)).astype(np.int64)
    S = np.broadcast_to(S, (n,)).astype(np.int64)
    if np.any(S <= s):
        raise ValueError(f"S must be > s for every policy; received s={s.tolist()}, "
                         f"S={S.tolist()}")
    q = S - s
    Jmax = int(q.max())
    j = np.arange(Jmax)[None, :]
    kk = np.arange(Jmax + 1, dtype=float)[None, :]
    with np.errstate(divide="ignore"):
        pmf = np.exp(kk * np.log(mu[:, None]) - mu[:, None] - special.gammaln(kk + 1.0))
    m = renewal_m(pmf, Jmax)
    y = (S[:, None] - j).astype(float)
    G = _G_poisson(y, mu[:, None], h[:, None], p[:, None])
    num = K + np.where(j < q[:, None], m * G, 0.0).sum(1)
    return num / m.cumsum(1)[np.arange(n), q - 1]


def optimal_ss_poisson(mean, fixed_cost, holding_cost, stockout_cost):
    """Exact optimal (s, S) and its cost for Poisson demand (Zheng & Federgruen 1991).

    Stable entry point.  Periodic review, no lead time, demand per period Poisson(``mean``)
    [units/period], ``fixed_cost`` K [money/order], ``holding_cost`` h and ``stockout_cost`` p
    [money/unit/period]: the model of Snyder & Shen (2019) §4.6 and stockpyl's
    ``s_s_discrete_exact(h, p, K, True, mean)``, same conventions (order when IP <= s).
    Each argument is a scalar or an array (broadcast together).

    Returns
    -------
    (s, S, cost) : int64, int64 and float arrays; ``cost`` = c(s, S) [money/period].
    """
    mu, K, h, p = _validate(mean, fixed_cost, holding_cost, stockout_cost)
    n = mu.size
    B = _Batch(mu, K, h, p)
    rows = np.arange(n)
    ystar = B.ystar
    m, G, ylo = B.m, B.G, B.ylo

    # Step 0: s = y*-1, decrease until c(s, y*) <= G(s); incremental sums
    s = ystar - 1
    num = K + m[:, 0] * B.g(rows, ystar)
    den = m[:, 0].copy()
    active = num / den > B.g(rows, s)
    while active.any():
        a = np.flatnonzero(active)
        k = ystar[a] - s[a]                     # index of the new term m(k) G(s)
        num[a] += m[a, k] * G[a, s[a] - ylo[a]]
        den[a] += m[a, k]
        s[a] -= 1
        active[a] = num[a] / den[a] > G[a, s[a] - ylo[a]]

    # Step 1: scan S upwards while G(S) <= c0
    c0 = num / den
    S0 = ystar.copy()
    S = ystar + 1
    active = B.g(rows, S) <= c0
    while active.any():
        a = np.flatnonzero(active)
        numa, dena = B.cost_terms(a, s[a], S[a])
        better = numa / dena < c0[a]
        if better.any():
            b = a[better]
            S0[b] = S[b]
            nb, db, sb = numa[better], dena[better], s[b].copy()
            # Step 2: raise s while c(s, S0) <= G(s+1) (drop term m(S0-s-1) G(s+1))
            inner = nb / db <= G[b, sb + 1 - ylo[b]]
            while inner.any():
                i = np.flatnonzero(inner)
                bi = b[i]
                k = S0[bi] - sb[i] - 1
                nb[i] -= m[bi, k] * G[bi, sb[i] + 1 - ylo[bi]]
                db[i] -= m[bi, k]
                sb[i] += 1
                inner[i] = (S0[bi] - sb[i] > 1) & (nb[i] / db[i] <= G[bi, sb[i] + 1 - ylo[bi]])
            s[b] = sb
            c0[b] = nb / db
        S[a] += 1
        active[a] = G[a, np.minimum(S[a] - ylo[a], B.T - 1)] <= c0[a]
        over = active & (S - ylo >= B.T)
        if over.any():  # pragma: no cover - excluded by the bound in the module docstring
            raise RuntimeError("Zheng-Federgruen search left its tabulated range")
    return s, S0, c0
