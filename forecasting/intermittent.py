"""Croston-family kernels and plain SES, vectorised across series.

All kernels take a validated (N, T) float64 panel ``y`` (non-negative, oldest
period first; see :func:`forecasting._checks.as_panel`) and return a
:class:`forecasting.FitResult`.

Vectorisation: series are processed in blocks of :data:`BLOCK` (a cache-sized
slice, transposed to time-major); inside a block the loop runs over periods and
every step is a whole-array numpy operation over the block's series, with masks
for "demand this period" and "first demand seen".  There is no loop over
individual series.  Arithmetic is written in the reference's order
(``alpha*x + (1-alpha)*level``), so results agree with statsforecast bit for bit.

Definitions follow statsforecast 2.1.1 (ORACLES.md section F) unless stated; the
same recursions reproduce R ``forecast::croston`` (ORACLES.md O-1, O-2) because R
initialises and counts intervals the same way.
"""
from __future__ import annotations

import numpy as np

from ._result import FitResult
from . import _ses
from ._ses import check_optimizer, optimal_alpha_tm, pack_events, pack_events_tm, ses_levels_tm

__all__ = ["croston_kernel", "tsb_kernel", "tsb_sktime_kernel", "ses_kernel"]


def _blocks(n: int):
    return [(s, min(s + _ses.BLOCK, n)) for s in range(0, n, _ses.BLOCK)]


def _slice(alpha, s, e):
    return alpha if np.isscalar(alpha) else alpha[s:e]


def _croston_block(ytm, a_z, a_p, fit_out):
    """Croston recursions over periods for one time-major block (T, B).

    Returns (z_hat, p_hat, started) after the last period; writes z/p before each
    period into ``fit_out`` (T, B) when given (0 before the first demand).

    The first demand initialises the levels (``zhat_1 = z_1``) through the same
    update as the later ones, ``w * z + (1 - w) * zhat``, with per-series weights
    ``w = 1`` (and ``1 - w = 0``) until the series has started and ``w = alpha``
    after: ``1 * z + 0 * 0 == z`` exactly, so the results are those of the
    reference, and the step needs one ``np.where`` per level instead of masked
    copies (about 3x cheaper per element).
    """
    t_len, b = ytm.shape
    z = np.zeros(b)
    p = np.zeros(b)
    last = np.full(b, -1.0)            # index of the previous demand
    started = np.zeros(b, dtype=bool)
    w_z, v_z = np.ones(b), np.zeros(b)                 # weights before the first demand
    shared = np.isscalar(a_z) and np.isscalar(a_p) and a_z == a_p
    w_p, v_p = (w_z, v_z) if shared else (np.ones(b), np.zeros(b))
    c_z = 1.0 - a_z
    c_p = 1.0 - a_p
    t1 = np.empty(b)
    t2 = np.empty(b)
    for t in range(t_len):
        if fit_out is not None:
            np.divide(z, np.where(started, p, 1.0), out=fit_out[t])
        yt = ytm[t]
        dem = yt > 0
        if not dem.any():
            continue
        np.multiply(w_z, yt, out=t1)
        np.multiply(v_z, z, out=t2)
        np.add(t1, t2, out=t1)
        z = np.where(dem, t1, z)
        interval = t - last                          # periods since the previous demand
        np.multiply(w_p, interval, out=t1)
        np.multiply(v_p, p, out=t2)
        np.add(t1, t2, out=t1)
        p = np.where(dem, t1, p)
        last = np.where(dem, float(t), last)
        started |= dem
        w_z = np.where(started, a_z, 1.0)
        v_z = np.where(started, c_z, 0.0)
        if shared:
            w_p, v_p = w_z, v_z
        else:
            w_p = np.where(started, a_p, 1.0)
            v_p = np.where(started, c_p, 0.0)
    return z, p, started


def _sorted_events(y: np.ndarray):
    """Packed events, series sorted by number of demands (for the optimiser)."""
    counts = np.count_nonzero(y, axis=1)
    order = np.argsort(-counts, kind="stable")
    sizes, intervals, _ = pack_events_tm(y[order])
    srt = np.maximum(counts[order], 1)
    active = np.searchsorted(-srt, -np.arange(sizes.shape[0]), side="left").astype(np.int64)
    return sizes, intervals, active, order


def _unperm(values, order):
    out = np.empty_like(values)
    out[order] = values
    return out


