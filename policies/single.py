"""Single-location optimisation: the least-cost (s, S) per part-location meeting its targets.

Problem, per row (one part at one location)
-------------------------------------------
Choose the reorder point ``s`` (order when IP <= s) and the order quantity ``Q`` (``S = s + Q``)
to minimise the expected annual cost [money/year]

    C(s, Q) = h c E[OH] + A · orders/year + E · emergency lines/year

(``h`` holding rate [1/year], ``c`` unit cost [money/unit], ``A`` order cost [money/order line],
``E`` emergency cost [money/emergency line]) subject to

1. the **service target** ``target_type >= target_level`` - ``hit_rate`` (line fill rate,
   DESIGN.md §6), ``fill_rate`` (unit fill rate), ``ready_rate`` or ``cycle_service_level``;
2. the **on-time-delivery target** ``otd_target``: a missed line is sent by emergency supply
   from the parent, which is on time with probability ``emergency_on_time``, so
   ``OTD = hit + (1 − hit)·emergency_on_time >= otd_target``, i.e. a floor on the hit rate
   ``hit >= (otd_target − e)/(1 − e)``;
3. the **normal-order-rate constraint** (KPIS.md, dealer KPI; ``normal_order_target=True``
   means the reference value :data:`DEFAULT_NORMAL_ORDER_TARGET` = 0.85):
   every missed line creates one emergency order line, so
   ``NOR = orders / (orders + lines·(1 − hit)) >= normal_order_target``.  It binds on both
   s (fewer misses) and Q (a smaller Q places more normal orders), so the search below treats
   it as a constraint of the joint (s, Q) search; with ``review_options`` the review cycle is
   chosen too (shorter cycles place more normal orders).

All expected values come from :mod:`policies.service` (exact discrete formulas, backorder model).

Search (vectorised over rows, loops over candidate Q and over IP offsets)
--------------------------------------------------------------------------
* Candidate Q: multiples of ``pack_size`` from ``qmin = pack·⌈max(moq, 1)/pack⌉``.
  ``q_method="cost"`` scans ``qmin .. qmin + pack·⌈2·EOQ/pack⌉`` (capped at ``max_q``) with
  ``EOQ = sqrt(2 A D / (h c))`` [units] (Harris 1913; D annual demand [units/year]);
  ``q_method="eoq"`` uses the single value EOQ rounded up to that grid.
* Pack size and MOQ: with ``pack_size == 1`` the policy is (s, S) with ``S − s = Q >= moq`` -
  every order ``S − IP >= S − s`` then respects the MOQ.  With ``pack_size > 1`` it is
  (s, nQ) with Q a multiple of the pack: the order is the smallest multiple of Q that lifts IP
  above s (so every order is a whole number of packs and >= moq), and ``order_up_to`` reports
  the largest IP after ordering, ``s + Q``.  ``Q = 1`` is base stock (``S = s + 1``), the policy
  of slow movers (EOQ below one unit, or no order cost).
* For each Q all reorder points ``s = −1..K−1−Q`` are evaluated at once as matrices
  ``[rows, s]``, by a running weighted sum over the IP offsets that costs O(rows × K) per Q
  (see ``_solve_chunk``), restricted by an exact pruning rule to the levels that can be
  feasible and below the level from which more stock costs more than the emergency orders
  it saves; per row the cheapest feasible s is
  kept, ties to the smallest s (so with no emergency cost it is the smallest s meeting the
  targets), and across Q the cheapest (ties to the smaller Q).
* Rows are grouped by table width class (:func:`policies.service.width_class` of the support
  of the lead-time + review demand plus the row's largest Q, grid ratio ~1.25) and processed
  in chunks (``chunk_size``) to bound memory and padding.
* **Each row's result depends on that row alone** (not on the other rows of the call, their
  order, ``chunk_size`` or ``workers``): its tables span its own width class, its demand pmfs
  are cut there, its candidate window is its own, and every sum over a row runs over a length
  fixed by the class or in a fixed order.  So a plan split over any partition of the rows
  gives the same bits as one call (``tests/policies/test_row_independence.py``).

The result has the policy columns of DESIGN.md §5 and a readable ``reason`` per row.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from . import distributions as dist
from .service import (_as_pmf, _renewal, _row_array, aggregate, build_tables, row_support,
                      tables_from_pmfs, width_class)

__all__ = ["optimize_single", "TARGET_TYPES", "DEFAULT_NORMAL_ORDER_TARGET", "eoq"]

DEFAULT_NORMAL_ORDER_TARGET = 0.85  # dealer KPI reference value (KPIS.md)

TARGET_TYPES = ("hit_rate", "fill_rate", "ready_rate", "cycle_service_level")
_TARGET_LABEL = {"hit_rate": "hit rate", "fill_rate": "fill rate", "ready_rate": "ready rate",
                 "cycle_service_level": "cycle service level"}


def eoq(order_cost, annual_demand, holding_cost):
    """Economic order quantity ``sqrt(2 A D / H)`` [units] (Harris 1913; S&S eq. 3.4).

    ``order_cost`` A [money/order], ``annual_demand`` D [units/year], ``holding_cost`` H
    [money/unit/year]; 0 where A or D is 0, ``inf`` where H is 0 and A·D > 0.
    """
    A = np.asarray(order_cost, dtype=float)
    D = np.asarray(annual_demand, dtype=float)
    H = np.asarray(holding_cost, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.sqrt(2.0 * A * D / H)
    return np.where(A * D > 0, q, 0.0)


def _optional_target(name, value, n):
    if value is None:
        return np.full(n, np.nan)
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.size == 1:
        arr = np.full(n, arr[0])
    if arr.size != n:
        raise ValueError(f"{name} must have {n} values (one per row), received {arr.size}")
    bad = ~np.isnan(arr) & ~((arr > 0) & (arr < 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must be in (0, 1) (or NaN for none); received "
                         f"{float(arr[i])!r} at row {i}")
    return arr


def optimize_single(family: str, mean, var=None, *, lead_time, review_period=None, unit_cost,
                    holding_rate=0.25, order_cost=0.0, emergency_cost=0.0,
                    target_type="hit_rate", target_level=0.95, otd_target=None,
                    emergency_on_time=1.0, normal_order_target=None, pack_size=1, moq=1,
                    q_method: str = "cost", max_q: int = 500, review_options=None,
                    periods_per_year=365.0, lead_time_sd=0.0, line_size_pmf=None,
                    nodes: int = 6, tail: float = 1e-9, chunk_size: int = 4096,
                    workers: int = 1, reasons: bool = True,
                    on_underdispersed: str = "poisson", pmf_lead=None, pmf_cycle=None,
                    pmf_review=None, pmf_average=None) -> pd.DataFrame:
    """Least-cost (s, S) per row meeting the service, OTD and normal-order-rate targets.

    Parameters (scalars or arrays with one value per row)
    ------------------------------------------------------
    family, mean, var : demand per period (:func:`policies.distributions.pmf_matrix`) [units].
    lead_time, review_period : [periods]; review_period 0 = continuous review.
    unit_cost [money/unit] > 0, holding_rate [1/year] >= 0, order_cost [money/order line] >= 0,
    emergency_cost [money/emergency line] >= 0.
    target_type : one of :data:`TARGET_TYPES` (per row allowed); target_level in (0, 1).
    otd_target : on-time-delivery target in (0, 1) or None; emergency_on_time in [0, 1]:
        probability that emergency supply from the parent meets the promised date.
    normal_order_target : normal-order-rate floor in (0, 1), ``True`` for 0.85, or None (off).
    pack_size : integer >= 1; moq : integer >= 0 [units].
    q_method : ``"cost"`` (search Q) or ``"eoq"``; max_q : cap on the Q search [units].
    review_options : optional list of allowed review periods [periods, >= 0]; each row gets
        the cheapest feasible one, with every constraint (the normal-order rate included)
        checked for each cycle; ``review_period`` is then not needed (ignored if given).
    periods_per_year : periods per year (365 for days, 52 for weeks).
    lead_time_sd, line_size_pmf, nodes, tail : as in :func:`policies.service.build_tables`.
    chunk_size : rows per chunk; workers : threads solving chunks in parallel (same results).
    reasons : add the ``reason`` column.
    on_underdispersed : negative binomial rows with var < mean: ``"poisson"`` (default, use
        Poisson(mean) for them - see :mod:`policies.distributions`) or ``"raise"``.
    pmf_lead, pmf_cycle, pmf_review, pmf_average : with ``family="empirical"``, the demand
        distributions as pmf arrays (rows = part-locations) over the lead time, lead time +
        review, review, and optionally the time average over the cycle
        (:func:`policies.service.tables_from_pmfs`; ``mean`` is still the demand per period,
        ``var`` is ignored, ``review_options`` is not available).

    Returns
    -------
    DataFrame, one row per input row (same order), columns: policy, reorder_point,
    order_up_to, order_quantity, safety_stock, lead_time, review_period, target_type,
    target_level, expected_hit_rate, expected_fill_rate, expected_ready_rate,
    expected_cycle_service_level, expected_otd_rate, expected_on_hand, expected_backorders,
    orders_per_year, emergency_lines_per_year, normal_order_rate, inventory_value,
    annual_holding_cost, annual_order_cost, annual_emergency_cost, annual_cost, feasible,
    reason.
    """
    if family not in dist.FAMILIES + ("empirical",):
        raise ValueError(f"family must be one of {dist.FAMILIES + ('empirical',)}, received "
                         f"{family!r}")
    mean = np.atleast_1d(np.asarray(mean, dtype=float))
    n = mean.size
    mean = _row_array("mean", mean, n, lo=0.0)
    pmfs = None
    if family == "empirical":
        if pmf_lead is None or pmf_cycle is None:
            raise ValueError("family 'empirical' needs pmf_lead and pmf_cycle (and pmf_review "
                             "for periodic review)")
        if review_options is not None:
            raise ValueError("review_options is not available with family 'empirical' (the "
                             "pmfs depend on the review period)")
        pmfs = {"lead": _as_pmf("pmf_lead", pmf_lead, n),
                "cycle": _as_pmf("pmf_cycle", pmf_cycle, n),
                "review": None if pmf_review is None else _as_pmf("pmf_review", pmf_review, n),
                "average": None if pmf_average is None else _as_pmf("pmf_average", pmf_average,
                                                                     n)}
        var = None
    var = (None if (var is None or family in ("poisson", "empirical"))
           else _row_array("var", var, n, lo=0.0))
    L = _row_array("lead_time", lead_time, n, lo=0.0)
    c = _row_array("unit_cost", unit_cost, n, lo=0.0, lo_inclusive=False)
    hr = _row_array("holding_rate", holding_rate, n, lo=0.0)
    A = _row_array("order_cost", order_cost, n, lo=0.0)
    E = _row_array("emergency_cost", emergency_cost, n, lo=0.0)
    lvl = _row_array("target_level", target_level, n, lo=0.0, lo_inclusive=False, hi=1.0,
                     hi_inclusive=False)
    otd = _optional_target("otd_target", otd_target, n)
    if normal_order_target is True:
        normal_order_target = DEFAULT_NORMAL_ORDER_TARGET
    nor = _optional_target("normal_order_target", normal_order_target, n)
    eon = _row_array("emergency_on_time", emergency_on_time, n, lo=0.0, hi=1.0)
    pack = _row_array("pack_size", pack_size, n, lo=1, integer=True).astype(np.int64)
    moq_ = _row_array("moq", moq, n, lo=0, integer=True).astype(np.int64)
    ppy = _row_array("periods_per_year", periods_per_year, n, lo=0.0, lo_inclusive=False)
    sdL = _row_array("lead_time_sd", lead_time_sd, n, lo=0.0)
    ttype = np.broadcast_to(np.asarray(target_type, dtype=object), (n,))
    bad = ~np.isin(ttype, TARGET_TYPES)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"target_type must be one of {TARGET_TYPES}; received {ttype[i]!r} at "
                         f"row {i}")
    if on_underdispersed not in ("poisson", "raise"):
        raise ValueError(f"on_underdispersed must be 'poisson' or 'raise', received "
                         f"{on_underdispersed!r}")
    if family == "nbinom" and on_underdispersed == "raise" and var is not None:
        under = var < mean * (1.0 - 1e-12)
        if under.any():
            i = int(np.flatnonzero(under)[0])
            raise ValueError(
                f"var must be > mean for family 'nbinom'; received var={float(var[i])!r} < "
                f"mean={float(mean[i])!r} at row {i} ({int(under.sum())} rows); valid range "
                "var > mean. Use on_underdispersed='poisson' to plan these rows with "
                "Poisson(mean) demand, which keeps the mean and slightly overstates the variance.")
    if family == "nbinom" and var is None:
        raise ValueError("var is required for family 'nbinom' (received None)")
    if q_method not in ("cost", "eoq"):
        raise ValueError(f"q_method must be 'cost' or 'eoq', received {q_method!r}")
    if int(max_q) != max_q or max_q < 1:
        raise ValueError(f"max_q must be an integer >= 1, received {max_q!r}")
    if int(workers) != workers or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, received {workers!r}")
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise ValueError(f"chunk_size must be an integer >= 1, received {chunk_size!r}")
    if line_size_pmf is not None and not isinstance(line_size_pmf, str):
        q_arr = np.asarray(line_size_pmf, dtype=float)
        line_size_pmf = np.broadcast_to(q_arr, (n, q_arr.shape[-1])) if q_arr.ndim == 1 else q_arr

    # OTD target -> floor on the hit rate
    with np.errstate(divide="ignore", invalid="ignore"):
        floor = np.where(eon < 1.0, (otd - eon) / (1.0 - eon), -np.inf)
    hit_floor = np.where(np.isnan(otd), -np.inf, floor)
    # Q grid
    qmin = pack * np.maximum(-(-np.maximum(moq_, 1) // pack), 1)
    h_unit = hr * c
    q_eoq = eoq(A, mean * ppy, h_unit)
    steps = np.ceil(np.minimum(q_eoq, 1e9) / pack)
    if q_method == "eoq":
        qlo = np.maximum(qmin, pack * steps).astype(np.int64)
        qhi = qlo.copy()
    else:
        qlo = qmin.astype(np.int64)
        qhi = (qmin + pack * np.ceil(np.minimum(2.0 * q_eoq, 1e9) / pack)).astype(np.int64)
    qlo = np.minimum(qlo, np.maximum(qmin, (max_q // pack) * pack))
    qhi = np.clip(qhi, qlo, np.maximum(qlo, (max_q // pack) * pack))
    policy = np.where(pack > 1, "snQ", "sS")

    if review_options is None:
        if review_period is None:
            raise ValueError("review_period is required unless review_options is given "
                             "(received None)")
        reviews = [None]
    else:
        reviews = list(np.atleast_1d(np.asarray(review_options, dtype=float)))
        if not reviews:
            raise ValueError("review_options must list at least one review period, received "
                             f"{review_options!r}")
        _row_array("review_options", reviews, len(reviews), lo=0.0)
    best = None
    for rv in reviews:
        R = _row_array("review_period", review_period if rv is None else rv, n, lo=0.0)
        res = _solve(family, mean, var, L, R, sdL, line_size_pmf, ppy, c, h_unit, A, E, ttype,
                     lvl, hit_floor, nor, policy, qlo, qhi, pack, nodes, tail, chunk_size,
                     workers, pmfs)
        res["review_period"] = R
        if best is None:
            best = res
        else:
            take = (res["feasible"] & ~best["feasible"]) | (
                (res["feasible"] == best["feasible"]) & (res["annual_cost"] < best["annual_cost"] - 1e-9))
            for k in best:
                best[k] = np.where(take, res[k], best[k])
    return _frame(best, mean, L, ttype, lvl, otd, eon, c, h_unit, A, E, policy, hit_floor, nor,
                  pack, moq_, q_method, reasons)


# --------------------------------------------------------------------------- kernel
_KEYS = ("s", "Q", "feasible", "hit", "fill", "ready", "csl", "oh", "bo", "orders", "emerg",
         "annual_cost", "ip_mean", "prev_target", "prev_ok_target", "prev_ok_floor",
         "prev_ok_nor", "target_value")


def _solve(family, mean, var, L, R, sdL, q_lines, ppy, c, h_unit, A, E, ttype, lvl, hit_floor,
           nor, policy, qlo, qhi, pack, nodes, tail, chunk_size, workers, pmfs=None):
    """Group rows by table width class and solve each class in chunks of at most
    ``chunk_size`` rows.

    Row independence: a row's tables span IP levels ``0..K−1`` with ``K`` =
    :func:`policies.service.width_class` of (its own demand support + its largest Q), the
    demand pmfs are cut at ``K − 1`` (:func:`policies.service.build_tables` ``support=K``),
    and every sum over a row runs over a length fixed by ``K`` or in a fixed order, so each
    row's result is the same bits whichever rows share its call or chunk."""
    n = mean.size
    if family == "empirical":
        ksize = np.ones(n, dtype=np.int64)
        for key in ("lead", "cycle", "average"):
            if pmfs[key] is not None:
                nz = pmfs[key] > 0
                ksize = np.maximum(ksize, nz.shape[1] - np.argmax(nz[:, ::-1], axis=1))
    else:
        ksize = row_support(family, mean, var, L, R, lead_time_sd=sdL, tail=tail)
    K = width_class(ksize + qhi)
    order = np.lexsort((-qhi, K))
    out = {k: np.zeros(n) for k in _KEYS}
    bounds = np.flatnonzero(np.diff(K[order])) + 1
    chunks = [grp[start: start + chunk_size] for grp in np.split(order, bounds)
              for start in range(0, grp.size, chunk_size)]

    def run(rows):
        sub = lambda a: None if a is None else a[rows]  # noqa: E731
        ql = (q_lines[rows] if (q_lines is not None and not isinstance(q_lines, str))
              else q_lines)
        k = int(K[rows[0]])
        if family == "empirical":
            def make_tables():
                return tables_from_pmfs(
                    mean[rows], _fit(pmfs["lead"][rows], k), _fit(pmfs["cycle"][rows], k),
                    None if pmfs["review"] is None else pmfs["review"][rows], R[rows],
                    pmf_average=(None if pmfs["average"] is None
                                 else _fit(pmfs["average"][rows], k)),
                    lead_time=L[rows], line_size_pmf=ql)
        else:
            def make_tables():
                return build_tables(family, mean[rows], sub(var), L[rows], R[rows],
                                    lead_time_sd=sdL[rows], line_size_pmf=ql, kmax=k - 1,
                                    support=k, nodes=nodes, tail=tail)
        res = _solve_chunk(make_tables, ppy[rows], h_unit[rows], A[rows], E[rows], ttype[rows],
                           lvl[rows], hit_floor[rows], nor[rows], policy[rows], qlo[rows],
                           qhi[rows], pack[rows])
        for key in _KEYS:         # chunks hold disjoint rows: safe from several threads
            out[key][rows] = res[key]

    if workers == 1 or len(chunks) == 1:
        for rows in chunks:
            run(rows)
    else:
        # numpy releases the GIL inside its array loops, so chunks overlap on several cores
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, chunks))
    out["s"] = out["s"].astype(np.int64)
    out["Q"] = out["Q"].astype(np.int64)
    for k in ("feasible", "prev_ok_target", "prev_ok_floor", "prev_ok_nor"):
        out[k] = out[k].astype(bool)
    return out


