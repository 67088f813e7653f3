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

Optimised alpha: the alpha in ``[lower, upper]`` minimising the in-sample
one-step sum of squared errors (ORACLES.md F)::

    f_0 = x_0;  f_i = alpha * x_{i-1} + (1 - alpha) * f_{i-1};
    SSE(alpha) = sum_{i=1}^{n-1} (x_i - f_i)^2                 [units of x squared]

Two optimisers find it (parameter ``optimizer`` of every optimising method):

``"golden"`` -- statsforecast's golden-section search (:func:`golden_tm`), which
reproduces its alphas bit for bit.  All series of a block step together, each
with its own bracket ``[a, b]``; a series stops when ``|b - a| < 1e-12`` or when
its two interior values tie exactly (so a series with fewer than 3 values ends
at the bracket midpoint), and the result is ``(a + b) / 2``.  About 57 SSE
passes over the data.

``"newton"`` (default) -- a fast exact minimiser of the same SSE on the same
interval (:func:`newton_tm`), 1 scan pass and typically 3 Newton passes over
about a third of the series:

1. Derivatives by forward-mode differentiation of the recursion, written for the
   error ``e_i = x_i - f_i`` with ``c = 1 - alpha`` and ``dx_i = x_i - x_{i-1}``::

       e_0 = 0,  e_i = dx_i + c e_{i-1}                            [units of x]
       u_0 = 0,  u_i = e_{i-1} + c u_{i-1}        (u_i = -de_i/dalpha)
       w_0 = 0,  w_i = u_{i-1} + c w_{i-1}        (w_i = -1/2 du_i/dalpha)
       SSE = sum e_i^2,  SSE' = -2 sum e_i u_i,  SSE'' = 2 sum u_i^2 + 4 sum e_i w_i

   One pass gives SSE and SSE' (4 multiply-adds per value) or SSE' and SSE'' (6).
2. Scan: SSE and SSE' at equally spaced points of the interval, ends included,
   at most 0.05 apart (0.1, 0.15, ..., 0.3 for the intermittent methods).
   Candidates: ``lower`` if SSE'(lower) >= 0, ``upper`` if SSE'(upper) <= 0, and
   every scan interval where SSE' goes from < 0 to >= 0.  Scan intervals with
   SSE' of the same sign at both ends that may still hide a local minimum (the
   SSE moves against both slopes, or the cubic interpolating SSE and SSE' at the
   ends has an interior local minimum -- for falling intervals only one below
   both ends) are scanned again at 15 interior points.  A series whose SSE' is
   exactly 0 at every scan point has an SSE that does not depend on alpha (fewer
   than 3 values, or all values but the last equal): it gets the midpoint
   ``(lower + upper) / 2``, the golden section's answer there (its first
   comparison ties).
3. Each bracket is refined by Newton's method on SSE' safeguarded by bisection
   (Press et al., *Numerical Recipes* 3rd ed., section 9.4, ``rtsafe``): the
   bracket keeps SSE' < 0 at its left end and > 0 at its right end, so the limit
   is a local minimum; a step that leaves the bracket or meets SSE'' <= 0 is a
   bisection.  The start is the minimiser of the cubic interpolating SSE and SSE'
   at the bracket ends (Nocedal & Wright, *Numerical Optimization* 2nd ed., eq.
   3.59).  A bracket stops when the Newton step is below 1e-9 (the step is then
   applied: the error after it is of order step^2), SSE' is exactly 0 or the
   bracket is narrower than 1e-12.  alpha is then exact to ~1e-13.
4. A series with several candidates takes the one with the smallest SSE (ties:
   the smallest alpha): the global minimum on the interval.

Documented deviation from statsforecast (its *search*, not its definition);
measured by tests/forecasting/test_fast_optimizer.py and
test_reference_statsforecast.py:

* Near its minimum the SSE is flat to rounding over an alpha interval of width
  about ``sqrt(eps * SSE / SSE'')``, typically 1e-8.  The golden section's last
  ~25 comparisons fall inside it and follow rounding noise, so its alpha is only
  determined to ~1e-8 -- about a quarter of the series get alphas that differ
  from ours by 1e-9 to 1e-4 with the same SSE to 1e-12.  Forecasts differ by the
  sensitivity of the level to alpha times that: on the 1,500-series test panels
  median relative differences 1e-12 (ADIDA) to 3e-9 (SES on [0.01, 0.99]), 99th
  percentiles 1e-8 to 1e-7.
