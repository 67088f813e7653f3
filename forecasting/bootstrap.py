"""Empirical lead-time demand by the bootstrap of Willemain, Smart & Schwarz (2004).

Willemain, T.R., Smart, C.N. & Schwarz, H.F. (2004). A new approach to
forecasting intermittent demand for service parts inventories. International
Journal of Forecasting 20(3):375-387.  Their procedure, per series:

1. classify each historical period as zero (state 0) or non-zero (state 1)
   demand and estimate the two-state Markov chain's transition probabilities
   P(1 | 0) = n_01 / (n_00 + n_01) and P(1 | 1) = n_11 / (n_10 + n_11) from
   the consecutive pairs of the history;
2. starting from the state of the **last observed period**, simulate the
   zero / non-zero sequence over the lead time;
3. give every non-zero period a size X* drawn at random, with replacement,
   from the series' observed non-zero demands;
4. jitter it: J = 1 + INT(X* + Z * sqrt(X*)), Z ~ N(0, 1), INT = floor;
   if J <= 0 keep J = X*  (so a negative perturbation that would give a
   non-positive size leaves the sampled value unchanged);
5. sum over the lead time: one replicate of the lead-time demand (LTD);
6. repeat B times: the empirical LTD distribution.

Implementation choices (documented deviations / completions of the paper):

* all series and all replicates are drawn at once (arrays series x B), with
  one loop over the lead-time periods; row blocks bound the memory;
* a state that never occurs as the origin of a transition in the history
  (e.g. a series whose only demand is in its last period) has no estimate of
  its row of the transition matrix; it then uses the series' overall
  fraction of non-zero periods (the i.i.d. Bernoulli estimate);
* a series without any demand gives LTD = 0 in every replicate;
* the lead time (in periods) may differ by series, and may be random: with
  ``horizon_pmf`` each replicate first draws its own number of periods;
* the randomness comes only from ``numpy.random.default_rng(seed)``: the
  same inputs and seed give the same samples.

Note on the jitter: 1 + INT(X* + Z sqrt(X*)) exceeds X* by about 0.5 on
average (the 1 + floor), and the "keep X*" rule removes the low tail, so
the jittered sizes - and the LTD - are biased upwards, relatively most for
small sizes (an i.i.d. Poisson(2) history gives a 3-period LTD mean of about
7.7 instead of 6).  This is the paper's formula, kept as published;
``jitter=False`` resamples the observed sizes unchanged (unbiased mean).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .leadtime import DiscreteLTD

__all__ = ["willemain_bootstrap", "markov_transitions", "BootstrapLTD"]

_BLOCK_CELLS = 1 << 21  # series x replicates per block (~16 MB per float array)


@dataclass(frozen=True)
class BootstrapLTD:
    """Bootstrap replicates of lead-time demand.

    Attributes
    ----------
    samples : ndarray (series, B)  - B replicates of the LTD per series [units]
    p01, p11 : ndarray (series,)    - the transition probabilities used
    """

    samples: np.ndarray
    p01: np.ndarray
    p11: np.ndarray

    family = "bootstrap"

    @property
    def mean(self) -> np.ndarray:
        """Mean of the replicates [units]."""
        return self.samples.mean(axis=1)

    @property
    def var(self) -> np.ndarray:
        """Variance of the replicates (ddof = 1) [units^2]."""
        return self.samples.var(axis=1, ddof=1)

    def quantile(self, q) -> np.ndarray:
        """Empirical quantile: smallest replicate value with ECDF >= q, per series."""
        qq = float(q)
        if not 0.0 < qq < 1.0:
            raise ValueError(f"q must be in (0, 1); received {q!r}")
        return np.quantile(self.samples, qq, axis=1, method="inverted_cdf")

    def pmf(self, tail: float = 0.0) -> DiscreteLTD:
        """Empirical pmf on 0..K-1 with K = the largest replicate + 1 (tail_mass 0).

        Needs integer replicates (integer history; the jitter keeps integers).
        ``tail`` is accepted for the common interface and ignored: the
        empirical distribution has no mass beyond its largest replicate.
        """
        s = self.samples
        if np.any(s != np.round(s)):
            raise ValueError("the pmf of bootstrap replicates needs integer demand; the history had fractional values")
        si = s.astype(np.int64)
        k = int(si.max()) + 1 if si.size else 1
        n, b = si.shape
        rows = np.repeat(np.arange(n), b)
        counts = np.bincount(rows * k + si.ravel(), minlength=n * k).reshape(n, k)
        return DiscreteLTD(counts / float(b), np.zeros(n))


def markov_transitions(y):
    """Two-state (zero / non-zero) Markov transition probabilities per series.

    Returns (p01, p11, last_state): P(non-zero | previous zero),
    P(non-zero | previous non-zero) estimated from consecutive pairs, with the
    fallback to the overall non-zero fraction where a state is never the
    origin of a transition; last_state is the state of the final period.
    """
    yy = _check_history(y)
    occ = yy > 0
    frac = occ.mean(axis=1)
    a, b = occ[:, :-1], occ[:, 1:]
    n0 = np.sum(~a, axis=1)
    n1 = np.sum(a, axis=1)
    n01 = np.sum(~a & b, axis=1)
    n11 = np.sum(a & b, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        p01 = np.where(n0 > 0, n01 / np.where(n0 > 0, n0, 1), frac)
        p11 = np.where(n1 > 0, n11 / np.where(n1 > 0, n1, 1), frac)
    return p01, p11, occ[:, -1]


def _check_history(y) -> np.ndarray:
    yy = np.asarray(y, dtype=float)
    if yy.ndim == 1:
        yy = yy[None, :]
    if yy.ndim != 2 or yy.shape[1] == 0:
        raise ValueError(f"y must be a 2-D array (series x periods) with at least 1 period; received shape {yy.shape}")
    if not np.all(np.isfinite(yy)):
        row, col = np.argwhere(~np.isfinite(yy))[0]
        raise ValueError(f"y must be finite: fill missing periods (e.g. with 0) before bootstrapping; "
                         f"received {yy[row, col]} in series index {row} at period {col}")
    if np.any(yy < 0):
        idx = np.flatnonzero(np.any(yy < 0, axis=1))[:5].tolist()
        row, col = np.argwhere(yy < 0)[0]
        raise ValueError(f"y must be non-negative demand; series {idx} have negative values "
                         f"(first: {yy[row, col]} in series index {row} at period {col})")
    return yy


def willemain_bootstrap(y, horizon=None, *, horizon_pmf=None, n_boot: int = 1000, seed=0,
                        jitter: bool = True) -> BootstrapLTD:
    """Willemain-Smart-Schwarz (2004) bootstrap of lead-time demand, all series at once.

    Parameters
    ----------
    y : array (series x periods), oldest first - the demand history [units/period]
    horizon : int or int array (series,) - the lead time (+ review) in periods
    horizon_pmf : array (series x M), optional - instead of ``horizon``,
        P(horizon = m), m = 0..M-1: a random lead time drawn per replicate
    n_boot : int >= 1 - replicates per series
    seed : int (default 0) or numpy Generator - the only source of randomness:
        the same inputs and seed give the same samples (None is refused)
    jitter : bool - apply the paper's jitter (step 4); False samples the
        observed sizes unchanged

    Returns
    -------
    BootstrapLTD with ``samples`` of shape (series, n_boot).
    """
    yy = _check_history(y)
    n_series = yy.shape[0]
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be an integer >= 1; received {n_boot!r}")
    if seed is None:
        raise ValueError("seed must be an int or a numpy Generator (runs must be reproducible); received None")
    fixed_h, h_cum = _check_horizon(horizon, horizon_pmf, n_series)
    p01, p11, last = markov_transitions(yy)
    occ = yy > 0
    sizes = yy[occ]  # row-major: the non-zero values of series 0, then 1, ...
    k = occ.sum(axis=1)
    offsets = np.cumsum(k) - k
    rng = np.random.default_rng(seed)
    h_max = int(fixed_h.max()) if h_cum is None else h_cum.shape[1] - 1
    out = np.zeros((n_series, n_boot))
    block = max(1, _BLOCK_CELLS // n_boot)
    for start in range(0, n_series, block):
        rows = slice(start, min(n_series, start + block))
        out[rows] = _bootstrap_kernel(
            rng, n_boot, h_max, p01[rows], p11[rows], last[rows], k[rows], offsets[rows], sizes,
            None if fixed_h is None else fixed_h[rows], None if h_cum is None else h_cum[rows], jitter)
    return BootstrapLTD(out, p01, p11)


def _check_horizon(horizon, horizon_pmf, n_series):
    if (horizon is None) == (horizon_pmf is None):
        raise ValueError("give exactly one of horizon (periods per series) or horizon_pmf (series x M)")
    if horizon is not None:
        h = np.atleast_1d(np.asarray(horizon, dtype=float))
        if h.ndim != 1 or h.size not in (1, n_series):
            raise ValueError(f"horizon must be a scalar or one value per series ({n_series}); received shape {h.shape}")
        if not np.all(np.isfinite(h)) or np.any(h < 0) or np.any(h != np.round(h)):
            raise ValueError(f"horizon must be non-negative whole periods; received {horizon!r}")
        return np.broadcast_to(h, (n_series,)).astype(np.int64), None
    w = np.asarray(horizon_pmf, dtype=float)
    if w.ndim == 1:
        w = w[None, :]
    if w.ndim != 2 or w.shape[0] not in (1, n_series):
        raise ValueError(f"horizon_pmf must be (series x M) with {n_series} rows; received shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or np.any(np.abs(w.sum(axis=1) - 1) > 1e-9):
        raise ValueError("horizon_pmf rows must be non-negative and sum to 1 (P(horizon = m), m = 0..M-1)")
    return None, np.broadcast_to(np.cumsum(w, axis=1), (n_series, w.shape[1]))


def _bootstrap_kernel(rng, n_boot, h_max, p01, p11, last, k, offsets, sizes, fixed_h, h_cum, jitter):
    """Kernel on one row block: loop over lead-time periods, arrays (rows x replicates)."""
    n = p01.size
    if fixed_h is not None:
        h = np.broadcast_to(fixed_h[:, None], (n, n_boot))
    else:
        u = rng.random((n, n_boot))
        h = np.sum(h_cum[:, None, :] < u[:, :, None], axis=2)  # inverse-CDF draw of the horizon
    state = np.broadcast_to(last[:, None], (n, n_boot)).copy()
    total = np.zeros((n, n_boot))
    has = k > 0
    kk = np.where(has, k, 1)[:, None]
    for t in range(h_max):
        u = rng.random((n, n_boot))
        prob = np.where(state, p11[:, None], p01[:, None])
        state = u < prob
        pick = offsets[:, None] + np.minimum((rng.random((n, n_boot)) * kk).astype(np.int64), kk - 1)
        x = sizes[np.where(has[:, None], pick, 0)] if sizes.size else np.zeros((n, n_boot))
        if jitter:
            z = rng.standard_normal((n, n_boot))
            j = 1.0 + np.floor(x + z * np.sqrt(x))
            x = np.where(j > 0, j, x)
        add = state & (t < h) & has[:, None]
        total += np.where(add, x, 0.0)
    return total
