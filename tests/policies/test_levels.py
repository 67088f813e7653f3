"""policies.levels: option tables equal evaluate_policy column by column; floors as the optimiser."""
from __future__ import annotations

import numpy as np
import pytest

from policies.levels import level_options
from policies.service import evaluate_policy
from policies.single import optimize_single


def _rows(n, seed):
    rng = np.random.default_rng(seed)
    mean = rng.uniform(0.02, 1.5, n)
    var = mean * rng.uniform(1.0, 3.0, n)
    L = rng.uniform(1.0, 20.0, n)
    R = rng.choice([1.0, 7.0], n)
    Q = rng.integers(1, 6, n)
    pol = np.where(rng.random(n) < 0.3, "snQ", "sS")
    return mean, var, L, R, Q, pol


def test_every_option_equals_evaluate_policy():
    n = 40
    mean, var, L, R, Q, pol = _rows(n, 1)
    s_lo = np.where(np.arange(n) % 3 == 0, 0, -1)
    s_hi = s_lo + np.random.default_rng(2).integers(0, 12, n)
    c = np.linspace(1.0, 50.0, n)
    sd = 0.2 * L
    opt = level_options("nbinom", mean, var, L, R, order_quantity=Q, policy=pol, s_lo=s_lo, s_hi=s_hi,
                        unit_cost=c, lead_time_sd=sd, line_size_pmf="family")
    assert opt.K == 1 + int((s_hi - s_lo).max()) + 1
    checked = 0
    for k in range(opt.K):
        # every row at once (the same rows give the same demand support as the options' tables);
        # columns past a row's s_hi repeat its s_hi
        rows = np.arange(n)
        s = opt.reorder_point[:, k]
        S = opt.order_up_to[:, k]
        ev = evaluate_policy("nbinom", mean[rows], var[rows], L[rows], R[rows], reorder_point=s,
                             order_up_to=S, policy=np.where(k == 0, "sS", pol[rows]),
                             lead_time_sd=sd[rows], line_size_pmf="family")
        for mine, theirs in (("hit_rate", "hit_rate"), ("fill_rate", "fill_rate"),
                             ("ready_rate", "ready_rate"), ("on_hand", "expected_on_hand"),
                             ("backorders", "expected_backorders")):
            # fill rate and backorders use the loss function, which sums the tail mass the
            # tables truncate (tail = 1e-9) over every tabulated level: the two routes tabulate
            # different numbers of levels, so they agree to the truncation only
            tol = 1e-12 if mine in ("hit_rate", "ready_rate", "on_hand") else 1e-7
            np.testing.assert_allclose(getattr(opt, mine)[rows, k], ev[theirs].to_numpy(), rtol=0, atol=tol,
                                       err_msg=f"{mine} column {k}")
        np.testing.assert_allclose(opt.cost[rows, k], ev["expected_on_hand"].to_numpy() * c[rows], rtol=1e-12)
        np.testing.assert_allclose(opt.value[rows, k], ev["hit_rate"].to_numpy() * ev["lines_per_year"].to_numpy(),
                                   rtol=1e-12, atol=1e-12)
        if k > 0:
            np.testing.assert_allclose(opt.orders_per_year[rows], ev["orders_per_year"].to_numpy(), rtol=1e-12)
        checked += rows.size
    assert checked > 200
    # column 0 is "not stocked": nothing on hand, every line a miss
    assert np.all(opt.on_hand[:, 0] == 0) and np.all(opt.hit_rate[:, 0] == 0)
    # a stocked (-1, 0) column would repeat column 0: it is never valid
    assert not np.any(opt.valid[:, 1:] & (opt.order_up_to[:, 1:] <= 0))


def test_chunking_changes_options_only_within_the_tail_truncation():
    """Chunks of other rows truncate the demand support elsewhere: differences of the order of
    the tail (1e-9), never in the feasibility."""
    mean, var, L, R, Q, pol = _rows(25, 3)
    kw = dict(order_quantity=Q, policy=pol, s_hi=np.full(25, 8), unit_cost=np.ones(25))
    a = level_options("nbinom", mean, var, L, R, chunk_size=4, **kw)
    b = level_options("nbinom", mean, var, L, R, chunk_size=1000, **kw)
    np.testing.assert_allclose(a.value, b.value, atol=1e-8)
    np.testing.assert_array_equal(a.valid, b.valid)


@pytest.mark.parametrize("otd,eon,nor", [(0.9, 0.0, np.nan), (0.95, 0.5, 0.85), (np.nan, 0.0, 0.7)])
def test_floors_match_the_single_location_optimiser(otd, eon, nor):
    """With a negligible service target and no emergency cost the optimiser takes, at its Q,
    the lowest s that meets the OTD and normal-order floors: the first valid stocked option."""
    n = 60
    mean, var, L, R, _, _ = _rows(n, 4)
    out = optimize_single("nbinom", mean, var, lead_time=L, review_period=R, unit_cost=10.0,
                          holding_rate=0.25, order_cost=5.0, emergency_cost=0.0, target_type="hit_rate",
                          target_level=1e-6, otd_target=np.full(n, otd), emergency_on_time=np.full(n, eon),
                          normal_order_target=None if np.isnan(nor) else np.full(n, nor),
                          periods_per_year=365.0, line_size_pmf="family")
    ok = out["feasible"].to_numpy()
    assert ok.sum() > 40
    s_opt = out["reorder_point"].to_numpy()[ok]
    Q = out["order_quantity"].to_numpy()[ok]
    floor = np.full(n, -np.inf) if np.isnan(otd) else np.full(n, (otd - eon) / (1 - eon))
    opt = level_options("nbinom", mean[ok], var[ok], L[ok], R[ok], order_quantity=Q, s_hi=s_opt + 5,
                        unit_cost=np.full(ok.sum(), 10.0), hit_floor=floor[ok],
                        normal_order_target=None if np.isnan(nor) else np.full(ok.sum(), nor),
                        line_size_pmf="family")
    stocked = opt.valid[:, 1:]
    first = np.argmax(stocked, axis=1)
    assert stocked.any(axis=1).all()
    np.testing.assert_array_equal(opt.reorder_point[np.arange(ok.sum()), first + 1], s_opt)
    # not stocked is valid only without any floor
    assert not opt.valid[:, 0].any()


def test_not_stocked_is_an_option_without_floors():
    mean, var, L, R, Q, pol = _rows(10, 5)
    opt = level_options("nbinom", mean, var, L, R, order_quantity=Q, s_hi=np.full(10, 4), unit_cost=np.ones(10))
    assert opt.valid[:, 0].all()
    assert np.all(opt.cost[:, 0] == 0) and np.all(opt.value[:, 0] == 0)
    # value and cost increase with s
    v = np.where(opt.valid, opt.value, np.nan)
    assert np.all(np.diff(v[:, 1:], axis=1)[~np.isnan(np.diff(v[:, 1:], axis=1))] >= -1e-12)


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="s_hi must be >= s_lo"):
        level_options("poisson", [1.0], order_quantity=[1], s_lo=[2], s_hi=[1], unit_cost=[1.0])
    with pytest.raises(ValueError, match="unit_cost"):
        level_options("poisson", [1.0], order_quantity=[1], s_hi=[1], unit_cost=[0.0])
    with pytest.raises(ValueError, match="policy"):
        level_options("poisson", [1.0], order_quantity=[1], s_hi=[1], unit_cost=[1.0], policy="rQ")
    with pytest.raises(ValueError, match="normal_order_target"):
        level_options("poisson", [1.0], order_quantity=[1], s_hi=[1], unit_cost=[1.0], normal_order_target=[1.0])
