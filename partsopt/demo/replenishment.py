"""The legacy min/max replenishment that produces the receipts and the snapshot.

The demo network's history was run by a simple legacy policy (the one partsopt
is meant to replace).  The rule below is this generator's own stand-in for the
min/max of a dealer-management system (a model definition, not a published
method); what is checked against other routes is its implementation:
:func:`monday_order` against a per-series replay, :func:`fill_in_line_order`
against a line-by-line loop, and the stock balance of every part-location in
the tests.  Per part-location and week ``w``, with ``mu`` the
planners' expected demand [units/week] and ``e`` their expected demand events
[events/week] (the true plateau rate times the demand profile, where a decline
is seen :data:`sizes.PLANNER_LAG_WEEKS` late, so dying parts leave obsolete stock)::

    stocked  = 52 e >= threshold of the level (dealer 1, regional 1, CW 0.25 events/year)
    x        = mu (L + 7) / 7                 (demand over planned lead time + one review week)
    min      = max(1, ceil(x + sqrt(x)))      if stocked else 0
    max      = min + max(1, ceil(2 mu))       if stocked else 0

The planners revise the levels every :data:`sizes.LEVEL_REVISION_WEEKS` weeks.
``L`` is the planned lead time [days]: the transit from the parent for dealers
and regionals, the *master* lead time for the central warehouse (so a wrong
master lead time really starves CW).  Every Monday (review day, 7-day cycle)
a location whose inventory position (on hand + on order) is below ``min`` places
a **normal** order up to ``max`` (CW rounds up to the pack size).  The order is
received ``order day + real lead time`` later and usable from the first Monday
on or after the receipt (week ``ceil(received_day / 7)``).  Demand during the week is served from stock in line order; what stock
cannot cover is ordered at once as an **emergency** order (dealers: one per
uncovered line on its day; warehouses: one per part-location and week) that is
passed straight to the customer or child location.  Dealers place emergency
orders for every line of a part they do not stock.  Upstream stock-outs do not
delay children: they become emergency orders of the upstream location.

Real lead times [days]: dealer ``transit + extra`` with ``extra ~ Poisson(delta_l)``
for the planted late dealers (``delta_l`` in 2-5 days) and otherwise 1 + Poisson(1)
with probability 0.04; regionals the same background; CW
``max(1, round(T_p * LogNormal(-s_p^2/2, s_p)))`` with the part's true mean ``T_p``
(mean preserving).  Emergency orders: 1 day + extra below CW; at CW
``max(1, round(0.35 * real))`` (expedited).  Promised date = order date +
planned lead time (transit, 1 day, master lead time, ``round(0.35 master)``).

Planted configuration defects (the ``items`` table) act on the history too: a
part-dealer set ``stocked = false`` gets min = max = 0 (every line becomes an
emergency order), a ``max_qty`` override caps min and max far below need.

State at the start is on hand = max.  Receipts received before ``as_of`` are
the history; later ones are ``on_order`` in the snapshot (and ``backorders``
when they are emergency orders a customer or child waits for).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import sizes as S
from .catalogue import Catalogue
from .demand import Lines
from .ids import lsd_order
from .network import Network

NORMAL, EMERGENCY = 0, 1
MAX_EXTRA_DAYS = 14
MAX_SUPPLIER_DAYS = 365
EXPEDITE_FACTOR = 0.35


@dataclass(frozen=True)
class History:
    """Receipts, the end snapshot, the start snapshot and the planted item overrides."""

    # receipts (one row per replenishment order received before as_of)
    r_location: np.ndarray
    r_part: np.ndarray
    r_order_day: np.ndarray
    r_qty: np.ndarray
    r_received_day: np.ndarray
    r_promised_day: np.ndarray
    r_type: np.ndarray
    # snapshot at as_of
    i_location: np.ndarray
    i_part: np.ndarray
    i_on_hand: np.ndarray
    i_on_order: np.ndarray
    i_backorders: np.ndarray
    # snapshot at the start (ground truth)
    s_location: np.ndarray
    s_part: np.ndarray
    s_on_hand: np.ndarray
    # planted configuration overrides at dealers (items table)
    o_location: np.ndarray
    o_part: np.ndarray
    o_stocked: np.ndarray
    o_min: np.ndarray          # -1 = no override
    o_max: np.ndarray
    o_kind: np.ndarray         # 'not_stocked_but_sells' / 'max_override_below_need'
    o_need_max: np.ndarray     # the legacy max the override replaced


def legacy_min_max(mu, events, lead_days, min_events_per_year):
    """Legacy (min, max) levels [units] from the expected demand (see module docstring).

    mu : expected demand [units/week]; events : expected demand events [events/week];
    lead_days : planned lead time [days]; min_events_per_year : stocking threshold.
    """
    stocked = events * 52.0 >= min_events_per_year
    x = mu * (lead_days + 7.0) / 7.0
    mn = np.where(stocked, np.maximum(1.0, np.ceil(x + np.sqrt(x))), 0.0)
    mx = np.where(stocked, mn + np.maximum(1.0, np.ceil(2.0 * mu)), 0.0)
    return mn.astype(np.int64), mx.astype(np.int64)


def fill_in_line_order(pl: np.ndarray, qty: np.ndarray, available: np.ndarray) -> np.ndarray:
    """Units of each line served from stock when lines draw on stock in the given order.

    pl : (L,) part-location index of each line; qty : (L,) units requested;
    available : (n_pl,) stock on hand.  Line ``i`` gets
    ``clip(available[pl_i] - (units requested by earlier lines of pl_i), 0, qty_i)``.
    """
    n = pl.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(pl, kind="stable")
    ps, qs = pl[order], qty[order]
    before = np.cumsum(qs) - qs
    start = np.ones(n, dtype=bool)
    start[1:] = ps[1:] != ps[:-1]
    first = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    prior = before - before[first]
    filled_sorted = np.clip(available[ps] - prior, 0, qs)
    filled = np.empty(n, dtype=np.int64)
    filled[order] = filled_sorted
    return filled


class StockState:
    """On hand, on order and the arrivals ring of one echelon's part-locations.

    ``ring[k, i]`` holds units arriving for part-location ``i`` in a future week
    ``v`` with ``v % K == k``; ``K`` exceeds the longest lead time in weeks + 1, so
    a slot is emptied before it is reused.
    """

    def __init__(self, on_hand: np.ndarray, ring_weeks: int):
        self.on_hand = np.asarray(on_hand, dtype=np.int64).copy()
        self.on_order = np.zeros_like(self.on_hand)
        self.ring = np.zeros((ring_weeks, self.on_hand.size), dtype=np.int64)


def monday_order(state: StockState, week: int, level_min: np.ndarray, level_max: np.ndarray,
                 lead_of, pack: np.ndarray | None = None):
    """Receive the arrivals due in ``week``, then order up to max where position < min.

    The legacy rule of the module docstring on all part-locations at once:
    ``q = max - (on_hand + on_order)`` where ``on_hand + on_order < min``, rounded
    up to a multiple of ``pack`` when given.  ``lead_of(idx)`` returns the real
    lead time [days] of the orders of part-locations ``idx``; an order placed on
    day ``7 week`` and received on day ``r`` is usable from week ``ceil(r / 7)``.
    Returns ``(idx, qty, received_day)``.
    """
    K = state.ring.shape[0]
    slot = week % K
    state.on_hand += state.ring[slot]
    state.on_order -= state.ring[slot]
    state.ring[slot] = 0
    position = state.on_hand + state.on_order
    idx = np.nonzero(position < level_min)[0]
    qty = level_max[idx] - position[idx]
    if pack is not None:
        qty = -(-qty // pack[idx]) * pack[idx]
    received = 7 * week + np.asarray(lead_of(idx), dtype=np.int64)
    usable = _ceil_div7(received)
    if np.any(usable <= week) or np.any(usable >= week + K):
        lead_min, lead_max = int((received - 7 * week).min()), int((received - 7 * week).max())
        raise ValueError(f"lead times must be 1..{7 * (K - 1)} days for a ring of {K} weeks; "
                         f"received {lead_min}..{lead_max}")
    state.ring[usable % K, idx] += qty
    state.on_order[idx] += qty
    return idx, qty, received


def _background_extra(rng, n):
    late = rng.random(n) < 0.04
    return np.where(late, 1 + rng.poisson(1.0, n), 0)


def _ceil_div7(days):
    return -(-days // 7)


class _Recorder:
    def __init__(self):
        self.parts = []

    def add(self, location, part, order_day, qty, received, promised, kind):
        n = np.size(part)
        if n == 0:
            return
        b = lambda x: np.broadcast_to(np.asarray(x, dtype=np.int32), (n,))
        self.parts.append((b(location), b(part), b(order_day), b(qty), b(received), b(promised), b(kind)))

    def arrays(self):
        if not self.parts:
            return [np.zeros(0, np.int32) for _ in range(7)]
        return [np.concatenate([p[i] for p in self.parts]) for i in range(7)]


def run_history(net: Network, cat: Catalogue, lines: Lines, rng: np.random.Generator) -> History:
    """Replay the legacy policy week by week over all part-locations at once."""
    W = S.HISTORY_WEEKS
    N = cat.part_ids.size
    D, R = net.n_dealers, net.n_regionals
    off = net.dealer_offset
    fam = cat.part_family
    lag = S.PLANNER_LAG_WEEKS
    prof = cat.profile
    plan = np.maximum(prof, np.concatenate([prof[:, :1].repeat(lag, axis=1), prof[:, :-lag]], axis=1))
    size_mean = cat.mean_base_size                      # (F,) units/event

    # ---------------- dealer part-locations the legacy policy may stock
    peak = plan.max(axis=1)                             # (F,)
    l_idx, f_idx = np.nonzero(cat.lam * 52.0 * peak[None, :] >= S.DEALER_STOCK_MIN_EVENTS)
    dp_part, dp_dealer = [], []
    for k in range(3):  # chain rank, not series
        m = cat.fam_members[f_idx, k]
        ok = m >= 0
        dp_part.append(m[ok])
        dp_dealer.append(l_idx[ok])
    dp_part = np.concatenate(dp_part)
    dp_dealer = np.concatenate(dp_dealer)
    key = dp_part * D + dp_dealer
    o = np.argsort(key)
    dp_part, dp_dealer, key = dp_part[o], dp_dealer[o], key[o]
    n_dp = key.size
    dp_fam = fam[dp_part]
    dp_ev = cat.lam[dp_dealer, dp_fam]
    dp_mu = dp_ev * size_mean[dp_fam]
    dp_lead = net.transit_days[off + dp_dealer].astype(float)
    dp_start, dp_end = cat.part_start[dp_part], cat.part_end[dp_part]

    # planted configuration overrides (items table): among busy stocked part-dealers
    busy = np.nonzero(dp_ev * 52.0 >= 6.0)[0]
    n_ovr = min(busy.size, max(2, int(round(0.01 * n_dp))))
    chosen = np.sort(rng.choice(busy, size=n_ovr, replace=False)) if n_ovr else np.zeros(0, np.int64)
    not_stocked = chosen[: n_ovr // 2]
    below = chosen[n_ovr // 2:]
    ovr_off = np.zeros(n_dp, dtype=bool)
    ovr_off[not_stocked] = True
    _, need_max_full = legacy_min_max(dp_mu, dp_ev, dp_lead, S.DEALER_STOCK_MIN_EVENTS)
    ovr_max = np.full(n_dp, -1, np.int64)
    ovr_max[below] = np.maximum(1, need_max_full[below] // 3)
    ovr_min = np.where(ovr_max >= 0, np.maximum(0, ovr_max - 1), -1)

    def dealer_levels(w):
        act = ((w >= dp_start) & (w < dp_end)) * plan[dp_fam, w]
        mn, mx = legacy_min_max(dp_mu * act, dp_ev * act, dp_lead, S.DEALER_STOCK_MIN_EVENTS)
        has = ovr_max >= 0
        mn = np.where(has, np.minimum(mn, ovr_min), mn)
        mx = np.where(has, np.minimum(mx, ovr_max), mx)
        mn[ovr_off] = 0
        mx[ovr_off] = 0
        return mn, mx

    # map lines to dealer part-locations (-1 = not in the stocked set)
    lookup = np.full(N * D, -1, dtype=np.int64)
    lookup[key] = np.arange(n_dp)
    line_pl = lookup[lines.part * D + lines.dealer]
    del lookup
    week_of_line = lines.day // 7
    line_start = np.searchsorted(week_of_line, np.arange(W + 1))

    # ---------------- regional and central part-locations (dense)
    region_of = net.dealer_region
    ind = np.zeros((R, D))
    ind[region_of, np.arange(D)] = 1.0
    reg_ev_f = ind @ cat.lam                            # (R, F) events/week
    rp_ev = reg_ev_f[:, fam].T.ravel()                  # (N*R,) index p*R + r
    rp_mu = rp_ev * np.repeat(size_mean[fam], R)
    rp_fam = np.repeat(fam, R)
    rp_part = np.repeat(np.arange(N), R)
    rp_reg = np.tile(np.arange(R), N)
    rp_lead = net.transit_days[1 + rp_reg].astype(float)
    rp_start, rp_end = cat.part_start[rp_part], cat.part_end[rp_part]
    cw_ev = cat.fam_rate[fam]
    cw_mu = cw_ev * size_mean[fam]
    cw_lead = cat.lt_master.astype(float)

    def reg_levels(w):
        act = ((w >= rp_start) & (w < rp_end)) * plan[rp_fam, w]
        return legacy_min_max(rp_mu * act, rp_ev * act, rp_lead, S.REGIONAL_STOCK_MIN_EVENTS)

    def cw_levels(w):
        act = ((w >= cat.part_start) & (w < cat.part_end)) * plan[fam, w]
        return legacy_min_max(cw_mu * act, cw_ev * act, cw_lead, S.CENTRAL_STOCK_MIN_EVENTS)

    rec = _Recorder()
    late_mean = net.late_extra_days

    def dealer_extra(dealers):
        extra = _background_extra(rng, dealers.size)
        mean = late_mean[dealers]
        late = mean > 0
        extra[late] = rng.poisson(mean[late])
        return np.minimum(extra, MAX_EXTRA_DAYS)

    # ---------------- dealer lines of parts the dealer never stocks: emergency, all at once
    ns = line_pl < 0
    ns_day = lines.day[ns]
    ns_dealer = lines.dealer[ns]
    ns_part = lines.part[ns]
    ns_qty = lines.qty[ns]
    ns_recv = ns_day + 1 + dealer_extra(ns_dealer)
    rec.add(off + ns_dealer, ns_part, ns_day, ns_qty, ns_recv, ns_day + 1, EMERGENCY)
    n_rp = N * R
    ns_reg_demand = np.bincount((ns_day // 7) * n_rp + ns_part * R + region_of[ns_dealer],
                                weights=ns_qty, minlength=W * n_rp).reshape(W, n_rp).astype(np.int64)

    # ---------------- state
    K_d = _ceil_div7(3 + MAX_EXTRA_DAYS) + 2
    K_c = _ceil_div7(MAX_SUPPLIER_DAYS) + 2
    dp = StockState(dealer_levels(0)[1], K_d)
    rp = StockState(reg_levels(0)[1], K_d)
    cw = StockState(cw_levels(0)[1], K_c)
    start_state = (dp.on_hand.copy(), rp.on_hand.copy(), cw.on_hand.copy())
    pack = cat.pack_size
    dealer_transit = net.transit_days[off + dp_dealer]
    reg_transit = net.transit_days[1 + rp_reg]
    dealer_real_lead = lambda idx: dealer_transit[idx] + dealer_extra(dp_dealer[idx])
    reg_real_lead = lambda idx: reg_transit[idx] + np.minimum(_background_extra(rng, idx.size), MAX_EXTRA_DAYS)
    cw_real_lead = lambda idx: _supplier_days(cat, idx, rng)

    for w in range(W):  # loop over time; every step is whole-array over part-locations
        d0 = 7 * w
        if w % S.LEVEL_REVISION_WEEKS == 0:
            dp_min, dp_max = dealer_levels(w)
            rp_min, rp_max = reg_levels(w)
            cw_min, cw_max = cw_levels(w)
        # ---- dealers: arrivals, Monday order, the week's lines
        idx, q, recv = monday_order(dp, w, dp_min, dp_max, dealer_real_lead)
        dl = dp_dealer[idx]
        rec.add(off + dl, dp_part[idx], d0, q, recv, d0 + dealer_transit[idx], NORMAL)
        reg_demand = ns_reg_demand[w].copy()
        reg_demand += np.bincount(dp_part[idx] * R + region_of[dl], weights=q, minlength=n_rp).astype(np.int64)

        a, b = line_start[w], line_start[w + 1]
        lp = line_pl[a:b]
        st = lp >= 0
        lp = lp[st]
        lq = lines.qty[a:b][st]
        filled = fill_in_line_order(lp, lq, dp.on_hand)
        dp.on_hand -= np.bincount(lp, weights=filled, minlength=n_dp).astype(np.int64)
        unc = lq - filled
        e = unc > 0
        e_pl, e_q, e_day = lp[e], unc[e], lines.day[a:b][st][e]
        e_dl = dp_dealer[e_pl]
        rec.add(off + e_dl, dp_part[e_pl], e_day, e_q, e_day + 1 + dealer_extra(e_dl), e_day + 1, EMERGENCY)
        reg_demand += np.bincount(dp_part[e_pl] * R + region_of[e_dl], weights=e_q, minlength=n_rp).astype(np.int64)

        # ---- regionals: arrivals, Monday order to CW, the week's demand from dealers
        idx, q, recv = monday_order(rp, w, rp_min, rp_max, reg_real_lead)
        rec.add(1 + rp_reg[idx], rp_part[idx], d0, q, recv, d0 + reg_transit[idx], NORMAL)
        cw_demand = np.bincount(rp_part[idx], weights=q, minlength=N).astype(np.int64)
        filled = np.minimum(rp.on_hand, reg_demand)
        rp.on_hand -= filled
        unc = reg_demand - filled
        idx = np.nonzero(unc > 0)[0]
        eday = d0 + 3
        recv = eday + 1 + np.minimum(_background_extra(rng, idx.size), MAX_EXTRA_DAYS)
        rec.add(1 + rp_reg[idx], rp_part[idx], eday, unc[idx], recv, eday + 1, EMERGENCY)
        cw_demand += np.bincount(rp_part[idx], weights=unc[idx], minlength=N).astype(np.int64)

        # ---- central warehouse: arrivals, Monday order to suppliers, demand from regionals
        idx, q, recv = monday_order(cw, w, cw_min, cw_max, cw_real_lead, pack)
        rec.add(0, idx, d0, q, recv, d0 + cat.lt_master[idx], NORMAL)
        filled = np.minimum(cw.on_hand, cw_demand)
        cw.on_hand -= filled
        unc = cw_demand - filled
        idx = np.nonzero(unc > 0)[0]
        real = np.maximum(1, np.round(EXPEDITE_FACTOR * _supplier_days(cat, idx, rng))).astype(np.int64)
        promised = np.maximum(1, np.round(EXPEDITE_FACTOR * cat.lt_master[idx])).astype(np.int64)
        rec.add(0, idx, eday, unc[idx], eday + real, eday + promised, EMERGENCY)

    dp_oh, rp_oh, cw_oh = dp.on_hand, rp.on_hand, cw.on_hand
    loc, part, oday, qty, rday, pday, kind = rec.arrays()
    as_of = 7 * W
    n_loc = off + D
    done = rday < as_of
    open_ = ~done
    # final on hand: normal receipts of the last week (received before as_of) not yet applied
    last = done & (kind == NORMAL) & (_ceil_div7(rday) == W)

    # snapshot rows: stocked dealer set, every regional and CW row, plus part-locations with open orders
    base_key = np.concatenate([dp_part * n_loc + off + dp_dealer, rp_part * n_loc + 1 + rp_reg,
                               np.arange(N) * n_loc])
    base_oh = np.concatenate([dp_oh, rp_oh, cw_oh])
    base_start = np.concatenate(start_state)
    rec_key = part.astype(np.int64) * n_loc + loc
    rows = np.sort(np.concatenate([base_key, rec_key[open_]]))
    rows = rows[np.concatenate([[True], rows[1:] != rows[:-1]])]
    at = lambda k: np.searchsorted(rows, k)
    n_rows = rows.size
    on_hand = np.zeros(n_rows, np.int64)
    on_hand[at(base_key)] = base_oh
    on_hand += np.bincount(at(rec_key[last]), weights=qty[last], minlength=n_rows).astype(np.int64)
    on_order = np.bincount(at(rec_key[open_]), weights=qty[open_], minlength=n_rows).astype(np.int64)
    emerg = open_ & (kind == EMERGENCY)
    backord = np.bincount(at(rec_key[emerg]), weights=qty[emerg], minlength=n_rows).astype(np.int64)
    started = base_start > 0
    s_order = np.argsort(base_key[started])
    s_key = base_key[started][s_order]

    loc, part, oday, qty, rday, pday, kind = (x[done] for x in (loc, part, oday, qty, rday, pday, kind))
    order = lsd_order(oday, loc, part)
    sel = lambda x: x[order].astype(np.int64)
    kinds = np.where(np.isin(np.arange(chosen.size), np.arange(not_stocked.size)),
                     "not_stocked_but_sells", "max_override_below_need").astype(object)
    return History(
        r_location=sel(loc), r_part=sel(part), r_order_day=sel(oday), r_qty=sel(qty),
        r_received_day=sel(rday), r_promised_day=sel(pday), r_type=sel(kind),
        i_location=rows % n_loc, i_part=rows // n_loc, i_on_hand=on_hand,
        i_on_order=on_order, i_backorders=backord,
        s_location=s_key % n_loc, s_part=s_key // n_loc, s_on_hand=base_start[started][s_order],
        o_location=off + dp_dealer[chosen], o_part=dp_part[chosen], o_stocked=~ovr_off[chosen],
        o_min=ovr_min[chosen], o_max=ovr_max[chosen], o_kind=kinds, o_need_max=need_max_full[chosen],
    )


def _supplier_days(cat: Catalogue, idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Real supplier lead time of orders for parts ``idx`` [days] (mean-preserving log-normal)."""
    s = cat.lt_log_sd[idx]
    real = cat.lt_true_mean[idx] * rng.lognormal(-s ** 2 / 2.0, s)
    return np.clip(np.round(real), 1, MAX_SUPPLIER_DAYS).astype(np.int64)
