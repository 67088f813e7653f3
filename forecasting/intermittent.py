"""Croston-family kernels and plain SES, vectorised across series.

All kernels take a validated (N, T) float64 panel ``y`` (non-negative, oldest
period first; see :func:`forecasting._checks.as_panel`) and return a
:class:`forecasting.FitResult`.  They loop over event or period index only.

Definitions follow statsforecast 2.1.1 (ORACLES.md section F) unless stated; the
same recursions reproduce R ``forecast::croston`` (ORACLES.md O-1, O-2) because R
initialises and counts intervals the same way.
"""
from __future__ import annotations

import numpy as np

from ._result import FitResult
from ._ses import golden_section_alpha, pack_events, ses_levels

__all__ = ["croston_kernel", "tsb_kernel", "ses_kernel"]


def _expand_events(levels: np.ndarray, y: np.ndarray, before_first: float) -> np.ndarray:
    """Map per-event levels (N, M) to per-period one-step values (N, T).

    ``out[:, t]`` is the level after the last demand in periods ``0..t-1``;
    ``before_first`` where no demand has occurred yet; NaN at t = 0.
    """
    n, t = y.shape
    seen = np.cumsum(y != 0, axis=1)                      # events in 0..t
    before = np.zeros((n, t), dtype=np.int64)
    before[:, 1:] = seen[:, :-1]                          # events in 0..t-1
    idx = np.maximum(before - 1, 0)
    out = np.take_along_axis(levels, idx, axis=1)
    out = np.where(before > 0, out, before_first)
    out[:, 0] = np.nan
    return out


def croston_kernel(y: np.ndarray, alpha_size=0.1, alpha_interval=None, factor=1.0,
                   optimize: bool = False, bounds=(0.1, 0.3), fitted: bool = True,
                   method: str = "croston") -> FitResult:
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

    ``optimize=True`` chooses ``a_z`` and ``a_p`` separately per series by
    golden-section search over ``bounds`` on the in-sample one-step SSE of the
    size and interval series (statsforecast ``CrostonOptimized``).

    Fitted values: ``fitted[:, t] = factor * zhat / phat`` after the demands in
    periods ``0..t-1``, 0 before the first demand, NaN at t = 0.
    """
    sizes, intervals, counts = pack_events(y)
    lengths = np.maximum(counts, 1)
    if optimize:
        a_z = golden_section_alpha(sizes, lengths, *bounds)
        a_p = golden_section_alpha(intervals, lengths, *bounds)
    else:
        a_z = alpha_size
        a_p = alpha_size if alpha_interval is None else alpha_interval
    if fitted:
        z_hat, z_lv = ses_levels(sizes, a_z, lengths, return_all=True)
        p_hat, p_lv = ses_levels(intervals, a_p, lengths, return_all=True)
    else:
        z_hat = ses_levels(sizes, a_z, lengths)
        p_hat = ses_levels(intervals, a_p, lengths)
    has = counts > 0
    safe_p = np.where(has, p_hat, 1.0)
    level = np.where(has, z_hat / safe_p, 0.0)
    if not np.isscalar(factor) or factor != 1.0:
        level = factor * level
    fit = None
    if fitted:
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = z_lv / np.where(p_lv == 0, 1.0, p_lv)
        fit = _expand_events(ratio, y, 0.0)
        if not np.isscalar(factor) or factor != 1.0:
            fit = factor * fit
    params = {"alpha_size": a_z, "alpha_interval": a_p}
    if not np.isscalar(factor) or factor != 1.0:
        params["factor"] = factor
    return FitResult(method=method, params=params, level=level, fitted=fit)


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
    probability at 0.5 instead: pass ``p0=0.5`` via :func:`tsb_sktime_kernel`.
    An all-zero series forecasts 0.

    Fitted values: ``phat_{t-1} * zhat(after demands in 0..t-1)``, 0 before the
    first demand, NaN at t = 0.
    """
    occ = (y != 0).astype(np.float64)
    sizes, _, counts = pack_events(y)
    lengths = np.maximum(counts, 1)
    has = counts > 0
    if fitted:
        p_hat, p_lv = ses_levels(occ, alpha_p, None, return_all=True)
        d_hat, d_lv = ses_levels(sizes, alpha_d, lengths, return_all=True)
    else:
        p_hat = ses_levels(occ, alpha_p)
        d_hat = ses_levels(sizes, alpha_d, lengths)
    level = np.where(has, p_hat * d_hat, 0.0)
    fit = None
    if fitted:
        d_per_t = _expand_events(d_lv, y, 0.0)
        fit = np.empty_like(y)
        fit[:, 0] = np.nan
        fit[:, 1:] = p_lv[:, :-1] * d_per_t[:, 1:]
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
               fitted: bool = True, method: str = "ses") -> FitResult:
    """Simple exponential smoothing of the demand itself (Brown 1959).

    ``l_0 = y_0, l_t = a y_t + (1 - a) l_{t-1}``, forecast ``l_{T-1}`` for every step
    [units/period].  ``optimize=True`` picks ``a`` per series by golden section over
    ``bounds`` (statsforecast ``SimpleExponentialSmoothingOptimized`` uses
    (0.01, 0.99)) on the one-step in-sample SSE.  Fitted: previous level, NaN at 0.
    """
    a = golden_section_alpha(y, None, *bounds) if optimize else alpha
    if fitted:
        lvl, lv = ses_levels(y, a, None, return_all=True)
        fit = np.empty_like(y)
        fit[:, 0] = np.nan
        fit[:, 1:] = lv[:, :-1]
    else:
        lvl = ses_levels(y, a)
        fit = None
    return FitResult(method=method, params={"alpha": a}, level=lvl, fitted=fit)
