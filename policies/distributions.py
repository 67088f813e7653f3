"""Demand distributions as pmf matrices, and their CDF and loss functions.

Everything in :mod:`policies` that needs a discrete demand distribution (lead-time demand,
demand over lead time + review, demand per review period) takes it as a **pmf matrix**: a float
array ``pmf[n, K]`` whose row ``i`` is the distribution of one part-location on the support
``0, 1, ..., K-1`` [units].  All functions below work on whole matrices (vectorised over rows,
whole-array steps over the support), so a batch of 10^6 rows is a handful of numpy calls.

Truncation convention
---------------------
:func:`pmf_matrix` cuts each distribution at ``K - 1`` and **puts the remaining tail mass in the
last column**, so every row sums to 1 and is the exact distribution of ``min(X, K - 1)``.
``K`` is chosen so that ``P(X > K - 1) <= tail`` for every row (or given as ``kmax``), hence
CDF values are exact below ``K - 1`` and the loss functions are exact up to
``E[(X - K + 1)^+] <= tail * (mean + ...)`` (about ``tail * sd`` for light tails).  Pass a
smaller ``tail`` when more digits are needed.

Loss functions (notation of Snyder & Shen 2019, §C.3 / Zipkin 2000, §6.2)
------------------------------------------------------------------------
* first-order loss ``n(x) = E[(X - x)^+]`` [units] and its complement
  ``n̄(x) = E[(x - X)^+] = x - E[X] + n(x)`` [units];
* discrete second-order loss ``n2(x) = ½ E[(X - x)(X - x - 1)^+] = Σ_{j > x} n(j)``
  [units²] (Zipkin 2000, eq. 6.2.7), the sum that gives the average backorders of an inventory
  position uniform on ``s+1..s+Q``: ``(1/Q) Σ_{y=s+1}^{s+Q} n(y) = (n2(s) - n2(s+Q)) / Q``;
* continuous second-order loss ``n2(x) = ½ E[((X - x)^+)^2] = ∫_x^∞ n(t) dt`` [units²]
  (Snyder & Shen eq. C.29/C.30), for the normal and gamma closed forms.

Families
--------
``"poisson"`` (mean), ``"nbinom"`` (mean, var > mean; ``r = μ²/(σ² − μ)``, ``p = μ/σ²``, scipy's
``nbinom(r, p)`` counting failures, as in ORACLES O-14), ``"normal"`` and ``"gamma"``
discretised by rounding to the nearest integer (``P(X = k) = F(k + ½) − F(k − ½)``, negative
values of the normal piled on 0), ``"empirical"`` (pass the pmf matrix itself).

Negative binomial fallback
--------------------------
A negative binomial needs ``var > mean`` (over-dispersion).  ``var == mean`` is its Poisson limit
(``r → ∞``), so those rows are Poisson.  For ``var < mean`` (under-dispersed, which no
negative binomial can represent) the default ``on_underdispersed="poisson"`` uses the Poisson
with the same mean for those rows - the closest over-dispersed-or-equal count model, which keeps
the mean right and slightly overstates the variance (so the stock levels err on the safe side);
``on_underdispersed="raise"`` raises a ``ValueError`` naming the rows instead.
:func:`nbinom_fallback_mask` tells a caller which rows fell back, so it can report them.
"""
from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = [
    "FAMILIES",
    "pmf_matrix",
    "support_size",
    "nbinom_fallback_mask",
    "prob_positive",
    "conditional_support_size",
    "cdf",
    "survival",
    "loss1",
    "loss1_complement",
    "loss2",
    "pmf_mean",
    "pmf_var",
    "take_at",
    "cdf_at",
    "loss1_at",
    "convolve_rows",
    "standard_normal_loss",
    "standard_normal_loss2",
    "normal_loss1",
    "normal_loss1_complement",
    "normal_loss2",
    "gamma_params",
    "gamma_loss1",
    "gamma_loss2",
    "poisson_loss1",
]

FAMILIES = ("poisson", "nbinom", "normal", "gamma")


