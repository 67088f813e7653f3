"""Small helpers of the real-data benchmarks (no real data needed)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.real.refinery import kpis
from benchmarks.real.tradeoff import (_subset_attributes, calibration, inventory_at, nguyen_clean, nguyen_items,
                                      r_round)


def test_r_round_is_half_even_like_r():
    assert [r_round(0.7 * t) for t in (84, 150, 24, 51, 273)] == [59, 105, 17, 36, 191]
    assert r_round(2.5) == 2 and r_round(3.5) == 4


def test_nguyen_items_exact_mask_on_a_small_panel():
    # 4 training periods, 2 test periods; Nguyen keeps items with >= 2 non-zero training demands
    y = np.array([
        [0, 3, 0, 1, 0, 0],          # 2 non-zero in training -> kept (even without test demand)
        [5, 0, 0, 0, 2, 7],          # 1 in training, demand only later -> dropped
        [0, 0, 0, 0, 9, 9],          # none in training -> dropped
        [-2, 4, -1, 0, 1, 1],        # negatives are 0: 1 non-zero in training -> dropped
        [np.nan, 0.5, 0.25, 0, 0, 0],  # NaN is 0; fractional demands count -> kept
        [1, 1, 1, 1, 1, 1],          # 4 -> kept
        [0, 0, 0, 0, 0, 0],          # never -> dropped
    ], dtype=float)
    np.testing.assert_array_equal(nguyen_items(y, 4), [True, False, False, False, True, True, False])
    # a stricter threshold and a shorter training window, counted by hand
    np.testing.assert_array_equal(nguyen_items(y, 4, min_nonzero=3), [False, False, False, False, False, True, False])
    np.testing.assert_array_equal(nguyen_items(y, 2), [False, False, False, False, False, True, False])
    np.testing.assert_array_equal(nguyen_items(y, 6, min_nonzero=1), [True, True, True, True, True, True, False])


def test_nguyen_items_matches_a_per_item_count():
    rng = np.random.default_rng(3)
    y = rng.poisson(0.3, (200, 30)).astype(float) - rng.binomial(1, 0.05, (200, 30))
    y[rng.random((200, 30)) < 0.02] = np.nan
    ref = []
    for row in y:                                      # plain per-item reference
        cnt = 0
        for v in row[:21]:
            if not np.isnan(v) and v > 0:
                cnt += 1
        ref.append(cnt >= 2)
    np.testing.assert_array_equal(nguyen_items(y, 21), ref)
    assert np.all(nguyen_clean(y) >= 0) and not np.isnan(nguyen_clean(y)).any()
    np.testing.assert_array_equal(nguyen_clean(np.array([[-1.0, np.nan, 2.5]])), [[0.0, 0.0, 2.5]])


def test_nguyen_items_rejects_bad_input():
    y = np.ones((3, 5))
    with pytest.raises(ValueError, match="y must be 2-D"):
        nguyen_items(np.ones(5), 3)
    with pytest.raises(ValueError, match="n_train"):
        nguyen_items(y, 0)
    with pytest.raises(ValueError, match="n_train"):
        nguyen_items(y, 6)
    with pytest.raises(ValueError, match="min_nonzero"):
        nguyen_items(y, 3, min_nonzero=0)


def test_subset_attributes_restricts_per_item_arrays_only():
    att = {"lead": np.array([1, 2, 3]), "price": np.array([1.0, 2.0, 3.0]), "order_cost": 0.0, "moq": 1,
           "ppy": 12.0, "unit": "GBP"}
    sub = _subset_attributes(att, np.array([True, False, True]))
    np.testing.assert_array_equal(sub["lead"], [1, 3])
    np.testing.assert_array_equal(sub["price"], [1.0, 3.0])
    assert sub["order_cost"] == 0.0 and sub["moq"] == 1 and sub["unit"] == "GBP"


def test_calibration_mean_abs_error_in_points():
    df = pd.DataFrame({"method": ["m"] * 3, "target": [0.75, 0.80, 0.90], "fill": [0.5, 0.82, 0.89]})
    assert calibration(df, "fill")["m"] == pytest.approx((2.0 + 1.0) / 2)   # 0.75 is outside 0.80-0.99


def test_inventory_at_interpolates_and_refuses_to_extrapolate():
    f = np.array([0.9, 0.8, 0.95])
    v = np.array([200.0, 100.0, 300.0])
    assert inventory_at(f, v, 0.85) == pytest.approx(150.0)
    assert np.isnan(inventory_at(f, v, 0.97))


def test_refinery_kpis_by_class():
    out = {"supplied": np.array([1.0, 2.0, 0.0]), "demand": np.array([2.0, 2.0, 0.0]),
           "lines": np.array([2.0, 1.0, 0.0]), "lines_hit": np.array([1.0, 1.0, 0.0]),
           "mean_on_hand": np.array([1.0, 3.0, 2.0]), "orders": np.array([1.0, 0.0, 0.0])}
    k = kpis(out, np.array([10.0, 1.0, 5.0]), np.array(["high", "high", "low"]), n_periods=12,
             history=np.array([True, False, True])).set_index("criticality")
    assert k.loc["high", "fill_rate"] == pytest.approx(0.75)
    assert k.loc["high", "hit_rate"] == pytest.approx(2 / 3)
    assert k.loc["high", "stock_value"] == pytest.approx(13.0)
    assert np.isnan(k.loc["low", "fill_rate"])
    assert k.loc["all", "stock_value"] == pytest.approx(23.0)
    assert k.loc["all with history", "fill_rate"] == pytest.approx(0.5)
    assert k.loc["all", "orders_per_year"] == pytest.approx(1.0)


def _synthetic_panel(n=60, T=40, seed=5):
    rng = np.random.default_rng(seed)
    rate = rng.gamma(0.6, 0.8, n)
    y = rng.poisson(rate[:, None] * rng.gamma(2.0, 0.5, (n, T))).astype(float)
    att = {"lead": rng.integers(0, 3, n), "price": rng.lognormal(2.0, 1.0, n), "order_cost": 0.0,
           "holding_rate": 0.25, "moq": 1, "ppy": 12.0, "unit": "GBP"}
    return y, att


def test_system_protocol_meets_item_average_target_in_expectation_and_is_cheaper_than_per_item():
    from benchmarks.real.common import choose_methods, moments
    from benchmarks.real.system import base_stock_options, per_item_levels, system_levels
    from benchmarks.real.tradeoff import protocol_s
    y, att = _synthetic_panel()
    n_train = 28
    rows, tmap = protocol_s(y, n_train, att, "dataset", calibrate=False)
    assert tmap is None and len(rows) == 8 and set(rows["method"]) == {"system"}
    # expected item average of the chosen levels meets each target; per-item levels cost at least as much
    train = y[:, :n_train]
    mean, var = moments(train, choose_methods(train, "auto"))
    act = mean > 0
    level, fill, oh, valid = base_stock_options(mean[act], var[act], att["lead"][act])
    cost = att["price"][act]
    for t in (0.8, 0.95):
        S, _ = system_levels(level, fill, oh, valid, mean[act], cost, np.zeros(act.sum(), int), {0: t},
                             weights=np.ones(act.sum()))
        pos = (level == S[:, None]).argmax(axis=1)
        r = np.arange(S.size)
        assert fill[r, pos].mean() >= t - 1e-9
        Sp = per_item_levels(level, fill, valid, t)
        posp = (level == Sp[:, None]).argmax(axis=1)
        assert (oh[r, pos] * cost).sum() <= (oh[r, posp] * cost).sum() + 1e-9


def test_inner_target_map_uses_training_window_only():
    from benchmarks.real.tradeoff import inner_target_map
    y, att = _synthetic_panel(40, 40, seed=9)
    cost = att["price"]
    m1 = inner_target_map(y, 28, att["lead"], cost, targets=(0.8, 0.9))
    y2 = y.copy()
    y2[:, 28:] = 0.0                                   # the test window changes, the map must not
    m2 = inner_target_map(y2, 28, att["lead"], cost, targets=(0.8, 0.9))
    pd.testing.assert_frame_equal(m1, m2)
    assert ((m1["ask"] >= 0.5) & (m1["ask"] <= 0.998)).all()
    with pytest.raises(ValueError, match="inner split"):
        inner_target_map(y[:, :12], 8, att["lead"], cost)


def test_demand_presence_probability_against_scipy():
    from scipy import stats
    from benchmarks.real.tradeoff import demand_presence_probability
    mean = np.array([0.05, 0.3, 1.2, 0.3, 0.0])
    var = np.array([0.2, 0.9, 5.0, 0.1, 0.0])          # the 4th is below Poisson: Poisson is used
    h = 45
    got = demand_presence_probability(mean, var, h)
    m, v = h * mean[:3], h * var[:3]
    p, r = m / v, m * m / (v - m)
    np.testing.assert_allclose(got[:3], 1.0 - stats.nbinom.pmf(0, r, p), rtol=1e-12)
    assert got[3] == pytest.approx(1.0 - stats.poisson.pmf(0, h * 0.3), rel=1e-12)
    assert got[4] == 0.0
    with pytest.raises(ValueError, match="mean"):
        demand_presence_probability(np.array([-1.0]), np.array([1.0]), 3)
    with pytest.raises(ValueError, match="periods"):
        demand_presence_probability(np.array([1.0]), np.array([1.0]), 0)


def test_presence_weighted_system_meets_the_weighted_expectation():
    from benchmarks.real.tradeoff import _system_fit, demand_presence_probability, protocol_s
    from benchmarks.real.system import system_levels
    y, att = _synthetic_panel(50, 40, seed=11)
    n_train = 28
    rows, _ = protocol_s(y, n_train, att, "0", calibrate=False, presence=True)
    assert set(rows["method"]) == {"system", "system, presence"} and len(rows) == 16
    cost = att["price"]
    act, mean, (level, fill, oh, valid), var = _system_fit(np.maximum(y[:, :n_train], 0.0), np.zeros(50, int), cost)
    w = demand_presence_probability(mean, var, 12)[act]
    S, _ = system_levels(level, fill, oh, valid, mean[act], cost[act], np.zeros(act.sum(), int), {0: 0.9}, weights=w)
    pos = (level == S[:, None]).argmax(axis=1)
    f = fill[np.arange(S.size), pos]
    assert (w * f).sum() / w.sum() >= 0.9 - 1e-9


def test_benchmarks_select_methods_exactly_as_the_pipeline_does():
    """The real-data benchmarks' ``auto`` is the pipeline's backtest selection (same candidates,
    same cut-offs), not a copy with other settings."""
    import forecasting
    from benchmarks.real.common import choose_methods
    from partsopt.forecast_step import BACKTEST_METHODS, BACKTEST_MIN_PERIODS, BACKTEST_ORIGINS, backtest_methods
    y, _ = _synthetic_panel()
    train = y[:, :28]
    got = choose_methods(train, "auto")
    assert got.tolist() == backtest_methods(train).tolist()
    ref = forecasting.select_by_backtest(train, BACKTEST_METHODS, h=1, n_origins=BACKTEST_ORIGINS, loss="rmse")
    assert got.tolist() == ref["method"].tolist()
    assert choose_methods(train, "sba").tolist() == ["sba"] * train.shape[0]
    with pytest.raises(ValueError, match="needs >= "):
        choose_methods(y[:, :BACKTEST_MIN_PERIODS - 1], "auto")