def _fit(P, k):
    """The first ``k`` columns of pmf rows (zeros appended if narrower); the columns cut off
    are 0 for the rows of a width class >= their support."""
    return P[:, :k] if P.shape[1] >= k else np.pad(P, ((0, 0), (0, k - P.shape[1])))


def _solve_chunk(make_tables, ppy, h_unit, A, E, ttype, lvl, hit_floor, nor, policy, qlo, qhi,
                 pack):
    """Rows sorted by ``qhi`` descending.  For Q = 1..Qmax keep, per table X, the running
    weighted sum ``C_Q(y) = Σ_{i<Q} w(i) X(y − i)`` with ``w = m`` (renewal density, (s, S)) or
    ``w = 1`` ((s, nQ)); then ``Σ_j π_j X(s + j) = C_Q(s + Q) / W(Q)`` for every s at once, so
    each Q costs O(rows × window) (rows whose Q range is exhausted drop out: a prefix)."""
    Qmax = int(qhi.max())
    T = make_tables()
    n, K = T.n, T.K
    cont = T.review_period == 0
    # a chunk whose every row targets the hit rate sums the hit table once (same bits)
    hit_only = bool(np.all(ttype == "hit_rate"))
    tgt = T.hit if hit_only else np.where(
        (ttype == "hit_rate")[:, None], T.hit,
        np.where((ttype == "fill_rate")[:, None], T.fill,
                 np.where((ttype == "ready_rate")[:, None], T.ready, T.csl)))
    csl_cont = cont & (ttype == "cycle_service_level")
    if csl_cont.any():   # continuous review CSL = P(D_L <= s): a function of s alone
        tgt_s = np.zeros((n, K + 1))
        tgt_s[:, 1:] = T.cdf_lead
    ss_rows = policy == "sS"
    w = np.ones((n, Qmax))
    if ss_rows.any():
        w[ss_rows] = _renewal(T.step_pmf[ss_rows], Qmax, lengths=qhi[ss_rows])
    dead = T.step_pmf[:, 0] >= 1.0 - 1e-12
    if dead.any():
        w[dead] = 0.0
        w[dead, 0] = 1.0
    W = np.cumsum(w, axis=1)
    sv_cum = np.cumsum(dist.survival(T.step_pmf), axis=1)   # E[min(X, Q)] at column Q-1
    rate = T.decisions_per_period * ppy
    lines_y = T.lines_per_period * ppy
    best_cost = np.full(n, np.inf)
    best_s = np.full(n, -1, dtype=np.int64)
    best_q = qlo.copy()
    found = np.zeros(n, dtype=bool)
    use_nor = bool(np.any(~np.isnan(nor)))
    nor0 = np.nan_to_num(nor, nan=0.0)
    eline = E * lines_y                       # emergency cost per year if every line missed
    ords_q = np.where(ss_rows[:, None], 1.0 / W, sv_cum[:, :Qmax] / np.arange(1, Qmax + 1))
    ords_q = np.where(dead[:, None], 0.0, ords_q * rate[:, None])   # orders/year for each Q

    # hit-rate floor per Q: OTD target and, when set, the normal-order rate
    # ords / (ords + lines (1 - hit)) >= nor  <=>  hit >= 1 - ords (1 - nor) / (nor lines)
    def hit_threshold(rows, ords):
        hthr = hit_floor[rows]
        if use_nor:
            with np.errstate(divide="ignore", invalid="ignore"):
                hn = np.where(nor0[rows] > 0, 1.0 - ords * (1.0 - nor0[rows])
                              / (nor0[rows] * lines_y[rows]), -np.inf)
            hthr = np.maximum(hthr, np.nan_to_num(hn, nan=-np.inf))
        return np.maximum(hthr, -1.0)   # a floor below 0 never binds; keeps products finite

    # Window of IP levels y = s + Q worth evaluating (exact pruning, see below):
    # * feasible needs y >= y_lo: the policy's target value is at most tgt(s + Q);
    # * s* <= s_cap = max(y_f, y_c) - 1, where tgt(y_f) and hit(y_f) already meet every
    #   constraint (so s = y_f - 1 is feasible for any Q) and y_c is the first level with
    #   h c F̄(y) > E lines (1 - hit(y)): from there on raising s adds more holding cost
    #   (>= h c F̄(s+1)) than it saves in emergency cost (<= E lines (1 - hit(s+1))), and both
    #   sides are monotone, so the cost increases in s beyond s_cap.
    ok_t = tgt >= (lvl - 1e-12)[:, None]
    y_lo = np.where(csl_cont, 0, np.argmax(ok_t, axis=1))
    y_lo = np.where(ok_t.any(axis=1), y_lo, K - 1)
    hmax = hit_threshold(np.arange(n), ords_q[np.arange(n), qhi - 1])
    ok_f = (np.where(csl_cont[:, None], np.concatenate([T.cdf_lead[:, :1] * 0, T.cdf_lead[:, :-1]], 1)
                     >= (lvl - 1e-12)[:, None], ok_t)
            & (T.hit >= (hmax - 1e-12)[:, None]))
    y_f = np.where(ok_f.any(axis=1), np.argmax(ok_f, axis=1), K - 1)
    ok_c = h_unit[:, None] * T.cdf_avg > eline[:, None] * (1.0 - T.hit)
    y_c = np.where(ok_c.any(axis=1), np.argmax(ok_c, axis=1), K - 1)
    s_cap_row = np.maximum(y_f, y_c) - 1
    s_cap = int(np.max(s_cap_row))
    Y0 = int(y_lo.min())
    Y1 = min(K, s_cap + Qmax + 1)            # C holds levels y = Y0..Y1-1
    width = max(Y1 - Y0, 1)
    C_h = np.zeros((n, width))
    C_o = np.zeros((n, width))
    C_t = C_h if hit_only else np.zeros((n, width))
    sums = ((C_h, T.hit), (C_o, T.on_hand)) + (() if hit_only else ((C_t, tgt),))
    for q in range(1, Qmax + 1):
        pre = int(np.searchsorted(-qhi, -q, side="right"))   # rows with qhi >= q
        wq = w[:pre, q - 1][:, None]
        sh = q - 1
        lo = max(Y0, sh)                                       # C column lo - Y0 .. width-1
        if lo < Y1:
            for C, X in sums:
                C[:pre, lo - Y0:] += wq * X[:pre, lo - sh: Y1 - sh]
        act = (q >= qlo[:pre]) & ((q - qlo[:pre]) % pack[:pre] == 0)
        if not act.any():
            continue
        # evaluate s = y - q for y in [max(Y0, q - 1), min(s_cap + q, Y1 - 1)]
        a = max(Y0, q - 1)
        b = min(s_cap + q, Y1 - 1)
        if b < a:
            continue
        # the rows evaluated at this q: the whole prefix, or only its active rows
        r = slice(0, pre) if act.all() else np.flatnonzero(act)
        nr = pre if isinstance(r, slice) else r.size
        Wq = W[r, q - 1]
        ords = ords_q[r, q - 1]
        cols = slice(a - Y0, b - Y0 + 1)
        ch = C_h[r, cols]
        co = C_o[r, cols]
        hthr = hit_threshold(r, ords)
        if hit_only:   # one comparison: max(a, b)·W = max(a·W, b·W) in floating point
            feas = ch >= ((np.maximum(hthr, lvl[r]) - 1e-12) * Wq)[:, None]
        else:
            ct = C_t[r, cols]
            feas = ch >= ((hthr - 1e-12) * Wq)[:, None]
            cc = csl_cont[r]
            if cc.any():
                # continuous review CSL = P(D_L <= s), s = y - q: column s + 1 of tgt_s
                tcol = np.where(cc[:, None], tgt_s[r, a - q + 1: b - q + 2] * Wq[:, None], ct)
                feas &= tcol >= ((lvl[r] - 1e-12) * Wq)[:, None]
            else:
                feas &= ct >= ((lvl[r] - 1e-12) * Wq)[:, None]
        # each row's own window y_lo <= y <= s_cap + q (the chunk's window is their union):
        # the candidates and their order are the row's alone
        yy = np.arange(a, b + 1)[None, :]
        feas &= (yy >= y_lo[r, None]) & (yy <= (s_cap_row[r] + q)[:, None])
        # annual cost = h c OH + A orders + E lines (1 - hit), policy averages = C / W
        cost = (h_unit[r, None] * co - eline[r, None] * ch) / Wq[:, None]
        cost += (A[r] * ords + eline[r])[:, None]
        cost[~feas] = np.inf
        jmin = np.argmin(cost, axis=1)
        cj = cost[np.arange(nr), jmin]
        bc = best_cost[r]
        fin = np.isfinite(bc)
        thr = bc.copy()
        thr[fin] -= 1e-9 * np.maximum(1.0, np.abs(bc[fin]))
        better = np.flatnonzero(cj < thr)
        rows = better if isinstance(r, slice) else r[better]
        best_cost[rows] = cj[better]
        best_s[rows] = jmin[better] + a - q
        best_q[rows] = q
        found[rows] = True
    # infeasible rows: the largest tabulated s with the smallest Q (documented fallback)
    nf = ~found
    best_s[nf] = K - 1 - qlo[nf]
    best_q[nf] = qlo[nf]
    # final metrics at the chosen (s, Q) and at s - 1 (for the reasons); the IP law pi spans
    # all K levels (zeros beyond Q) so every row's sums have the same length
    Qf = best_q
    J = K
    jj = np.arange(1, J + 1)[None, :]
    idx = np.clip(Qf[:, None] - jj, 0, Qmax - 1)
    pi = np.where(jj <= Qf[:, None], np.take_along_axis(w, idx, 1), 0.0)
    pi /= W[np.arange(n), Qf - 1][:, None]
    s = best_s
    val = {k: aggregate(getattr(T, t), pi, s) for k, t in
           (("hit", "hit"), ("fill", "fill"), ("ready", "ready"), ("csl", "csl"),
            ("oh", "on_hand"), ("bo", "backorders"))}
    csl_c = dist.take_at(T.cdf_lead, s, below=0.0, above=1.0)
    val["csl"] = np.where(cont, csl_c, val["csl"])
    tval = np.where(csl_cont, csl_c, aggregate(tgt, pi, s))
    sp = np.maximum(s - 1, -1)
    prev_t = np.where(csl_cont, dist.take_at(T.cdf_lead, sp, below=0.0, above=1.0),
                      aggregate(tgt, pi, sp))
    prev_hit = aggregate(T.hit, pi, sp)
    ords = ords_q[np.arange(n), Qf - 1]
    emerg = lines_y * (1.0 - val["hit"])
    prev_emerg = lines_y * (1.0 - prev_hit)
    with np.errstate(divide="ignore", invalid="ignore"):
        prev_nor = np.where(ords + prev_emerg > 0, ords / (ords + prev_emerg), 1.0)
    ip_mean = (pi * (s[:, None] + jj)).sum(1)
    return dict(s=s, Q=Qf, feasible=found, hit=val["hit"], fill=val["fill"], ready=val["ready"],
                csl=val["csl"], oh=val["oh"], bo=val["bo"], orders=ords, emerg=emerg,
                annual_cost=h_unit * val["oh"] + A * ords + E * emerg, ip_mean=ip_mean,
                prev_target=prev_t, prev_ok_target=prev_t >= lvl - 1e-12,
                prev_ok_floor=prev_hit >= hit_floor - 1e-12,
                prev_ok_nor=~(prev_nor < nor - 1e-12), target_value=tval)


