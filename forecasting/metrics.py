"""Forecast accuracy metrics with one signature and stated sign conventions.

Every metric has the signature::

    metric(y_true, y_pred, *, y_train=None, axis=-1, **options) -> numpy.ndarray

* ``y_true`` - the actual demand, an array of any dimension (usually 2-D:
  series x horizon), in units per period.
* ``y_pred`` - the forecasts for the same cells, same shape as ``y_true``.
* ``y_train`` - the in-sample history of each series (same shape as ``y_true``
  except along ``axis``, where it may have any length), oldest first.  Needed by
  the scaled metrics (MASE, RMSSE, scaled PIS) and by the fill-rate measure.
* ``axis`` - the time axis, reduced away.  The result has the shape of
  ``y_true`` without that axis: one value per series.

Sign conventions (stated once, used everywhere):

* the **error** is ``e_t = y_pred_t - y_true_t`` (forecast minus actual), so a
  positive ``bias`` means over-forecasting;
* ``pis`` (periods in stock) is positive when the forecast ran ahead of demand
  (stock would have sat on the shelf) and negative when it lagged (stock-outs).

All inputs must be finite (NaN or infinity raise a ``ValueError``): missing
periods are the caller's decision (drop the series, or fill with zero) and
never silently averaged away.  A scaled metric whose scale is zero (a training
series that never changes, e.g. all zeros) is NaN for that series, by design:
the ratio is undefined, and NaN makes it visible instead of hiding it in an
average; use ``numpy.nanmean`` and report the count of NaN when aggregating.

References
----------
* Hyndman, R.J. & Koehler, A.B. (2006). Another look at measures of forecast
  accuracy. International Journal of Forecasting 22(4):679-688 (MASE, eq. for
  q_t with the in-sample one-step naive MAE as the scale).
* Makridakis, S., Spiliotis, E. & Assimakopoulos, V. (2022). M5 accuracy
  competition: Results, findings, and conclusions. International Journal of
  Forecasting 38(4):1346-1364 (RMSSE: MSE scaled by the in-sample one-step
  naive MSE, square root taken).
* Wallstrom, P. & Segerstedt, A. (2010). Evaluation of forecasting error
  measurements and techniques for intermittent demand. International Journal
  of Production Economics 128(2):625-636 (PIS, "periods in stock").
* Kourentzes, N. (2014). On intermittent demand model optimisation and
  selection. International Journal of Production Economics 156:180-190
  (scaled PIS: PIS divided by the in-sample mean demand).
* Nguyen, K. (2023). Spare part demand forecasting, Erasmus University
  Rotterdam; script ``InventoryPerformance.R`` of GitHub
  ``KhueNguyenTK/Spare-Part-Demand-Forecasting`` (order-up-to replay used by
  :func:`fill_rate`; protocol restated in ORACLES.md section D).
"""
from __future__ import annotations

import numpy as np
from scipy import special

__all__ = [
    "order_up_to_levels",
    "mae",
    "rmse",
    "mase",
    "rmsse",
    "bias",
    "pis",
    "spis",
    "fill_rate",
    "METRICS",
]


# --------------------------------------------------------------------------
# validation helpers (thin-wrapper side)
# --------------------------------------------------------------------------
def _as_float(name: str, a) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array with a time axis; received a scalar {a!r}")
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[:3].tolist()
        raise ValueError(
            f"{name} must be finite (no NaN/inf); received non-finite values at indices {bad}"
            " - drop or fill missing periods before scoring"
        )
    return arr


def _prepare(y_true, y_pred, axis):
    yt = _as_float("y_true", y_true)
    yp = _as_float("y_pred", y_pred)
    if yt.shape != yp.shape:
        raise ValueError(
            f"y_pred must have the shape of y_true; received y_true {yt.shape}, y_pred {yp.shape}"
        )
    if not -yt.ndim <= axis < yt.ndim:
        raise ValueError(f"axis must be in [{-yt.ndim}, {yt.ndim - 1}]; received {axis}")
    if yt.shape[axis] == 0:
        raise ValueError("y_true has no periods along axis: need at least 1")
    return np.moveaxis(yt, axis, -1), np.moveaxis(yp, axis, -1)


