"""Vectorised simple exponential smoothing (SES) kernels on ragged panels.

Every intermittent method in this package is built from SES run on some derived
series per row: the non-zero demand sizes (Croston, SBA, TSB), the inter-demand
intervals (Croston, SBA), the occurrence indicator (TSB), block sums of
aggregated demand (ADIDA, IMAPA) or the demand itself (SES).  Those derived
series have different lengths per row, so they are stored *left-aligned* in a
2-D array ``X`` (rows x max length, padded with zeros) together with the length
of each row.  The kernels loop over the column index (time) and take
whole-array numpy steps over all rows; there is no Python loop over rows.

SES, Brown (1959) / Hyndman & Athanasopoulos, *Forecasting: Principles and
Practice* 3rd ed., section 8.1::

    l_0 = x_0,    l_i = alpha * x_i + (1 - alpha) * l_{i-1}     [units of x]

and the one-step forecast after ``x_0..x_{n-1}`` is ``l_{n-1}``.  The level is
initialised at the first value, as statsforecast 2.1.1 does (ORACLES.md F), and
the arithmetic is written in the same order (``alpha*x + comp*l`` with
``comp = 1 - alpha`` computed once) so that results agree bit for bit.

The smoothing constant can be chosen per row by a golden-section search that
minimises the in-sample one-step sum of squared errors (ORACLES.md F, "Optimised
alpha")::

    f_0 = x_0;  f_i = alpha * x_{i-1} + (1 - alpha) * f_{i-1};
    SSE(alpha) = sum_{i=1}^{n-1} (x_i - f_i)^2                 [units of x squared]

The search keeps one bracket ``[a, b]`` per row; all rows step together and a
row stops when ``|b - a| < 1e-12`` or when its two interior values tie exactly
(so a row with fewer than 2 values ends at the bracket midpoint).
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["pack_events", "ses_levels", "ses_sse", "golden_section_alpha", "ses_optimized"]

GOLDEN_RATIO = (math.sqrt(5.0) + 1.0) / 2.0
_TOL = 1e-12


def pack_events(y: np.ndarray):
    """Left-align the non-zero demands of every row of ``y``.

    Parameters
    ----------
    y : (N, T) float64 array, non-negative, oldest period first.

    Returns
    -------
    sizes : (N, M) float64 -- the non-zero demand sizes of each row, left-aligned,
        zero-padded; ``M = max(1, max count)``.
    intervals : (N, M) float64 -- inter-demand intervals [periods]; the first interval
        of a row is the 0-based index of its first demand + 1 (as if a demand had
        occurred just before the sample, ORACLES.md F); trailing zeros after the
        last demand produce no interval.
    counts : (N,) int64 -- number of non-zero demands per row.
    """
    nz = y != 0
    counts = nz.sum(axis=1)
    m = max(1, int(counts.max(initial=0)))
    n = y.shape[0]
    sizes = np.zeros((n, m))
    intervals = np.zeros((n, m))
    rows, cols = np.nonzero(nz)
    if rows.size:
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        rank = np.arange(rows.size) - np.repeat(starts, counts)
        sizes[rows, rank] = y[rows, cols]
        prev = np.empty_like(cols)
        prev[0] = -1
        prev[1:] = cols[:-1]
        prev[rank == 0] = -1
        intervals[rows, rank] = (cols - prev).astype(np.float64)
    return sizes, intervals, counts


def ses_levels(x: np.ndarray, alpha, lengths=None, return_all: bool = False):
    """SES levels of every row of a left-aligned ragged array.

    Parameters
    ----------
    x : (N, M) float64 array, row ``r`` holds ``lengths[r]`` values then padding.
    alpha : float or (N,) array in (0, 1].
    lengths : (N,) ints or None (all rows have length M).  A row of length 0
        returns level ``x[r, 0]`` (the caller decides what that means).
    return_all : also return the (N, M) array of levels after each value
        (entries past a row's length repeat its last level).

    Returns
    -------
    final : (N,) level after each row's last value = the one-step forecast.
    levels : (N, M), only when ``return_all``.
    """
    alpha = alpha if np.isscalar(alpha) else np.asarray(alpha, dtype=np.float64)
    comp = 1.0 - alpha
    lvl = x[:, 0].copy()
    levels = None
    if return_all:
        levels = np.empty_like(x)
        levels[:, 0] = lvl
    width = x.shape[1]
    lengths = None if lengths is None else np.asarray(lengths)
    for i in range(1, width):
        new = alpha * x[:, i] + comp * lvl
        if lengths is None:
            lvl = new
        else:
            lvl = np.where(lengths > i, new, lvl)
        if return_all:
            levels[:, i] = lvl
    if return_all:
        return lvl, levels
    return lvl


def ses_sse(x: np.ndarray, alpha, lengths=None) -> np.ndarray:
    """In-sample one-step SSE of SES per row (see module docstring) [x units squared].

    Rows of length < 2 give 0.  Same operation order as statsforecast's ``ses_sse``.
    """
    alpha = alpha if np.isscalar(alpha) else np.asarray(alpha, dtype=np.float64)
    comp = 1.0 - alpha
    f = x[:, 0].copy()
    sse = np.zeros(x.shape[0])
    lengths = None if lengths is None else np.asarray(lengths)
    for i in range(1, x.shape[1]):
        f = alpha * x[:, i - 1] + comp * f
        e = x[:, i] - f
        if lengths is None:
            sse += e * e
        else:
            sse = np.where(lengths > i, sse + e * e, sse)
    return sse


def golden_section_alpha(x: np.ndarray, lengths=None, lower: float = 0.1,
                         upper: float = 0.3) -> np.ndarray:
    """Per-row golden-section minimiser of :func:`ses_sse` over ``[lower, upper]``.

    Vectorised over rows: every row keeps its own bracket and all rows take one
    step per iteration; rows that have stopped are masked out (and, once few rows
    remain, evaluated on a compressed copy).  Returns the bracket midpoint per row.
    """
    n = x.shape[0]
    lengths = None if lengths is None else np.asarray(lengths)
    a = np.full(n, float(lower))
    b = np.full(n, float(upper))
    c = b - (b - a) / GOLDEN_RATIO
    d = a + (b - a) / GOLDEN_RATIO
    fc = ses_sse(x, c, lengths)
    fd = ses_sse(x, d, lengths)
    active = np.abs(b - a) >= _TOL
    while True:
        left = active & (fc < fd)
        right = active & (fd < fc)
        moving = left | right
        if not moving.any():
            break
        # left: minimum in [a, d] -> b = d, d = c, fd = fc, new c
        # right: minimum in [c, b] -> a = c, c = d, fc = fd, new d
        b_new = np.where(left, d, b)
        a_new = np.where(right, c, a)
        c_new = np.where(left, b_new - (b_new - a) / GOLDEN_RATIO, np.where(right, d, c))
        d_new = np.where(left, c, np.where(right, a_new + (b_new - a_new) / GOLDEN_RATIO, d))
        fd = np.where(left, fc, fd)
        fc = np.where(right, fd, fc)
        a, b, c, d = a_new, b_new, c_new, d_new
        point = np.where(left, c, d)
        k = int(moving.sum())
        if k > 0.75 * n:
            fnew = ses_sse(x, np.where(moving, point, 0.5), lengths)
        else:
            idx = np.nonzero(moving)[0]
            sub = ses_sse(x[idx], point[idx], None if lengths is None else lengths[idx])
            fnew = np.zeros(n)
            fnew[idx] = sub
        fc = np.where(left, fnew, fc)
        fd = np.where(right, fnew, fd)
        active = moving & (np.abs(b - a) >= _TOL)
    return (a + b) / 2.0


def ses_optimized(x: np.ndarray, lengths=None, lower: float = 0.1, upper: float = 0.3,
                  return_all: bool = False):
    """SES with a per-row alpha from :func:`golden_section_alpha`.

    Returns ``(final_level, alpha)`` or ``(final_level, alpha, levels)``.
    """
    alpha = golden_section_alpha(x, lengths, lower, upper)
    out = ses_levels(x, alpha, lengths, return_all=return_all)
    if return_all:
        return out[0], alpha, out[1]
    return out, alpha
