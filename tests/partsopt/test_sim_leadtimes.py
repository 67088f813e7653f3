"""Lead-time draws: counter-based uniforms, gamma from the master data, bootstrap from receipts."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from scipy import stats

from partsopt.simulate.leadtimes import build_lead_times, gamma_days, row_keys, uniforms
from partsopt.simulate.network import build_network

from sim_helpers import START, dataset


def test_uniforms_are_uniform_reproducible_and_keyed():
    keys = row_keys(np.array([f"P{i}" for i in range(20000)], object), np.array(["W"] * 20000, object))
    u = uniforms(3, keys, 17, 0)
    assert ((u > 0) & (u < 1)).all()
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    np.testing.assert_array_equal(u, uniforms(3, keys, 17, 0))
    for other in (uniforms(4, keys, 17, 0), uniforms(3, keys, 18, 0), uniforms(3, keys, 17, 1)):
        assert np.corrcoef(u, other)[0, 1] < 0.05 and (u != other).mean() > 0.999
    # a key's draw does not depend on which other keys are drawn with it
    np.testing.assert_array_equal(uniforms(3, keys[5:9], 17, 0), u[5:9])
    # consecutive days of one key are not correlated
    days = uniforms(3, np.repeat(keys[:1], 5000), np.arange(5000), 0)
    assert days[17] == u[0] and stats.kstest(days, "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(days[:-1], days[1:])[0, 1]) < 0.05


def test_gamma_days_has_the_master_mean_and_sd():
    u = (np.arange(200000) + 0.5) / 200000  # quantile grid: the exact distribution, discretised
    x = gamma_days(u, np.full(u.shape, 30.0), np.full(u.shape, 6.0))
    assert x.mean() == pytest.approx(30.0, abs=0.05)
    assert x.std() == pytest.approx(np.sqrt(36 + 1 / 12), abs=0.05)  # + rounding to whole days
    np.testing.assert_array_equal(gamma_days(u[:5], np.full(5, 7.4), np.zeros(5)), np.full(5, 7))
    assert (gamma_days(u[:3], np.zeros(3), np.ones(3)) == 0).all()


def _ds(receipt_days, min_receipts=5, before=None):
    parts = {"part": ["P", "R"], "unit_cost": [1.0, 1.0], "lead_time_days": [10.0, 20.0],
             "lead_time_sd_days": [0.0, 4.0]}
    locs = {"location": ["W", "D"], "parent": ["", "W"], "transit_days": [0, 3]}
    demand = {"date": [START], "part": ["P"], "location": ["D"], "qty": [1]}
    od = START - pd.to_timedelta(np.arange(len(receipt_days)) * 10 + 100, unit="D")
    rec = {"part": "P", "location": "W", "order_date": od, "qty": 1.0,
           "received_date": od + pd.to_timedelta(receipt_days, unit="D"), "order_type": "normal"}
    ds = dataset(parts, locs, demand, receipts=rec)
    pol = pd.DataFrame({"part": ["P", "R"], "location": ["W", "W"], "reorder_point": [0, 0], "order_up_to": [1, 1]})
    net = build_network(ds, pol, ds.demand)
    return net, build_lead_times(net, ds.receipts, seed=1, min_receipts=min_receipts, before=before)


def test_bootstrap_from_receipts_where_there_are_enough():
    hist = [12, 15, 15, 20, 30]
    net, lt = _ds(hist)
    w = net.index(["P", "P", "R"], ["W", "D", "W"])
    draws = lt.draw(np.repeat(w[:1], 3000), np.arange(3000))
    assert set(np.unique(draws)) == set(hist)
    freq = pd.Series(draws).value_counts(normalize=True)
    assert freq[15] == pytest.approx(0.4, abs=0.04) and freq[30] == pytest.approx(0.2, abs=0.04)
    # below the top: the location's transit days; planned: the master values
    assert lt.draw(w[1:2], 5)[0] == 3
    assert lt.planned[w].tolist() == [10, 3, 20]
    np.testing.assert_array_equal(lt.draw(w, 5, planned=True), [10, 3, 20])
    # R has no receipts: gamma(20, 4)
    r = lt.draw(np.repeat(w[2:], 3000), np.arange(3000))
    assert r[7] == lt.draw(w[2:], 7)[0]
    assert r.mean() == pytest.approx(20, abs=0.4) and r.std() == pytest.approx(4, abs=0.4)


def test_too_few_or_later_receipts_fall_back_to_the_master():
    net, lt = _ds([12, 15, 15, 20])  # 4 < 5 receipts
    w = net.index(["P"], ["W"])
    assert {lt.draw(w, d)[0] for d in range(50)} == {10}
    net, lt = _ds([12, 15, 15, 20, 30], before=START - pd.Timedelta(days=100))  # all received later
    assert {lt.draw(w, d)[0] for d in range(50)} == {10}
    with pytest.raises(ValueError, match="min_receipts"):
        _ds([1], min_receipts=0)