# --------------------------------------------------------------------------- validation helpers
def _as_1d(name: str, value, n: int | None = None) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array, received shape {arr.shape}")
    if n is not None and arr.size == 1 and n != 1:
        arr = np.full(n, arr[0])
    if n is not None and arr.size != n:
        raise ValueError(f"{name} must have {n} values (one per row), received {arr.size}")
    return arr


def _check_finite_nonneg(name: str, arr: np.ndarray) -> None:
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} must be finite and >= 0; received {float(arr[i])!r} at row {i} "
            f"({int(bad.sum())} bad rows); valid range [0, inf)"
        )


def _check_pmf(pmf) -> np.ndarray:
    pmf = np.asarray(pmf, dtype=float)
    if pmf.ndim == 1:
        pmf = pmf[None, :]
    if pmf.ndim != 2 or pmf.shape[1] == 0:
        raise ValueError(f"pmf must be a 2-D array (rows, support), received shape {pmf.shape}")
    return pmf


def nbinom_fallback_mask(mean, var) -> np.ndarray:
    """Rows where a negative binomial cannot be used (``var <= mean``) and Poisson is used.

    ``var == mean`` is the Poisson limit of the negative binomial; ``var < mean`` is
    under-dispersion, which the negative binomial cannot represent (see module docstring).
    """
    mean = _as_1d("mean", mean)
    var = _as_1d("var", var, mean.size)
    return var <= mean * (1.0 + 1e-12)


def _nbinom_rp(mean: np.ndarray, var: np.ndarray):
    """Negative binomial (r, p) from mean and variance: r = μ²/(σ²−μ), p = μ/σ² (S&S §C.3.5)."""
    r = mean * mean / (var - mean)
    p = mean / var
    return r, p


def gamma_params(mean, var):
    """Gamma shape ``a = μ²/σ²`` and scale ``θ = σ²/μ`` from mean and variance [units]."""
    mean = np.asarray(mean, dtype=float)
    var = np.asarray(var, dtype=float)
    return mean * mean / var, var / mean


