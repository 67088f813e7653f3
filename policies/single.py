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
3. the **normal-order-rate constraint** (KPIS.md, dealer KPI, 85 % by default when enabled):
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
  ``[rows, s]`` (:func:`policies.service.aggregate_all_s`); per row the cheapest feasible s is
  kept, ties to the smallest s (so with no emergency cost it is the smallest s meeting the
  targets), and across Q the cheapest (ties to the smaller Q).
* Rows are sorted by support size and processed in chunks (``chunk_size``) to bound memory.

The result has the policy columns of DESIGN.md §5 and a readable ``reason`` per row.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import distributions as dist
from .service import _row_array, aggregate, aggregate_all_s, build_tables, _renewal

__all__ = ["optimize_single", "TARGET_TYPES", "eoq"]

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


def optimize_single(family: str, mean, var=None, *, lead_time, review_period, unit_cost,
                    holding_rate=0.25, order_cost=0.0, emergency_cost=0.0,
                    target_type="hit_rate", target_level=0.95, otd_target=None,
                    emergency_on_time=1.0, normal_order_target=None, pack_size=1, moq=1,
                    q_method: str = "cost", max_q: int = 500, review_options=None,
                    periods_per_year=365.0, lead_time_sd=0.0, line_size_pmf=None,
                    nodes: int = 6, tail: float = 1e-9, chunk_size: int = 100_000,
                    reasons: bool = True) -> pd.DataFrame:
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
    normal_order_target : normal-order-rate floor in (0, 1) or None (e.g. 0.85).
    pack_size : integer >= 1; moq : integer >= 0 [units].
    q_method : ``"cost"`` (search Q) or ``"eoq"``; max_q : cap on the Q search [units].
    review_options : optional list of allowed review periods; each row gets the cheapest
        feasible one (its ``review_period`` argument is then ignored).
    periods_per_year : periods per year (365 for days, 52 for weeks).
    lead_time_sd, line_size_pmf, nodes, tail : as in :func:`policies.service.build_tables`.

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
    if family not in dist.FAMILIES:
        raise ValueError(f"family must be one of {dist.FAMILIES}, received {family!r}")
    mean = np.atleast_1d(np.asarray(mean, dtype=float))
    n = mean.size
    mean = _row_array("mean", mean, n, lo=0.0)
    var = None if (var is None or family == "poisson") else _row_array("var", var, n, lo=0.0)
    L = _row_array("lead_time", lead_time, n, lo=0.0)
    c = _row_array("unit_cost", unit_cost, n, lo=0.0, lo_inclusive=False)
    hr = _row_array("holding_rate", holding_rate, n, lo=0.0)
    A = _row_array("order_cost", order_cost, n, lo=0.0)
    E = _row_array("emergency_cost", emergency_cost, n, lo=0.0)
    lvl = _row_array("target_level", target_level, n, lo=0.0, lo_inclusive=False, hi=1.0,
                     hi_inclusive=False)
    otd = _optional_target("otd_target", otd_target, n)
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
    if q_method not in ("cost", "eoq"):
        raise ValueError(f"q_method must be 'cost' or 'eoq', received {q_method!r}")
    if int(max_q) != max_q or max_q < 1:
        raise ValueError(f"max_q must be an integer >= 1, received {max_q!r}")
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

    reviews = [None] if review_options is None else list(review_options)
    best = None
    for rv in reviews:
        R = _row_array("review_period", review_period if rv is None else rv, n, lo=0.0)
        res = _solve(family, mean, var, L, R, sdL, line_size_pmf, ppy, c, h_unit, A, E, ttype,
                     lvl, hit_floor, nor, policy, qlo, qhi, pack, nodes, tail, chunk_size)
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
def _solve(family, mean, var, L, R, sdL, q_lines, ppy, c, h_unit, A, E, ttype, lvl, hit_floor,
           nor, policy, qlo, qhi, pack, nodes, tail, chunk_size):
    n = mean.size
    v_end = None if var is None else var * (L + R) + mean * mean * sdL * sdL
    ksize = dist.support_size(family, mean * (L + R), v_end, tail)
    order = np.lexsort((qhi, ksize))
    keys = ("s", "Q", "feasible", "hit", "fill", "ready", "csl", "oh", "bo", "orders", "emerg",
            "annual_cost", "ip_mean", "prev_target", "prev_ok_target", "prev_ok_floor",
            "prev_ok_nor", "target_value")
    out = {k: np.zeros(n) for k in keys}
    for start in range(0, n, chunk_size):
        rows = order[start: start + chunk_size]
        sub = lambda a: None if a is None else a[rows]  # noqa: E731
        ql = q_lines[rows] if (q_lines is not None and not isinstance(q_lines, str)) else q_lines
        res = _solve_chunk(family, mean[rows], sub(var), L[rows], R[rows], sdL[rows], ql,
                           ppy[rows], h_unit[rows], A[rows], E[rows], ttype[rows], lvl[rows],
                           hit_floor[rows], nor[rows], policy[rows], qlo[rows], qhi[rows],
                           pack[rows], int(ksize[rows].max()), nodes, tail)
        for k in keys:
            out[k][rows] = res[k]
    out["s"] = out["s"].astype(np.int64)
    out["Q"] = out["Q"].astype(np.int64)
    out["feasible"] = out["feasible"].astype(bool)
    for k in ("prev_ok_target", "prev_ok_floor", "prev_ok_nor"):
        out[k] = out[k].astype(bool)
    return out


