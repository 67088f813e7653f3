"""Small helpers of the real-data benchmarks (no real data needed)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.real.refinery import kpis
from benchmarks.real.tradeoff import calibration, inventory_at, r_round


def test_r_round_is_half_even_like_r():
    assert [r_round(0.7 * t) for t in (84, 150, 24, 51, 273)] == [59, 105, 17, 36, 191]
    assert r_round(2.5) == 2 and r_round(3.5) == 4


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
