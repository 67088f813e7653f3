"""Holt and additive Holt-Winters for smooth trending or seasonal series, vectorised.

Equations (Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 3rd
ed., sections 8.2-8.3; units: demand per period)::

    Holt (damped with phi < 1):
      l_t = a y_t + (1 - a)(l_{t-1} + phi b_{t-1})
      b_t = B (l_t - l_{t-1}) + (1 - B) phi b_{t-1}
      yhat_{T+h} = l_T + (phi + ... + phi^h) b_T

    Holt-Winters, additive season of length m:
      l_t = a (y_t - s_{t-m}) + (1 - a)(l_{t-1} + b_{t-1})
      b_t = B (l_t - l_{t-1}) + (1 - B) b_{t-1}
      s_t = g (y_t - l_{t-1} - b_{t-1}) + (1 - g) s_{t-m}
      yhat_{T+h} = l_T + h b_T + s_{T+h-m(floor((h-1)/m)+1)}

Initial states (statsmodels' ``initialization_method="simple"`` for Holt-Winters):
l_{-1} = mean of the first season, b_{-1} = (mean of the second season - mean of
the first) / m, s_{j-m} = y_j - l_{-1}.  Holt: l_{-1} = y_0, b_{-1} = y_1 - y_0
(0 for a one-period series).  A series shorter than two seasons gets Holt's
recursion with zero seasonal terms.

Parameters given as ``"optimize"`` are chosen per series on a grid (every grid
point is run over all series at once; the loop is over grid points) by the
in-sample one-step sum of squared errors.  Forecasts are clipped at 0.
"""
from __future__ import annotations

import itertools

import numpy as np

from ._result import FitResult

__all__ = ["holt_kernel", "holt_winters_kernel", "ALPHA_GRID", "BETA_GRID", "GAMMA_GRID"]

ALPHA_GRID = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)
BETA_GRID = (0.01, 0.05, 0.1, 0.2, 0.3)
GAMMA_GRID = (0.01, 0.05, 0.1, 0.2, 0.3)


def _holt_pass(y, a, b, phi, want_fitted):
    n, t = y.shape
    lvl = y[:, 0].copy()
    trd = (y[:, 1] - y[:, 0]) if t > 1 else np.zeros(n)
    sse = np.zeros(n)
    fit = np.empty((n, t)) if want_fitted else None
    for i in range(t):
        pred = lvl + phi * trd
        e = y[:, i] - pred
        sse += e * e
        if want_fitted:
            fit[:, i] = pred
        new_l = a * y[:, i] + (1.0 - a) * pred
        trd = b * (new_l - lvl) + (1.0 - b) * phi * trd
        lvl = new_l
    return lvl, trd, sse, fit


def _hw_pass(y, m, a, b, g, want_fitted):
    n, t = y.shape
    lvl = y[:, :m].mean(axis=1)
    trd = (y[:, m:2 * m].mean(axis=1) - lvl) / m
    season = y[:, :m] - lvl[:, None]       # s_{j-m}, j = 0..m-1 (ring buffer)
    sse = np.zeros(n)
    fit = np.empty((n, t)) if want_fitted else None
    for i in range(t):
        s_old = season[:, i % m]
        pred = lvl + trd + s_old
        e = y[:, i] - pred
        sse += e * e
        if want_fitted:
            fit[:, i] = pred
        new_l = a * (y[:, i] - s_old) + (1.0 - a) * (lvl + trd)
        season[:, i % m] = g * (y[:, i] - lvl - trd) + (1.0 - g) * s_old
        trd = b * (new_l - lvl) + (1.0 - b) * trd
        lvl = new_l
    # season for steps 1..m after the sample: s_{T+j-m}, stored at (T + j - 1) mod m
    nxt = season[:, (t + np.arange(m)) % m]
    return lvl, trd, nxt, sse, fit


def _choose(grids, run):
    """Evaluate ``run(*combo) -> sse`` for every combo; per-series argmin.

    A grid ``[None]`` stands for a fixed parameter (given by the caller): its entry of
    the result is an array of NaN, not used.
    """
    best_sse = None
    best = None
    for combo in itertools.product(*grids):
        sse = run(*combo)
        if best_sse is None:
            best_sse = sse.copy()
            best = [np.full(sse.shape[0], np.nan if c is None else float(c)) for c in combo]
            continue
        better = sse < best_sse
        best_sse = np.where(better, sse, best_sse)
        for arr, c in zip(best, combo):
            if c is not None:
                arr[better] = c
    return best


def _grid(value, grid):
    return grid if isinstance(value, str) else (value,)


def holt_kernel(y, alpha, beta, phi=1.0, fitted=True, method="holt") -> FitResult:
    """Holt's (damped) linear trend per series; see the module docstring."""
    if isinstance(alpha, str) or isinstance(beta, str):
        ga = _grid(alpha, ALPHA_GRID) if isinstance(alpha, str) else None
        gb = _grid(beta, BETA_GRID) if isinstance(beta, str) else None
        grids = [ga or [None], gb or [None]]

        def run(a, b):
            return _holt_pass(y, alpha if a is None else a, beta if b is None else b,
                              phi, False)[2]
        best = _choose(grids, run)
        if ga is not None:
            alpha = best[0]
        if gb is not None:
            beta = best[1]
    lvl, trd, _, fit = _holt_pass(y, alpha, beta, phi, fitted)
    if fitted:
        fit[:, 0] = np.nan
    return FitResult(method=method, params={"alpha": alpha, "beta": beta, "phi": phi},
                     level=lvl, trend=trd, phi=phi, fitted=fit)


def holt_winters_kernel(y, season_length, alpha, beta, gamma, fitted=True,
                        method="holt_winters") -> FitResult:
    """Additive Holt-Winters per series; Holt when T < 2 * season_length."""
    m = season_length
    if y.shape[1] < 2 * m:
        res = holt_kernel(y, alpha, beta, 1.0, fitted, method)
        res.params["gamma"] = gamma
        res.params["season_length"] = m
        return res
    names = (alpha, beta, gamma)
    grids = [ALPHA_GRID if isinstance(alpha, str) else [None],
             BETA_GRID if isinstance(beta, str) else [None],
             GAMMA_GRID if isinstance(gamma, str) else [None]]
    if any(isinstance(v, str) for v in names):
        def run(a, b, g):
            return _hw_pass(y, m, alpha if a is None else a, beta if b is None else b,
                            gamma if g is None else g, False)[3]
        best = _choose(grids, run)
        alpha = best[0] if isinstance(alpha, str) else alpha
        beta = best[1] if isinstance(beta, str) else beta
        gamma = best[2] if isinstance(gamma, str) else gamma
    lvl, trd, nxt, _, fit = _hw_pass(y, m, alpha, beta, gamma, fitted)
    if fitted:
        fit[:, 0] = np.nan
    return FitResult(method=method, params={"alpha": alpha, "beta": beta, "gamma": gamma,
                                            "season_length": m},
                     level=lvl, trend=trd, season=nxt, fitted=fit)