def _resolve(family: str, mean, var, on_underdispersed: str):
    """Validate (family, mean, var); return per-row family codes and arrays."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, received {family!r}")
    if on_underdispersed not in ("poisson", "raise"):
        raise ValueError(
            f"on_underdispersed must be 'poisson' or 'raise', received {on_underdispersed!r}"
        )
    mean = _as_1d("mean", mean)
    _check_finite_nonneg("mean", mean)
    n = mean.size
    if family == "poisson":
        return mean, mean.copy(), np.zeros(n, dtype=bool)
    if var is None:
        raise ValueError(f"var is required for family {family!r} (received None)")
    var = _as_1d("var", var, n)
    _check_finite_nonneg("var", var)
    if family == "nbinom":
        # mean 0: the point mass at 0 (the only law of a count with mean 0), as Poisson(0)
        fallback = nbinom_fallback_mask(mean, var) | (mean == 0)
        under = var < mean * (1.0 - 1e-12)
        if on_underdispersed == "raise" and under.any():
            i = int(np.flatnonzero(under)[0])
            raise ValueError(
                f"var must be > mean for family 'nbinom' (a negative binomial is over-dispersed); "
                f"received var={float(var[i])!r} < mean={float(mean[i])!r} at row {i} "
                f"({int(under.sum())} rows); valid range var > mean. Use family='poisson' for "
                f"these rows, or on_underdispersed='poisson' to fall back to Poisson(mean)."
            )
        return mean, var, fallback
    return mean, var, np.zeros(n, dtype=bool)


def support_size(family: str, mean, var=None, tail=1e-9,
                 on_underdispersed: str = "poisson") -> np.ndarray:
    """Per row, the support size ``K`` (int) with ``P(X > K - 1) <= tail``.

    ``tail``: a scalar or one value per row, in (0, 1).  Useful to group rows of similar size
    before building pmf matrices in chunks.
    """
    t = np.asarray(tail, dtype=float)
    if not np.all((t > 0.0) & (t < 1.0)):
        raise ValueError(f"tail must be in (0, 1), received {tail!r}")
    mean, var, fb = _resolve(family, mean, var, on_underdispersed)
    tail = np.broadcast_to(t, mean.shape)
    out = np.empty(mean.size)
    if family in ("poisson", "nbinom"):
        return _count_support(family, mean, var, tail)
    if family == "normal":
        sd = np.sqrt(var)
        out[:] = np.ceil(mean + sd * stats.norm.isf(tail) + 0.5)
    else:  # gamma
        pos = (mean > 0) & (var > 0)
        a, th = gamma_params(np.where(pos, mean, 1.0), np.where(pos, var, 1.0))
        out[:] = np.where(pos, np.ceil(stats.gamma.isf(tail, a, scale=th) + 0.5),
                          np.ceil(mean + 0.5))
    out = np.where(np.isfinite(out), out, 0.0)
    return out.astype(np.int64) + 1


def prob_positive(family: str, mean, var=None, on_underdispersed: str = "poisson") -> np.ndarray:
    """``P(X > 0)`` per row, without cancellation for tiny means: Poisson ``−expm1(−μ)``,
    negative binomial ``−expm1(r ln p)``, rounded normal ``Φ((μ − ½)/σ)``, rounded gamma
    ``Q(a, ½/θ)`` (regularised upper incomplete gamma)."""
    mean, var, fb = _resolve(family, mean, var, on_underdispersed)
    if family == "poisson":
        return -np.expm1(-mean)
    if family == "nbinom":
        out = -np.expm1(-mean)
        nb = ~fb
        if nb.any():
            r, p = _nbinom_rp(mean[nb], var[nb])
            out[nb] = -np.expm1(r * np.log(p))
        return out
    if family == "normal":
        sd = np.sqrt(var)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (mean - 0.5) / sd
        return np.where(sd > 0, special.ndtr(z), (mean > 0.5).astype(float))
    pos = (mean > 0) & (var > 0)
    a, th = gamma_params(np.where(pos, mean, 1.0), np.where(pos, var, 1.0))
    return np.where(pos, special.gammaincc(a, 0.5 / th), (mean > 0.5).astype(float))


def support_estimate(family: str, mean, var=None, tail: float = 1e-9) -> np.ndarray:
    """Cheap *estimate* of :func:`support_size` (Cornish-Fisher quantile with a skewness
    term, +2), for grouping rows of similar size; not a bound - use :func:`support_size`
    where the tail guarantee matters."""
    mean = np.atleast_1d(np.asarray(mean, dtype=float))
    var = mean if (var is None or family == "poisson") else np.broadcast_to(
        np.asarray(var, dtype=float), mean.shape)
    sd = np.sqrt(np.maximum(var, 0.0))
    z = -special.ndtri(np.asarray(tail, dtype=float))   # upper quantile, exact for tiny tails
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = np.where(sd > 0, (2.0 * var - mean) / (var * sd) if family != "normal" else 0.0,
                         0.0)
    gamma = np.nan_to_num(gamma, nan=0.0, posinf=0.0)
    est = np.ceil(mean + sd * (z + (z * z - 1.0) * np.maximum(gamma, 0.0) / 6.0)) + 2.0
    return np.where(mean > 0, est, 1.0).astype(np.int64)


def _count_support(family, mean, var, tail):
    """Exact support size for Poisson / negative binomial rows: compute the pmf (fast
    recursion) on a generous grid, find the first k with P(X > k) <= tail; rows whose grid was
    too short are redone on a doubled grid.  Rows are grouped by estimated size."""
    n = mean.size
    tail = np.broadcast_to(np.asarray(tail, dtype=float), (n,))
    out = np.ones(n, dtype=np.int64)
    est = support_estimate(family, mean, var, tail)
    todo = np.flatnonzero(mean > 0)
    width = (1.2 * est + 4).astype(np.int64)

    def sizes(P, rows):
        sv = survival(P)              # P(X > k) with the true tail in the last column
        sv[:, -1] = P[:, -1]          # P(X > K-1) >= mass lumped beyond: conservative
        ok = sv <= tail[rows][:, None]
        first = np.argmax(ok, axis=1)
        return first + 1, ok[np.arange(rows.size), first] & (first < P.shape[1] - 1)

    return _search_on_doubling_grids(family, mean, var, todo, width, sizes, out)


def conditional_support_size(family: str, mean, var=None, tail: float = 1e-9,
                             on_underdispersed: str = "poisson") -> np.ndarray:
    """Per row, the smallest support size ``K`` with ``P(X > K − 1 | X > 0) <= tail``
    (rows with ``P(X > 0) = 0``: 1).

    For a part with a tiny chance of any demand this is governed by the size of the demand
    when it occurs (the line sizes), not by ``P(X > 0)`` itself.  Poisson / negative binomial:
    ``P(X > k) = P(X > 0) − Σ_{i=1}^{k} p_i`` with the exact :func:`prob_positive` (the pmf's
    lumped last column, whose rounding is ~1e-16 absolute, is not used), on grids doubled until
    the level is found; normal / gamma: :func:`support_size` with the tail ``tail · P(X > 0)``.
    """
    if not (0.0 < tail < 1.0):
        raise ValueError(f"tail must be in (0, 1), received {tail!r}")
    mean, var, fb = _resolve(family, mean, var, on_underdispersed)
    ppos = prob_positive(family, mean, var, on_underdispersed)
    if family not in ("poisson", "nbinom"):
        rel = np.where(ppos > 0, np.maximum(tail * ppos, 1e-300), tail)
        return support_size(family, mean, var, rel, on_underdispersed)
    n = mean.size
    out = np.ones(n, dtype=np.int64)
    todo = np.flatnonzero((mean > 0) & (ppos > 0))
    est = support_estimate(family, mean, var, tail)
    width = np.maximum((1.2 * est + 4).astype(np.int64), 8)
    def sizes(P, rows):
        # P(X > k) for k = 1..K-2 from the exact P(X > 0) and the pmf values 1..k
        sv = ppos[rows][:, None] - np.cumsum(P[:, 1:-1], axis=1)
        ok = sv <= (tail * ppos[rows])[:, None]
        first = np.argmax(ok, axis=1)
        return first + 2, ok[np.arange(rows.size), first]    # k = first + 1, K = k + 1

    return _search_on_doubling_grids(family, mean, var, todo, width, sizes, out)


def _search_on_doubling_grids(family, mean, var, todo, width, sizes, out):
    """The support search shared by :func:`support_size` and :func:`conditional_support_size`.

    Rows ``todo`` are grouped by grid width (factor 1.25), the pmf is tabulated on each
    group's grid and ``sizes(P, rows) -> (size, found)`` reads the answer off it; rows whose
    grid was too short are redone on a doubled grid, up to ``_MAX_SUPPORT``.  Fills ``out``.
    """
    while todo.size:
        grp = np.ceil(np.log(width[todo]) / np.log(1.25)).astype(np.int64)
        redo = []
        for g in np.unique(grp):
            rows = todo[grp == g]
            k_size = int(np.ceil(1.25 ** g))
            P = pmf_matrix(family, mean[rows], None if family == "poisson" else var[rows],
                           kmax=k_size - 1)
            size, good = sizes(P, rows)
            out[rows[good]] = size[good]
            redo.append(rows[~good])
        todo = np.concatenate(redo) if redo else np.empty(0, np.int64)
        width[todo] *= 2
        big = width[todo] > _MAX_SUPPORT      # safety stop (not reached by sane inputs)
        out[todo[big]] = _MAX_SUPPORT
        todo = todo[~big]
    return out


#: largest support :func:`conditional_support_size` searches [units]
_MAX_SUPPORT = 1 << 20


def pmf_matrix(family: str, mean, var=None, kmax: int | None = None, tail: float = 1e-9,
               on_underdispersed: str = "poisson") -> np.ndarray:
    """Pmf matrix ``pmf[n, K]`` of a demand family, one row per (mean, var) pair.

    Parameters
    ----------
    family : ``"poisson"``, ``"nbinom"``, ``"normal"`` or ``"gamma"`` (the last two
        discretised by rounding, see module docstring).
    mean, var : scalars or 1-D arrays [units, units²] (``var`` ignored for Poisson).
    kmax : largest support point ``K - 1``; default: the smallest ``K`` with
        ``P(X > K - 1) <= tail`` over all rows (:func:`support_size`).
    tail : probability mass allowed beyond the support; it is added to the last column so that
        each row is the exact distribution of ``min(X, K - 1)``.
    on_underdispersed : ``"poisson"`` (default) or ``"raise"`` - negative binomial rows with
        ``var < mean`` (module docstring).

    Returns
    -------
    ndarray, shape (n, K), rows summing to 1.
    """
    mean, var, fb = _resolve(family, mean, var, on_underdispersed)
    if kmax is None:
        k_size = int(support_size(family, mean, var, tail, on_underdispersed).max())
    else:
        if int(kmax) != kmax or kmax < 0:
            raise ValueError(f"kmax must be an integer >= 0, received {kmax!r}")
        k_size = int(kmax) + 1
    k = np.arange(k_size, dtype=float)[None, :]
    n = mean.size
    pmf = np.empty((n, k_size))
    m = mean[:, None]
    if family == "poisson":
        pmf[:] = _poisson_pmf(k, m)
    elif family == "nbinom":
        if fb.any():
            pmf[fb] = _poisson_pmf(k, m[fb])
        nb = ~fb
        if nb.any():
            r, p = _nbinom_rp(mean[nb], var[nb])
            pmf[nb] = _nbinom_pmf(k, r[:, None], p[:, None])
    elif family == "normal":
        sd = np.sqrt(var)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            z_hi = (k + 0.5 - m) / sd
        upper = np.where(sd > 0, special.ndtr(z_hi), (k + 0.5 > m).astype(float))
        pmf[:, 0] = upper[:, 0]
        pmf[:, 1:] = np.diff(upper, axis=1)
    else:  # gamma
        pos = ((mean > 0) & (var > 0))[:, None]
        a, th = gamma_params(np.where(pos[:, 0], mean, 1.0), np.where(pos[:, 0], var, 1.0))
        upper = special.gammainc(a[:, None], (k + 0.5) / th[:, None])
        upper = np.where(pos, upper, (k + 0.5 > m).astype(float))
        pmf[:, 0] = upper[:, 0]
        pmf[:, 1:] = np.diff(upper, axis=1)
    np.clip(pmf, 0.0, None, out=pmf)
    # the tail beyond K-1 goes to the last column: exact distribution of min(X, K-1)
    pmf[:, -1] += np.clip(1.0 - pmf.sum(axis=1), 0.0, None)
    return pmf


_LOG_TINY = -700.0  # below this log p_0 the recursion would start from an underflowed value


def _by_recursion(k, logp0, ratio_fn, log_fn):
    """pmf rows ``p_0 · Π_{i<=k} ratio(i)`` (one cumprod) where ``p_0`` is representable,
    log-space (``log_fn``) for the other rows.  Both are exact; the recursion is ~5x faster."""
    n = logp0.shape[0]
    out = np.empty((n, k.shape[1]))
    ok = logp0[:, 0] > _LOG_TINY
    if ok.any():
        ratio = ratio_fn(ok)
        ratio[:, 0] = 1.0
        np.cumprod(ratio, axis=1, out=ratio)
        out[ok] = np.exp(logp0[ok]) * ratio
    if (~ok).any():
        out[~ok] = np.exp(log_fn(~ok))
    return out


def _poisson_pmf(k: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Poisson pmf: ``p_0 = e^{-μ}``, ``p_k = p_{k-1} μ/k``; μ = 0 gives a point mass at 0."""
    kk = np.maximum(k, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _by_recursion(k, -m, lambda r: m[r] / kk,
                            lambda r: k * np.log(m[r]) - m[r] - special.gammaln(k + 1.0))
    zero = (m == 0)[:, 0] if m.ndim == 2 else (m == 0)
    if np.any(zero):
        out[zero] = 0.0
        out[zero, 0] = 1.0
    return out


def _nbinom_pmf(k: np.ndarray, r: np.ndarray, p: np.ndarray) -> np.ndarray:
    """NB(r, p) pmf: ``p_0 = p^r``, ``p_k = p_{k-1} (1 − p)(k − 1 + r)/k`` (scipy convention)."""
    inv_k = 1.0 / np.maximum(k, 1.0)
    q = 1.0 - p

    def ratio(o):
        # (1 - p)(k - 1 + r)/k = (1 - p) + (1 - p)(r - 1)/k; the rearranged form cancels to 0
        # at k = 1 when r < 1e-16 (parts with almost no demand), so small r use the product
        out = q[o] + (q[o] * (r[o] - 1.0)) * inv_k
        small = r[o][:, 0] < 1e-6
        if small.any():
            out[small] = q[o][small] * ((k - 1.0 + r[o][small]) * inv_k)
        return out

    return _by_recursion(
        k, r * np.log(p), ratio,
        lambda o: (special.gammaln(k + r[o]) - special.gammaln(r[o]) - special.gammaln(k + 1.0)
                   + r[o] * np.log(p[o]) + k * np.log1p(-p[o])))


# --------------------------------------------------------------------------- pmf-matrix functions
def cdf(pmf) -> np.ndarray:
    """``F[i, x] = P(X_i <= x)`` for x = 0..K-1."""
    pmf = _check_pmf(pmf)
    return np.minimum(np.cumsum(pmf, axis=1), 1.0)


def survival(pmf) -> np.ndarray:
    """``P(X_i > x)`` for x = 0..K-1, summed from the tail (no cancellation for small values)."""
    pmf = _check_pmf(pmf)
    rev = np.cumsum(pmf[:, ::-1], axis=1)[:, ::-1]  # P(X >= x)
    out = np.zeros_like(pmf)
    out[:, :-1] = rev[:, 1:]
    return out


def pmf_mean(pmf) -> np.ndarray:
    """``E[X_i]`` [units] of each row."""
    pmf = _check_pmf(pmf)
    return pmf @ np.arange(pmf.shape[1], dtype=float)


def pmf_var(pmf) -> np.ndarray:
    """``Var[X_i]`` [units²] of each row."""
    pmf = _check_pmf(pmf)
    k = np.arange(pmf.shape[1], dtype=float)
    m = pmf @ k
    return np.maximum(pmf @ (k * k) - m * m, 0.0)


def loss1(pmf) -> np.ndarray:
    """First-order loss ``n(x) = E[(X - x)^+] = Σ_{j >= x} P(X > j)`` [units], x = 0..K-1.

    Reference: Zipkin (2000) eq. 6.2.5; Snyder & Shen (2019) eq. C.36.
    """
    sv = survival(pmf)
    return np.cumsum(sv[:, ::-1], axis=1)[:, ::-1]


def loss1_complement(pmf) -> np.ndarray:
    """Complementary loss ``n̄(x) = E[(x - X)^+] = Σ_{j < x} P(X <= j)`` [units], x = 0..K-1.

    Reference: Snyder & Shen (2019) eq. C.37 (``n̄(x) = x − E[X] + n(x)``).
    """
    F = cdf(pmf)
    out = np.zeros_like(F)
    np.cumsum(F[:, :-1], axis=1, out=out[:, 1:])
    return out


def loss2(pmf) -> np.ndarray:
    """Discrete second-order loss ``n2(x) = ½E[(X−x)(X−x−1)^+] = Σ_{j > x} n(j)`` [units²].

    Reference: Zipkin (2000) eq. 6.2.7.  Used for uniform inventory positions:
    ``Σ_{y=s+1}^{s+Q} n(y) = n2(s) − n2(s+Q)``.
    """
    n1 = loss1(pmf)
    rev = np.cumsum(n1[:, ::-1], axis=1)[:, ::-1]  # Σ_{j >= x}
    out = np.zeros_like(n1)
    out[:, :-1] = rev[:, 1:]
    return out


def take_at(values, x, below=None, above=None) -> np.ndarray:
    """Gather ``values[i, x[i, ...]]`` with explicit values outside ``0..K-1``.

    ``x`` is an integer array with as many rows as ``values`` (or broadcastable as ``(n, 1)``).
    Where ``x < 0`` the result is ``below`` (array broadcastable to ``x`` or a scalar), where
    ``x > K-1`` it is ``above``; by default they are the first and last column.
    """
    values = np.asarray(values)
    x = np.asarray(x)
    squeeze = x.ndim == 1
    if squeeze:
        x = x[:, None]
        below = None if below is None else _col(below)
        above = None if above is None else _col(above)
    K = values.shape[1]
    xi = np.clip(x, 0, K - 1).astype(np.intp)
    out = np.take_along_axis(values, np.broadcast_to(xi, (values.shape[0],) + xi.shape[1:]),
                             axis=1)
    if below is not None:
        out = np.where(x < 0, below, out)
    if above is not None:
        out = np.where(x > K - 1, above, out)
    return out[:, 0] if squeeze else out


def _col(v):
    v = np.asarray(v)
    return v[:, None] if v.ndim == 1 else v


def cdf_at(pmf, x) -> np.ndarray:
    """``P(X_i <= x_i)`` for integer ``x`` of any value (0 below the support, 1 above)."""
    return take_at(cdf(pmf), x, below=0.0, above=1.0)


def loss1_at(pmf, x) -> np.ndarray:
    """``E[(X_i - x_i)^+]`` for integer ``x`` of any value (``E[X] - x`` for ``x < 0``)."""
    pmf = _check_pmf(pmf)
    x = np.asarray(x)
    m = pmf_mean(pmf)
    m = m if x.ndim == 1 else m[:, None]
    return take_at(loss1(pmf), x, below=m - x, above=0.0)


def convolve_rows(a, b, kmax: int | None = None) -> np.ndarray:
    """Row-wise convolution: the pmf of ``X_i + Y_i`` for independent rows of ``a`` and ``b``.

    Exact (FFT with rounding noise ~1e-16 clipped at 0).  The result has support
    ``0..Ka+Kb-2``, or ``0..kmax`` with the tail added to the last column.
    """
    a = _check_pmf(a)
    b = _check_pmf(b)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must have the same number of rows, received {a.shape[0]} "
                         f"and {b.shape[0]}")
    size = a.shape[1] + b.shape[1] - 1
    nfft = 1 << int(np.ceil(np.log2(size)))
    out = np.fft.irfft(np.fft.rfft(a, nfft, axis=1) * np.fft.rfft(b, nfft, axis=1), nfft,
                       axis=1)[:, :size]
    np.clip(out, 0.0, None, out=out)
    out[out < 1e-300] = 0.0
    if kmax is not None and kmax + 1 < size:
        tail = out[:, kmax + 1:].sum(axis=1)
        out = out[:, : kmax + 1].copy()
        out[:, -1] += tail
    return out


