"""Kernels of the demo generator against plain per-row reference implementations."""
from __future__ import annotations

import numpy as np
import pytest

from partsopt.demo.catalogue import LUMPY_LOG_MEAN, LUMPY_LOG_SD, LUMPY_SIZE_MEAN, _exact_counts
from partsopt.demo.demand import event_sizes, sample_dealers
from partsopt.demo.ids import format_ids, iso_dates, lsd_order
from partsopt.demo.replenishment import fill_in_line_order, legacy_min_max


def _fill_reference(pl, qty, available):
    stock = available.astype(np.int64).copy()
    out = np.zeros(len(pl), dtype=np.int64)
    for i, (p, q) in enumerate(zip(pl, qty)):
        take = min(q, max(stock[p], 0))
        out[i] = take
        stock[p] -= take
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fill_in_line_order_matches_a_line_by_line_loop(seed):
    rng = np.random.default_rng(seed)
    n_pl, n = 15, 200
    pl = rng.integers(0, n_pl, n)
    qty = rng.integers(1, 6, n)
    available = rng.integers(0, 12, n_pl)
    np.testing.assert_array_equal(fill_in_line_order(pl, qty, available), _fill_reference(pl, qty, available))


def test_fill_in_line_order_empty_week():
    assert fill_in_line_order(np.zeros(0, np.int64), np.zeros(0, np.int64), np.ones(3, np.int64)).size == 0


def _sample_reference(weights, family, u):
    out = np.empty(family.size, dtype=np.int64)
    for i, (f, x) in enumerate(zip(family, u)):
        col = weights[:, f]
        cdf = np.cumsum(col) / col.sum()
        out[i] = min(int(np.searchsorted(cdf, x, side="right")), col.size - 1)
    return out


def test_sample_dealers_matches_per_event_inverse_cdf():
    rng = np.random.default_rng(5)
    weights = rng.random((7, 4)) * (rng.random((7, 4)) < 0.7)
    weights[0, :] += 0.1  # every column has a positive sum
    family = np.sort(rng.integers(0, 4, 500))
    u = rng.random(500)
    got = sample_dealers(weights, family, u)
    np.testing.assert_array_equal(got, _sample_reference(weights, family, u))
    assert np.all(weights[got, family] > 0), "a zero-weight dealer was drawn"


def test_sample_dealers_frequencies_match_the_weights():
    rng = np.random.default_rng(11)
    weights = np.array([[1.0, 0.0], [3.0, 2.0], [0.0, 6.0], [4.0, 2.0]])
    n = 200_000
    family = np.repeat([0, 1], n // 2)
    got = sample_dealers(weights, family, rng.random(n))
    for f in (0, 1):
        p = weights[:, f] / weights[:, f].sum()
        freq = np.bincount(got[family == f], minlength=4) / (n // 2)
        se = np.sqrt(p * (1 - p) / (n // 2))
        assert np.all(np.abs(freq - p) <= 4 * se + 1e-12), (f, freq, p)


def test_lumpy_size_mean_agrees_with_monte_carlo():
    rng = np.random.default_rng(3)
    x = np.maximum(1, np.round(rng.lognormal(LUMPY_LOG_MEAN, LUMPY_LOG_SD, 1_000_000)))
    se = x.std() / np.sqrt(x.size)
    assert abs(x.mean() - LUMPY_SIZE_MEAN) < 4 * se


def test_event_sizes_by_class():
    rng = np.random.default_rng(4)
    n = 100_000
    cls = np.repeat(np.arange(4), n)
    shock = np.ones(4 * n)
    b = event_sizes(cls, shock, rng)
    assert b.min() >= 1
    smooth, erratic, intermittent, lumpy = (b[cls == c] for c in range(4))
    assert set(np.unique(smooth)) <= {1, 2} and set(np.unique(intermittent)) <= {1, 2}
    assert abs(smooth.mean() - 1.1) < 0.01
    # erratic with unit shock has the lumpy distribution
    assert abs(lumpy.mean() - LUMPY_SIZE_MEAN) < 0.05 and abs(erratic.mean() - LUMPY_SIZE_MEAN) < 0.05
    assert lumpy.var() / lumpy.mean() ** 2 > 0.49


def test_legacy_min_max_hand_computed():
    # mu = 2 units/week, lead 7 d: x = 2 * 14 / 7 = 4, min = ceil(4 + 2) = 6, max = 6 + ceil(4) = 10
    mn, mx = legacy_min_max(np.array([2.0, 2.0, 0.01]), np.array([1.0, 0.01, 0.05]),
                            np.array([7.0, 7.0, 7.0]), 2.0)
    np.testing.assert_array_equal(mn, [6, 0, 1])
    np.testing.assert_array_equal(mx, [10, 0, 2])


def test_lsd_order_equals_lexsort():
    rng = np.random.default_rng(8)
    a, b, c = rng.integers(0, 40, 3000), rng.integers(0, 100_000, 3000), rng.integers(0, 3, 3000)
    np.testing.assert_array_equal(lsd_order(a, b, c), np.lexsort((c, b, a)))


def test_format_ids_and_dates():
    np.testing.assert_array_equal(format_ids("P", [1, 123, 999999], 6), ["P000001", "P000123", "P999999"])
    np.testing.assert_array_equal(iso_dates(np.datetime64("2024-12-30"), [0, 3]), ["2024-12-30", "2025-01-02"])
    with pytest.raises(ValueError, match="numbers"):
        format_ids("D", [1000], 3)


def test_exact_counts_sum_and_shares():
    c = _exact_counts(301, (0.15, 0.15, 0.40, 0.30))
    assert c.sum() == 301 and np.all(np.abs(c - 301 * np.array([0.15, 0.15, 0.40, 0.30])) < 1)