def croston_alphas(y: np.ndarray, bounds=(0.1, 0.3), n_jobs: int = 1,
                   optimizer: str = "newton"):
    """Per-series optimised (alpha_size, alpha_interval): the alphas minimising the SSE
    of the size and of the interval series separately over ``bounds`` (statsforecast
    CrostonOptimized; ``optimizer`` as in :func:`forecasting._ses.optimal_alpha_tm`)."""
    check_optimizer(optimizer)
    sizes, intervals, active, order = _sorted_events(y)
    a_z = optimal_alpha_tm(sizes, active, *bounds, optimizer, n_jobs=n_jobs)
    a_p = optimal_alpha_tm(intervals, active, *bounds, optimizer, n_jobs=n_jobs)
    return _unperm(a_z, order), _unperm(a_p, order)


def croston_kernel(y: np.ndarray, alpha_size=0.1, alpha_interval=None, factor=1.0,
                   optimize: bool = False, bounds=(0.1, 0.3), fitted: bool = True,
                   method: str = "croston", n_jobs: int = 1,
                   optimizer: str = "newton") -> FitResult:
    """Croston (1972) / SBA (Syntetos & Boylan 2005) per series.

    Equations (Croston 1972, Oper. Res. Q. 23:289-303; SBA: Syntetos & Boylan 2005,
    Int. J. Forecasting 21:303-314)::

        z_j = size of the j-th non-zero demand                       [units]
        p_j = periods since the previous demand; p_1 = index of first demand + 1
        zhat_1 = z_1, phat_1 = p_1  (SES initialised at the first value)
        zhat_j = a_z z_j + (1 - a_z) zhat_{j-1},  phat_j likewise with a_p
        forecast = factor * zhat / phat                              [units/period]

    ``factor = 1`` is Croston; SBA uses ``1 - a_p / 2`` (Syntetos & Boylan) --
    statsforecast hard-codes 0.95, equal at a = 0.1.  Trailing zeros after the
    last demand are ignored (the forecast does not decay).  A series without any
    demand forecasts 0 (statsforecast's naive fallback on an all-zero series).

    ``optimize=True`` chooses ``a_z`` and ``a_p`` separately per series as the
    minimisers over ``bounds`` of the in-sample one-step SSE of the size and
    interval series (statsforecast ``CrostonOptimized``), by the fast exact
    minimiser (``optimizer="newton"``) or statsforecast's golden section
    (``"golden"``, bit-identical); see :mod:`forecasting._ses`.

    Fitted values: ``fitted[:, t] = factor * zhat / phat`` after the demands in
    periods ``0..t-1``, 0 before the first demand, NaN at t = 0.
    """
    n, t_len = y.shape
    if optimize:
        a_z, a_p = croston_alphas(y, bounds, n_jobs, optimizer)
    else:
        a_z = alpha_size
        a_p = alpha_size if alpha_interval is None else alpha_interval
    level = np.zeros(n)
    fit = np.empty((n, t_len)) if fitted else None
    for s, e in _blocks(n):
        ytm = np.ascontiguousarray(y[s:e].T)
        fbuf = np.empty_like(ytm) if fitted else None
        z, p, started = _croston_block(ytm, _slice(a_z, s, e), _slice(a_p, s, e), fbuf)
        level[s:e] = np.where(started, z / np.where(started, p, 1.0), 0.0)
        if fitted:
            fit[s:e] = fbuf.T
    if fitted:
        fit[:, 0] = np.nan
    if not np.isscalar(factor) or factor != 1.0:
        level = factor * level
        if fit is not None:
            fit = (factor * fit.T).T if np.ndim(factor) else factor * fit
    params = {"alpha_size": a_z, "alpha_interval": a_p}
    if not np.isscalar(factor) or factor != 1.0:
        params["factor"] = factor
    return FitResult(method=method, params=params, level=level, fitted=fit)


def _tsb_block(ytm, a_d, a_p, fit_out):
    t_len, b = ytm.shape
    c_d = 1.0 - a_d
    c_p = 1.0 - a_p
    d = np.zeros(b)
    started = np.zeros(b, dtype=bool)
    prob = (ytm[0] != 0).astype(np.float64)
    t1 = np.empty(b)
    t2 = np.empty(b)
    for t in range(t_len):
        yt = ytm[t]
        dem = yt > 0
        if t > 0:
            if fit_out is not None:
                np.multiply(prob, d, out=fit_out[t])
            np.multiply(a_p, dem, out=t1)
            np.multiply(c_p, prob, out=t2)
            np.add(t1, t2, out=prob)
        if not dem.any():
            continue
        upd = dem & started
        np.multiply(a_d, yt, out=t1)
        np.multiply(c_d, d, out=t2)
        np.add(t1, t2, out=t1)
        np.copyto(d, t1, where=upd)
        np.copyto(d, yt, where=dem & ~started)
        started |= dem
    return prob, d