# --------------------------------------------------------------------------- continuous closed forms
def standard_normal_loss(z):
    """Standard normal loss ``L(z) = φ(z) − z(1 − Φ(z))`` and complement ``L̄(z) = z + L(z)``.

    Reference: Snyder & Shen (2019) eqs. C.22-C.23 (ORACLES O-14).  Returns ``(L, L̄)``.
    """
    z = np.asarray(z, dtype=float)
    L = stats.norm.pdf(z) - z * special.ndtr(-z)
    return L, z + L


def standard_normal_loss2(z):
    """Standard normal second-order loss ``L2(z) = ½[(z²+1)(1−Φ(z)) − zφ(z)]`` [-].

    Reference: Snyder & Shen (2019) eq. C.31.  ``L2(z) = ∫_z^∞ L(t) dt``.
    """
    z = np.asarray(z, dtype=float)
    return 0.5 * ((z * z + 1.0) * special.ndtr(-z) - z * stats.norm.pdf(z))


def _normal_z(x, mean, sd):
    sd = np.asarray(sd, dtype=float)
    if np.any(~(sd > 0)):
        raise ValueError(f"sd must be > 0, received {sd!r}; valid range (0, inf)")
    return (np.asarray(x, dtype=float) - mean) / sd


def normal_loss1(x, mean, sd):
    """``n(x) = E[(X − x)^+] = σ L((x − μ)/σ)`` for X ~ N(μ, σ²) [units] (S&S eq. C.24)."""
    return np.asarray(sd, dtype=float) * standard_normal_loss(_normal_z(x, mean, sd))[0]