# --------------------------------------------------------------------------- output
def _frame(r, mean, L, ttype, lvl, otd, eon, c, h_unit, A, E, policy, hit_floor, nor, pack,
           moq, q_method, reasons):
    s, Q = r["s"], r["Q"]
    R = r["review_period"]
    pol = np.where(Q == 1, "base_stock", policy)
    otd_rate = r["hit"] + (1.0 - r["hit"]) * eon
    with np.errstate(divide="ignore", invalid="ignore"):
        nor_rate = np.where(r["orders"] + r["emerg"] > 0,
                            r["orders"] / (r["orders"] + r["emerg"]), 1.0)
    hold = h_unit * r["oh"]
    ordc = A * r["orders"]
    emc = E * r["emerg"]
    df = pd.DataFrame({
        "policy": pol,
        "reorder_point": s,
        "order_up_to": s + Q,
        "order_quantity": Q,
        "safety_stock": r["ip_mean"] - mean * (L + R),
        "lead_time": L,
        "review_period": R,
        "target_type": ttype.astype(str),
        "target_level": lvl,
        "expected_hit_rate": r["hit"],
        "expected_fill_rate": r["fill"],
        "expected_ready_rate": r["ready"],
        "expected_cycle_service_level": r["csl"],
        "expected_otd_rate": otd_rate,
        "expected_on_hand": r["oh"],
        "expected_backorders": r["bo"],
        "orders_per_year": r["orders"],
        "emergency_lines_per_year": r["emerg"],
        "normal_order_rate": nor_rate,
        "inventory_value": r["oh"] * c,
        "annual_holding_cost": hold,
        "annual_order_cost": ordc,
        "annual_emergency_cost": emc,
        "annual_cost": hold + ordc + emc,
        "feasible": r["feasible"],
    })
    if reasons:
        df["reason"] = _reasons(r, mean, L, R, ttype, lvl, otd, hit_floor, nor, pack, moq,
                                q_method, A)
    return df