* When the SSE has several local minima on the interval (0.34 % of the
  aggregated series of the speed benchmark's panel, 0.1 % of the derived series
  of the test panels), the golden section converges to the one its first
  comparisons choose, which is not the lowest in about one case in eight; there
  our alpha's SSE is lower and alpha and forecast can differ by 1e-4 to 1e0.
  Never, on those panels, is our SSE above the golden alpha's by more than
  rounding.  A local minimum hidden inside a scan interval and not flagged by
  the cubic test would be missed; none was on the 124,000 aggregated series
  compared (tests count the cases).
* Minima at the interval's ends are returned exactly (``lower``/``upper``); the
  golden section stops within 1e-12 of them.
* A constant series has an SSE that is 0 up to the rounding of
  ``alpha * x + (1 - alpha) * f``; the golden section's comparisons then follow
  that rounding (for example ``[7, 7]`` gives 0.2382); ours gives the midpoint.
  The forecasts agree to rounding.
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["pack_events", "ragged", "ses_levels", "ses_sse", "golden_section_alpha",
           "optimal_alpha", "ses_sse_derivatives", "ses_levels_tm", "ses_sse_tm", "golden_tm",
           "newton_tm", "optimal_alpha_tm", "check_optimizer", "OPTIMIZERS", "DEFAULT_OPTIMIZER",
           "BLOCK"]

GOLDEN_RATIO = (math.sqrt(5.0) + 1.0) / 2.0
_TOL = 1e-12
BLOCK = 16384           # series per block: keeps the working arrays in cache (measured best)
NEWTON_BLOCK = 8192     # series per block of the fast minimiser's scan (it holds P states)
REFINE_CHUNK = 32768    # brackets refined together by the fast minimiser
NEWTON_BATCH = 131072   # series of small aggregation groups optimised in one call (fast minimiser)


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


# ------------------------------------------------------- fast exact minimiser
# (the default optimiser; the method and its deviation are in the module docstring)

OPTIMIZERS = ("newton", "golden")
DEFAULT_OPTIMIZER = "newton"
SCAN_SPACING = 0.05    # widest spacing of the derivative scan [units of alpha]
PROBE = 15             # interior points of the finer scan of a suspect interval
STEP_TOL = 1e-9        # Newton step accepted as converged [units of alpha]
_MAX_NEWTON = 100      # safety cap; bisection alone needs < 40 halvings to 1e-12


def scan_points(lower: float, upper: float) -> np.ndarray:
    """Points of the derivative scan: equally spaced on ``[lower, upper]``, ends
    included, at most SCAN_SPACING apart and at least 5 (0.1, 0.15, ..., 0.3 for
    the intermittent methods' interval)."""
    n_int = max(4, math.ceil((upper - lower) / SCAN_SPACING - 1e-9))
    pts = lower + (upper - lower) * np.arange(n_int + 1) / n_int
    pts[-1] = upper
    return pts


def check_optimizer(optimizer) -> str:
    """Validate the ``optimizer`` parameter ("newton", the default, or "golden")."""
    if not isinstance(optimizer, str) or optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)} ('newton': fast exact "
                         f"minimiser, 'golden': statsforecast's search, bit-identical), "
                         f"received {optimizer!r}")
    return optimizer


def _diffs(x: np.ndarray) -> np.ndarray:
    """``dx[0] = 0``, ``dx[i] = x[i] - x[i-1]`` (time-major)."""
    dx = np.empty_like(x)
    dx[0] = 0.0
    np.subtract(x[1:], x[:-1], out=dx[1:])
    return dx


