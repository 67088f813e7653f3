"""Vectorised simple exponential smoothing (SES) kernels on ragged panels.

Every intermittent method in this package is built from SES run on some derived
series per row: the non-zero demand sizes (Croston, SBA, TSB), the inter-demand
intervals (Croston, SBA), the occurrence indicator (TSB), block sums of
aggregated demand (ADIDA, IMAPA) or the demand itself (SES).

Layout.  The kernels work on *time-major* arrays ``X`` of shape (M, N): column
``r`` holds series r's values ``X[0, r], X[1, r], ...``, the first ``length[r]``
of them meaningful.  Time-major makes every step of the loop over time a
contiguous whole-array operation over series.  Ragged series are handled with
``active[i]`` = the number of series that still have a value at step i, which
requires the columns to be sorted by length, longest first (:func:`ragged`
builds that).  Long panels are processed in blocks of series that fit in cache;
there is no Python loop over individual series.

SES, Brown (1959) / Hyndman & Athanasopoulos, *Forecasting: Principles and
Practice* 3rd ed., section 8.1::

    l_0 = x_0,    l_i = alpha * x_i + (1 - alpha) * l_{i-1}     [units of x]

and the one-step forecast after ``x_0..x_{n-1}`` is ``l_{n-1}``.  The level is
initialised at the first value, as statsforecast 2.1.1 does (ORACLES.md F), and
the arithmetic is written in the same order (``alpha*x + comp*l`` with
``comp = 1 - alpha`` computed once) so that results agree bit for bit.

Optimised alpha: a golden-section search per series minimising the in-sample
one-step sum of squared errors (ORACLES.md F)::

    f_0 = x_0;  f_i = alpha * x_{i-1} + (1 - alpha) * f_{i-1};
    SSE(alpha) = sum_{i=1}^{n-1} (x_i - f_i)^2                 [units of x squared]

All series of a block step together, each with its own bracket ``[a, b]``; a
series stops when ``|b - a| < 1e-12`` or when its two interior values tie
exactly (so a series with fewer than 3 values ends at the bracket midpoint), and
the result is ``(a + b) / 2``.
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["pack_events", "ragged", "ses_levels", "ses_sse", "golden_section_alpha",
           "ses_levels_tm", "ses_sse_tm", "golden_tm", "BLOCK"]

GOLDEN_RATIO = (math.sqrt(5.0) + 1.0) / 2.0
_TOL = 1e-12
BLOCK = 16384           # series per block: keeps the working arrays in cache (measured best)


# ----------------------------------------------------------------------------- layout

def pack_events(y: np.ndarray):
    """Left-align the non-zero demands of every row of ``y`` (row-major, for callers
    and tests that want one row per series).

    Returns ``sizes`` (N, M), ``intervals`` (N, M) and ``counts`` (N,), see
    :func:`pack_events_tm`.
    """
    sizes_tm, intervals_tm, counts = pack_events_tm(y)
    return sizes_tm.T.copy(), intervals_tm.T.copy(), counts


def pack_events_tm(y: np.ndarray):
    """Non-zero demand sizes and inter-demand intervals, time-major.

    Parameters
    ----------
    y : (N, T) float64 array, non-negative, oldest period first.

    Returns
    -------
    sizes : (M, N) -- ``sizes[j, r]`` = size of the j-th demand of series r [units];
        zero-padded; ``M = max(1, max count)``.
    intervals : (M, N) -- periods between the (j-1)-th and j-th demand; the first
        interval is the 0-based index of the first demand + 1 (as if a demand had
        occurred just before the sample, ORACLES.md F); trailing zeros after the
        last demand produce no interval [periods].
    counts : (N,) int64 -- number of non-zero demands per series.
    """
    nz = y != 0
    counts = nz.sum(axis=1)
    m = max(1, int(counts.max(initial=0)))
    n = y.shape[0]
    sizes = np.zeros((m, n))
    intervals = np.zeros((m, n))
    rows, cols = np.nonzero(nz)
    if rows.size:
        starts = np.cumsum(counts) - counts
        rank = np.arange(rows.size) - np.repeat(starts, counts)
        sizes[rank, rows] = y[rows, cols]
        prev = np.empty_like(cols)
        prev[0] = -1
        prev[1:] = cols[:-1]
        prev[rank == 0] = -1
        intervals[rank, rows] = (cols - prev).astype(np.float64)
    return sizes, intervals, counts


def ragged(x_tm: np.ndarray, lengths):
    """Sort the columns of a time-major ragged array by length, longest first.

    Returns ``(x_sorted, active, order)`` where ``active[i]`` is the number of
    series with more than i values and ``order`` the permutation applied (results
    computed on ``x_sorted`` are put back with ``out[order] = res``).  With
    ``lengths=None`` every series has length M: no copy, ``order`` is None.
    """
    m, n = x_tm.shape
    if lengths is None:
        return x_tm, np.full(m, n, dtype=np.int64), None
    lengths = np.asarray(lengths)
    order = np.argsort(-lengths, kind="stable")
    srt = lengths[order]
    active = np.searchsorted(-srt, -np.arange(m), side="left")   # count of srt > i
    return np.ascontiguousarray(x_tm[:, order]), active.astype(np.int64), order


def _unsort(values, order):
    if order is None:
        return values
    out = np.empty_like(values)
    out[..., order] = values
    return out


# ------------------------------------------------------------- time-major kernels

def ses_levels_tm(x: np.ndarray, alpha, active: np.ndarray, levels: np.ndarray | None = None):
    """SES final level per column of a length-sorted time-major array.

    ``alpha`` is a scalar or an (N,) array.  If ``levels`` (M, N) is given, the
    level after each value is written into it (entries past a series' length are
    left untouched by the loop, so the caller fills them).  Returns (N,).
    """
    scalar = np.isscalar(alpha)
    comp = 1.0 - alpha
    lvl = x[0].copy()
    tmp = np.empty_like(lvl)
    if levels is not None:
        levels[0] = lvl
    for i in range(1, x.shape[0]):
        k = int(active[i])
        if k == 0:
            break
        lv, t = lvl[:k], tmp[:k]
        if scalar:
            np.multiply(x[i, :k], alpha, out=t)
            np.multiply(lv, comp, out=lv)
        else:
            np.multiply(alpha[:k], x[i, :k], out=t)
            np.multiply(comp[:k], lv, out=lv)
        np.add(t, lv, out=lv)
        if levels is not None:
            levels[i, :k] = lv
    return lvl


def ses_sse_tm(x: np.ndarray, alpha, active: np.ndarray) -> np.ndarray:
    """In-sample one-step SSE per column (module docstring) of a sorted array."""
    scalar = np.isscalar(alpha)
    comp = 1.0 - alpha
    f = x[0].copy()
    sse = np.zeros_like(f)
    tmp = np.empty_like(f)
    for i in range(1, x.shape[0]):
        k = int(active[i])
        if k == 0:
            break
        fv, t = f[:k], tmp[:k]
        if scalar:
            np.multiply(x[i - 1, :k], alpha, out=t)
            np.multiply(fv, comp, out=fv)
        else:
            np.multiply(alpha[:k], x[i - 1, :k], out=t)
            np.multiply(comp[:k], fv, out=fv)
        np.add(t, fv, out=fv)
        np.subtract(x[i, :k], fv, out=t)
        np.multiply(t, t, out=t)
        np.add(sse[:k], t, out=sse[:k])
    return sse


def _golden_block(x: np.ndarray, active: np.ndarray, lower: float, upper: float):
    """Golden section for one block of sorted columns (all columns step together).

    Per series the arithmetic and the decisions are the reference's (module
    docstring): with ``c < d`` the interior points and ``L = f(c) < f(d)``,

    * ``L``: ``b = d; d = c; c = b - (b - a) / gr`` (new SSE at c),
    * ``f(c) > f(d)``: ``a = c; c = d; d = a + (b - a) / gr`` (new SSE at d),
    * a tie, or ``|b - a| < 1e-12`` at the top of the loop: the series stops.

    One SSE pass per iteration, at the new point of every series.  The bookkeeping
    is written with ``np.where`` on the two masks (a masked ``copyto`` costs about
    3 ns per element against 1 ns for ``where`` and 0.3 ns for a multiply, and the
    bookkeeping runs once per series and iteration: it was a third of the search's
    time).  Since every series starts from the same bracket and the bracket shrinks
    by ``1/gr`` per move, all series usually run the same ~55 iterations; the
    stopping tests cost one comparison per iteration until the narrowest bracket
    nears the tolerance.  Series that stop are frozen (a few masked copies) or,
    once fewer than 70 % still move, dropped from the working set (the data
    columns are copied once per compaction, so the SSE passes only touch
    searching series).
    """
    n = x.shape[1]
    result = np.empty(n)
    idx = np.arange(n)                 # original column of each working entry
    xs, act = x, active
    # scalars first: the same IEEE operations as the per-series arrays
    c0 = upper - (upper - lower) / GOLDEN_RATIO
    d0 = lower + (upper - lower) / GOLDEN_RATIO
    a = np.full(n, float(lower))
    b = np.full(n, float(upper))
    lo = np.full(n, c0)
    hi = np.full(n, d0)
    fl = ses_sse_tm(xs, c0, act)
    fh = ses_sse_tm(xs, d0, act)
    width = b - a
    while True:
        left = fl < fh
        right = fl > fh
        if float(width.min(initial=np.inf)) < _TOL:
            running = np.abs(width) >= _TOL
            left &= running
            right &= running
        size = idx.size
        n_mov = int(np.count_nonzero(left)) + int(np.count_nonzero(right))
        if n_mov == 0:
            break
        frozen = None
        if n_mov < size:
            stop = ~(left | right)
            if n_mov < 0.7 * size:     # compact: drop the series that have stopped
                result[idx[stop]] = (a[stop] + b[stop]) / 2.0
                keep = np.nonzero(~stop)[0]
                idx = idx[keep]
                # keep is increasing, so the compacted columns stay sorted by length
                act = np.minimum(np.searchsorted(keep, act, side="left"), keep.size)
                xs = np.ascontiguousarray(xs[:, keep])
                a, b, lo, hi, fl, fh = a[keep], b[keep], lo[keep], hi[keep], fl[keep], fh[keep]
                left, right = left[keep], right[keep]
            else:
                frozen = stop
                old = (a, b, lo, hi, fl, fh)
        a = np.where(right, lo, a)
        b = np.where(left, hi, b)
        width = b - a
        step = width / GOLDEN_RATIO
        point = np.where(left, b - step, a + step)
        if frozen is not None:
            np.copyto(point, 0.5, where=frozen)
        fnew = ses_sse_tm(xs, point, act)
        # left: c = new point, d = old c;  right: c = old d, d = new point
        lo, hi = np.where(left, point, hi), np.where(left, lo, point)
        fl, fh = np.where(left, fnew, fh), np.where(left, fl, fnew)
        if frozen is not None:
            for arr, prev in zip((a, b, lo, hi, fl, fh), old):
                np.copyto(arr, prev, where=frozen)
            width = b - a
    result[idx] = (a + b) / 2.0
    return result


def _blocks(n: int, block: int):
    return [(s, min(s + block, n)) for s in range(0, n, block)]


def golden_tm(x: np.ndarray, active: np.ndarray, lower: float = 0.1, upper: float = 0.3,
              block: int | None = None, n_jobs: int = 1) -> np.ndarray:
    """Per-column golden-section alpha of a sorted time-major array (blocks of series;
    ``n_jobs`` threads run blocks concurrently -- numpy releases the GIL)."""
    n = x.shape[1]
    out = np.empty(n)
    block = BLOCK if block is None else block

    def run(bounds):
        s, e = bounds
        act = np.clip(active - s, 0, e - s)
        out[s:e] = _golden_block(np.ascontiguousarray(x[:, s:e]), act, lower, upper)

    parts = _blocks(n, block)
    if n_jobs > 1 and len(parts) > 1:
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            list(pool.map(run, parts))
    else:
        for p in parts:
            run(p)
    return out


# ------------------------------------------------- row-major convenience wrappers

def ses_levels(x: np.ndarray, alpha, lengths=None, return_all: bool = False):
    """SES levels of every row of a left-aligned row-major (N, M) ragged array.

    Returns the final level (N,) and, with ``return_all``, the (N, M) levels after
    each value (entries past a row's length repeat its last level).  A row of
    length 0 returns ``x[r, 0]``.
    """
    xt, active, order = ragged(np.ascontiguousarray(x.T), lengths)
    a = alpha if np.isscalar(alpha) or order is None else np.asarray(alpha)[order]
    levels = np.empty_like(xt) if return_all else None
    lvl = ses_levels_tm(xt, a, active, levels)
    lvl = _unsort(lvl, order)
    if not return_all:
        return lvl
    _fill_past_end(levels, active)
    return lvl, _unsort(levels, order).T.copy()


def _fill_past_end(levels: np.ndarray, active: np.ndarray):
    """Repeat each series' last level past its length (sorted time-major layout)."""
    for i in range(1, levels.shape[0]):
        k = int(active[i])
        if k < levels.shape[1]:
            levels[i, k:] = levels[i - 1, k:]


def ses_sse(x: np.ndarray, alpha, lengths=None) -> np.ndarray:
    """In-sample one-step SSE of SES per row of a row-major ragged array."""
    xt, active, order = ragged(np.ascontiguousarray(x.T), lengths)
    a = alpha if np.isscalar(alpha) or order is None else np.asarray(alpha)[order]
    return _unsort(ses_sse_tm(xt, a, active), order)


def golden_section_alpha(x: np.ndarray, lengths=None, lower: float = 0.1,
                         upper: float = 0.3, n_jobs: int = 1) -> np.ndarray:
    """Per-row golden-section minimiser of :func:`ses_sse` over ``[lower, upper]``."""
    xt, active, order = ragged(np.ascontiguousarray(x.T), lengths)
    return _unsort(golden_tm(xt, active, lower, upper, n_jobs=n_jobs), order)
