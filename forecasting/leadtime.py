"""Lead-time demand (LTD) distributions: what the stock-policy optimiser needs.

For every series, the distribution of the demand X over the protection
interval tau = L + R periods (lead time L, possibly random, plus review
period R), vectorised across series.  Three ways to get it:

1. **Fitted two-moment families** (:func:`lead_time_demand`, :func:`fit_ltd`):
   mean and variance from the forecast and the in-sample one-step errors,
   then Poisson (variance <= mean) or negative binomial (variance > mean).
2. **Compound distributions** (:func:`compound_bernoulli_ltd`,
   :func:`compound_poisson_ltd`): demand occurrences (Bernoulli per period, or
   a Poisson process) times an order-size distribution (geometric,
   logarithmic or empirical), summed exactly over tau periods by FFT
   convolution or, for compound Poisson, by Panjer's recursion.
3. **The empirical bootstrap** of Willemain, Smart & Schwarz (2004): see
   :mod:`forecasting.bootstrap`, which returns the same :class:`DiscreteLTD`.

Every result gives ``family``, ``mean``, ``var`` and its parameters per
series, and ``.pmf(tail=1e-6)`` returns a :class:`DiscreteLTD` - a pmf array
of shape (series, K) on 0..K-1 units with one common K, large enough that
every row's mass beyond K is at most ``tail`` (the ``tail_mass`` per row is
returned and checked).

Units: demand in units, time in periods (the forecast's period: week, month),
so the per-period forecast d is [units/period], tau [periods], the LTD [units].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "one_step_error_variance",
    "lead_time_moments",
    "fit_ltd",
    "lead_time_demand",
    "DiscreteLTD",
    "ParametricLTD",
    "CompoundLTD",
    "geometric_size_pmf",
    "logarithmic_size_pmf",
    "empirical_size_pmf",
    "compound_bernoulli_ltd",
    "compound_poisson_ltd",
    "compound_from_history",
    "lead_time_demand_from_fit",
]

#: variance <= mean * (1 + POISSON_RTOL) is treated as "equal to the mean"
POISSON_RTOL = 1e-9
_MAX_FFT = 1 << 22  # longest FFT per row (4M points) before we refuse


# ---------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------
def _vec(name: str, a) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array (one value per series); received shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        idx = np.flatnonzero(np.atleast_1d(~np.isfinite(arr)))[:5].tolist()
        raise ValueError(f"{name} must be finite; received non-finite values at series {idx}")
    if np.any(arr < 0):
        idx = np.flatnonzero(np.atleast_1d(arr < 0))[:5].tolist()
        raise ValueError(f"{name} must be >= 0; received negative values at series {idx}")
    return arr


def _broadcast(**arrays):
    names = list(arrays)
    try:
        out = np.broadcast_arrays(*[np.atleast_1d(arrays[n]) for n in names])
    except ValueError:
        shapes = {n: np.shape(arrays[n]) for n in names}
        raise ValueError(f"per-series inputs must have one common length (or be scalars); received shapes {shapes}") from None
    return [np.array(o, dtype=float) for o in out]


def _check_tail(tail) -> float:
    if not (isinstance(tail, (float, int, np.floating)) and 0.0 < float(tail) < 0.5):
        raise ValueError(f"tail must be a probability in (0, 0.5); received {tail!r}")
    return float(tail)


# ---------------------------------------------------------------------------
# moments
# ---------------------------------------------------------------------------
def one_step_error_variance(y, fitted, *, min_errors: int = 2, after_first_demand: bool = False) -> np.ndarray:
    """Per-period demand variance sigma_1^2 from in-sample one-step errors.

    sigma_1^2 = (1/m) * sum_t (y_t - fitted_t)^2   [units^2 / period]

    over the m periods t where ``fitted`` is defined (finite): the mean
    squared one-step-ahead error over the fitted part of the series (no
    degrees-of-freedom correction; the smoothing parameters are few and
    usually fixed).  ``fitted[t]`` must be the forecast of ``y[t]`` made with
    data up to t-1 (as the methods' ``fitted`` arrays are; NaN where the
    method has no forecast yet, e.g. before the first demand).

    Fallback: a series with fewer than ``min_errors`` defined errors gets the
    population variance (ddof = 0) of its whole history ``y`` instead, and
    an all-zero history gets 0.

    Parameters
    ----------
    y, fitted : array (series x periods) or 1-D (one series)
    min_errors : int >= 1
    after_first_demand : bool
        Count only the periods after the first non-zero demand.  Croston-type
        methods forecast 0 until the first demand, so the leading zeros give
        zero errors and the first demand its full size; this option leaves
        that start-up out.
    """
    yy = np.asarray(y, dtype=float)
    ff = np.asarray(fitted, dtype=float)
    if yy.ndim not in (1, 2) or yy.shape != ff.shape:
        raise ValueError(f"y and fitted must be 1-D or 2-D arrays of the same shape; received {yy.shape} and {ff.shape}")
    if yy.shape[-1] == 0:
        raise ValueError("y has no periods; need at least 1")
    if not np.all(np.isfinite(yy)):
        bad = np.argwhere(~np.isfinite(np.atleast_2d(yy)))[0]
        raise ValueError(f"y must be finite (fill missing periods before fitting); received "
                         f"{np.atleast_2d(yy)[bad[0], bad[1]]} in series index {bad[0]} at period "
                         f"{bad[1]}")
    if isinstance(min_errors, bool) or not isinstance(min_errors, (int, np.integer)) or min_errors < 1:
        raise ValueError(f"min_errors must be an integer >= 1; received {min_errors!r}")
    ok = np.isfinite(ff)
    if after_first_demand:
        pos = yy > 0
        first = np.where(pos.any(axis=-1), np.argmax(pos, axis=-1), yy.shape[-1])
        ok &= np.arange(yy.shape[-1]) > first[..., None]
    e = np.where(ok, yy - np.where(ok, ff, 0.0), 0.0)
    m = ok.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mse = np.sum(e * e, axis=-1) / m
    return np.where(m >= min_errors, mse, np.var(yy, axis=-1))


def lead_time_moments(demand_mean, error_var, lead_time_mean, lead_time_sd=0.0, review_period=0.0):
    """Mean and variance of demand over tau = L + R periods, L random.

    mean = d * tau                                  [units]
    var  = tau * sigma_1^2 + d^2 * sigma_L^2        [units^2]
    tau  = mu_L + R                                 [periods]

    with d the per-period forecast [units/period], sigma_1^2 the per-period
    demand (forecast-error) variance [units^2/period], mu_L and sigma_L the
    lead time's mean and standard deviation [periods], R the review period
    [periods].  This is the variance of a random sum of i.i.d. per-period
    demands over a random number of periods (law of total variance); it is
    the random-lead-time formula sigma_X^2 = E(L) sigma_D^2 + [E(D)]^2 sigma_L^2
    of Silver, Pyke & Thomas (2017), *Inventory and Production Management in
    Supply Chains*, 4th ed., CRC Press (safety stocks under a random
    replenishment lead time; the equation number of that edition was not
    checked), with the review period added to the protection interval (only
    the lead time is random).  Tested against the exact pmf of a Poisson
    random sum over a discrete random lead time.

    Scaling of the one-step error variance to tau is **linear in tau**: it
    assumes forecast errors independent from period to period and ignores the
    estimation error of d itself (which is perfectly correlated across the
    tau periods); fractional tau is allowed.
    """
    d = _vec("demand_mean", demand_mean)
    s2 = _vec("error_var", error_var)
    mu_l = _vec("lead_time_mean", lead_time_mean)
    sd_l = _vec("lead_time_sd", lead_time_sd)
    rev = _vec("review_period", review_period)
    d, s2, mu_l, sd_l, rev = _broadcast(demand_mean=d, error_var=s2, lead_time_mean=mu_l,
                                        lead_time_sd=sd_l, review_period=rev)
    tau = mu_l + rev
    return d * tau, tau * s2 + d * d * sd_l * sd_l


# ---------------------------------------------------------------------------
# discrete result
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DiscreteLTD:
    """A lead-time demand distribution as a pmf array.

    Attributes
    ----------
    pmf : ndarray (series, K)
        pmf[i, k] = P(X_i = k), k = 0..K-1 [units].
    tail_mass : ndarray (series,)
        P(X_i >= K), the mass not in the array (<= the requested tail).
    """

    pmf: np.ndarray
    tail_mass: np.ndarray

    family = "discrete"

    @property
    def support(self) -> np.ndarray:
        return np.arange(self.pmf.shape[1], dtype=float)

    @property
    def mean(self) -> np.ndarray:
        """Mean of the truncated pmf (excludes the tail mass) [units]."""
        return self.pmf @ self.support

    @property
    def var(self) -> np.ndarray:
        """Variance of the truncated pmf, sum_k p_k (k - mean)^2 over 0..K-1 [units^2].

        The tail mass is excluded (no renormalisation), so with a tail of 1e-6
        the value is slightly below the distribution's variance.
        """
        k = self.support
        m = self.pmf @ k
        d = k[None, :] - m[:, None]
        return np.sum(self.pmf * d * d, axis=1)

    def cdf(self) -> np.ndarray:
        """P(X <= k) for k = 0..K-1, shape (series, K)."""
        return np.cumsum(self.pmf, axis=1)

    def quantile(self, q) -> np.ndarray:
        """Smallest k with P(X <= k) >= q, per series; NaN where q is beyond the array."""
        qq = np.asarray(q, dtype=float)
        if np.any((qq <= 0) | (qq >= 1)) or not np.all(np.isfinite(qq)):
            raise ValueError(f"q must be in (0, 1); received {q!r}")
        c = self.cdf()
        hit = c >= np.broadcast_to(qq, c.shape[:1])[:, None] - 1e-12
        k = np.argmax(hit, axis=1).astype(float)
        return np.where(hit.any(axis=1), k, np.nan)

    def loss(self) -> np.ndarray:
        """First-order loss n(x) = E[(X - x)^+] for x = 0..K-1, shape (series, K) [units].

        n(x) = sum_{k > x} (k - x) p_k, computed from reverse cumulative sums;
        the mass beyond K (tail_mass) is not included.
        """
        p = self.pmf
        k = self.support
        g0 = np.cumsum(p[:, ::-1], axis=1)[:, ::-1]  # P(X >= x)
        g1 = np.cumsum((p * k)[:, ::-1], axis=1)[:, ::-1]  # E[X; X >= x]
        # n(x) = E[X; X > x] - x P(X > x) = (g1 - x p_x) - x (g0 - p_x) = g1 - x g0
        return g1 - k * g0


def _trim(pmf: np.ndarray, tail: float):
    """Cut a (series, N) pmf to the common K holding >= 1 - tail in every row."""
    c = np.cumsum(pmf, axis=1)
    reached = c >= 1.0 - tail
    if not np.all(reached.any(axis=1)):
        raise ValueError("internal: pmf array too short for the requested tail")
    k = int(np.max(np.argmax(reached, axis=1))) + 1
    out = pmf[:, :k]
    tail_mass = np.clip(1.0 - out.sum(axis=1), 0.0, None)
    return DiscreteLTD(out, tail_mass)


# ---------------------------------------------------------------------------
# two-moment families: Poisson / negative binomial
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ParametricLTD:
    """Poisson or negative-binomial lead-time demand, per series.

    Attributes
    ----------
    family : ndarray of str  ("poisson" or "nbinom")
    mean, var : ndarray - the distribution's mean and variance [units, units^2]
    target_var : ndarray - the variance that was asked for (differs from
        ``var`` where a Poisson replaced an under-dispersed target)
    r, p : ndarray - negative-binomial parameters in scipy's convention
        (``scipy.stats.nbinom(r, p)``, counting failures), NaN for Poisson rows
    """

    family: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    target_var: np.ndarray
    r: np.ndarray
    p: np.ndarray

    def _is_nb(self):
        return self.family == "nbinom"

    def to_frame(self, index=None):
        """One row per series: family, mean, var, target_var, r, p (a pandas DataFrame)."""
        import pandas as pd

        return pd.DataFrame({"family": self.family, "mean": self.mean, "var": self.var,
                             "target_var": self.target_var, "r": self.r, "p": self.p}, index=index)

    def cdf_at(self, x) -> np.ndarray:
        """P(X <= x) per series at x (array broadcast against the series)."""
        x = np.asarray(x, dtype=float)
        nb = self._is_nb()
        rr = np.where(nb, self.r, 1.0)
        pp = np.where(nb, self.p, 0.5)
        return np.where(nb, stats.nbinom.cdf(x, rr, pp), stats.poisson.cdf(x, self.mean))

    def quantile(self, q) -> np.ndarray:
        """Smallest integer k with P(X <= k) >= q, per series."""
        qq = np.asarray(q, dtype=float)
        if np.any((qq <= 0) | (qq >= 1)) or not np.all(np.isfinite(qq)):
            raise ValueError(f"q must be in (0, 1); received {q!r}")
        nb = self._is_nb()
        rr = np.where(nb, self.r, 1.0)
        pp = np.where(nb, self.p, 0.5)
        return np.where(nb, stats.nbinom.ppf(qq, rr, pp), stats.poisson.ppf(qq, self.mean))

    def pmf(self, tail: float = 1e-6, max_k: int | None = None) -> DiscreteLTD:
        """The pmf on 0..K-1 with a common K = max_i quantile_i(1 - tail) + 1.

        Computed column by column in log space with the ratio recursions
        (vectorised over series, loop over k):
        Poisson  log f(k+1) = log f(k) + log(mu / (k+1)),        log f(0) = -mu;
        NB       log f(k+1) = log f(k) + log((k+r)/(k+1)) + log(1-p), log f(0) = r log p.
        The array starts at max(mean + 12 sd) + 16 columns and doubles until every
        row holds 1 - tail.  Raises ValueError if K would exceed ``max_k``.
        """
        tail = _check_tail(tail)
        n = self.mean.size
        if n == 0:
            return DiscreteLTD(np.zeros((0, 1)), np.zeros(0))
        k_len = int(np.ceil(np.max(self.mean + 12.0 * np.sqrt(self.var)))) + 16
        while True:
            if max_k is not None and k_len > 2 * max_k + 32:
                raise ValueError(f"the common pmf length K exceeds max_k = {max_k}; "
                                 "raise max_k or split the series into groups of similar size")
            pmf = self._pmf_columns(k_len)
            reached = np.cumsum(pmf, axis=1)[:, -1] >= 1.0 - tail
            if np.all(reached):
                break
            k_len *= 2
        res = _trim(pmf, tail)
        if max_k is not None and res.pmf.shape[1] > max_k:
            raise ValueError(f"the common pmf length K = {res.pmf.shape[1]} exceeds max_k = {max_k}; "
                             "raise max_k or split the series into groups of similar size")
        return res

    def _pmf_columns(self, k_len: int) -> np.ndarray:
        nb = self._is_nb()
        mu = self.mean
        r = np.where(nb, self.r, 1.0)
        p = np.where(nb, self.p, 0.5)
        pos = mu > 0
        with np.errstate(divide="ignore"):
            log_mu = np.log(np.where(pos, mu, 1.0))
            log_q = np.log1p(-p)
            cur = np.where(nb, r * np.log(p), -mu)
        out = np.empty((mu.size, k_len))
        out[:, 0] = np.exp(cur)
        for k in range(k_len - 1):  # loop over support points, whole-array steps
            step = np.where(nb, np.log((k + r) / (k + 1.0)) + log_q, log_mu - np.log(k + 1.0))
            cur = cur + step
            out[:, k + 1] = np.exp(cur)
        out[~pos, 1:] = 0.0
        out[~pos, 0] = 1.0
        return out


def fit_ltd(mean, var, *, family: str = "auto") -> ParametricLTD:
    """Fit a count distribution to a lead-time demand mean and variance.

    * ``"auto"``: negative binomial where var > mean (over-dispersed, the
      usual case for spare parts), Poisson otherwise.
    * Negative binomial by moments (scipy convention, counting failures):
      r = mu^2 / (sigma^2 - mu),  p = mu / sigma^2,
      so that mean = r(1-p)/p = mu and var = r(1-p)/p^2 = sigma^2
      (the two-moment fit of e.g. Axsater 2015, *Inventory Control*, 3rd ed.,
      Springer; ORACLES.md O-14 uses exactly this parameterisation and its
      loss values are reproduced in the tests).
    * Poisson(mu) where var <= mean.  **Fallback for var < mean**: no member of
      these families is under-dispersed; such a target usually comes from a
      short history's noisy error variance, so the Poisson - variance = mean,
      larger than the target - is used, which errs on the side of more stock.
      ``target_var`` keeps the requested variance.  Mean 0 gives the point
      mass at 0 (Poisson(0)) even when a positive variance was asked for.
    * ``"poisson"``: Poisson everywhere (the variance is ignored).
    * ``"nbinom"``: negative binomial everywhere; a series with var <= mean
      (or mean 0) raises ValueError (use "auto").
    """
    mu = _vec("mean", mean)
    s2 = _vec("var", var)
    mu, s2 = _broadcast(mean=mu, var=s2)
    if family not in ("auto", "poisson", "nbinom"):
        raise ValueError(f"family must be 'auto', 'poisson' or 'nbinom'; received {family!r}")
    over = s2 > mu * (1.0 + POISSON_RTOL)
    if family == "nbinom" and not np.all(over & (mu > 0)):
        idx = np.flatnonzero(~(over & (mu > 0)))[:5].tolist()
        raise ValueError(f"family='nbinom' needs var > mean in every series; series {idx} have var <= mean "
                         "(use family='auto' for the Poisson fallback)")
    # a count variable with mean 0 is the point mass at 0, whatever variance was asked for
    nb = (over & (mu > 0)) if family != "poisson" else np.zeros_like(over)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(nb, mu * mu / np.where(nb, s2 - mu, 1.0), np.nan)
        p = np.where(nb, mu / np.where(nb, s2, 1.0), np.nan)
    fam = np.where(nb, "nbinom", "poisson")
    return ParametricLTD(family=fam, mean=mu, var=np.where(nb, s2, mu), target_var=s2, r=r, p=p)


def lead_time_demand(demand_mean, error_var, lead_time_mean, lead_time_sd=0.0, review_period=0.0,
                     *, family: str = "auto") -> ParametricLTD:
    """Lead-time demand distribution from a forecast and its error variance.

    :func:`lead_time_moments` (mean d*tau, variance tau*sigma_1^2 + d^2*sigma_L^2)
    followed by :func:`fit_ltd`.  ``error_var`` is sigma_1^2, normally from
    :func:`one_step_error_variance`.  All arguments are scalars or one value
    per series.
    """
    m, v = lead_time_moments(demand_mean, error_var, lead_time_mean, lead_time_sd, review_period)
    return fit_ltd(m, v, family=family)


def lead_time_demand_from_fit(y, fitted, level, lead_time_mean, lead_time_sd=0.0, review_period=0.0,
                              *, family: str = "auto", min_errors: int = 2,
                              after_first_demand: bool = False) -> ParametricLTD:
    """Lead-time demand from a fitted forecasting method, in one call.

    ``y`` (series x periods) the history, ``fitted`` its in-sample one-step
    forecasts (e.g. ``forecasting.fit(y, "sba").fitted``), ``level`` the
    per-period forecast d for the future [units/period] (``.level``).  The
    per-period variance is :func:`one_step_error_variance` (MSE of the
    one-step errors, see there for the options), then :func:`lead_time_demand`.
    """
    s2 = one_step_error_variance(y, fitted, min_errors=min_errors, after_first_demand=after_first_demand)
    return lead_time_demand(np.maximum(np.asarray(level, dtype=float), 0.0), s2, lead_time_mean,
                            lead_time_sd, review_period, family=family)


# ---------------------------------------------------------------------------
# order-size distributions (pmf arrays on 0..J-1, size 0 has probability 0)
# ---------------------------------------------------------------------------
def _size_len(q_tail_max: float) -> int:
    return int(max(2, np.ceil(q_tail_max) + 2))


def geometric_size_pmf(mean_size, *, tail: float = 1e-12) -> np.ndarray:
    """Shifted geometric order sizes on 1, 2, ...: P(s) = (1-q) q^(s-1), q = 1 - 1/m.

    m = ``mean_size`` >= 1 [units per demand occurrence] (m = 1: every order is
    one unit).  Variance m(m-1).  The array is cut at a common length with at
    most ``tail`` mass beyond it in every row and renormalised to sum to 1.
    Returns shape (series, J).
    """
    m = np.atleast_1d(_vec("mean_size", mean_size))
    if np.any(m < 1):
        raise ValueError(f"mean_size must be >= 1 for sizes on 1, 2, ...; received min {m.min()}")
    tail = _check_tail(tail)
    q = 1.0 - 1.0 / m
    # P(S > s) = q^s <= tail  ->  s >= log(tail)/log(q)
    with np.errstate(divide="ignore"):
        smax = np.where(q > 0, np.log(tail) / np.log(np.where(q > 0, q, 0.5)), 1.0)
    j = _size_len(np.max(smax))
    s = np.arange(j, dtype=float)[None, :]
    g = np.where(s >= 1, (1 - q[:, None]) * q[:, None] ** np.maximum(s - 1, 0), 0.0)
    return g / g.sum(axis=1, keepdims=True)


def _log_series_mean(theta):
    return -theta / ((1.0 - theta) * np.log1p(-theta))


def logarithmic_size_pmf(mean_size, *, tail: float = 1e-12) -> np.ndarray:
    """Logarithmic-series order sizes: P(s) = -theta^s / (s ln(1 - theta)), s >= 1.

    theta in (0, 1) is solved (vectorised bisection) from the mean
    m = -theta / ((1 - theta) ln(1 - theta)); m = 1 gives the point mass at 1.
    Compound Poisson with logarithmic sizes is the negative binomial
    (Quenouille, M.H. 1949, A relation between the logarithmic, Poisson and
    negative binomial series, Biometrics 5:162-164; checked in the tests).
    Cut and renormalised as :func:`geometric_size_pmf`.  Shape (series, J).
    """
    m = np.atleast_1d(_vec("mean_size", mean_size))
    if np.any(m < 1):
        raise ValueError(f"mean_size must be >= 1 for sizes on 1, 2, ...; received min {m.min()}")
    tail = _check_tail(tail)
    one = m <= 1.0 + 1e-12
    lo = np.zeros_like(m)
    hi = np.ones_like(m)
    for _ in range(200):  # bisection on theta; the mean is increasing in theta
        mid = 0.5 * (lo + hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(mid > 0, _log_series_mean(np.where(mid > 0, mid, 0.5)), 1.0)
        big = f > m
        hi = np.where(big, mid, hi)
        lo = np.where(big, lo, mid)
        if np.all(hi - lo < 1e-15):
            break
    theta = np.where(one, 0.0, 0.5 * (lo + hi))
    # P(S > s) <= theta^(s+1) / ((s+1)(1-theta)(-ln(1-theta)))  < tail
    with np.errstate(divide="ignore", invalid="ignore"):
        c = -np.log1p(-theta)
        smax = np.where(one, 1.0, (np.log(tail) + np.log(np.where(one, 1.0, (1 - theta) * c))) / np.log(np.where(one, 0.5, theta)))
    j = _size_len(np.max(smax))
    s = np.arange(1, j, dtype=float)[None, :]
    g = np.zeros((m.size, j))
    with np.errstate(divide="ignore", invalid="ignore"):
        body = np.exp(s * np.log(np.where(one, 0.5, theta))[:, None] - np.log(s)) / np.where(one, 1.0, c)[:, None]
    g[:, 1:] = np.where(one[:, None], 0.0, body)
    g[one, 1] = 1.0
    return g / g.sum(axis=1, keepdims=True)


def empirical_size_pmf(y) -> np.ndarray:
    """Empirical distribution of each series' non-zero demand sizes.

    g[i, s] = #{t : y[i, t] = s} / #{t : y[i, t] > 0}, s >= 1.  Sizes must be
    non-negative integers; a series without any demand gets the point mass at
    size 1 (harmless: its occurrence probability is 0).  Shape (series, J)
    with J = the largest size + 1.  Vectorised with one bincount.
    """
    yy = np.asarray(y, dtype=float)
    if yy.ndim == 1:
        yy = yy[None, :]
    if yy.ndim != 2:
        raise ValueError(f"y must be 1-D or 2-D (series x periods); received shape {yy.shape}")
    if not np.all(np.isfinite(yy)) or np.any(yy < 0) or np.any(yy != np.round(yy)):
        raise ValueError("y must hold finite non-negative integer demands for an empirical size pmf")
    j = int(yy.max()) + 1 if yy.size else 2
    j = max(j, 2)
    rows = np.repeat(np.arange(yy.shape[0]), yy.shape[1])
    vals = yy.ravel().astype(np.int64)
    pos = vals > 0
    counts = np.bincount(rows[pos] * j + vals[pos], minlength=yy.shape[0] * j).reshape(yy.shape[0], j).astype(float)
    n = counts.sum(axis=1)
    counts[n == 0, 1] = 1.0
    return counts / counts.sum(axis=1, keepdims=True)


def _check_size_pmf(g, n_series: int) -> np.ndarray:
    g = np.asarray(g, dtype=float)
    if g.ndim == 1:
        g = g[None, :]
    if g.ndim != 2 or g.shape[1] < 2:
        raise ValueError(f"size_pmf must be 2-D (series x sizes 0..J-1, J >= 2); received shape {g.shape}")
    if g.shape[0] == 1 and n_series > 1:
        g = np.repeat(g, n_series, axis=0)
    if g.shape[0] != n_series:
        raise ValueError(f"size_pmf has {g.shape[0]} rows but there are {n_series} series")
    if not np.all(np.isfinite(g)) or np.any(g < 0):
        raise ValueError("size_pmf must be finite and non-negative")
    s = g.sum(axis=1)
    if np.any(np.abs(s - 1.0) > 1e-9):
        idx = np.flatnonzero(np.abs(s - 1.0) > 1e-9)[:5].tolist()
        raise ValueError(f"size_pmf rows must sum to 1 (within 1e-9); rows {idx} do not")
    if np.any(g[:, 0] > 0):
        raise ValueError("size_pmf must give size 0 probability 0 (a demand occurrence has a positive size)")
    return g


# ---------------------------------------------------------------------------
# compound distributions
# ---------------------------------------------------------------------------
def _periods_mixture(periods, periods_pmf, n_series: int, integer: bool):
    """Return (values, weights), each (series, M): the distribution of the number of periods."""
    if (periods is None) == (periods_pmf is None):
        raise ValueError("give exactly one of periods (tau per series) or periods_pmf (series x M)")
    if periods_pmf is not None:
        w = np.asarray(periods_pmf, dtype=float)
        if w.ndim == 1:
            w = w[None, :]
        if w.ndim != 2 or w.shape[0] not in (1, n_series):
            raise ValueError(f"periods_pmf must be (series x M) with {n_series} rows; received shape {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or np.any(np.abs(w.sum(axis=1) - 1) > 1e-9):
            raise ValueError("periods_pmf rows must be non-negative and sum to 1 (P(tau = m), m = 0..M-1)")
        w = np.broadcast_to(w, (n_series, w.shape[1]))
        v = np.broadcast_to(np.arange(w.shape[1], dtype=float), w.shape)
        return np.array(v), np.array(w)
    tau = np.atleast_1d(_vec("periods", periods))
    tau = np.broadcast_to(tau, (n_series,)) if tau.size == 1 else tau
    if tau.shape != (n_series,):
        raise ValueError(f"periods must be a scalar or one value per series ({n_series}); received shape {tau.shape}")
    if not integer:
        return tau[:, None].astype(float), np.ones((n_series, 1))
    lo = np.floor(tau)
    frac = tau - lo
    return np.stack([lo, lo + 1], axis=1), np.stack([1 - frac, frac], axis=1)


@dataclass(frozen=True)
class CompoundLTD:
    """Compound lead-time demand: occurrences x order sizes, summed over tau periods.

    Attributes
    ----------
    family : str - "compound_bernoulli" or "compound_poisson"
    occurrence : ndarray (series,) - Bernoulli probability of a demand per
        period, or Poisson rate of demand occurrences per period
    size_pmf : ndarray (series, J) - order-size pmf on 0..J-1 (size 0 has mass 0)
    periods, periods_weight : ndarray (series, M) - the number of periods tau
        and its probabilities (a single value with weight 1 for a fixed tau; a
        fractional tau under Bernoulli occurrences is the two-point mixture of
        floor(tau) and floor(tau)+1 periods with weights giving mean tau)
    """

    family: str
    occurrence: np.ndarray
    size_pmf: np.ndarray
    periods: np.ndarray
    periods_weight: np.ndarray

    def _size_moments(self):
        s = np.arange(self.size_pmf.shape[1], dtype=float)
        return self.size_pmf @ s, self.size_pmf @ (s * s)

    def _period_moments(self):
        """Mean and variance of the demand per period [units, units^2]."""
        m1, m2 = self._size_moments()
        p = self.occurrence
        if self.family == "compound_bernoulli":
            return p * m1, p * m2 - (p * m1) ** 2
        return p * m1, p * m2

    @property
    def mean(self) -> np.ndarray:
        """E[X] = E[tau] * mu_1  [units]."""
        mu1, _ = self._period_moments()
        et = np.sum(self.periods * self.periods_weight, axis=1)
        return et * mu1

    @property
    def var(self) -> np.ndarray:
        """Var[X] = E[tau] sigma_1^2 + Var[tau] mu_1^2 (random-sum variance) [units^2]."""
        mu1, v1 = self._period_moments()
        et = np.sum(self.periods * self.periods_weight, axis=1)
        vt = np.sum(self.periods ** 2 * self.periods_weight, axis=1) - et * et
        return et * v1 + np.maximum(vt, 0.0) * mu1 * mu1

    def pmf(self, tail: float = 1e-6, method: str = "fft", max_k: int | None = None) -> DiscreteLTD:
        """Exact pmf of the compound sum on 0..K-1, common K (see module doc).

        method "fft": the per-period characteristic function raised to the
        number of periods, mixed over the periods' distribution, inverted by
        one real FFT per row block.  The FFT length starts at twice
        max(mean + 10 sd) + J and doubles until every row reaches 1 - tail in
        the lower half of the array, so the wrap-around (aliasing) error - the
        mass beyond the FFT length - is negligible; absolute accuracy is that
        of double-precision FFT, about 1e-15 per cell.
        method "panjer" (compound Poisson only): Panjer's (1981) recursion.
        """
        tail = _check_tail(tail)
        if method == "fft":
            res = _compound_fft(self, tail)
        elif method == "panjer":
            if self.family != "compound_poisson":
                raise ValueError("method='panjer' is implemented for compound_poisson; use method='fft'")
            res = _panjer_poisson(self, tail, max_k)
        else:
            raise ValueError(f"method must be 'fft' or 'panjer'; received {method!r}")
        if max_k is not None and res.pmf.shape[1] > max_k:
            raise ValueError(f"the common pmf length K = {res.pmf.shape[1]} exceeds max_k = {max_k}")
        return res


def _char_power(cdist: CompoundLTD, n_fft: int, rows: slice) -> np.ndarray:
    """Mixture over tau of the characteristic function of the tau-period sum, (rows, n_fft//2+1)."""
    g = cdist.size_pmf[rows]
    ghat = np.fft.rfft(g, n=n_fft, axis=1)
    p = cdist.occurrence[rows, None]
    out = np.zeros_like(ghat)
    for j in range(cdist.periods.shape[1]):  # loop over the (few) mixture components
        n = cdist.periods[rows, j][:, None]
        w = cdist.periods_weight[rows, j][:, None]
        if cdist.family == "compound_bernoulli":
            base = 1.0 - p + p * ghat
            # integer powers: exp(n log z) equals z**n for integer n on any branch
            term = np.where(n > 0, np.power(base, n), 1.0 + 0j)
        else:
            term = np.exp(n * p * (ghat - 1.0))
        out += w * term
    return out


def _compound_fft(cdist: CompoundLTD, tail: float) -> DiscreteLTD:
    n_series = cdist.occurrence.size
    mean, var = cdist.mean, cdist.var
    j = cdist.size_pmf.shape[1]
    start = float(np.max(mean + 10.0 * np.sqrt(var))) if n_series else 1.0
    n_fft = 1 << int(np.ceil(np.log2(max(16.0, 2.0 * (start + j)))))
    while True:
        if n_fft > _MAX_FFT:
            raise ValueError(f"compound pmf needs an FFT longer than {_MAX_FFT} points; the lead-time "
                             "demand is too large for an exact pmf - use the fitted families instead")
        # row blocks bound the memory to ~2^23 complex numbers at a time
        block = max(1, (1 << 23) // n_fft)
        pmf = np.empty((n_series, n_fft))
        for b in range(0, n_series, block):
            rows = slice(b, min(n_series, b + block))
            pmf[rows] = np.fft.irfft(_char_power(cdist, n_fft, rows), n=n_fft, axis=1)
        np.clip(pmf, 0.0, None, out=pmf)
        # every row must reach 1 - tail in the lower half: the mass beyond n_fft, which
        # wraps around onto small values, is then far below tail (light compound tails)
        reached = np.cumsum(pmf[:, : n_fft // 2], axis=1)[:, -1] >= 1.0 - tail
        if np.all(reached):
            break
        n_fft *= 2
    return _trim(pmf, tail)


def _panjer_poisson(cdist: CompoundLTD, tail: float, max_k: int | None) -> DiscreteLTD:
    """Panjer (1981) recursion for compound Poisson, vectorised over series x mixture components.

    For N ~ Poisson(lam) and sizes with pmf g (g_0 = 0):
    f(0) = exp(-lam),  f(x) = (lam / x) * sum_{j=1..min(x, J-1)} j g_j f(x - j).
    Panjer, H.H. (1981). Recursive evaluation of a family of compound
    distributions. ASTIN Bulletin 12(1):22-26 (class (a, b, 0) with a = 0, b = lam).
    """
    n_series, m = cdist.periods.shape
    lam = (cdist.occurrence[:, None] * cdist.periods).ravel()  # (series*M,)
    w = cdist.periods_weight.ravel()
    g = np.repeat(cdist.size_pmf, m, axis=0)
    jj = np.arange(g.shape[1], dtype=float)
    jg = g * jj  # j * g_j
    if np.any((np.exp(-lam) == 0) & (w > 0)):
        raise ValueError("Panjer recursion underflows (occurrence rate x periods > ~745); use method='fft'")
    cols = [np.exp(-lam)]
    cum = (w * cols[0]).reshape(n_series, m).sum(axis=1)
    x = 0
    limit = max_k if max_k is not None else 10_000_000
    jmax = g.shape[1] - 1
    while np.any(cum < 1.0 - tail):
        x += 1
        if x >= limit:
            raise ValueError(f"Panjer recursion reached max_k = {limit} before the tail {tail}")
        # f(x) = lam/x * sum_{j} j g_j f(x-j), j = 1..min(x, jmax)
        prev = np.stack(cols[x - min(x, jmax):x][::-1], axis=1)  # f(x-1), ..., f(x-min)
        fx = lam / x * np.einsum("ij,ij->i", jg[:, 1:1 + prev.shape[1]], prev)
        cols.append(fx)
        cum = cum + (w * fx).reshape(n_series, m).sum(axis=1)
    f = np.stack(cols, axis=1)  # (series*M, K)
    pmf = (f * w[:, None]).reshape(n_series, m, -1).sum(axis=1)
    return DiscreteLTD(pmf, np.clip(1.0 - pmf.sum(axis=1), 0.0, None))


def compound_bernoulli_ltd(p_occurrence, size_pmf, *, periods=None, periods_pmf=None) -> CompoundLTD:
    """Compound Bernoulli lead-time demand.

    Per period a demand occurs with probability p (independently; p = 1/ADI
    with ADI = average inter-demand interval [periods], or a TSB probability
    forecast), and its size has pmf g; the LTD is the sum over tau periods:

    X = sum_{t=1..tau} B_t S_t,  B_t ~ Bernoulli(p),  S_t ~ g   [units]

    so the per-period pmf is (1 - p) delta_0 + p g and the tau-period pmf its
    tau-fold convolution (computed exactly by FFT).  Fixed ``periods`` tau
    (fractional: floor/ceil mixture, mean exact, variance larger by
    w(1-w) mu_1^2) or a random number of periods ``periods_pmf[i, m] = P(tau_i = m)``.
    The number of occurrences over n periods is Binomial(n, p) (Croston 1972's
    model of intermittent demand).
    """
    p = np.atleast_1d(_vec("p_occurrence", p_occurrence))
    if np.any(p > 1):
        raise ValueError(f"p_occurrence must be a probability in [0, 1]; received max {p.max()}")
    g = np.asarray(size_pmf, dtype=float)
    n = max(p.size, g.shape[0] if g.ndim == 2 else 1)
    p = np.broadcast_to(p, (n,)).astype(float) if p.size == 1 else p
    g = _check_size_pmf(g, p.size)
    v, w = _periods_mixture(periods, periods_pmf, p.size, integer=True)
    return CompoundLTD("compound_bernoulli", p, g, v, w)


def compound_poisson_ltd(rate, size_pmf, *, periods=None, periods_pmf=None) -> CompoundLTD:
    """Compound Poisson lead-time demand.

    Demand occurrences form a Poisson process with ``rate`` lambda
    [occurrences/period], sizes i.i.d. with pmf g:

    X = sum_{k=1..N} S_k,  N ~ Poisson(lambda * tau)   [units]

    exact for fractional tau; random tau via ``periods_pmf`` (a mixture).
    pmf by FFT, exp(lambda tau (g_hat - 1)), or Panjer's recursion.  With
    logarithmic sizes this is the negative binomial; with geometric sizes the
    stuttering Poisson of the spare-parts literature.
    """
    lam = np.atleast_1d(_vec("rate", rate))
    g = np.asarray(size_pmf, dtype=float)
    n = max(lam.size, g.shape[0] if g.ndim == 2 else 1)
    lam = np.broadcast_to(lam, (n,)).astype(float) if lam.size == 1 else lam
    g = _check_size_pmf(g, lam.size)
    v, w = _periods_mixture(periods, periods_pmf, lam.size, integer=False)
    return CompoundLTD("compound_poisson", lam, g, v, w)



def compound_from_history(y, *, periods=None, periods_pmf=None, occurrence: str = "bernoulli",
                          sizes: str = "empirical") -> CompoundLTD:
    """Compound LTD with parameters estimated from each series' history.

    * occurrence probability p = n_nonzero / n = 1 / ADI, with ADI = n /
      n_nonzero the average number of periods per demand over the whole history
      (for ``occurrence="poisson"`` the same number is the rate per period);
    * sizes: ``"empirical"`` (the observed non-zero sizes, integers),
      ``"geometric"`` or ``"logarithmic"`` with the mean observed non-zero
      size (1 for a series without demand; its p is 0 anyway).
    """
    yy = np.asarray(y, dtype=float)
    if yy.ndim == 1:
        yy = yy[None, :]
    if yy.ndim != 2 or yy.shape[1] == 0:
        raise ValueError(f"y must be 2-D (series x periods) with at least one period; received shape {yy.shape}")
    if not np.all(np.isfinite(yy)):
        row, col = np.argwhere(~np.isfinite(yy))[0]
        raise ValueError(f"y must hold finite demand (fill missing periods, e.g. with 0); received "
                         f"{yy[row, col]} in series index {row} at period {col}")
    if np.any(yy < 0):
        row, col = np.argwhere(yy < 0)[0]
        raise ValueError(f"y must hold non-negative demand (>= 0); received {yy[row, col]} in series "
                         f"index {row} at period {col}")
    pos = yy > 0
    n_nz = pos.sum(axis=1)
    p = n_nz / yy.shape[1]
    mean_size = np.where(n_nz > 0, np.where(pos, yy, 0.0).sum(axis=1) / np.maximum(n_nz, 1), 1.0)
    if sizes == "empirical":
        g = empirical_size_pmf(yy)
    elif sizes == "geometric":
        g = geometric_size_pmf(np.maximum(mean_size, 1.0))
    elif sizes == "logarithmic":
        g = logarithmic_size_pmf(np.maximum(mean_size, 1.0))
    else:
        raise ValueError(f"sizes must be 'empirical', 'geometric' or 'logarithmic'; received {sizes!r}")
    if occurrence == "bernoulli":
        return compound_bernoulli_ltd(p, g, periods=periods, periods_pmf=periods_pmf)
    if occurrence == "poisson":
        return compound_poisson_ltd(p, g, periods=periods, periods_pmf=periods_pmf)
    raise ValueError(f"occurrence must be 'bernoulli' or 'poisson'; received {occurrence!r}")