def _derivatives_dx(dx: np.ndarray, alpha, active: np.ndarray, second: bool):
    """SSE, SSE' and (with ``second``) SSE'' per column from the differences ``dx``.

    ``alpha`` broadcasts against the series axis: a scalar, an (N,) array (one value
    per column) or a (P, 1) column (P values for every column; results (P, N)).
    Recursions in the module docstring.  Returns ``(sse, d1, None)``, or with
    ``second`` ``(None, d1, d2)``.
    """
    n = dx.shape[1]
    c = 1.0 - np.asarray(alpha, dtype=np.float64)
    shape = np.broadcast_shapes(c.shape, (n,))
    per_col = c.ndim >= 1 and c.shape[-1] != 1
    e = np.zeros(shape)
    u = np.zeros(shape)
    t = np.empty(shape)
    sse = np.zeros(shape)
    g = np.zeros(shape)
    if second:
        w = np.zeros(shape)
        h1 = np.zeros(shape)
        h2 = np.zeros(shape)
    for i in range(1, dx.shape[0]):
        k = int(active[i])
        if k == 0:
            break
        ck = c[..., :k] if per_col else c
        ek, uk, tk = e[..., :k], u[..., :k], t[..., :k]
        if second:
            wk = w[..., :k]
            np.multiply(wk, ck, out=wk)                 # w_i = u_{i-1} + c w_{i-1}
            np.add(wk, uk, out=wk)
        np.multiply(uk, ck, out=uk)                     # u_i = e_{i-1} + c u_{i-1}
        np.add(uk, ek, out=uk)
        np.multiply(ek, ck, out=ek)                     # e_i = dx_i + c e_{i-1}
        np.add(ek, dx[i, :k], out=ek)
        if not second:
            np.multiply(ek, ek, out=tk)
            np.add(sse[..., :k], tk, out=sse[..., :k])
        np.multiply(ek, uk, out=tk)
        np.add(g[..., :k], tk, out=g[..., :k])
        if second:
            np.multiply(uk, uk, out=tk)
            np.add(h1[..., :k], tk, out=h1[..., :k])
            np.multiply(ek, wk, out=tk)
            np.add(h2[..., :k], tk, out=h2[..., :k])
    d1 = -2.0 * g
    if second:
        return None, d1, 2.0 * h1 + 4.0 * h2
    return sse, d1, None


def _sub_active(cols: np.ndarray, active: np.ndarray) -> np.ndarray:
    """``active`` of the gathered columns ``cols`` (non-decreasing indices into a
    length-sorted array): column j has a value at step i iff j < active[i]."""
    return np.searchsorted(cols, active, side="left").astype(np.int64)


def _cubic_start(a, b, sa, da, sb, db):
    """Minimiser of the cubic interpolating (SSE, SSE') at a and b, where
    SSE'(a) < 0 <= SSE'(b) (Nocedal & Wright 2006, eq. 3.59); the midpoint where
    that fails numerically."""
    with np.errstate(all="ignore"):
        z = da + db - 3.0 * (sa - sb) / (a - b)
        r = np.sqrt(z * z - da * db)
        x = b - (b - a) * (db + r - z) / (db - da + 2.0 * r)
    ok = np.isfinite(x) & (x > a) & (x < b)
    return np.where(ok, x, 0.5 * (a + b))


def _refine(xw, actw, a, b, sa, da, sb, db):
    """Safeguarded Newton on SSE' for one bracket ``[a, b]`` per column of the sorted
    time-major array ``xw`` (``actw`` its active counts); ``sa, da, sb, db`` are SSE
    and SSE' at the ends.  Returns the roots and the number of passes."""
    m = xw.shape[1]
    root = np.empty(m)
    pos = np.arange(m)                  # bracket of each working entry
    x = _cubic_start(a, b, sa, da, sb, db)
    dxw = _diffs(xw)
    passes = 0
    while pos.size:
        passes += 1
        _, d1, d2 = _derivatives_dx(dxw, x, actw, second=True)
        neg = d1 < 0
        a = np.where(neg, x, a)
        b = np.where(neg, b, x)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = d1 / d2
        xn = x - step
        newton = (d2 > 0) & (xn > a) & (xn < b)
        zero = d1 == 0
        narrow = (b - a) < _TOL
        # a converged step may land on or just past an end that was set by the
        # previous iterate (both within rounding of the root): clip it into the bracket
        small = (d2 > 0) & (np.abs(step) <= STEP_TOL)
        done = zero | small | narrow | (passes >= _MAX_NEWTON)
        if done.any():
            val = np.where(zero, x, np.where(small, np.clip(xn, a, b), 0.5 * (a + b)))
            root[pos[done]] = val[done]
            keep = np.nonzero(~done)[0]
            pos, a, b = pos[keep], a[keep], b[keep]
            xn, newton, x = xn[keep], newton[keep], x[keep]
            dxw = dxw[:, keep]
            actw = _sub_active(keep, actw)
        x = np.where(newton, xn, 0.5 * (a + b))
    return root, passes


def _scan(x: np.ndarray, active: np.ndarray, pts: np.ndarray, block: int, n_jobs: int):
    """SSE and SSE' at the points ``pts`` (P,) for every column, in blocks: two (P, N)."""
    n = x.shape[1]
    sse = np.empty((pts.size, n))
    d1 = np.empty((pts.size, n))

    def run(bounds):
        s, e = bounds
        act = np.clip(active - s, 0, e - s)
        ss, dd, _ = _derivatives_dx(_diffs(x[:, s:e]), pts[:, None], act, second=False)
        sse[:, s:e] = ss
        d1[:, s:e] = dd

    _run_parts(run, _blocks(n, block), n_jobs)
    return sse, d1