def _reasons(r, mean, L, R, ttype, lvl, otd, hit_floor, nor, pack, moq, q_method, A):
    """One readable sentence per row (DESIGN.md §5).

    The numbers are all computed vectorised; only the final text formatting walks the rows
    (one f-string each, ~2 µs/row) - pass ``reasons=False`` to skip it in batch jobs.
    """
    s, Q = r["s"], r["Q"]
    # which constraint stops s one lower: 0 target, 1 OTD floor, 2 normal-order rate,
    # 3 cost (emergency orders), 4 no stock needed, 5 no demand, 6 infeasible
    code = np.select([~r["feasible"], mean == 0, s < 0, ~r["prev_ok_target"],
                      ~r["prev_ok_floor"], ~r["prev_ok_nor"]], [6, 5, 4, 0, 1, 2], 3)
    qcode = np.where(Q == 1, 0, np.where(pack > 1, 1, 2 if q_method == "cost" else 3))
    qtext = ("; base stock (S = s + 1)", "; orders in multiples of Q={Q} (pack {pk}, moq {mq})",
             "; Q=S-s={Q} minimises holding + ordering + emergency cost",
             "; Q=S-s={Q}: the EOQ on the pack/moq grid")
    why = ("; at s-1 it would be {pv:.3f}",
           "; s-1 would miss the hit-rate floor {hf:.3f} of the on-time target {otd:.3f}",
           "; s-1 would let the normal-order rate fall below {nor:.2f}",
           "; s is above the target's minimum because emergency orders cost more than the "
           "extra stock", "; no stock needed")
    label = [_TARGET_LABEL[t] for t in ttype.tolist()]
    out = []
    for (si, qi, c, qc, lab, tv, lv, pv, hf, ot, nr, li, ri, pk, mq) in zip(
            s.tolist(), Q.tolist(), code.tolist(), qcode.tolist(), label,
            r["target_value"].tolist(), lvl.tolist(), r["prev_target"].tolist(),
            hit_floor.tolist(), otd.tolist(), nor.tolist(), L.tolist(), R.tolist(),
            pack.tolist(), moq.tolist()):
        if c == 5:
            out.append("no stock: no demand forecast")
            continue
        if c == 6:
            out.append(f"INFEASIBLE: no (s, S) in range meets the targets; s={si}, S={si + qi} "
                       "is the largest tabulated level")
            continue
        out.append(f"s={si}, S={si + qi} because the {lab} at s is {tv:.3f} >= {lv:.3f} over "
                   f"{li:g} periods of lead time + {ri:g} of review"
                   + why[c].format(pv=pv, hf=hf, otd=ot, nor=nr)
                   + qtext[qc].format(Q=qi, pk=pk, mq=mq))
    return np.array(out, dtype=object)