def normal_loss1_complement(x, mean, sd):
    """``n̄(x) = E[(x − X)^+] = σ L̄((x − μ)/σ)`` for X ~ N(μ, σ²) [units] (S&S eq. C.25)."""
    return np.asarray(sd, dtype=float) * standard_normal_loss(_normal_z(x, mean, sd))[1]


def normal_loss2(x, mean, sd):
    """``n2(x) = ½E[((X − x)^+)²] = σ² L2((x − μ)/σ)`` for X ~ N(μ, σ²) [units²] (S&S C.31)."""
    sd = np.asarray(sd, dtype=float)
    return sd * sd * standard_normal_loss2(_normal_z(x, mean, sd))


def gamma_loss1(x, mean, var):
    """``n(x) = E[(X − x)^+]`` for X ~ Gamma(mean, var) [units].

    With shape ``a`` and scale ``θ``: ``E[X 1{X > x}] = aθ (1 − F_{a+1}(x))`` so
    ``n(x) = aθ (1 − F_{a+1}(x)) − x (1 − F_a(x))`` (e.g. Tijms 2003, §A / Zipkin 2000 §C.2);
    ``n(x) = μ − x`` for ``x <= 0``.
    """
    x = np.asarray(x, dtype=float)
    mean = np.asarray(mean, dtype=float)
    var = np.asarray(var, dtype=float)
    if np.any(~(mean > 0)) or np.any(~(var > 0)):
        raise ValueError(f"mean and var must be > 0 for the gamma loss, received mean={mean!r}, "
                         f"var={var!r}; valid range (0, inf)")
    a, th = gamma_params(mean, var)
    xp = np.maximum(x, 0.0)
    val = a * th * special.gammaincc(a + 1.0, xp / th) - xp * special.gammaincc(a, xp / th)
    return np.where(x <= 0, mean - x, val)


