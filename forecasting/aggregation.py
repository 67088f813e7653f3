"""Temporal aggregation methods ADIDA and IMAPA, vectorised across series.

ADIDA: Nikolopoulos, Syntetos, Boylan, Petropoulos & Assimakopoulos (2011),
"An aggregate-disaggregate intermittent demand approach (ADIDA) to forecasting",
JORS 62:544-554.  IMAPA: Petropoulos & Kourentzes (2015), "Forecast combinations
for intermittent demand", JORS 66:914-924.  Definitions as in statsforecast 2.1.1
(ORACLES.md F):

* ``k = round(mean inter-demand interval)`` with round-half-to-even; the mean
  interval is ``(index of last demand + 1) / number of demands`` (first interval
  counted from the series start, trailing zeros ignored).
* Aggregation at level k drops the **oldest** ``T mod k`` periods and sums
  non-overlapping blocks of k periods: ``B_i = sum_{j<k} y[T mod k + i k + j]``
  [units per k periods].
* ADIDA: if there are fewer than k periods after the drop, the forecast is the
  last observation; with one block it is that block's sum; otherwise SES with a
  per-series golden-section alpha on [0.1, 0.3] on the block sums.  Forecast =
  that value / k [units/period].
* IMAPA: the same aggregate forecast (always optimised SES, a single block giving
  its own sum) for every level 1..K, each divided by its level, then averaged.
* An all-zero series forecasts 0.

Vectorisation: series are grouped by their aggregation level (a loop over the
few distinct levels); within a group every series has the same number of
blocks, so the block sums form a dense matrix and the golden-section search runs
over the whole group at once.

Fitted values use the final aggregation level(s) and alphas: ``fitted[:, t]`` is
the SES level after the last *complete* block that ends before period t, divided
by k (IMAPA: averaged over the levels, and NaN until every level has a complete
block).  This is not statsforecast's fitted (which re-optimises every prefix, an
O(T^2) computation); it is documented here because lead-time error variances use
it.
"""
from __future__ import annotations

import numpy as np

from ._result import FitResult
from ._ses import golden_section_alpha, ses_levels

__all__ = ["aggregation_levels", "block_sums", "adida_kernel", "imapa_kernel"]


def aggregation_levels(y: np.ndarray) -> np.ndarray:
    """``round(mean inter-demand interval)`` per series (0 for an all-zero series)."""
    nz = y != 0
    count = nz.sum(axis=1)
    t = y.shape[1]
    last = t - 1 - np.argmax(nz[:, ::-1], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (last + 1).astype(np.float64) / count
    return np.where(count > 0, np.round(mean), 0).astype(np.int64)


def block_sums(y: np.ndarray, k: int) -> np.ndarray:
    """Sums of non-overlapping blocks of k periods, oldest ``T mod k`` periods dropped.

    Summed left to right inside each block (a loop over the k positions), the
    same order as the reference, so results agree bit for bit.
    """
    t = y.shape[1]
    lost = t % k
    n_chunks = (t - lost) // k
    view = y[:, lost:].reshape(y.shape[0], n_chunks, k)
    out = view[:, :, 0].copy()
    for j in range(1, k):
        out += view[:, :, j]
    return out


def _expand_blocks(levels: np.ndarray, t: int, k: int) -> np.ndarray:
    """Per-period one-step values from block levels: level after the last complete
    block ending before period t (NaN if none), divided by k."""
    lost = t % k
    periods = np.arange(t)
    done = (periods - lost) // k           # complete blocks ending at or before t-1
    out = np.full((levels.shape[0], t), np.nan)
    ok = done >= 1
    out[:, ok] = levels[:, done[ok] - 1] / k
    return out


def _aggregate_forecast(y_group: np.ndarray, k: int, adida_rules: bool, fitted: bool):
    """Forecast per k periods for a group of series sharing level k.

    Returns (forecast (n,), alpha (n,), fitted (n, T) or None); ``fitted`` is already
    divided by k.
    """
    n, t = y_group.shape
    lost = t % k
    if t - lost < k:  # fewer periods than one block (never with k from the data)
        fc = y_group[:, -1].copy()
        fit = np.full((n, t), np.nan) if fitted else None
        return fc, np.full(n, np.nan), fit
    sums = block_sums(y_group, k)
    if sums.shape[1] == 1:
        fc = sums[:, 0].copy()
        alpha = np.full(n, np.nan) if adida_rules else np.full(n, 0.2)
        fit = _expand_blocks(sums, t, k) if fitted else None
        return fc, alpha, fit
    alpha = golden_section_alpha(sums, None, 0.1, 0.3)
    if fitted:
        fc, lv = ses_levels(sums, alpha, None, return_all=True)
        fit = _expand_blocks(lv, t, k)
    else:
        fc = ses_levels(sums, alpha)
        fit = None
    return fc, alpha, fit


def adida_kernel(y: np.ndarray, fitted: bool = True, method: str = "adida") -> FitResult:
    """ADIDA per series (see the module docstring for the equations)."""
    n, t = y.shape
    k = aggregation_levels(y)
    level = np.zeros(n)
    alpha = np.full(n, np.nan)
    fit = np.zeros((n, t)) if fitted else None
    if fitted:
        fit[:, 0] = np.nan
    for kk in np.unique(k[k > 0]):
        rows = np.nonzero(k == kk)[0]
        fc, al, ff = _aggregate_forecast(y[rows], int(kk), True, fitted)
        level[rows] = fc / kk
        alpha[rows] = al
        if fitted:
            fit[rows] = ff
    return FitResult(method=method, params={"alpha": alpha, "k": k}, level=level, fitted=fit)


def imapa_kernel(y: np.ndarray, fitted: bool = True, method: str = "imapa") -> FitResult:
    """IMAPA per series: mean over k = 1..K of the level-k aggregate forecast / k."""
    n, t = y.shape
    kmax = aggregation_levels(y)
    acc = np.zeros(n)
    fit_acc = np.zeros((n, t)) if fitted else None
    top = int(kmax.max(initial=0))
    for kk in range(1, top + 1):
        rows = np.nonzero(kmax >= kk)[0]
        fc, _, ff = _aggregate_forecast(y[rows], kk, False, fitted)
        acc[rows] += fc / kk
        if fitted:
            fit_acc[rows] += ff
    has = kmax > 0
    level = np.where(has, acc / np.maximum(kmax, 1), 0.0)
    fit = None
    if fitted:
        fit = np.where(has[:, None], fit_acc / np.maximum(kmax, 1)[:, None], 0.0)
        fit[:, 0] = np.nan
    return FitResult(method=method, params={"k": kmax}, level=level, fitted=fit)