def _prepare_train(y_train, yt_last: np.ndarray, axis, min_len: int, metric: str):
    if y_train is None:
        raise ValueError(f"{metric} needs y_train (the in-sample history); received None")
    tr = _as_float("y_train", y_train)
    if tr.ndim != yt_last.ndim:
        raise ValueError(
            f"y_train must have the same number of dimensions as y_true ({yt_last.ndim});"
            f" received {tr.ndim}"
        )
    tr = np.moveaxis(tr, axis, -1)
    if tr.shape[:-1] != yt_last.shape[:-1]:
        raise ValueError(
            "y_train must match y_true on every axis but the time axis; received"
            f" y_train {tr.shape[:-1]} vs y_true {yt_last.shape[:-1]} (time axis moved last)"
        )
    if tr.shape[-1] < min_len:
        raise ValueError(
            f"{metric} needs at least {min_len} training periods; received {tr.shape[-1]}"
        )
    return tr


def _naive_scale(tr: np.ndarray, m: int, power: int) -> np.ndarray:
    """In-sample m-step naive error scale: mean(|y_t - y_{t-m}|**power) over t=m..n-1."""
    d = tr[..., m:] - tr[..., :-m]
    return np.mean(np.abs(d) ** power, axis=-1)


def _check_m(m) -> int:
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"m (naive seasonal lag) must be an integer >= 1; received {m!r}")
    return int(m)


# --------------------------------------------------------------------------
# scale-dependent metrics
# --------------------------------------------------------------------------
def mae(y_true, y_pred, *, y_train=None, axis=-1):
    """Mean absolute error per series.

    MAE = (1/h) * sum_t |f_t - y_t|   [units per period]

    ``y_train`` is accepted for the common signature and ignored.
    """
    yt, yp = _prepare(y_true, y_pred, axis)
    return np.mean(np.abs(yp - yt), axis=-1)


def rmse(y_true, y_pred, *, y_train=None, axis=-1):
    """Root mean squared error per series.

    RMSE = sqrt((1/h) * sum_t (f_t - y_t)^2)   [units per period]

    ``y_train`` is accepted for the common signature and ignored.
    """
    yt, yp = _prepare(y_true, y_pred, axis)
    e = yp - yt
    return np.sqrt(np.mean(e * e, axis=-1))


def bias(y_true, y_pred, *, y_train=None, axis=-1):
    """Mean error per series, forecast minus actual.

    bias = (1/h) * sum_t (f_t - y_t)   [units per period]

    Sign: **positive = over-forecast** (the forecast exceeds demand on
    average), negative = under-forecast.  ``y_train`` is ignored.
    """
    yt, yp = _prepare(y_true, y_pred, axis)
    return np.mean(yp - yt, axis=-1)


