"""Vectorised single-location inventory replays used by the real-data benchmarks.

Two kernels, both on numpy panels (series x periods), looping over periods with whole-array steps
over all series (no loop over series):

* :func:`order_up_to_replay` - the zero-lead-time order-up-to protocol of Nguyen (2023),
  ``InventoryPerformance.R`` variant ``NORM2`` (ORACLES.md section D): per period k the level
  R_k = smallest integer with E[(D - R)^+] <= (1 - target) mu_k for D ~ N(mu_k, sigma_k^2),
  mu_k = the one-step forecast, sigma_k = sd (ddof 1) of all demand before k, capped at the
  largest demand before k; inventory raised to max(IL_{k-1}^post, R_k) before demand;
  backorders carried.  Returns units supplied at once, units demanded and the mean of
  max(IL_pre, 0) [units] (the source's holding cost is 0.25 x price x that level, per period).
  Its fill rates equal :func:`forecasting.metrics.fill_rate` (tested).
* :func:`ss_replay` - periodic review (s, S) with a fixed lead time of L periods and backorders,
  the policy of :func:`policies.single.optimize_single` replayed on actual demand: at the start
  of period t the order placed L periods earlier arrives (L = 0: at once); the stock serves
  period t's demand (units filled at once = min(max(on-hand, 0), demand)); the inventory
  position IP = on-hand + on order (on-hand net of backorders) is reviewed at the start of each
  period and, when IP <= s, S - IP is ordered (Axsäter 2006, "Inventory Control", §5.1; the
  protection period is L + 1 review periods, the ``lead_time + review_period`` of
  :mod:`policies.service`).  ``s`` and ``S`` may also be given per period (series x periods):
  the policy re-planned during the replay (a rolling plan), period t reviewed against column t.
"""
from __future__ import annotations

import numpy as np

# the order-up-to level of the Nguyen protocol is the one of forecasting.metrics.fill_rate
from forecasting.metrics import order_up_to_levels

__all__ = ["order_up_to_levels", "order_up_to_replay", "replanned_levels", "ss_replay"]

def order_up_to_replay(y_test, preds, y_train, target: float):
    """Zero-lead-time order-up-to replay (module docstring): (supplied, demanded, mean IL_pre^+).

    ``y_test`` and ``preds``: (series, h) actual demand and one-step forecasts of the window;
    ``y_train``: (series, t) history before it (t >= 2).  Returns three arrays of length series:
    units supplied at once, units demanded, mean over the h periods of max(IL_pre, 0) [units].
    """
    yt = np.asarray(y_test, dtype=float)
    yp = np.asarray(preds, dtype=float)
    tr = np.asarray(y_train, dtype=float)
    if yt.ndim != 2 or yp.shape != yt.shape:
        raise ValueError(f"y_test and preds must be 2-D of the same shape, received {yt.shape} and {yp.shape}")
    if tr.ndim != 2 or tr.shape[0] != yt.shape[0] or tr.shape[1] < 2:
        raise ValueError(f"y_train must be (series, >= 2 periods) matching y_test's series, received {tr.shape}")
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must be in (0, 1), received {target!r}")
    n, h = yt.shape
    shift = tr.mean(axis=1)
    c = tr - shift[:, None]
    cnt = float(tr.shape[1])
    s1, s2 = c.sum(axis=1), (c * c).sum(axis=1)
    mx = tr.max(axis=1)
    post = None
    supplied = np.zeros(n)
    stock = np.zeros(n)
    for k in range(h):
        sigma = np.sqrt(np.maximum((s2 - s1 * s1 / cnt) / (cnt - 1.0), 0.0))
        r = order_up_to_levels(yp[:, k], sigma, mx, target)
        pre = r if post is None else np.maximum(post, r)
        d = yt[:, k]
        supplied += np.minimum(np.maximum(pre, 0.0), d)
        stock += np.maximum(pre, 0.0)
        post = pre - d
        ck = d - shift
        cnt += 1.0
        s1 += ck
        s2 += ck * ck
        mx = np.maximum(mx, d)
    return supplied, yt.sum(axis=1), stock / h


