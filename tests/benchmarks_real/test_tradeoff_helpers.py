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


def test_rolling_levels_read_only_the_past_and_hold_between_replans():
    """The plan in force at period t reads demand before its re-plan only (changing period 33 on
    leaves every level up to 33 unchanged), the first plan also covers the training periods, and
    with ``every=3`` a plan holds for three periods."""
    from benchmarks.real.tradeoff import rolling_levels
    y, att = _synthetic_panel(40, 40, seed=3)
    n_train, cost, lead = 30, att["price"], att["lead"]
    a = rolling_levels(y, n_train, lead, cost, (0.8, 0.95), every=3)
    y2 = y.copy()
    y2[:, 33:] = 5.0
    b = rolling_levels(y2, n_train, lead, cost, (0.8, 0.95), every=3)
    assert set(a) == {(r, t) for r in ("per item", "system", "system, units") for t in (0.8, 0.95)}
    for key, lv in a.items():
        assert lv.shape == y.shape
        np.testing.assert_array_equal(lv[:, :34], b[key][:, :34])   # re-plans at 30 and 33 read y[:, :33]
        for k in (30, 33, 36, 39):                                    # each plan holds until the next
            np.testing.assert_array_equal(lv[:, k:min(k + 3, 40)], np.repeat(lv[:, [k]], min(3, 40 - k), 1))
        np.testing.assert_array_equal(lv[:, :n_train], np.repeat(lv[:, [n_train]], n_train, 1))
    # the third re-plan (at 36) sees the changed periods 33-35: the levels rise
    assert (b[("per item", 0.95)][:, 36] >= a[("per item", 0.95)][:, 36]).all()
    assert (b[("per item", 0.95)][:, 36] > a[("per item", 0.95)][:, 36]).any()


def test_rolling_levels_equal_the_static_plan_fitted_at_each_origin():
    """Column k of the rolling plan is the static plan fitted on y[:, :k]: per item the exact
    per-item levels, ``system`` the item-average and ``system, units`` the unit-weighted system
    approach on the same tables."""
    from benchmarks.real.common import choose_methods, moments
    from benchmarks.real.system import base_stock_options, system_levels
    from benchmarks.real.tradeoff import rolling_levels
    y, att = _synthetic_panel(50, 36, seed=12)
    lead, cost = att["lead"], att["price"]
    lv = rolling_levels(y, 28, lead, cost, (0.9,), every=4)
    for k in (28, 32):
        train = y[:, :k]
        mean, var = moments(train, choose_methods(train, "auto"))
        act = mean > 0
        level, fill, oh, valid, ex = base_stock_options(mean[act], var[act], lead[act], targets=(0.9,))
        assert (lv[("per item", 0.9)][~act, k] == 0).all()
        np.testing.assert_array_equal(lv[("per item", 0.9)][act, k], ex[:, 0])
        for rule, w in (("system", np.ones(act.sum())), ("system, units", None)):
            S, info = system_levels(level, fill, oh, valid, mean[act], cost[act], np.zeros(act.sum(), int), {0: 0.9},
                                    weights=w)
            np.testing.assert_array_equal(lv[(rule, 0.9)][act, k], S)
            assert info[0]["expected_fill"] >= 0.9 - 1e-9


def test_protocol_r_replays_each_rule_and_target_and_rejects_bad_input():
    """On a stationary Poisson panel with lead time 0 the stock before demand is S, so the units filled
    in a period are min(D, S): the replay's unit fill rate must match the exact expectation at the
    true rates of the levels the rolling plan set (Monte Carlo, 150 items x 30 periods; a 2-point
    tolerance that fails on a wrong replay or a wrong period alignment), and the plan meets each
    target on units up to 2 points (the fitted rates are estimates)."""
    from scipy import stats

    from benchmarks.real.tradeoff import TARGETS, protocol_r, rolling_levels
    rng = np.random.default_rng(21)
    n, T, n_train = 150, 70, 40
    rate = rng.uniform(0.5, 4.0, n)
    y = rng.poisson(rate[:, None], (n, T)).astype(float)
    att = {"lead": np.zeros(n, int), "price": rng.uniform(1, 10, n)}
    rows = protocol_r(y, n_train, att, "0", every=5, rules=("per item",))
    assert len(rows) == len(TARGETS) and (rows["replan_every"] == 5).all() and (rows["lead"] == "0").all()
    assert rows["target"].tolist() == sorted(TARGETS)
    levels = rolling_levels(y, n_train, att["lead"], att["price"], TARGETS, every=5, rules=("per item",))
    for _, r in rows.iterrows():
        S = levels[("per item", r["target"])][:, n_train:]
        # E[min(D, S)] = sum_{j < S} P(D > j)
        j = np.arange(int(S.max()) + 1)
        sf = stats.poisson.sf(j[None, :], rate[:, None])
        cum = np.concatenate([np.zeros((n, 1)), np.cumsum(sf, axis=1)], axis=1)
        expected = np.take_along_axis(cum, S.astype(int), 1).sum() / (rate.sum() * (T - n_train))
        assert r["fill_total"] == pytest.approx(expected, abs=0.02)
        assert r["fill_total"] >= r["target"] - 0.02
    assert rows["fill_total"].is_monotonic_increasing
    with pytest.raises(ValueError, match="every"):
        rolling_levels(y, n_train, att["lead"], att["price"], (0.9,), every=0)
    with pytest.raises(ValueError, match="rules"):
        rolling_levels(y, n_train, att["lead"], att["price"], (0.9,), rules=("per part",))
    with pytest.raises(ValueError, match="n_train"):
        rolling_levels(y, T, att["lead"], att["price"], (0.9,))


