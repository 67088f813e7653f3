"""Level options: every reorder point of a row with its order quantity fixed, as a table.

For the network allocation (one shadow price for many part-locations, :mod:`policies.marginal`)
each row (a part at one location) offers a list of *options*: not stocked, or a reorder point
``s`` in ``s_lo .. s_hi`` with the row's order quantity ``Q`` (``S = s + Q``) and policy type
fixed.  For every option this module gives the expected KPIs of the policy from the same cycle
tables the single-location optimiser uses (:func:`policies.service.build_tables`, the
IP-after-review distribution π of :func:`policies.service.ip_distribution`, and
:func:`policies.service.aggregate_all_s` for every ``s`` at once):

* hit rate, unit fill rate, ready rate [-] and expected on hand, backorders [units];
* **cost** = expected inventory investment at cost ``E[OH](s) · c`` [money];
* **value** = expected hit lines per year ``hit(s) · lines_per_year`` [lines/year].

Column 0 is *not stocked* (``s = −1``, ``S = 0``: nothing on hand, every line of a row with
demand a miss, no replenishment orders) — :func:`policies.service.evaluate_policy` at
(s, S) = (−1, 0) gives exactly these numbers.  Column ``k >= 1`` is ``s = s_lo + k − 1`` with
``S = s + Q``.

Per-row floors make options invalid, with the rule of the single-location optimiser
(:mod:`policies.single`, ``hit_threshold`` of its kernel):

* on-time delivery: a missed line goes by emergency from the parent, on time with probability
  ``e``, so ``OTD = hit + (1 − hit)·e >= otd`` is the floor ``hit >= hit_floor`` with
  ``hit_floor = (otd − e)/(1 − e)`` (the caller passes ``hit_floor``);
* normal-order rate: every miss is one emergency order line, so
  ``NOR = orders / (orders + lines·(1 − hit)) >= nor`` is
  ``hit >= 1 − orders·(1 − nor)/(nor · lines)`` with ``orders`` [1/year] the normal orders of
  the row's Q (independent of s) and ``lines`` [1/year] its demand lines; not stocked places
  no normal order, so with ``nor > 0`` it is never valid.

References: Axsäter, *Inventory Control*, 3rd ed. 2015, §5.2–5.3 (the service measures);
Sherbrooke, *Optimal Inventory Modeling of Systems*, 2nd ed. 2004, ch. 4 (option tables of a
marginal allocation).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import distributions as dist
from .service import (_row_array, aggregate_all_s, build_tables, ip_distribution,
                      orders_per_period)

__all__ = ["LevelOptions", "level_options"]

_TOL = 1e-12   # the single-location optimiser's feasibility tolerance


@dataclass(frozen=True)
class LevelOptions:
    """Options of n rows over K columns (column 0 = not stocked, column k = s_lo + k − 1).

    reorder_point, order_up_to : (n, K) int64 — the (s, S) of every option (S = s + Q; the
        not-stocked column is (−1, 0); unused columns past ``s_hi`` repeat ``s_hi``).
    hit_rate, fill_rate, ready_rate : (n, K) [-]; on_hand, backorders, ip_mean : (n, K) [units]
        (``ip_mean`` = E[inventory position after review], for the safety stock).
    cost : (n, K) expected investment E[OH]·unit_cost [money];
    value : (n, K) expected hit lines per year hit·lines [lines/year].
    valid : (n, K) bool — in range and meeting the floors.
    lines_per_year, orders_per_year : (n,) [1/year] (orders of a stocked option; not stocked: 0);
    hit_threshold : (n,) the hit-rate floor of a stocked option (OTD and normal-order rate).
    """

    reorder_point: np.ndarray
    order_up_to: np.ndarray
    hit_rate: np.ndarray
    fill_rate: np.ndarray
    ready_rate: np.ndarray
    on_hand: np.ndarray
    backorders: np.ndarray
    ip_mean: np.ndarray
    cost: np.ndarray
    value: np.ndarray
    valid: np.ndarray
    lines_per_year: np.ndarray
    orders_per_year: np.ndarray
    hit_threshold: np.ndarray

    @property
    def n(self) -> int:
        return self.cost.shape[0]

    @property
    def K(self) -> int:
        return self.cost.shape[1]


def level_options(family: str, mean, var=None, lead_time=0.0, review_period=1.0, *,
                  order_quantity, s_hi, unit_cost, policy="sS", s_lo=-1, lead_time_sd=0.0,
                  line_size_pmf=None, periods_per_year=365.0, hit_floor=None,
                  normal_order_target=None, value_lines_per_year=None, allow_unstocked=True,
                  nodes: int = 6, tail: float = 1e-9, chunk_size: int = 2000) -> LevelOptions:
    """The option table of n rows (module docstring), vectorised over rows in chunks.

    Parameters
    ----------
    family, mean, var, lead_time, review_period, lead_time_sd, line_size_pmf, nodes, tail :
        the demand and timing of each row, as in :func:`policies.service.build_tables`
        (mean [units/period], lead time and review [periods]).
    order_quantity : (n,) int >= 1, the fixed Q = S − s of each row.
    policy : "sS" (or "base_stock", the same with Q = 1) or "snQ", per row or one for all.
    s_lo, s_hi : reorder points tabulated, ``-1 <= s_lo <= s_hi`` per row.
    unit_cost : (n,) [money/unit], > 0.
    hit_floor : (n,) hit-rate floor of the on-time target (NaN or −inf = none).
    normal_order_target : (n,) normal-order-rate floor in [0, 1) (NaN or 0 = none).
    value_lines_per_year : (n,) lines per year that the value counts (default: the demand
        lines of the row, ``lines_per_period · periods_per_year``); e.g. only a warehouse's
        own customers' lines.
    allow_unstocked : False makes the not-stocked column invalid for every row.
    """
    mean = np.atleast_1d(np.asarray(mean, dtype=float))
    n = mean.size
    mean = _row_array("mean", mean, n, lo=0.0)
    Q = _row_array("order_quantity", order_quantity, n, lo=1, integer=True).astype(np.int64)
    lo = _row_array("s_lo", s_lo, n, lo=-1, integer=True).astype(np.int64)
    hi = _row_array("s_hi", s_hi, n, lo=-1, integer=True).astype(np.int64)
    if np.any(hi < lo):
        i = int(np.flatnonzero(hi < lo)[0])
        raise ValueError(f"s_hi must be >= s_lo; received s_hi={hi[i]} < s_lo={lo[i]} at row {i}")
    c = _row_array("unit_cost", unit_cost, n, lo=0.0, lo_inclusive=False)
    pol = np.broadcast_to(np.asarray(policy, dtype=object), (n,))
    bad = ~np.isin(pol, ("sS", "base_stock", "snQ"))
    if bad.any():
        raise ValueError(f"policy must be 'sS', 'base_stock' or 'snQ', received {pol[bad][0]!r}")
    pol = np.where(pol == "snQ", "snQ", "sS")
    ppy = _row_array("periods_per_year", periods_per_year, n, lo=0.0, lo_inclusive=False)
    floor = (np.full(n, -np.inf) if hit_floor is None
             else np.broadcast_to(np.asarray(hit_floor, dtype=float), (n,)).copy())
    floor = np.where(np.isnan(floor), -np.inf, floor)
    nor = (np.zeros(n) if normal_order_target is None
           else np.nan_to_num(np.broadcast_to(np.asarray(normal_order_target, dtype=float), (n,)),
                              nan=0.0))
    if np.any((nor < 0) | (nor >= 1)):
        raise ValueError(f"normal_order_target must be in [0, 1), received {nor[(nor < 0) | (nor >= 1)][0]!r}")
    vlines = None if value_lines_per_year is None else _row_array(
        "value_lines_per_year", value_lines_per_year, n, lo=0.0)
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise ValueError(f"chunk_size must be an integer >= 1, received {chunk_size!r}")
    arrays = dict(var=None if var is None else _row_array("var", var, n, lo=0.0),
                  L=_row_array("lead_time", lead_time, n, lo=0.0),
                  R=_row_array("review_period", review_period, n, lo=0.0),
                  sdL=_row_array("lead_time_sd", lead_time_sd, n, lo=0.0))
    ql = line_size_pmf
    if isinstance(ql, str) and ql == "family" and family == "nbinom" and arrays["var"] is not None:
        ql = _log_series_sizes(mean, arrays["var"])
    if ql is not None and not isinstance(ql, str):
        q_arr = np.asarray(ql, dtype=float)
        ql = np.broadcast_to(q_arr, (n, q_arr.shape[-1])) if q_arr.ndim == 1 else q_arr

    K = 1 + int((hi - lo).max()) + 1 if n else 1
    out = {k: np.zeros((n, K)) for k in ("hit_rate", "fill_rate", "ready_rate", "on_hand",
                                         "backorders", "ip_mean")}
    lines = np.zeros(n)
    orders = np.zeros(n)
    # chunks of rows of similar table width (top level s_hi + Q), as the optimiser groups them
    width = np.maximum(hi + Q, 1)
    order = np.lexsort((np.arange(n), np.floor(np.log(width) / np.log(1.5))))
    wb = np.floor(np.log(width[order]) / np.log(1.5))
    bounds = np.flatnonzero(np.diff(wb)) + 1
    for grp in np.split(order, bounds):
        for start in range(0, grp.size, int(chunk_size)):
            rows = grp[start: start + int(chunk_size)]
            if not rows.size:
                continue
            sub = {k: (None if v is None else v[rows]) for k, v in arrays.items()}
            q_rows = ql[rows] if (ql is not None and not isinstance(ql, str)) else ql
            if q_rows is not None and not isinstance(q_rows, str):   # drop all-zero size columns
                nz = np.flatnonzero(q_rows.any(axis=0))
                q_rows = q_rows[:, : max(int(nz[-1]) + 1, 2)] if nz.size else q_rows
            res = _options_chunk(family, mean[rows], sub["var"], sub["L"], sub["R"], sub["sdL"],
                                 q_rows, Q[rows], pol[rows], lo[rows], hi[rows], K, nodes, tail)
            for k in out:
                out[k][rows] = res[k]
            lines[rows] = res["lines_per_period"] * ppy[rows]
            orders[rows] = res["orders_per_period"] * ppy[rows]
    cols = np.arange(K)[None, :]
    s = np.where(cols == 0, -1, np.minimum(lo[:, None] + cols - 1, hi[:, None]))
    S = np.where(cols == 0, 0, s + Q[:, None])
    in_range = (cols == 0) | (lo[:, None] + cols - 1 <= hi[:, None])
    # (s, S) = (-1, 0) as a stocked column is the not-stocked option again: keep one
    in_range &= ~((cols > 0) & (S <= 0))
    # hit-rate floor of a stocked option: OTD and normal-order rate (policies.single)
    with np.errstate(divide="ignore", invalid="ignore"):
        hn = np.where(nor > 0, 1.0 - orders * (1.0 - nor) / (nor * lines), -np.inf)
    thr = np.maximum(np.maximum(floor, np.nan_to_num(hn, nan=-np.inf)), -1.0)
    thr0 = np.maximum(floor, np.where(nor > 0, 1.0, -np.inf))   # not stocked: no normal order
    ok = np.where(cols == 0, (out["hit_rate"] >= (thr0 - _TOL)[:, None]) & bool(allow_unstocked),
                  out["hit_rate"] >= (thr - _TOL)[:, None])
    vl = lines if vlines is None else vlines
    return LevelOptions(reorder_point=s.astype(np.int64), order_up_to=S.astype(np.int64),
                        cost=out["on_hand"] * c[:, None], value=out["hit_rate"] * vl[:, None],
                        valid=in_range & ok, lines_per_year=vl, orders_per_year=orders,
                        hit_threshold=thr, **out)


def _log_series_sizes(mean, var, kmax: int = 200) -> np.ndarray:
    """The line sizes of :func:`policies.service.line_sizes_for_family` ("nbinom": log-series
    ``q_k = −(1−p)^k / (k ln p)``, p = mean/var, Johnson, Kemp & Kotz 2005 §5.3; unit lines
    where the family falls back to Poisson), computed in the log domain with probabilities
    below 1e-300 set to 0 and the all-zero tail columns dropped: the same pmf to ~1e-16
    without subnormal arithmetic (which made the power form ~100x slower on slow movers) and
    without carrying 200 columns when sizes stop at a few units."""
    n = mean.size
    q = np.zeros((n, kmax + 1))
    fb = dist.nbinom_fallback_mask(mean, var)
    q[fb, 1] = 1.0
    nb = ~fb
    if nb.any():
        p = mean[nb] / var[nb]
        k = np.arange(1, kmax + 1)[None, :]
        logq = k * np.log1p(-p)[:, None] - np.log(k * -np.log(p)[:, None])
        qq = np.where(logq > -690.0, np.exp(np.maximum(logq, -690.0)), 0.0)
        # the mass beyond kmax (or below 1e-300) goes to the last size kept, as the tail of
        # line_sizes_for_family goes to kmax
        last = qq.shape[1] - 1 - np.argmax(qq[:, ::-1] > 0, axis=1)
        qq[np.arange(qq.shape[0]), last] += np.clip(1.0 - qq.sum(1), 0.0, None)
        q[nb, 1:] = qq
    nz = np.flatnonzero(q.any(axis=0))
    return q[:, : max(int(nz[-1]) + 1, 2)]


def _options_chunk(family, mean, var, L, R, sdL, ql, Q, pol, lo, hi, K, nodes, tail):
    """One chunk: tables up to level max(s_hi) + max(Q), every s by :func:`aggregate_all_s`."""
    n = mean.size
    Qmax = int(Q.max())
    T = build_tables(family, mean, var, L, R, lead_time_sd=sdL, line_size_pmf=ql,
                     kmax=int(hi.max()) + Qmax, nodes=nodes, tail=tail)
    pi = ip_distribution(T, pol, Q)
    cols = np.arange(K)[None, :]
    s = np.minimum(lo[:, None] + cols - 1, hi[:, None])             # column k >= 1
    idx = np.maximum(s, -1) + 1                                      # aggregate_all_s column
    res = {}
    for name, table in (("hit_rate", T.hit), ("fill_rate", T.fill), ("ready_rate", T.ready),
                        ("on_hand", T.on_hand), ("backorders", T.backorders)):
        allv = np.take_along_axis(aggregate_all_s(table, pi), idx, 1)
        # column 0, not stocked: the level y = 0 for ever ((s, S) = (-1, 0))
        res[name] = np.concatenate([table[:, :1], allv[:, 1:]], axis=1)
    jm = (pi * np.arange(1, Qmax + 1)[None, :]).sum(1)
    res["ip_mean"] = np.where(cols == 0, 0.0, s + jm[:, None])
    res["lines_per_period"] = T.lines_per_period
    res["orders_per_period"] = orders_per_period(T, pol, Q)
    return res
