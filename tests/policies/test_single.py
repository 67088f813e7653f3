"""Single-location optimiser: brute force over (s, Q), constraints, pack/MOQ, bad input."""
import numpy as np
import pandas as pd
import pytest

from policies.service import evaluate_policy
from policies.single import optimize_single


def _brute_force(family, mu, var, L, R, c, hr, A, E, level, ttype="hit_rate", pack=1, moq=1,
                 qmax=12, smax=25, nor=None, otd=None, e_on=1.0, ppy=365.0):
    """Plain per-row reference: evaluate every (s, Q) with evaluate_policy, keep the best."""
    best = None
    policy = "snQ" if pack > 1 else "sS"
    qmin = pack * max(1, -(-max(moq, 1) // pack))
    col = {"hit_rate": "hit_rate", "fill_rate": "fill_rate", "ready_rate": "ready_rate",
           "cycle_service_level": "cycle_service_level"}[ttype]
    for Q in range(qmin, qmax + 1, pack):
        s = np.arange(-1, smax)
        kw = dict(order_quantity=Q) if policy == "snQ" else dict(order_up_to=s + Q)
        df = evaluate_policy(family, np.full(s.size, mu), None if var is None else var, L, R,
                             reorder_point=s, policy=policy, periods_per_year=ppy, **kw)
        emerg = df.lines_per_year * (1 - df.hit_rate)
        cost = hr * c * df.expected_on_hand + A * df.orders_per_year + E * emerg
        ok = df[col] >= level - 1e-12
        if otd is not None:
            ok &= df.hit_rate + (1 - df.hit_rate) * e_on >= otd - 1e-12
        if nor is not None:
            tot = df.orders_per_year + emerg
            ok &= ~(np.where(tot > 0, df.orders_per_year / tot, 1.0) < nor - 1e-12)
        cost = np.where(ok, cost, np.inf)
        i = int(np.argmin(cost))
        if np.isfinite(cost[i]) and (best is None or cost[i] < best[2] - 1e-9 * max(1, cost[i])):
            best = (int(s[i]), Q, float(cost[i]))
    return best


CASES = [
    # family, mu, var, L, R, c, hr, A, E, level, ttype, pack, moq
    ("poisson", 0.05, None, 14, 7, 100.0, 0.25, 2.0, 5.0, 0.95, "hit_rate", 1, 1),
    ("poisson", 0.3, None, 10, 7, 20.0, 0.25, 5.0, 30.0, 0.90, "fill_rate", 1, 1),
    ("nbinom", 0.8, 2.0, 5, 1, 8.0, 0.3, 10.0, 0.0, 0.97, "hit_rate", 1, 3),
    ("nbinom", 0.5, 1.5, 7, 7, 3.0, 0.25, 4.0, 2.0, 0.9, "cycle_service_level", 4, 6),
    ("poisson", 0.2, None, 3, 0, 50.0, 0.2, 8.0, 10.0, 0.95, "ready_rate", 1, 1),
]


@pytest.mark.parametrize("case", CASES)
def test_optimum_equals_brute_force(case):
    fam, mu, var, L, R, c, hr, A, E, lvl, tt, pack, moq = case
    res = optimize_single(fam, mu, var, lead_time=L, review_period=R, unit_cost=c,
                          holding_rate=hr, order_cost=A, emergency_cost=E, target_level=lvl,
                          target_type=tt, pack_size=pack, moq=moq, max_q=12)
    ref = _brute_force(fam, mu, var, L, R, c, hr, A, E, lvl, tt, pack, moq, qmax=12)
    row = res.iloc[0]
    assert row.feasible
    assert (row.reorder_point, row.order_quantity) == ref[:2]
    assert row.annual_cost == pytest.approx(ref[2], rel=1e-9)
    assert row.order_quantity % pack == 0 and row.order_quantity >= moq
    assert row["expected_" + tt] >= lvl


def test_batch_equals_rows_and_row_order_does_not_matter():
    rng = np.random.default_rng(4)
    n = 40
    kw = dict(lead_time=rng.integers(0, 20, n), review_period=rng.choice([0, 1, 7], n),
              unit_cost=rng.uniform(1, 200, n), order_cost=rng.uniform(0, 20, n),
              emergency_cost=rng.uniform(0, 30, n), target_level=rng.choice([0.9, 0.95, 0.98], n),
              pack_size=rng.choice([1, 1, 5], n), moq=rng.choice([1, 4], n))
    mu = rng.gamma(0.5, 1.0, n)
    var = mu * rng.uniform(1.0, 3.0, n)
    full = optimize_single("nbinom", mu, var, chunk_size=7, workers=2, **kw)
    perm = rng.permutation(n)
    shuffled = optimize_single("nbinom", mu[perm], var[perm],
                               **{k: np.asarray(v)[perm] for k, v in kw.items()})
    pd.testing.assert_frame_equal(full.iloc[perm].reset_index(drop=True), shuffled)
    for i in range(0, n, 9):
        one = optimize_single("nbinom", mu[i], var[i], **{k: np.asarray(v)[i] for k, v in kw.items()})
        pd.testing.assert_frame_equal(full.iloc[[i]].reset_index(drop=True), one)


def test_normal_order_rate_constraint_binds_and_is_met():
    # cheap emergency lines, costly stock: without the constraint most replenishment is
    # emergency; with it the normal-order rate must reach 0.85
    kw = dict(lead_time=14, review_period=7, unit_cost=500.0, order_cost=1.0, emergency_cost=0.0,
              target_level=0.5)
    free = optimize_single("poisson", 1.0, **kw)
    assert free.normal_order_rate[0] < 0.85
    con = optimize_single("poisson", 1.0, normal_order_target=True, **kw)  # True = 0.85
    assert con.normal_order_rate[0] >= 0.85
    assert con.annual_cost[0] >= free.annual_cost[0]
    ref = _brute_force("poisson", 1.0, None, 14, 7, 500.0, 0.25, 1.0, 0.0, 0.5, nor=0.85,
                       qmax=int(con.order_quantity[0]) + 5, smax=40)
    assert (con.reorder_point[0], con.order_quantity[0]) == ref[:2]
    assert "normal-order rate" in con.reason[0] or con.reorder_point[0] > free.reorder_point[0]


def test_otd_target_with_emergency_supply():
    kw = dict(lead_time=10, review_period=7, unit_cost=50.0, order_cost=2.0, target_level=0.8)
    base = optimize_single("poisson", 0.4, **kw)
    # emergency supply on time 50 % of the time: OTD 0.97 needs hit >= 0.94
    res = optimize_single("poisson", 0.4, otd_target=0.97, emergency_on_time=0.5, **kw)
    assert res.expected_hit_rate[0] >= 0.94 - 1e-12
    assert res.expected_otd_rate[0] >= 0.97 - 1e-12
    assert base.expected_hit_rate[0] < 0.94
    # when emergency supply is always on time, the OTD target never binds
    res1 = optimize_single("poisson", 0.4, otd_target=0.97, emergency_on_time=1.0, **kw)
    assert res1.reorder_point[0] == base.reorder_point[0]
    # the reason names the binding constraint: the hit-rate floor that the OTD target implies
    assert "s-1 would miss the hit-rate floor 0.940 of the on-time target 0.970" in res.reason[0]


def test_smallest_s_meeting_target_without_emergency_cost_and_eoq_mode():
    res = optimize_single("poisson", [0.1, 2.0, 15.0], lead_time=7, review_period=7,
                          unit_cost=10.0, order_cost=5.0, target_level=0.95, q_method="eoq")
    for i, row in res.iterrows():
        one = evaluate_policy("poisson", [0.1, 2.0, 15.0][i], None, 7, 7,
                              reorder_point=[row.reorder_point - 1, row.reorder_point],
                              order_up_to=[row.order_up_to - 1, row.order_up_to])
        assert one.hit_rate[1] >= 0.95 > one.hit_rate[0]
        assert row.expected_hit_rate == pytest.approx(one.hit_rate[1], rel=1e-12)
        d = [0.1, 2.0, 15.0][i] * 365
        q = max(1, int(np.ceil(np.sqrt(2 * 5.0 * d / 2.5))))
        assert row.order_quantity == q
        assert "at s-1 it would be" in row.reason


def test_review_options_pick_the_cheaper_cycle():
    res = optimize_single("poisson", [0.5, 0.5], lead_time=5, review_period=7, unit_cost=10.0,
                          order_cost=[0.5, 200.0], target_level=0.95, review_options=[1, 7])
    assert res.review_period.tolist() == [1.0, 7.0] or res.review_period[0] <= res.review_period[1]
    for i in range(2):
        alt = optimize_single("poisson", 0.5, lead_time=5, review_period=8 - res.review_period[i],
                              unit_cost=10.0, order_cost=[0.5, 200.0][i], target_level=0.95)
        assert res.annual_cost[i] <= alt.annual_cost[0] + 1e-9


def test_review_options_with_the_normal_order_rate_choose_the_cycle_that_meets_it():
    """Issue 4 item 3: the review cycle is chosen with the normal-order-rate constraint.  Here
    the weekly cycle is the cheapest without it, but a daily cycle (more normal orders per
    emergency line) is the cheapest way to reach 85 %; each option alone is checked by brute
    force in ``test_normal_order_rate_constraint_binds_and_is_met``."""
    kw = dict(lead_time=14, unit_cost=500.0, order_cost=1.0, emergency_cost=0.0, target_level=0.5)
    options = [1, 7, 14]
    for nor, chosen in ((None, 7.0), (0.85, 1.0)):
        res = optimize_single("poisson", 1.0, review_options=options, normal_order_target=nor, **kw)
        alone = [optimize_single("poisson", 1.0, review_period=r, normal_order_target=nor, **kw)
                 for r in options]
        assert res.review_period[0] == chosen
        assert res.annual_cost[0] == pytest.approx(min(a.annual_cost[0] for a in alone), rel=1e-12)
        i = options.index(int(chosen))
        for c in ("reorder_point", "order_up_to", "normal_order_rate"):
            assert res[c][0] == alone[i][c][0]
    assert res.normal_order_rate[0] >= 0.85 and res.feasible[0]
    # no review_period is needed when review_options gives the cycles
    again = optimize_single("poisson", 1.0, review_options=options, normal_order_target=0.85, **kw)
    pd.testing.assert_frame_equal(again, res)
    with pytest.raises(ValueError, match="review_period is required"):
        optimize_single("poisson", 1.0, **kw)


def test_slow_movers_get_base_stock():
    """EOQ below one unit (or no order cost): Q = 1, S = s + 1, and the reason says so."""
    res = optimize_single("poisson", [0.001, 0.01], lead_time=10, review_period=7,
                          unit_cost=100.0, order_cost=[1.0, 0.0], target_level=0.95)
    assert res.policy.tolist() == ["base_stock", "base_stock"]
    assert (res.order_up_to == res.reorder_point + 1).all()
    assert (res.order_quantity == 1).all()
    assert all(r.endswith("; base stock (S = s + 1)") for r in res.reason)
    assert (res.expected_hit_rate >= 0.95).all()


def test_zero_demand_and_output_columns():
    res = optimize_single("poisson", [0.0, 1.0], lead_time=3, review_period=1, unit_cost=1.0)
    assert (res.reorder_point[0], res.order_up_to[0]) == (-1, 0)
    assert res.reason[0] == "no stock: no demand forecast"
    for col in ("reorder_point", "order_up_to", "safety_stock", "lead_time", "review_period",
                "target_type", "target_level", "expected_hit_rate", "expected_fill_rate",
                "expected_on_hand", "inventory_value", "annual_holding_cost", "reason"):
        assert col in res.columns
    assert (res.select_dtypes("number").drop(columns=["safety_stock", "reorder_point"]) >= 0).all().all()


@pytest.mark.parametrize("kwargs, match", [
    (dict(target_level=1.0), r"target_level must be finite and in \(0, 1\); received 1\.0"),
    (dict(target_level=0.0), r"target_level must be finite and in \(0, 1\)"),
    (dict(otd_target=1.2), r"otd_target must be in \(0, 1\).*1\.2"),
    (dict(normal_order_target=0.0), r"normal_order_target must be in \(0, 1\)"),
    (dict(order_cost=-1.0), r"order_cost must be finite and in \[0, inf\); received -1\.0"),
    (dict(holding_rate=-0.1), r"holding_rate must be finite and in \[0, inf\); received -0\.1"),
    (dict(emergency_cost=-5.0), r"emergency_cost must be finite and in \[0, inf\); received -5\.0"),
    (dict(lead_time_sd=-1.0), r"lead_time_sd must be finite and in \[0, inf\); received -1\.0"),
    (dict(review_period=-7.0), r"review_period must be finite and in \[0, inf\); received -7\.0"),
    (dict(review_options=[7, -1]), r"review_options must be finite and in \[0, inf\); received -1\.0"),
    (dict(unit_cost=0.0), r"unit_cost must be finite and in \(0, inf\); received 0\.0"),
    (dict(lead_time=-2.0), r"lead_time must be finite and in \[0, inf\); received -2\.0"),
    (dict(pack_size=0), r"pack_size must be an integer in \[1, inf\); received 0\.0"),
    (dict(pack_size=1.5), r"pack_size must be an integer"),
    (dict(moq=-1), r"moq must be an integer in \[0, inf\)"),
    (dict(target_type="otd"), "target_type must be one of"),
    (dict(q_method="silver-meal"), "q_method must be 'cost' or 'eoq'"),
    (dict(emergency_on_time=2.0), r"emergency_on_time must be finite and in \[0, 1\]"),
])
def test_bad_input(kwargs, match):
    base = dict(lead_time=3.0, review_period=1.0, unit_cost=1.0)
    base.update(kwargs)
    with pytest.raises(ValueError, match=match):
        optimize_single("poisson", 1.0, **base)


def test_nbinom_underdispersed_rows_fall_back_to_poisson():
    a = optimize_single("nbinom", [2.0], [1.0], lead_time=3, review_period=1, unit_cost=1.0)
    b = optimize_single("poisson", [2.0], lead_time=3, review_period=1, unit_cost=1.0)
    assert a.reorder_point[0] == b.reorder_point[0] and a.order_up_to[0] == b.order_up_to[0]
    with pytest.raises(ValueError, match=r"var must be > mean.*var=1\.0 < mean=2\.0 at row 0"):
        optimize_single("nbinom", [2.0], [1.0], lead_time=3, review_period=1, unit_cost=1.0,
                        on_underdispersed="raise")


def test_empirical_pmfs_give_the_family_optimum():
    from policies import distributions as dist
    mu = np.array([0.2, 1.5, 0.05])
    L, R = np.array([10.0, 5.0, 20.0]), 7.0
    x, w = np.polynomial.legendre.leggauss(16)
    K = 120
    avg = sum(0.5 * wg * dist.pmf_matrix("poisson", mu * (L + R * 0.5 * (xg + 1)), kmax=K - 1)
              for xg, wg in zip(x, w))
    kw = dict(lead_time=L, review_period=R, unit_cost=[10.0, 3.0, 80.0], order_cost=4.0,
              emergency_cost=6.0, target_level=0.95, chunk_size=2)
    emp = optimize_single("empirical", mu, pmf_lead=dist.pmf_matrix("poisson", mu * L, kmax=K - 1),
                          pmf_cycle=dist.pmf_matrix("poisson", mu * (L + R), kmax=K - 1),
                          pmf_review=dist.pmf_matrix("poisson", mu * R, kmax=K - 1),
                          pmf_average=avg, **kw)
    fam = optimize_single("poisson", mu, nodes=16, **kw)
    for c in ("reorder_point", "order_up_to", "policy"):
        assert emp[c].tolist() == fam[c].tolist()
    np.testing.assert_allclose(emp.annual_cost, fam.annual_cost, rtol=1e-7)
    with pytest.raises(ValueError, match="needs pmf_lead and pmf_cycle"):
        optimize_single("empirical", mu, **kw)


def test_reported_kpis_meet_every_constraint_on_random_rows():
    rng = np.random.default_rng(21)
    n = 300
    mu = rng.gamma(0.4, 1.0, n)
    lvl = rng.choice([0.8, 0.9, 0.95, 0.99], n)
    tt = rng.choice(["hit_rate", "fill_rate", "ready_rate", "cycle_service_level"], n)
    otd = rng.choice([np.nan, 0.97], n)
    nor = rng.choice([np.nan, 0.85], n)
    res = optimize_single("nbinom", mu, mu * rng.uniform(1, 4, n),
                          lead_time=rng.integers(0, 25, n), review_period=rng.choice([0, 1, 7], n),
                          unit_cost=rng.lognormal(2, 1, n), order_cost=rng.uniform(0, 10, n),
                          emergency_cost=rng.uniform(0, 40, n), target_type=tt, target_level=lvl,
                          otd_target=otd, emergency_on_time=0.6, normal_order_target=nor,
                          pack_size=rng.choice([1, 1, 1, 4], n), moq=rng.choice([0, 1, 6], n),
                          chunk_size=64)
    assert res.feasible.all()
    got = np.choose(pd.Series(tt).map({t: i for i, t in enumerate(
        ["hit_rate", "fill_rate", "ready_rate", "cycle_service_level"])}).to_numpy(),
        [res.expected_hit_rate, res.expected_fill_rate, res.expected_ready_rate,
         res.expected_cycle_service_level])
    assert (got >= lvl - 1e-9).all()
    has_otd = ~np.isnan(otd)
    assert (res.expected_otd_rate[has_otd] >= otd[has_otd] - 1e-9).all()
    has_nor = ~np.isnan(nor)
    assert (res.normal_order_rate[has_nor] >= nor[has_nor] - 1e-9).all()
    assert (res.order_up_to > res.reorder_point).all()
    assert ((res.order_quantity % np.where(res.policy == "snQ", 4, 1)) == 0).all()
    cost = res.annual_holding_cost + res.annual_order_cost + res.annual_emergency_cost
    np.testing.assert_allclose(res.annual_cost, cost)


def test_a_part_with_almost_no_demand_alone_still_meets_its_fill_rate():
    # 6e-10 units/day, NB: the table must reach the levels of the demand sizes (conditional tail)
    res = optimize_single("nbinom", [6e-10], [1.6e-9], lead_time=26.0, review_period=7.0,
                          unit_cost=4.5, order_cost=5.0, emergency_cost=20.0,
                          target_type="fill_rate", target_level=0.98)
    assert bool(res.feasible[0])
    assert res.expected_fill_rate[0] >= 0.98
    # and one unit less would miss it (the level is the first that meets the target)
    from policies.service import evaluate_policy
    s = int(res.reorder_point[0])
    lower = evaluate_policy("nbinom", [6e-10], [1.6e-9], 26.0, 7.0, reorder_point=s - 1,
                            order_up_to=s)
    assert lower.fill_rate[0] < 0.98