# --------------------------------------------------------------------------
# scaled metrics
# --------------------------------------------------------------------------
def mase(y_true, y_pred, *, y_train=None, axis=-1, m=1):
    """Mean absolute scaled error per series (Hyndman & Koehler 2006).

    MASE = MAE(f, y) / Q,   Q = (1/(n-m)) * sum_{t=m+1..n} |y_t - y_{t-m}|

    where y_1..y_n is ``y_train`` (the in-sample history) and m the naive lag
    (1 = the one-step naive forecast, the paper's non-seasonal definition).
    [dimensionless]  MASE < 1: better than the in-sample naive forecast.

    A series whose scale Q is 0 (constant training history, e.g. all zeros)
    gets NaN: the ratio is undefined.  Needs at least m + 1 training periods.
    """
    m = _check_m(m)
    yt, yp = _prepare(y_true, y_pred, axis)
    tr = _prepare_train(y_train, yt, axis, m + 1, "mase")
    q = _naive_scale(tr, m, 1)
    num = np.mean(np.abs(yp - yt), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(q > 0, num / np.where(q > 0, q, 1.0), np.nan)


def rmsse(y_true, y_pred, *, y_train=None, axis=-1, m=1):
    """Root mean squared scaled error per series (M5 competition, 2022).

    RMSSE = sqrt( MSE(f, y) / Q2 ),  Q2 = (1/(n-m)) * sum_{t=m+1..n} (y_t - y_{t-m})^2

    with ``y_train`` = y_1..y_n.  [dimensionless]  Scale 0 -> NaN (see
    :func:`mase`).  Note: the M5 competition computes Q2 from the first
    non-zero demand of each series; here the whole ``y_train`` is used - trim
    leading zeros before the call to reproduce M5 exactly.
    """
    m = _check_m(m)
    yt, yp = _prepare(y_true, y_pred, axis)
    tr = _prepare_train(y_train, yt, axis, m + 1, "rmsse")
    q2 = _naive_scale(tr, m, 2)
    e = yp - yt
    num = np.mean(e * e, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(q2 > 0, np.sqrt(num / np.where(q2 > 0, q2, 1.0)), np.nan)


# --------------------------------------------------------------------------
# periods in stock
# --------------------------------------------------------------------------
def pis(y_true, y_pred, *, y_train=None, axis=-1):
    """Periods in stock, PIS (Wallstrom & Segerstedt 2010), per series.

    PIS = - sum_{t=1..h} sum_{j=1..t} (y_j - f_j) = sum_{t=1..h} CFE_t,
    CFE_t = sum_{j<=t} (f_j - y_j)    [units x periods]

    The cumulative forecast error CFE_t is the stock that would be on hand (if
    positive) or short (if negative) at the end of period t had exactly the
    forecast been supplied each period; summing it over t counts unit-periods
    in stock.  Sign: **positive = forecast ran ahead of demand (stock held)**,
    negative = forecast lagged (unit-periods of shortage).  ``y_train`` is
    ignored; see :func:`spis` for the scaled version.
    """
    yt, yp = _prepare(y_true, y_pred, axis)
    return np.sum(np.cumsum(yp - yt, axis=-1), axis=-1)


def spis(y_true, y_pred, *, y_train=None, axis=-1):
    """Scaled periods in stock (Kourentzes 2014): PIS / mean(y_train).

    [periods]  Same sign as :func:`pis`.  A training history with mean 0 gives
    NaN (undefined scale).
    """
    yt, yp = _prepare(y_true, y_pred, axis)
    tr = _prepare_train(y_train, yt, axis, 1, "spis")
    scale = np.mean(tr, axis=-1)
    p = np.sum(np.cumsum(yp - yt, axis=-1), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale != 0, p / np.where(scale != 0, scale, 1.0), np.nan)


# --------------------------------------------------------------------------
# inventory-based measure: achieved fill rate of an order-up-to replay
# --------------------------------------------------------------------------
_SQRT2 = np.sqrt(2.0)
_INV_SQRT2PI = 1.0 / np.sqrt(2.0 * np.pi)


def _normal_loss(mu: np.ndarray, sigma: np.ndarray, x: np.ndarray) -> np.ndarray:
    """E[(D - x)^+] for D ~ N(mu, sigma^2); sigma = 0 gives (mu - x)^+.

    n(x) = sigma * phi(z) + (mu - x) * (1 - Phi(z)),  z = (x - mu)/sigma
    (the standard normal first-order loss function scaled to N(mu, sigma^2);
    the reference script's ``ESC_NORM``).  [units]
    """
    pos = sigma > 0
    s = np.where(pos, sigma, 1.0)
    z = (x - mu) / s
    phi = _INV_SQRT2PI * np.exp(-0.5 * z * z)
    tail = 0.5 * special.erfc(z / _SQRT2)
    loss = s * phi + (mu - x) * tail
    return np.where(pos, loss, np.maximum(mu - x, 0.0))


def order_up_to_levels(mu, sigma, cap, target):
    """Order-up-to levels R = min(R*, cap) of :func:`fill_rate`, vectorised.

    R* is the smallest integer R >= 0 with E[(D-R)^+] <= (1-target)*mu; where
    no integer up to ceil(cap) qualifies, R = cap.  The loss is non-increasing
    in R, so an integer bisection over [0, ceil(cap)] finds the same R as the
    reference script's upward search R = 0, 1, 2, ... that stops at the cap.
    mu < 0 gives R = 0 (as in the reference).  Arguments broadcast [units/period].
    """
    mu, sigma, cap = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (mu, sigma, cap)))
    limit = (1.0 - target) * mu
    top = np.ceil(cap)
    ok0 = _normal_loss(mu, sigma, np.zeros(mu.shape)) <= limit
    ok_top = _normal_loss(mu, sigma, top) <= limit
    # bisection on (lo, hi]: loss(lo) > limit, loss(hi) <= limit
    lo = np.zeros(mu.shape)
    hi = top.copy()
    active = ok_top & ~ok0
    while True:
        step = active & (hi - lo > 1)
        if not np.any(step):
            break
        mid = np.floor((lo + hi) / 2.0)
        good = _normal_loss(mu, sigma, mid) <= limit
        hi = np.where(step & good, mid, hi)
        lo = np.where(step & ~good, mid, lo)
    r = np.where(ok0, 0.0, np.where(ok_top, np.minimum(hi, cap), cap))
    return np.where(mu < 0, 0.0, r)