def test_tradeoff_script_end_to_end_with_the_rolling_plan(tmp_path, monkeypatch, capsys):
    """``python -m benchmarks.real.tradeoff`` on a synthetic folder in the real files' format (a
    manufacturing file of 40 SKUs x 60 weeks and a Nguyen table): the report and the per-dataset
    CSV carry R0 and RL with their calibration, goal verdicts and inventory comparisons."""
    from benchmarks.real import tradeoff
    rng = np.random.default_rng(8)
    n, T = 40, 60
    weeks = [f"{2012 + w // 52}-W{w % 52 + 1:02d}" for w in range(T)]
    rate = rng.gamma(1.0, 1.0, n)
    y = rng.poisson(rate[:, None] * rng.gamma(3.0, 1 / 3.0, (n, T)))
    man = pd.DataFrame({"sku": [f"P{i}" for i in range(n)], "units_per_pack": 1,
                        "cost_price_eur": rng.uniform(1, 50, n).round(2), "fixed_order_cost_eur": 5.0,
                        "holding_cost_eur_per_unit_year": 1.0, "lead_time_weeks": rng.integers(1, 4, n),
                        "min_order_qty": 1})
    man = pd.concat([man, pd.DataFrame(y, columns=weeks)], axis=1)
    man.to_csv(tmp_path / "manufacturing_weekly_wide.csv", index=False)
    grid = np.round(np.arange(0.75, 0.995, 0.01), 2)
    ng = pd.DataFrame([{"dataset": "MAN", "method": m, "target_fill_rate": t, "achieved_fill_rate_item_avg": t - d,
                        "achieved_fill_rate_total": t - 2 * d, "holding_cost_sum": 1000 * t}
                       for m, d in (("Croston", 0.03), ("SES", 0.05)) for t in grid])
    ng.to_csv(tmp_path / "benchmark_nguyen2023_fill_rates.csv", index=False)
    out = tmp_path / "res.md"
    monkeypatch.setattr(tradeoff, "TARGETS", tradeoff.TARGETS)          # main rebinds the module's targets
    tradeoff.main(["--data-dir", str(tmp_path), "--datasets", "manufacturing", "--protocols", "R",
                   "--replan-every", "6", "--targets", "0.8,0.9,0.95", "--out", str(out)])
    err = capsys.readouterr().err                    # progress of the long re-plan loop, one line per re-plan
    assert "manufacturing R0: re-planned before period 43 of 60" in err and err.count("RL: re-planned") == 3
    text = out.read_text()
    assert "### R0: the rolling plan, re-planned every 6 period(s), lead time 0" in text
    assert "### RL: the rolling plan, re-planned every 6 period(s), the dataset's lead times" in text
    assert "R0 per item" in text and "RL system, units" in text
    assert "Goal (within 1 pp on average" in text and "total units (like for like" in text
    assert "### Inventory at the same achieved fill rate (R0 system, units vs the published Nguyen curves; total" in text
    csv = pd.read_csv(out.with_name("res.manufacturing.csv"))
    assert set(csv["protocol"]) == {"R0", "RL"}
    assert set(csv["method"]) == {"per item", "system", "system, units"}
    assert len(csv) == 2 * 3 * 3 and csv["fill_total"].between(0, 1).all()
