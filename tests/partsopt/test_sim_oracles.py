"""The simulator against exact formulas: one part, Poisson demand, fixed lead time.

Base stock with daily review (order-up-to S, review every day), lead time L days:
an order placed at the end of day t arrives at the start of day t + L, so the
net stock at the end of a day is S − D_L and the stock available before a day's
demand is (S − D_{L−1})^+, with D_k ~ Poisson(kλ) (Hadley & Whitin 1963, §4;
Silver, Pyke & Thomas 2017, §7.2 for the periodic-review protection interval).

* average on hand (end of day)   E[(S − D_L)^+]
* ready rate (end of day)        P(D_L < S)
* fill rate                      E[min(D, (S − D_{L−1})^+)] / λ,  D ~ Poisson(λ) the day's demand
* hit rate (per demand line)     Σ_{d≥1} P(D = d) P(S − D_{L−1} ≥ d) / P(D ≥ 1)

(R, S) periodic review every R days: the order of review day t0 covers the days
t0+L+j, j = 0..R−1, before the next order arrives, so the averages above are
taken over j with D_{L+j} (end of day) and D_{L+j−1} (before demand).

Tolerances: 4 standard errors from batch means (30 batches), so a wrong timing
convention (an off-by-one day in the lead time shifts the fill rate by several
percent) fails.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from partsopt.simulate import simulate

from sim_helpers import START, batch_means, dataset, poisson_lines


def _exact(lam, L, S, R):
    d = np.arange(0, 400)
    pd_ = stats.poisson.pmf(d, lam)
    on_hand = ready = fill = hit = 0.0
    for j in range(R):
        before = stats.poisson.pmf(d, lam * max(L + j - 1, 0))          # D_{L+j-1}
        after = stats.poisson.pmf(d, lam * (L + j))                      # D_{L+j}
        avail = np.maximum(S - d, 0)                                     # value of (S - D)^+ for D = d
        on_hand += (after * avail).sum()
        ready += after[d < S].sum()
        # E[min(D, A)] with A = (S - D_{L+j-1})^+
        fill += sum(pd_[k] * (before * np.minimum(k, avail)).sum() for k in range(1, 60))
        hit += sum(pd_[k] * before[(S - d) >= k].sum() for k in range(1, 60))
    return {"on_hand": on_hand / R, "ready": ready / R, "fill": fill / R / lam,
            "hit": hit / R / (1 - pd_[0])}


def _run(lam, L, S, R, days, seed=1):
    parts = {"part": ["P"], "unit_cost": [1.0], "lead_time_days": [float(L)], "lead_time_sd_days": [0.0]}
    locs = {"location": ["W"], "review_days": [float(R)], "emergency_days": [float(L)]}
    ds = dataset(parts, locs, poisson_lines(lam, days, seed=seed))
    pol = pd.DataFrame({"part": ["P"], "location": ["W"], "reorder_point": [S - 1], "order_up_to": [S]})
    return simulate(ds, pol, START, START + pd.Timedelta(days=days - 1))


def _check(res, ex, burn, R):
    lines = res.lines
    keep = (lines["date"] - START).dt.days >= burn
    lines = lines[keep.to_numpy()]
    # batches by day so each batch covers whole review cycles
    daily = res.daily.iloc[burn:]
    ndays = len(daily) // (30 * R) * (30 * R)
    daily = daily.iloc[:ndays]
    day_of_line = (lines["date"] - START).dt.days.to_numpy() - burn
    lines = lines[day_of_line < ndays]
    day_of_line = day_of_line[day_of_line < ndays]
    qty_day = np.bincount(day_of_line, lines["qty"], minlength=ndays)
    fill_day = np.bincount(day_of_line, lines["filled_qty_at_once"], minlength=ndays)
    hit_day = np.bincount(day_of_line, lines["hit"].astype(float), minlength=ndays)
    n_day = np.bincount(day_of_line, minlength=ndays)
    got = {"fill": batch_means(fill_day, qty_day), "hit": batch_means(hit_day, n_day),
           "on_hand": batch_means(daily["on_hand_units"].to_numpy()),
           "ready": batch_means((daily["on_hand_units"].to_numpy() > 0).astype(float))}
    for k, (est, se) in got.items():
        assert abs(est - ex[k]) <= 4 * se + 1e-9, (k, est, ex[k], se)
        assert se < 0.05 * max(ex[k], 0.1), (k, se)  # the run is long enough to be a real test


def test_base_stock_daily_review_matches_exact_formulas():
    lam, L, S = 2.0, 5, 12
    ex = _exact(lam, L, S, 1)
    assert 0.6 < ex["fill"] < 0.95  # a regime where stock-outs matter
    res = _run(lam, L, S, 1, days=9000)
    _check(res, ex, burn=30, R=1)
    # the long-run hit rate also matches the KPI registry's network figure up to the burn-in
    assert abs(res.kpis["hit_rate"] - ex["hit"]) < 0.02


def test_base_stock_off_by_one_lead_time_would_fail():
    """The exact value for L±1 is far outside the tolerance: the test can fail."""
    lam, L, S = 2.0, 5, 12
    res = _run(lam, L, S, 1, days=9000)
    lines = res.lines.iloc[30:]
    fill = lines["filled_qty_at_once"].sum() / lines["qty"].sum()
    for wrong in (L - 1, L + 1):
        assert abs(fill - _exact(lam, wrong, S, 1)["fill"]) > 0.03


def test_periodic_review_R_S_matches_exact_formulas():
    # λ=1, R=7, L=10, S=18: P(demand in one cycle > S) ≈ 1e-4, so emergency orders
    # (which the (R, S) formula ignores) are negligible.
    lam, L, S, R = 1.0, 10, 18, 7
    assert stats.poisson.sf(S, lam * R) < 2e-4
    ex = _exact(lam, L, S, R)
    assert 0.7 < ex["fill"] < 0.98
    res = _run(lam, L, S, R, days=30 * 7 * 40 + 28, seed=3)
    _check(res, ex, burn=28, R=R)