def fill_rate(y_true, y_pred, *, y_train=None, axis=-1, target=0.9):
    """Achieved fill rate of an order-up-to policy set from the forecast.

    The inventory-based accuracy measure: replay the test window with a
    zero-lead-time, periodic order-up-to policy whose level in each period is
    set from that period's forecast, and report units filled from stock at
    once / units demanded.  Protocol (Nguyen 2023, ``InventoryPerformance.R``,
    normal variant with the max-demand cap; ORACLES.md section D), for each
    series and each test period k = 1..h:

    1. mu_k = y_pred[k] (the one-step forecast for period k) [units/period];
       sigma_k = sample standard deviation (ddof = 1) of all demand observed
       before period k: y_train followed by y_true[1..k-1] [units/period].
    2. R_k = the smallest integer R >= 0 with the normal expected shortage
       E[(D - R)^+] <= (1 - target) * mu_k, D ~ N(mu_k, sigma_k^2), capped at
       the largest demand observed before period k, M_k: R_k = min(R, M_k)
       (the script's "NORM2" variant; sigma_k = 0 makes D deterministic).
       mu_k < 0 gives R_k = 0.
    3. Zero lead time, backorders carried: before demand the inventory level
       is raised to I_k = max(I_{k-1}^post, R_k) (I_0^post = R_1, i.e. the
       window starts at R_1; stock above R_k is never returned); units
       supplied at once s_k = min(max(I_k, 0), y_true[k]); I_k^post = I_k - y_true[k].
    4. fill rate = sum_k s_k / sum_k y_true[k]   [dimensionless, 0..1].

    A series with no demand in the window gets NaN (the reference script
    writes 0 there; NaN keeps such series out of averages - say how many there
    are when aggregating).  Note the protocol's quirk, kept for
    comparability: a zero forecast gives a zero loss target, which no normal
    distribution with sigma > 0 meets, so R climbs to the cap.

    Parameters
    ----------
    target : float in (0, 1)
        Target fill rate used to set R.
    y_train : array
        Required: history before the window, at least 2 periods (for sigma).
        Demands must be non-negative.
    """
    if not (isinstance(target, (float, int, np.floating)) and 0.0 < float(target) < 1.0):
        raise ValueError(f"target must be a fill rate in (0, 1); received {target!r}")
    yt, yp = _prepare(y_true, y_pred, axis)
    tr = _prepare_train(y_train, yt, axis, 2, "fill_rate")
    if np.any(yt < 0) or np.any(tr < 0):
        raise ValueError("fill_rate needs non-negative demand in y_true and y_train; received negative values")
    batch = yt.shape[:-1]
    yt2 = yt.reshape(-1, yt.shape[-1])
    yp2 = yp.reshape(-1, yp.shape[-1])
    tr2 = tr.reshape(-1, tr.shape[-1])
    out = _fill_rate_kernel(yt2, yp2, tr2, float(target))
    return out.reshape(batch)


def _fill_rate_kernel(yt, yp, tr, target):
    """Kernel of :func:`fill_rate` on 2-D arrays (series x periods); loops over time."""
    n_series, h = yt.shape
    # running moments of all demand so far, shifted by the training mean for stability
    shift = tr.mean(axis=1)
    c = tr - shift[:, None]
    cnt = float(tr.shape[1])
    s1 = c.sum(axis=1)
    s2 = (c * c).sum(axis=1)
    mx = tr.max(axis=1)
    level_post = None
    supplied = np.zeros(n_series)
    for k in range(h):
        var = (s2 - s1 * s1 / cnt) / (cnt - 1.0)
        sigma = np.sqrt(np.maximum(var, 0.0))
        mu = yp[:, k]
        r = order_up_to_levels(mu, sigma, mx, target)
        level = r if level_post is None else np.maximum(level_post, r)
        d = yt[:, k]
        supplied += np.minimum(np.maximum(level, 0.0), d)
        level_post = level - d
        # add period k's demand to the running moments
        ck = d - shift
        cnt += 1.0
        s1 += ck
        s2 += ck * ck
        mx = np.maximum(mx, d)
    total = yt.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, supplied / np.where(total > 0, total, 1.0), np.nan)


#: Registry of the metrics by name (all share the signature above).
METRICS = {
    "mae": mae,
    "rmse": rmse,
    "mase": mase,
    "rmsse": rmsse,
    "bias": bias,
    "pis": pis,
    "spis": spis,
    "fill_rate": fill_rate,
}