def gamma_loss2(x, mean, var):
    """Second-order loss ``n2(x) = ½E[((X − x)^+)²]`` for X ~ Gamma(mean, var) [units²].

    With ``E[X^k 1{X > x}] = θ^k Γ(a+k)/Γ(a) · Q(a+k, x/θ)`` (Q the regularised upper incomplete
    gamma): ``n2 = ½[a(a+1)θ² Q(a+2) − 2x aθ Q(a+1) + x² Q(a)]``; for ``x <= 0``
    ``½E[(X − x)²] = ½[var + (mean − x)²]``.
    """
    x = np.asarray(x, dtype=float)
    mean = np.asarray(mean, dtype=float)
    var = np.asarray(var, dtype=float)
    if np.any(~(mean > 0)) or np.any(~(var > 0)):
        raise ValueError(f"mean and var must be > 0 for the gamma loss, received mean={mean!r}, "
                         f"var={var!r}; valid range (0, inf)")
    a, th = gamma_params(mean, var)
    xp = np.maximum(x, 0.0)
    z = xp / th
    val = 0.5 * (a * (a + 1.0) * th * th * special.gammaincc(a + 2.0, z)
                 - 2.0 * xp * a * th * special.gammaincc(a + 1.0, z)
                 + xp * xp * special.gammaincc(a, z))
    return np.where(x <= 0, 0.5 * (var + (mean - x) ** 2), val)


def poisson_loss1(x, mean):
    """``n(x) = E[(X − x)^+] = μ P(X >= x) − x P(X > x)`` for X ~ Poisson(μ) [units].

    Closed form from ``Σ_{j>x} j p_j = μ P(X >= x)`` (Zipkin 2000, §C.2.2); ``μ − x`` for x < 0.
    """
    x = np.asarray(x, dtype=float)
    mean = np.asarray(mean, dtype=float)
    xs = np.maximum(x, 0.0)
    val = mean * special.pdtrc(xs - 1.0, mean) - xs * special.pdtrc(xs, mean)
    val = np.where(xs == 0, mean, val)
    return np.where(x < 0, mean - x, val)