def tsb_kernel(y: np.ndarray, alpha_d=0.1, alpha_p=0.1, fitted: bool = True,
               method: str = "tsb") -> FitResult:
    """TSB (Teunter, Syntetos & Babai 2011, EJOR 214:606-615) per series.

    Equations::

        o_t = 1 if y_t > 0 else 0                  (occurrence, every period)
        phat_0 = o_0;  phat_t = a_p o_t + (1 - a_p) phat_{t-1}       [probability]
        zhat: SES with a_d over the non-zero sizes only, started at the first size
        forecast = phat_{T-1} * zhat                                 [units/period]

    Initialisation follows statsforecast 2.1.1 (occurrence level starts at o_0,
    not at a mean rate; ORACLES.md F).  R/sktime's TSB (ORACLES O-3) starts the
    probability at 0.5 instead: see :func:`tsb_sktime_kernel`.  An all-zero series
    forecasts 0.  ``alpha_d`` / ``alpha_p`` are scalars or (N,) arrays.

    Fitted values: ``phat_{t-1} * zhat(after demands in 0..t-1)``, 0 before the
    first demand, NaN at t = 0.
    """
    n, t_len = y.shape
    level = np.zeros(n)
    fit = np.empty((n, t_len)) if fitted else None
    for s, e in _blocks(n):
        ytm = np.ascontiguousarray(y[s:e].T)
        fbuf = np.empty_like(ytm) if fitted else None
        prob, d = _tsb_block(ytm, _slice(alpha_d, s, e), _slice(alpha_p, s, e), fbuf)
        level[s:e] = prob * d
        if fitted:
            fit[s:e] = fbuf.T
    if fitted:
        fit[:, 0] = np.nan
    return FitResult(method=method, params={"alpha_d": alpha_d, "alpha_p": alpha_p},
                     level=level, fitted=fit)


def tsb_sktime_kernel(y: np.ndarray, alpha_d=0.1, alpha_p=0.1, p0: float = 0.5) -> np.ndarray:
    """TSB in the variant of sktime/R tests (ORACLES O-3): returns the forecast (N,).

    Same as :func:`tsb_kernel` except the probability starts at ``p0`` *before*
    period 0 (so period 0 is smoothed in) and the size level starts at the first
    non-zero size before smoothing; all-zero series give 0.
    """
    n, t = y.shape
    occ = (y != 0).astype(np.float64)
    sizes, _, counts = pack_events(y)
    comp_p = 1.0 - alpha_p
    p = np.full(n, float(p0))
    for i in range(t):
        p = alpha_p * occ[:, i] + comp_p * p
    comp_d = 1.0 - alpha_d
    d = sizes[:, 0].copy()
    for j in range(sizes.shape[1]):
        d = np.where(counts > j, alpha_d * sizes[:, j] + comp_d * d, d)
    return np.where(counts > 0, p * d, 0.0)


def ses_kernel(y: np.ndarray, alpha=0.1, optimize: bool = False, bounds=(0.01, 0.99),
               fitted: bool = True, method: str = "ses", n_jobs: int = 1,
               optimizer: str = "newton") -> FitResult:
    """Simple exponential smoothing of the demand itself (Brown 1959).

    ``l_0 = y_0, l_t = a y_t + (1 - a) l_{t-1}``, forecast ``l_{T-1}`` for every step
    [units/period].  ``optimize=True`` picks ``a`` per series as the minimiser over
    ``bounds`` (statsforecast ``SimpleExponentialSmoothingOptimized`` uses
    (0.01, 0.99)) of the one-step in-sample SSE, with ``optimizer`` as in
    :func:`forecasting._ses.optimal_alpha_tm`.  Fitted: previous level, NaN at 0.
    """
    check_optimizer(optimizer)
    n, t_len = y.shape
    active = np.full(t_len, 0, dtype=np.int64)
    level = np.empty(n)
    alphas = np.empty(n) if optimize else alpha
    fit = np.empty((n, t_len)) if fitted else None
    for s, e in _blocks(n):
        ytm = np.ascontiguousarray(y[s:e].T)
        active[:] = e - s
        a = (optimal_alpha_tm(ytm, active, *bounds, optimizer) if optimize
             else _slice(alpha, s, e))
        if optimize:
            alphas[s:e] = a
        lv = np.empty_like(ytm) if fitted else None
        level[s:e] = ses_levels_tm(ytm, a, active, lv)
        if fitted:
            fit[s:e, 1:] = lv[:-1].T
    if fitted:
        fit[:, 0] = np.nan
    return FitResult(method=method, params={"alpha": alphas}, level=level, fitted=fit)
