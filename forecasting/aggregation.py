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
from ._ses import golden_tm, ses_levels_tm

__all__ = ["aggregation_levels", "block_sums", "block_sums_tm", "adida_kernel", "imapa_kernel",
           "level_forecasts", "imapa_from_levels", "adida_from_levels"]


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

    ``y`` is (N, T) row-major; returns (N, T // k).  See :func:`block_sums_tm`.
    """
    return block_sums_tm(np.ascontiguousarray(y.T), k).T.copy()


def block_sums_tm(ytm: np.ndarray, k: int) -> np.ndarray:
    """Block sums of a time-major (T, n) array -> (T // k, n).

    Summed left to right inside each block (a loop over the k positions), the
    same order as the reference, so results agree bit for bit.
    """
    t, n = ytm.shape
    lost = t % k
    n_chunks = (t - lost) // k
    view = ytm[lost:].reshape(n_chunks, k, n)
    out = view[:, 0, :].copy()
    for j in range(1, k):
        out += view[:, j, :]
    return out


def _expand_blocks(levels: np.ndarray, t: int, k: int) -> np.ndarray:
    """Per-period one-step values from block levels (n, n_chunks): level after the
    last complete block ending before period t (NaN if none), divided by k."""
    lost = t % k
    periods = np.arange(t)
    done = (periods - lost) // k           # complete blocks ending at or before t-1
    out = np.full((levels.shape[0], t), np.nan)
    ok = done >= 1
    out[:, ok] = levels[:, done[ok] - 1] / k
    return out


def _aggregate_forecast(ytm: np.ndarray, k: int, adida_rules: bool, fitted: bool,
                        n_jobs: int = 1):
    """Forecast per k periods for series sharing level k; ``ytm`` is (T, n).

    Returns (forecast (n,), alpha (n,), fitted (n, T) or None); ``fitted`` is already
    divided by k.
    """
    t, n = ytm.shape
    lost = t % k
    if t - lost < k:  # fewer periods than one block (never with k from the data)
        fit = np.full((n, t), np.nan) if fitted else None
        return ytm[-1].copy(), np.full(n, np.nan), fit
    sums = block_sums_tm(ytm, k)
    n_chunks = sums.shape[0]
    if n_chunks == 1:
        alpha = np.full(n, np.nan) if adida_rules else np.full(n, 0.2)
        fit = _expand_blocks(sums.T, t, k) if fitted else None
        return sums[0].copy(), alpha, fit
    active = np.full(n_chunks, n, dtype=np.int64)
    alpha = golden_tm(sums, active, 0.1, 0.3, n_jobs=n_jobs)
    lv = np.empty_like(sums) if fitted else None
    fc = ses_levels_tm(sums, alpha, active, lv)
    fit = _expand_blocks(lv.T, t, k) if fitted else None
    return fc, alpha, fit


def adida_kernel(y: np.ndarray, fitted: bool = True, method: str = "adida",
                 n_jobs: int = 1) -> FitResult:
    """ADIDA per series (see the module docstring for the equations)."""
    n, t = y.shape
    k = aggregation_levels(y)
    order = np.argsort(k, kind="stable")
    ks = k[order]
    ytm = np.ascontiguousarray(y[order].T)
    level = np.zeros(n)
    alpha = np.full(n, np.nan)
    fit = np.zeros((n, t)) if fitted else None
    if fitted:
        fit[:, 0] = np.nan
    values, starts = np.unique(ks, return_index=True)
    ends = np.append(starts[1:], n)
    for kk, s, e in zip(values, starts, ends):
        if kk == 0:
            continue
        rows = order[s:e]
        fc, al, ff = _aggregate_forecast(ytm[:, s:e], int(kk), True, fitted, n_jobs)
        level[rows] = fc / kk
        alpha[rows] = al
        if fitted:
            fit[rows] = ff
    return FitResult(method=method, params={"alpha": alpha, "k": k}, level=level, fitted=fit)


def level_forecasts(y: np.ndarray, fitted: bool = False, n_jobs: int = 1):
    """Aggregate forecasts per level for IMAPA (and ADIDA, which is one of them).

    Series are sorted by K = round(mean interval), largest first; level k covers the
    prefix of series with K >= k.  Returns ``(order, k_sorted, fcs, fits)`` where
    ``fcs[k-1]`` holds the level-k forecast per k periods for that prefix (optimised
    SES on the block sums; a single block gives its own sum) and ``fits[k-1]`` the
    fitted values (already / k) or None.
    """
    kmax = aggregation_levels(y)
    order = np.argsort(-kmax, kind="stable")
    ks = kmax[order]
    ytm = np.ascontiguousarray(y[order].T)
    fcs, fits = [], []
    for kk in range(1, int(ks[0]) + 1 if ks.size else 1):
        n_k = int(np.count_nonzero(ks >= kk))
        fc, _, ff = _aggregate_forecast(ytm[:, :n_k], kk, False, fitted, n_jobs)
        fcs.append(fc)
        fits.append(ff)
    return order, ks, fcs, fits


def imapa_from_levels(n: int, order, ks, fcs) -> np.ndarray:
    """IMAPA forecast (n,) from :func:`level_forecasts` output."""
    acc = np.zeros(n)
    for kk, fc in enumerate(fcs, start=1):
        acc[: fc.size] += fc / kk
    out = np.zeros(n)
    has = ks > 0
    out[order[has]] = acc[has] / ks[has]
    return out


def adida_from_levels(n: int, order, ks, fcs) -> np.ndarray:
    """ADIDA forecast (n,) from :func:`level_forecasts`: level K of each series / K.

    Equal to :func:`adida_kernel` because ADIDA's aggregate forecast at level K (SES
    with golden-section alpha on the block sums; a single block's sum) is the same
    computation as IMAPA's level-K term.
    """
    out = np.zeros(n)
    for kk, fc in enumerate(fcs, start=1):
        sel = ks[: fc.size] == kk
        out[order[: fc.size][sel]] = fc[sel] / kk
    return out


def imapa_kernel(y: np.ndarray, fitted: bool = True, method: str = "imapa",
                 n_jobs: int = 1) -> FitResult:
    """IMAPA per series: mean over k = 1..K of the level-k aggregate forecast / k."""
    n, t = y.shape
    order, ks, fcs, fits = level_forecasts(y, fitted, n_jobs)
    level = imapa_from_levels(n, order, ks, fcs)
    kmax = np.empty_like(ks)
    kmax[order] = ks
    fit = None
    if fitted:
        acc = np.zeros((n, t))
        for ff in fits:
            acc[: ff.shape[0]] += ff
        has = ks > 0
        srt = np.where(has[:, None], acc / np.maximum(ks, 1)[:, None], 0.0)
        fit = np.empty((n, t))
        fit[order] = srt
        fit[:, 0] = np.nan
    return FitResult(method=method, params={"k": kmax}, level=level, fitted=fit)
