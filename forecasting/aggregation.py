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
  last observation; with one block it is that block's sum; otherwise SES on the
  block sums with the per-series alpha in [0.1, 0.3] that minimises their
  in-sample one-step SSE.  Forecast = that value / k [units/period].  The alpha is
  found by the fast exact minimiser (default) or by statsforecast's golden
  section (``optimizer="golden"``, bit-identical to it); the two differ as
  documented in :mod:`forecasting._ses`.
* IMAPA: the same aggregate forecast (always optimised SES, a single block giving
  its own sum) for every level 1..K, each divided by its level, then averaged
  (numpy's mean of the K values).  statsforecast sums IMAPA's blocks with numpy
  (pairwise summation) but ADIDA's in C++ (left to right); the two differ in the
  last bit for blocks of k >= 8 non-integer values, and we follow each.
* An all-zero series forecasts 0.

Vectorisation: series are grouped by their aggregation level (a loop over the
few distinct levels); within a group every series has the same number of
blocks, so the block sums form a dense matrix and the alpha search runs over the
whole group at once.

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
from . import _ses
from ._ses import check_optimizer, optimal_alpha_tm, ses_levels_tm

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


def _aggregate_many(groups, adida_rules: bool, fitted: bool, n_jobs: int = 1,
                    optimizer: str = "newton"):
    """Aggregate forecasts for several groups at once.

    ``groups`` is a list of ``(ytm, k)`` with ``ytm`` a time-major (T, n_g) view of
    the series that share aggregation level k, in increasing k.  Returns one
    ``(forecast (n_g,), alpha (n_g,), fitted (n_g, T) or None)`` per group, the
    forecast per k periods and ``fitted`` already divided by k.

    Groups with at least 2 blocks go through optimised SES.  Small groups are
    batched (golden: up to one cache block of series; fast minimiser, which works
    in blocks itself: up to ``NEWTON_BATCH``) into a single length-sorted ragged
    array, so the search pays its per-step overhead once per batch rather than
    once per group; per series the arithmetic is unchanged.
    """
    results = [None] * len(groups)
    pending = []                       # (group index, sums) needing optimised SES
    for gi, group in enumerate(groups):
        ytm, k = group[0], group[1]
        given = group[2] if len(group) > 2 else None
        t, n = ytm.shape
        lost = t % k
        if t - lost < k:   # fewer periods than one block (never with k from the data)
            fit = np.full((n, t), np.nan) if fitted else None
            results[gi] = (ytm[-1].copy(), np.full(n, np.nan), fit)
            continue
        sums = block_sums_tm(ytm, k) if given is None else given
        if sums.shape[0] == 1:
            alpha = np.full(n, np.nan) if adida_rules else np.full(n, 0.2)
            fit = _expand_blocks(sums.T, t, k) if fitted else None
            results[gi] = (sums[0].copy(), alpha, fit)
            continue
        pending.append((gi, sums))
    batch, width = [], 0
    limit = _ses.BLOCK if optimizer == "golden" else _ses.NEWTON_BATCH
    for item in pending + [None]:
        if item is not None and (not batch or width + item[1].shape[1] <= limit):
            batch.append(item)
            width += item[1].shape[1]
            continue
        if batch:
            _run_batch(batch, groups, results, fitted, n_jobs, optimizer)
        batch, width = ([item], item[1].shape[1]) if item is not None else ([], 0)
    return results


def _run_batch(batch, groups, results, fitted, n_jobs, optimizer):
    if len(batch) == 1:
        gi, x = batch[0]
        lengths = np.full(x.shape[1], x.shape[0])
    else:
        depth = max(s.shape[0] for _, s in batch)
        total = sum(s.shape[1] for _, s in batch)
        x = np.zeros((depth, total))
        lengths = np.empty(total, dtype=np.int64)
        col = 0
        for _, s in batch:
            x[: s.shape[0], col: col + s.shape[1]] = s
            lengths[col: col + s.shape[1]] = s.shape[0]
            col += s.shape[1]
    # groups come in increasing k, so lengths are already non-increasing
    active = np.searchsorted(-lengths, -np.arange(x.shape[0]), side="left").astype(np.int64)
    alpha = optimal_alpha_tm(x, active, 0.1, 0.3, optimizer, n_jobs=n_jobs)
    lv = np.empty_like(x) if fitted else None
    fc = ses_levels_tm(x, alpha, active, lv)
    col = 0
    for gi, s in batch:
        n_g = s.shape[1]
        sl = slice(col, col + n_g)
        ytm, k = groups[gi][0], groups[gi][1]
        fit = _expand_blocks(lv[: s.shape[0], sl].T, ytm.shape[0], k) if fitted else None
        results[gi] = (fc[sl].copy(), alpha[sl].copy(), fit)
        col += n_g


def adida_kernel(y: np.ndarray, fitted: bool = True, method: str = "adida",
                 n_jobs: int = 1, optimizer: str = "newton") -> FitResult:
    """ADIDA per series (see the module docstring for the equations); ``optimizer``
    "newton" (default) or "golden" as in :func:`forecasting._ses.optimal_alpha_tm`."""
    check_optimizer(optimizer)
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
    spans = [(int(kk), s, e) for kk, s, e in zip(values, starts, ends) if kk > 0]
    results = _aggregate_many([(ytm[:, s:e], kk) for kk, s, e in spans], True, fitted, n_jobs,
                              optimizer)
    for (kk, s, e), (fc, al, ff) in zip(spans, results):
        rows = order[s:e]
        level[rows] = fc / kk
        alpha[rows] = al
        if fitted:
            fit[rows] = ff
    return FitResult(method=method, params={"alpha": alpha, "k": k}, level=level, fitted=fit)


def level_forecasts(y: np.ndarray, fitted: bool = False, n_jobs: int = 1,
                    optimizer: str = "newton"):
    """Aggregate forecasts per level for IMAPA (and ADIDA, which is one of them).

    Series are sorted by K = round(mean interval), largest first; level k covers the
    prefix of series with K >= k.  Returns ``(order, k_sorted, fcs, fits)`` where
    ``fcs[k-1]`` holds the level-k forecast per k periods for that prefix (optimised
    SES on the block sums; a single block gives its own sum) and ``fits[k-1]`` the
    fitted values (already / k) or None.
    """
    check_optimizer(optimizer)
    kmax = aggregation_levels(y)
    order = np.argsort(-kmax, kind="stable")
    ks = kmax[order]
    y_sorted = y[order]
    ytm = np.ascontiguousarray(y_sorted.T)
    top = int(ks[0]) if ks.size else 0
    groups = []
    for kk in range(1, top + 1):
        n_k = int(np.count_nonzero(ks >= kk))
        groups.append((ytm[:, :n_k], kk, _pairwise_sums(y_sorted[:n_k], kk)))
    results = _aggregate_many(groups, False, fitted, n_jobs, optimizer)
    return order, ks, [r[0] for r in results], [r[2] for r in results]


def _pairwise_sums(y_rows: np.ndarray, k: int):
    """IMAPA's block sums as the reference computes them: numpy's ``sum`` along the
    contiguous block axis (pairwise summation, which differs from a left-to-right
    sum in the last bit for k >= 8 and non-integer data).  Returns None for k < 8,
    where the two orders coincide and the time-major sums are used."""
    if k < 8:
        return None
    n, t = y_rows.shape
    lost = t % k
    n_chunks = (t - lost) // k
    if n_chunks < 1:
        return None
    return np.ascontiguousarray(y_rows[:, lost:].reshape(n, n_chunks, k).sum(axis=2).T)


def imapa_from_levels(n: int, order, ks, fcs) -> np.ndarray:
    """IMAPA forecast (n,) from :func:`level_forecasts` output.

    The mean over the K levels is numpy's mean of the K values ``fc_k / k`` per
    series (series grouped by K), the reference's summation order.
    """
    out = np.zeros(n)
    values, starts = np.unique(-ks, return_index=True)      # ks is sorted descending
    ends = np.append(starts[1:], ks.size)
    for negk, s, e in zip(values, starts, ends):
        kk = int(-negk)
        if kk == 0:
            continue
        mat = np.column_stack([fcs[j][s:e] / (j + 1) for j in range(kk)])
        out[order[s:e]] = mat.sum(axis=1) / kk
    return out


def adida_from_levels(n: int, order, ks, fcs) -> np.ndarray:
    """ADIDA forecast (n,) from :func:`level_forecasts`: level K of each series / K.

    Equal to :func:`adida_kernel` because ADIDA's aggregate forecast at level K (SES
    with optimised alpha on the block sums; a single block's sum) is the same
    computation as IMAPA's level-K term.
    """
    out = np.zeros(n)
    for kk, fc in enumerate(fcs, start=1):
        sel = ks[: fc.size] == kk
        out[order[: fc.size][sel]] = fc[sel] / kk
    return out


def imapa_kernel(y: np.ndarray, fitted: bool = True, method: str = "imapa",
                 n_jobs: int = 1, optimizer: str = "newton") -> FitResult:
    """IMAPA per series: mean over k = 1..K of the level-k aggregate forecast / k
    (``optimizer`` as in :func:`adida_kernel`)."""
    n, t = y.shape
    order, ks, fcs, fits = level_forecasts(y, fitted, n_jobs, optimizer)
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