def _run_parts(run, parts, n_jobs):
    if n_jobs > 1 and len(parts) > 1:
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            list(pool.map(run, parts))
    else:
        for p in parts:
            run(p)


def _hidden_minimum(pts, sse, d1):
    """(P-1, N) mask of the scan intervals whose ends have SSE' of the same sign
    but which may still hold a local minimum: the SSE moves against the slopes
    (SSE' > 0 at both ends and SSE lower at the right end, or SSE' < 0 at both
    ends and SSE higher at the right end -- then the interval certainly holds a
    local maximum and a local minimum), or the cubic interpolating (SSE, SSE') at
    the ends has a local minimum inside.

    With ``t`` in [0, 1] across an interval of width h and ``D = SSE(b) - SSE(a)``,
    the cubic's derivative is ``A + B t + C t^2`` with ``A = h SSE'(a)``,
    ``B = 2 (3 D - 2 h SSE'(a) - h SSE'(b))``, ``C = 3 (h SSE'(a) + h SSE'(b) - 2 D)``;
    where it goes from - to + (``t = (sqrt(B^2 - 4AC) - B) / (2C)``) the cubic has a
    local minimum; only one lower than both ends can be the interval's best point,
    so only those are probed.
    """
    h = np.diff(pts)[:, None]
    sa, da, db = sse[:-1], d1[:-1], d1[1:]
    pos = (da > 0) & (db > 0)
    neg = (da < 0) & (db < 0)
    dl = sse[1:] - sa
    certain = (pos & (dl < 0)) | (neg & (dl > 0))
    ha = h * da
    hb = h * db
    big_b = 2.0 * (3.0 * dl - 2.0 * ha - hb)
    big_c = 3.0 * (ha + hb - 2.0 * dl)
    disc = big_b * big_b - 4.0 * ha * big_c
    with np.errstate(all="ignore"):
        t = (np.sqrt(disc) - big_b) / (2.0 * big_c)     # where the cubic's p' goes - to +
        low = sa + t * (ha + t * (big_b / 2.0 + t * big_c / 3.0))
    dip = (disc > 0) & (t > 0) & (t < 1) & (pos | (low < np.minimum(sa, sse[1:])))
    return (pos | neg) & (certain | dip)


def _probe(x, active, cols, a, b, sa, da, sb, db):
    """Finer derivative scan (PROBE points) of the intervals ``[a, b]`` of columns
    ``cols`` (sorted): the brackets where SSE' goes from < 0 to >= 0, in the layout
    of :func:`newton_tm`'s bracket lists."""
    frac = (np.arange(1, PROBE + 1) / (PROBE + 1.0))[:, None]
    inner = a + (b - a) * frac                                     # (PROBE, m)
    ss, dd, _ = _derivatives_dx(_diffs(x[:, cols]), inner, _sub_active(cols, active),
                                second=False)
    grid = np.vstack([a, inner, b])
    gs = np.vstack([sa, ss, sb])
    gd = np.vstack([da, dd, db])
    k, i = np.nonzero(((gd[:-1] < 0) & (gd[1:] >= 0)).T)
    return (cols[k], grid[i, k], grid[i + 1, k], gs[i, k], gd[i, k], gs[i + 1, k],
            gd[i + 1, k])


