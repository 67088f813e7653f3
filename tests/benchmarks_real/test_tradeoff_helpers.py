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