def _solve_chunk(family, mean, var, L, R, sdL, q_lines, ppy, h_unit, A, E, ttype, lvl,
                 hit_floor, nor, policy, qlo, qhi, pack, kdem, nodes, tail):
    n = mean.size
    Qmax = int(qhi.max())
    K = kdem + Qmax + 1
    T = build_tables(family, mean, var, L, R, lead_time_sd=sdL, line_size_pmf=q_lines,
                     kmax=K - 1, nodes=nodes, tail=tail)
    K = T.K
    cont = R == 0
    # the table of each row's target measure
    tgt = np.where((ttype == "hit_rate")[:, None], T.hit,
                   np.where((ttype == "fill_rate")[:, None], T.fill,
                            np.where((ttype == "ready_rate")[:, None], T.ready, T.csl)))
    csl_cont = cont & (ttype == "cycle_service_level")
    ss_rows = policy == "sS"
    m = _renewal(T.step_pmf, Qmax) if ss_rows.any() else None
    M = None if m is None else np.cumsum(m, axis=1)
    sv = dist.survival(T.step_pmf)
    sv_cum = np.cumsum(sv, axis=1)       # Σ_{j<Q} P(X > j) = E[min(X, Q)] at column Q-1
    dead = T.step_pmf[:, 0] >= 1.0 - 1e-12
    lines_y = T.lines_per_period * ppy
    best_cost = np.full(n, np.inf)
    best_s = np.full(n, -1, dtype=np.int64)
    best_q = qlo.copy()
    found = np.zeros(n, dtype=bool)
    for q in range(int(qlo.min()), Qmax + 1):
        act = (q >= qlo) & (q <= qhi) & ((q - qlo) % pack == 0)
        if not act.any():
            continue
        a = np.flatnonzero(act)
        allrows = a.size == n
        pick = (lambda x: x) if allrows else (lambda x: x[a])  # noqa: E731
        pi = np.full((a.size, q), 1.0 / q)
        if ss_rows.any():
            sa = pick(ss_rows)
            if sa.any():
                ma = pick(m)[sa]
                pi[sa] = ma[:, q - 1:: -1][:, :q] / pick(M)[sa, q - 1: q]
        da = pick(dead)
        if da.any():
            pi[da] = 0.0
            pi[da, -1] = 1.0
        tg = aggregate_all_s(pick(tgt), pi)            # [a, ns], column s + 1
        ns = tg.shape[1]
        cc = pick(csl_cont)
        if cc.any():
            cl = np.zeros((cc.sum(), ns))
            cl[:, 1:] = pick(T.cdf_lead)[cc][:, : ns - 1]
            tg[cc] = cl
        hit = aggregate_all_s(pick(T.hit), pi)
        oh = aggregate_all_s(pick(T.on_hand), pi)
        if ss_rows.any():
            ords = np.where(pick(ss_rows), 1.0 / np.where(pick(ss_rows), pick(M)[:, q - 1]
                                                          if m is not None else 1.0, 1.0),
                            pick(sv_cum)[:, q - 1] / q)
        else:
            ords = pick(sv_cum)[:, q - 1] / q
        ords = np.where(da, 0.0, ords * pick(T.decisions_per_period)) * pick(ppy)
        emerg = pick(lines_y)[:, None] * (1.0 - hit)
        cost = (pick(h_unit)[:, None] * oh + (pick(A) * ords)[:, None]
                + pick(E)[:, None] * emerg)
        with np.errstate(divide="ignore", invalid="ignore"):
            nor_v = np.where(ords[:, None] + emerg > 0, ords[:, None] / (ords[:, None] + emerg),
                             1.0)
        feas = ((tg >= pick(lvl)[:, None] - 1e-12) & (hit >= pick(hit_floor)[:, None] - 1e-12)
                & ~(nor_v < pick(nor)[:, None] - 1e-12))
        cost_f = np.where(feas, cost, np.inf)
        j = np.argmin(cost_f, axis=1)
        cj = cost_f[np.arange(a.size), j]
        better = cj < best_cost[a] - 1e-9 * np.maximum(1.0, np.abs(cj))
        bi = a[better]
        best_cost[bi] = cj[better]
        best_s[bi] = j[better] - 1
        best_q[bi] = q
        found[bi] = True
    # infeasible rows: the largest tabulated s with the smallest Q (documented fallback)
    nf = ~found
    best_s[nf] = K - 1 - qlo[nf]
    best_q[nf] = qlo[nf]
    # final metrics at the chosen (s, Q) and at s - 1 (for the reasons)
    Qf = best_q
    J = int(Qf.max())
    jj = np.arange(1, J + 1)[None, :]
    pi = np.where(jj <= Qf[:, None], 1.0 / Qf[:, None], 0.0)
    if ss_rows.any():
        mJ = _renewal(T.step_pmf[ss_rows], J)
        MJ = np.cumsum(mJ, axis=1)
        Qs = Qf[ss_rows]
        idx = np.clip(Qs[:, None] - jj, 0, J - 1)
        vals = np.take_along_axis(mJ, idx, 1) / MJ[np.arange(Qs.size), Qs - 1][:, None]
        pi[ss_rows] = np.where(jj <= Qs[:, None], vals, 0.0)
    if dead.any():
        pi[dead] = 0.0
        pi[dead, np.maximum(Qf[dead] - 1, 0)] = 1.0
    s = best_s
    val = {k: aggregate(getattr(T, t), pi, s) for k, t in
           (("hit", "hit"), ("fill", "fill"), ("ready", "ready"), ("csl", "csl"),
            ("oh", "on_hand"), ("bo", "backorders"))}
    csl_c = dist.take_at(T.cdf_lead, s, below=0.0, above=1.0)
    val["csl"] = np.where(cont, csl_c, val["csl"])
    tval = aggregate(tgt, pi, s)
    tval = np.where(csl_cont, csl_c, tval)
    sp = np.maximum(s - 1, -1)
    prev_t = np.where(csl_cont, dist.take_at(T.cdf_lead, sp, below=0.0, above=1.0),
                      aggregate(tgt, pi, sp))
    prev_hit = aggregate(T.hit, pi, sp)
    ords = np.empty(n)
    if ss_rows.any():
        ords[ss_rows] = 1.0 / MJ[np.arange(Qs.size), Qs - 1]
    ords[~ss_rows] = sv_cum[~ss_rows, Qf[~ss_rows] - 1] / Qf[~ss_rows]
    ords = np.where(dead, 0.0, ords * T.decisions_per_period) * ppy
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
def _fmt(values, spec):
    return np.char.mod(spec, np.asarray(values, dtype=float)).astype(object)


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
    """One readable sentence per row (DESIGN.md §5), built with whole-array string operations."""
    s, Q = r["s"], r["Q"]
    label = pd.Series(ttype).map(_TARGET_LABEL).to_numpy(dtype=object)
    s_txt = "s=" + s.astype(str).astype(object)
    S_txt = ", S=" + (s + Q).astype(str).astype(object)
    horizon = (" over " + _fmt(L, "%g") + " periods of lead time + " + _fmt(R, "%g")
               + " of review")
    main = (s_txt + S_txt + " because the " + label + " at s is " + _fmt(r["target_value"], "%.3f")
            + " >= " + _fmt(lvl, "%.3f"))
    prev = ("; at s-1 it would be " + _fmt(r["prev_target"], "%.3f"))
    main = main + horizon
    why = np.where(~r["prev_ok_target"], prev,
                   np.where(~r["prev_ok_floor"],
                            "; s-1 would miss the hit-rate floor " + _fmt(hit_floor, "%.3f")
                            + " of the on-time target " + _fmt(otd, "%.3f"),
                            np.where(~r["prev_ok_nor"],
                                     "; s-1 would let the normal-order rate fall below "
                                     + _fmt(nor, "%.2f"),
                                     "; s is above the target's minimum because emergency "
                                     "orders cost more than the extra stock")))
    why = np.where(s < 0, "; no stock needed", why)
    qtxt = np.where(Q == 1, "; base stock (S = s + 1)",
                    np.where(pack > 1, "; orders in multiples of Q=" + Q.astype(str).astype(object)
                             + " (pack " + pack.astype(str).astype(object) + ", moq "
                             + moq.astype(str).astype(object) + ")",
                             "; Q=S-s=" + Q.astype(str).astype(object)
                             + (" (EOQ on the pack/moq grid)" if q_method == "eoq"
                                else " minimises holding + ordering + emergency cost")))
    out = main + why + qtxt
    dead = mean == 0
    out = np.where(dead, "no stock: no demand forecast", out)
    out = np.where(~r["feasible"], "INFEASIBLE: no (s, S) in range meets the targets; "
                   + s_txt + S_txt + " is the largest tabulated level", out)
    return out.astype(str)
