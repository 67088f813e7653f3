"""The replay's end-of-day stock figures per part bucket (partsopt.simulate.engine, step 6), and a replay
partitioned by part bucket merging to the single replay's ``daily`` frame to the last digit."""
from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from partsopt.partition import N_BUCKETS, part_buckets, split_dataset
from partsopt.simulate import merge_results, simulate
from partsopt.simulate.engine import bucket_totals

from sim_helpers import START, dataset

DAYS = 75


@pytest.fixture(scope="module")
def many_parts():
    """CW -> (D1, D2), 48 parts with prices in cents (not representable in binary: sums round),
    Poisson demand lines at the dealers and the warehouse."""
    rng = np.random.default_rng(21)
    n = 48
    cost = np.round(rng.lognormal(3.0, 1.2, n), 2) + 0.01
    parts = {"part": [f"Q{i:03d}" for i in range(n)], "unit_cost": cost, "unit_price": np.round(cost * 1.3, 2),
             "lead_time_days": rng.integers(5, 30, n).astype(float), "lead_time_sd_days": 2.0}
    locs = {"location": ["CW", "D1", "D2"], "parent": ["", "CW", "CW"], "transit_days": [0, 2, 3],
            "review_days": [7, 7, 7], "emergency_days": [2, 1, 1], "emergency_cost": 20.0, "order_cost": 2.0}
    p, loc, day = np.nonzero(rng.poisson(rng.gamma(1.0, 0.15, (n, 3))[:, :, None] * np.ones(DAYS)))
    demand = pd.DataFrame({"date": START + pd.to_timedelta(day, unit="D"), "part": np.array(parts["part"])[p],
                           "location": np.array(locs["location"])[loc], "qty": 1 + rng.poisson(0.5, len(p))})
    ds = dataset(parts, locs, demand)
    grid = pd.MultiIndex.from_product([parts["part"], locs["location"]], names=["part", "location"]).to_frame(
        index=False)
    S = rng.integers(0, 6, len(grid)).astype(float)
    pol = grid.assign(reorder_point=np.maximum(S - 2, 0), order_up_to=S)
    return ds, pol, START + pd.Timedelta(days=DAYS - 1)


def _split_policies(pol, pieces):
    return [pol[pol["part"].isin(piece.parts["part"])] for piece in pieces]


def test_bucket_figures_follow_the_stock_and_the_day_total_is_their_fsum(many_parts):
    """Reference, one row at a time from the stock table: at the end of the last day each bucket holds
    Σ end_on_hand (integers: exactly) and Σ end_on_hand·unit_cost (a running total: to rounding) over its
    rows; every day's total is math.fsum of the buckets, and the units equal the old whole-network count."""
    ds, pol, end = many_parts
    res = simulate(ds, pol, START, end, seed=3)
    vb, ub = res.daily_by_bucket["inventory_value"], res.daily_by_bucket["on_hand_units"]
    assert vb.shape == ub.shape == (DAYS, N_BUCKETS)
    last = res.stock[res.stock["month"] == res.stock["month"].cat.categories[-1]]
    bucket = part_buckets(ds.parts)
    value = [[] for _ in range(N_BUCKETS)]
    units = [0.0] * N_BUCKETS
    for part, end_value, end_units in zip(last["part"].astype(str), last["end_value"], last["end_on_hand"]):
        value[bucket[part]].append(end_value)
        units[bucket[part]] += end_units
    np.testing.assert_array_equal(ub[-1], units)
    np.testing.assert_allclose(vb[-1], [math.fsum(v) for v in value], rtol=1e-13, atol=1e-9)
    assert sum(1 for v in value if sum(v) > 0) > 10   # many buckets hold stock
    for t in (0, DAYS // 2, DAYS - 1):
        assert res.daily["inventory_value"].iloc[t] == math.fsum(vb[t].tolist())
        assert res.daily["on_hand_units"].iloc[t] == math.fsum(ub[t].tolist())
    assert res.daily["on_hand_units"].iloc[-1] == last["end_on_hand"].sum()


@pytest.mark.parametrize("n, lateral", [(2, False), (3, False), (7, False), (3, True)])
def test_partitioned_replay_gives_the_same_daily_frame_to_the_last_digit(many_parts, n, lateral):
    ds, pol, end = many_parts
    whole = simulate(ds, pol, START, end, seed=3, lateral=lateral)
    pieces = split_dataset(ds, n)
    runs = [simulate(p, q, START, end, seed=3, lateral=lateral) for p, q in zip(pieces, _split_policies(pol, pieces))]
    merged = merge_results(runs)
    pd.testing.assert_frame_equal(whole.daily, merged.daily, check_exact=True)
    for name, table in whole.daily_by_bucket.items():
        np.testing.assert_array_equal(table, merged.daily_by_bucket[name])
    # not a tautology: adding the partitions' day totals does not give these bits here
    naive = sum(r.daily["inventory_value"].to_numpy() for r in runs)
    assert not np.array_equal(naive, whole.daily["inventory_value"].to_numpy())


def test_a_split_not_by_bucket_merges_to_rounding_and_hand_built_results_add_their_days(many_parts):
    ds, pol, end = many_parts
    whole = simulate(ds, pol, START, end, seed=3)
    names = ds.parts["part"].to_numpy()
    halves = [names[::2], names[1::2]]
    bucket = part_buckets(ds.parts)
    assert set(bucket[halves[0]]) & set(bucket[halves[1]])   # parts of one bucket in both halves
    runs = [simulate(dataset(ds.parts, ds.locations, ds.demand[ds.demand["part"].isin(h)]),
                     pol[pol["part"].isin(h)], START, end, seed=3) for h in halves]
    merged = merge_results(runs)
    pd.testing.assert_frame_equal(whole.daily, merged.daily, check_exact=False, rtol=1e-13)
    bare = [dataclasses.replace(r, daily_by_bucket={}) for r in runs]
    added = merge_results(bare)
    np.testing.assert_array_equal(added.daily["inventory_value"],
                                  runs[0].daily["inventory_value"] + runs[1].daily["inventory_value"])
    assert added.daily_by_bucket == {}


def test_bucket_totals_are_correctly_rounded_and_order_free():
    rng = np.random.default_rng(0)
    table = rng.lognormal(5.0, 3.0, (20, N_BUCKETS)) * rng.choice([1e-6, 1.0, 1e9], (20, N_BUCKETS))
    tot = bucket_totals(table)
    assert tot.dtype == np.float64 and tot.shape == (20,)
    for t in range(20):
        assert tot[t] == float(sum(map(Fraction, table[t].tolist())))
    np.testing.assert_array_equal(bucket_totals(table[:, ::-1]), tot)
    np.testing.assert_array_equal(bucket_totals(rng.permuted(table, axis=1)), tot)
    assert bucket_totals(np.zeros((0, N_BUCKETS))).shape == (0,)
