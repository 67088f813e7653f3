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


def _echelon_reference(on_hand0, mins, maxs, leads, demand, pack):
    """Plain per-part-location replay of the legacy min/max with a list of pending orders."""
    weeks, n = demand.shape
    orders, trajectory = [], np.zeros((weeks, n), dtype=np.int64)
    for i in range(n):
        oh, pending = int(on_hand0[i]), []
        for w in range(weeks):
            oh += sum(q for u, q in pending if u == w)
            pending = [(u, q) for u, q in pending if u != w]
            position = oh + sum(q for _, q in pending)
            if position < mins[w, i]:
                q = maxs[w, i] - position
                q = -(-q // pack[i]) * pack[i]
                r = 7 * w + leads[w, i]
                pending.append((-(-r // 7), q))
                orders.append((w, i, q, r))
            oh -= min(oh, demand[w, i])
            trajectory[w, i] = oh
    return sorted(orders), trajectory


@pytest.mark.parametrize("seed", [0, 1])
def test_monday_order_matches_a_per_series_replay(seed):
    from partsopt.demo.replenishment import StockState, monday_order

    rng = np.random.default_rng(seed)
    weeks, n, K = 30, 12, 4
    mins = rng.integers(0, 6, (weeks, n))
    maxs = mins + rng.integers(1, 8, (weeks, n))
    leads = rng.integers(1, 7 * (K - 1) + 1, (weeks, n))
    demand = rng.poisson(2.0, (weeks, n))
    pack = rng.choice([1, 1, 3, 5], n)
    on_hand0 = rng.integers(0, 10, n)
    want_orders, want_traj = _echelon_reference(on_hand0, mins, maxs, leads, demand, pack)

    state = StockState(on_hand0, K)
    got_orders, got_traj = [], np.zeros((weeks, n), dtype=np.int64)
    for w in range(weeks):
        idx, q, r = monday_order(state, w, mins[w], maxs[w], lambda i: leads[w, i], pack)
        got_orders += [(w, int(i), int(qq), int(rr)) for i, qq, rr in zip(idx, q, r)]
        state.on_hand -= np.minimum(state.on_hand, demand[w])
        got_traj[w] = state.on_hand
    assert sorted(got_orders) == want_orders
    np.testing.assert_array_equal(got_traj, want_traj)
    assert len(want_orders) > 20  # the comparison exercised the ordering rule


def test_monday_order_rejects_lead_times_beyond_the_ring():
    from partsopt.demo.replenishment import StockState, monday_order

    state = StockState(np.zeros(2, np.int64), 3)
    with pytest.raises(ValueError, match=r"lead times must be 1\.\.14 days .* received 15\.\.15"):
        monday_order(state, 0, np.array([1, 1]), np.array([2, 2]), lambda i: np.full(i.size, 15))
    idx, q, r = monday_order(StockState(np.zeros(2, np.int64), 3), 0, np.array([1, 1]), np.array([2, 2]),
                             lambda i: np.full(i.size, 14))
    np.testing.assert_array_equal(r, [14, 14])


def test_arrow_column_builders_match_plain_python():
    import pyarrow as pa

    from partsopt.demo.arrowtables import arrow_to_frame, dates, fixed_width_strings, frame_to_arrow, strings
    from partsopt.demo.ids import id_bytes

    assert fixed_width_strings(id_bytes("L", [1, 42, 99_999_999], 8)).to_pylist() == \
        ["L00000001", "L00000042", "L99999999"]
    assert strings([2, 0, 2, 1], ["a", "", "c"]).to_pylist() == ["c", "a", "c", ""]
    got = dates(np.datetime64("2024-02-27"), [0, 2, 3], mask=np.array([False, False, True]))
    assert got.type == pa.date32()
    assert [str(x) if x else None for x in got.to_pylist()] == ["2024-02-27", "2024-02-29", None]
    table = pa.table({"d": got, "i": pa.array([1, None, 3], type=pa.int64()), "s": strings([0, 1, 0], ["x", "y"])})
    frame = arrow_to_frame(table)
    assert str(frame["d"].dtype) == "datetime64[ns]" and str(frame["i"].dtype) == "Int64"
    assert frame_to_arrow(frame).equals(table)


def test_fill_in_line_order_properties_hypothesis():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    lines = st.lists(st.tuples(st.integers(0, 5), st.integers(1, 9)), min_size=0, max_size=40)

    @settings(max_examples=60, deadline=None)
    @given(lines, st.lists(st.integers(0, 15), min_size=6, max_size=6))
    def check(rows, stock):
        pl = np.array([r[0] for r in rows], dtype=np.int64)
        qty = np.array([r[1] for r in rows], dtype=np.int64)
        available = np.array(stock, dtype=np.int64)
        filled = fill_in_line_order(pl, qty, available)
        np.testing.assert_array_equal(filled, _fill_reference(pl, qty, available))
        assert np.all((0 <= filled) & (filled <= qty))
        used = np.bincount(pl, weights=filled, minlength=6) if pl.size else np.zeros(6)
        assert np.all(used <= available)

    check()