def newton_tm(x: np.ndarray, active: np.ndarray, lower: float = 0.1, upper: float = 0.3,
              block: int | None = None, n_jobs: int = 1) -> np.ndarray:
    """Per-column SSE-minimising alpha on ``[lower, upper]`` of a sorted time-major
    array by the fast exact minimiser (derivative scan + safeguarded Newton; module
    docstring).  The scan runs in blocks of ``block`` series; the brackets of all
    blocks are refined together (in chunks of :data:`REFINE_CHUNK`), so the Newton
    passes work on long arrays; ``n_jobs`` threads share the blocks and chunks."""
    n = x.shape[1]
    mid = (lower + upper) / 2.0
    if not upper - lower >= _TOL:       # the golden section returns the midpoint at once
        return np.full(n, mid)
    pts = scan_points(lower, upper)
    sse, d1 = _scan(x, active, pts, NEWTON_BLOCK if block is None else block, n_jobs)
    flat = (d1 == 0).all(axis=0)
    cand_lo = ~flat & (d1[0] >= 0)
    cand_hi = ~flat & (d1[-1] <= 0)
    out = np.full(n, mid)
    out[cand_lo] = lower
    out[cand_hi & ~cand_lo] = upper
    # brackets: (column, a, b, SSE(a), SSE'(a), SSE(b), SSE'(b)), from the scan ...
    cols, j = np.nonzero(((d1[:-1] < 0) & (d1[1:] >= 0)).T)         # sorted by column
    parts = [(cols, pts[j], pts[j + 1], sse[j, cols], d1[j, cols], sse[j + 1, cols],
              d1[j + 1, cols])]
    # ... and from a finer scan of the intervals that may hide a local minimum
    hc, hj = np.nonzero(_hidden_minimum(pts, sse, d1).T)
    if hc.size:
        parts.append(_probe(x, active, hc, pts[hj], pts[hj + 1], sse[hj, hc], d1[hj, hc],
                            sse[hj + 1, hc], d1[hj + 1, hc]))
    cols, a, b, sa, da, sb, db = (np.concatenate(v) for v in zip(*parts))
    srt = np.argsort(cols, kind="stable")
    cols, a, b, sa, da, sb, db = (v[srt] for v in (cols, a, b, sa, da, sb, db))
    n_cand = cand_lo.astype(np.int64) + cand_hi + np.bincount(cols, minlength=n)
    roots = np.empty(cols.size)

    def refine(bounds):
        s, e = bounds
        c = cols[s:e]
        roots[s:e] = _refine(x[:, c], _sub_active(c, active), a[s:e], b[s:e], sa[s:e],
                             da[s:e], sb[s:e], db[s:e])[0]

    _run_parts(refine, _blocks(cols.size, REFINE_CHUNK), n_jobs)
    single = n_cand[cols] == 1
    out[cols[single]] = roots[single]
    multi = n_cand > 1
    if multi.any():
        mcols = np.nonzero(multi)[0]
        sel = multi[cols]
        c_col = np.concatenate([mcols[cand_lo[mcols]], mcols[cand_hi[mcols]], cols[sel]])
        c_val = np.concatenate([np.full(int(cand_lo[mcols].sum()), lower),
                                np.full(int(cand_hi[mcols].sum()), upper), roots[sel]])
        srt = np.argsort(c_col, kind="stable")
        c_col, c_val = c_col[srt], c_val[srt]
        c_sse = ses_sse_tm(np.ascontiguousarray(x[:, c_col]), c_val, _sub_active(c_col, active))
        best = np.lexsort((c_val, c_sse, c_col))
        first = np.ones(best.size, dtype=bool)
        first[1:] = c_col[best][1:] != c_col[best][:-1]
        out[c_col[best][first]] = c_val[best][first]
    return out


def optimal_alpha_tm(x: np.ndarray, active: np.ndarray, lower: float = 0.1,
                     upper: float = 0.3, optimizer: str = "newton", block: int | None = None,
                     n_jobs: int = 1) -> np.ndarray:
    """SSE-minimising alpha per column: ``optimizer="newton"`` (default, fast exact) or
    ``"golden"`` (statsforecast's golden section, bit-identical)."""
    if check_optimizer(optimizer) == "golden":
        return golden_tm(x, active, lower, upper, block, n_jobs)
    return newton_tm(x, active, lower, upper, block, n_jobs)


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


def optimal_alpha(x: np.ndarray, lengths=None, lower: float = 0.1, upper: float = 0.3,
                  optimizer: str = "newton", n_jobs: int = 1) -> np.ndarray:
    """Per-row SSE-minimising alpha over ``[lower, upper]`` of a row-major ragged array
    (``optimizer`` as in :func:`optimal_alpha_tm`)."""
    xt, active, order = ragged(np.ascontiguousarray(x.T), lengths)
    return _unsort(optimal_alpha_tm(xt, active, lower, upper, optimizer, n_jobs=n_jobs), order)


def ses_sse_derivatives(x: np.ndarray, alpha, lengths=None):
    """SSE, dSSE/dalpha and d2SSE/dalpha2 per row of a row-major ragged array at
    ``alpha`` (scalar or one value per row), by the forward-mode recursions of the
    fast minimiser.  Returns three (N,) arrays."""
    xt, active, order = ragged(np.ascontiguousarray(x.T), lengths)
    a = alpha if np.isscalar(alpha) or order is None else np.asarray(alpha)[order]
    dx = _diffs(xt)
    sse, _, _ = _derivatives_dx(dx, a, active, second=False)
    _, d1, d2 = _derivatives_dx(dx, a, active, second=True)
    return _unsort(sse, order), _unsort(d1, order), _unsort(d2, order)