def ss_replay(y, s, S, lead_time, *, start: int = 0, measure_from: int = 0, initial=None):
    """Replay periodic-review (s, S) with lead time L on demand ``y`` (module docstring).

    ``y``: (series, T) demand [units/period] (negative values are returns: they add to stock);
    ``s``, ``S``: reorder point and order-up-to level per series (S >= s + 1 for s >= 0; s < 0
    means never order), either (series,) or (series, T) - one column per period, the levels in
    force at that period's review (a re-planned policy); ``lead_time``: whole periods >= 0 per
    series.  The replay starts at period ``start`` with on-hand = ``initial`` (default S, its
    column ``start`` when per period) and nothing on order; KPIs count the
    periods ``measure_from .. T-1`` (``measure_from >= start``; earlier periods warm the state).
    Returns a dict of arrays (length series): ``supplied`` (units filled at once), ``demand``
    (units demanded, positive demand only), ``lines`` and ``lines_hit`` (periods with demand and
    those filled in full), ``mean_on_hand`` (mean over measured periods of max(on-hand before
    demand, 0)), ``mean_on_hand_end`` (same after demand), ``orders``.
    """
    y = np.asarray(y, dtype=float)
    if y.ndim != 2:
        raise ValueError(f"y must be 2-D (series, periods), received shape {y.shape}")
    n, T = y.shape
    s = np.asarray(s, dtype=float)
    S = np.asarray(S, dtype=float)
    per_period = s.ndim == 2 or S.ndim == 2
    shape = (n, T) if per_period else (n,)
    try:
        # a level per series (or one scalar) holds in every period of a per-period replay
        s, S = (np.broadcast_to(a.reshape(-1, 1) if per_period and a.ndim == 1 else a, shape) for a in (s, S))
    except ValueError:
        raise ValueError(f"s and S must be scalars, (series,) = ({n},) or (series, periods) = ({n}, {T}), "
                         f"received {np.shape(s)} and {np.shape(S)}") from None
    L = np.broadcast_to(np.asarray(lead_time), (n,))
    if np.any(L < 0) or np.any(L != np.round(L)):
        raise ValueError("lead_time must be whole periods >= 0; received "
                         f"{L[(L < 0) | (L != np.round(L))][0]!r}")
    L = L.astype(np.int64)
    if np.any(S < s):
        raise ValueError("S must be >= s for every series")
    if not 0 <= start <= measure_from <= T:
        raise ValueError(f"need 0 <= start <= measure_from <= T={T}, received start={start}, measure_from={measure_from}")
    S0 = S[:, start] if per_period else S
    on_hand = S0.copy() if initial is None else np.broadcast_to(np.asarray(initial, dtype=float), (n,)).copy()
    lmax = int(L.max()) if n else 0
    pipe = np.zeros((n, lmax + 1))          # pipe[:, j] arrives j periods from now
    rows = np.arange(n)
    out = {k: np.zeros(n) for k in ("supplied", "demand", "lines", "lines_hit", "mean_on_hand",
                                    "mean_on_hand_end", "orders")}
    m = 0
    for t in range(start, T):
        # review at the start of the period (L = 0 orders arrive at once)
        st, St = (s[:, t], S[:, t]) if per_period else (s, S)
        ip = on_hand + pipe.sum(axis=1)
        need = (ip <= st) & (st >= 0)
        q = np.where(need, St - ip, 0.0)
        pipe[rows, L] += q
        on_hand += pipe[:, 0]
        pipe[:, :-1] = pipe[:, 1:]
        pipe[:, -1] = 0.0
        d = y[:, t]
        dpos = np.maximum(d, 0.0)
        if t >= measure_from:
            m += 1
            got = np.minimum(np.maximum(on_hand, 0.0), dpos)
            out["supplied"] += got
            out["demand"] += dpos
            out["lines"] += dpos > 0
            out["lines_hit"] += (dpos > 0) & (got >= dpos)
            out["mean_on_hand"] += np.maximum(on_hand, 0.0)
            out["orders"] += need & (q > 0)
        on_hand = on_hand - d
        if t >= measure_from:
            out["mean_on_hand_end"] += np.maximum(on_hand, 0.0)
    if m:
        out["mean_on_hand"] /= m
        out["mean_on_hand_end"] /= m
    return out


def replanned_levels(plan_at, n_periods: int, first: int, every: int = 1, on_origin=None) -> dict:
    """Per-period levels of a policy re-planned during a replay, for :func:`ss_replay`.

    ``plan_at(k)`` makes the plan in force from period k (fitted on the data before k only) and
    returns {key: levels (series,)}; it is called at ``first``, ``first + every``, ... < ``n_periods``.
    Each plan holds from its period until the next re-plan; the first plan also covers the periods
    before ``first`` (they only warm the replay's state).  Returns {key: (series, n_periods)}.
    ``on_origin(k)`` is called after each re-plan (progress).
    """
    if int(every) != every or every < 1:
        raise ValueError(f"every must be an integer >= 1 (periods between re-plans), received {every!r}")
    if not 0 <= first < n_periods:
        raise ValueError(f"first must be in [0, {n_periods - 1}] (periods), received {first!r}")
    out = {}
    for k in range(first, n_periods, int(every)):    # loop over re-plans; whole-panel steps inside
        for key, lv in plan_at(k).items():
            lv = np.asarray(lv, dtype=float)
            if key not in out:
                out[key] = np.empty((lv.size, n_periods))
            out[key][:, k:] = lv[:, None]
            if k == first:
                out[key][:, :k] = lv[:, None]
        if on_origin is not None:
            on_origin(k)
    return out
