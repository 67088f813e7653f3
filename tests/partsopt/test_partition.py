"""Partitioning by part hash (partsopt.partition) and the Parquet datasets partitioned by part.

The partitioned plan must equal the single-process plan to the last digit: checked on the tiny
hand-written dataset and on one part-partition of the small demo network, for several partition
counts, in memory and through the Parquet layout.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from partsopt.dask_backend import read_partition, write_partitioned
from partsopt.io import load
from partsopt.partition import (N_BUCKETS, PART_TABLES, combine_plans, hash_bucket, is_plannable, part_buckets,
                                part_partitions, row_buckets, split_dataset)
from partsopt.pipeline import plan, plan_context

TINY_AS_OF = "2024-03-04"
ROOT = Path(__file__).resolve().parents[2]


def assert_same_plan(a, b):
    for name in ("forecasts", "policies", "orders"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


def partitioned_plan(ds, as_of, n):
    ctx = plan_context(ds, as_of)
    parts = [p for p in split_dataset(ds, n) if is_plannable(p)]
    return combine_plans([plan(p, None, context=ctx) for p in parts], ds.issues)


# ---------------------------------------------------------------- the hash
def test_hash_bucket_is_a_pure_function_of_the_key_and_in_range():
    keys = np.array([f"P{i:05d}" for i in range(2000)], dtype=object)
    b = hash_bucket(keys, 7)
    assert b.dtype == np.int64 and b.min() >= 0 and b.max() <= 6
    np.testing.assert_array_equal(hash_bucket(keys[::-1], 7), b[::-1])  # per key, order-free
    counts = np.bincount(b, minlength=7)
    assert counts.min() > 2000 / 7 * 0.75  # spread: no bucket far below its share
    assert len(hash_bucket(np.array([], dtype=object), 3)) == 0


def test_hash_bucket_is_the_same_in_another_process_with_another_hash_seed():
    keys = [f"P{i}" for i in range(50)]
    code = ("import sys; sys.path.insert(0, %r); from partsopt.partition import hash_bucket; "
            "print(','.join(map(str, hash_bucket(%r, 13))))" % (str(ROOT), keys))
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == ",".join(map(str, hash_bucket(keys, 13)))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3"])
def test_bad_partition_count_is_a_clear_value_error(bad):
    with pytest.raises(ValueError, match="n_partitions must be an integer >= 1"):
        hash_bucket(["P1"], bad)


def test_a_supersession_chain_shares_the_bucket_of_its_final_part():
    parts = pd.DataFrame({"part": ["A", "B", "C", "X"], "superseded_by": ["B", "C", "", ""]})
    b = part_buckets(parts)
    assert b["A"] == b["B"] == b["C"] == hash_bucket(["C"], N_BUCKETS)[0]
    assert b["X"] == hash_bucket(["X"], N_BUCKETS)[0]
    assert (part_partitions(parts, 5) == b % 5).all()
    # a part unknown to the master hashes on its own name
    np.testing.assert_array_equal(row_buckets(["A", "Q"], b), [b["A"], hash_bucket(["Q"], N_BUCKETS)[0]])


# ---------------------------------------------------------------- splitting
def test_split_keeps_every_row_once_and_all_locations_of_a_part_together(tiny_dir):
    ds = load(tiny_dir)
    parts = split_dataset(ds, 3)
    for name in PART_TABLES:
        whole = ds.tables[name]
        if not len(whole):
            continue
        pieces = [p.tables[name] for p in parts]
        assert sum(len(x) for x in pieces) == len(whole)
        seen = [set(x["part"]) for x in pieces]
        for i in range(3):
            for j in range(i + 1, 3):
                assert not (seen[i] & seen[j]), f"{name}: a part in two partitions"
    for p in parts:  # location tables go whole to every partition
        pd.testing.assert_frame_equal(p.locations, ds.locations)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 64, 100])
def test_tiny_partitioned_plan_equals_the_single_process_plan(tiny_dir, n):
    ds = load(tiny_dir)
    assert_same_plan(plan(ds, TINY_AS_OF), partitioned_plan(ds, TINY_AS_OF, n))


def test_a_partition_without_history_plans_its_parts_like_the_whole(tiny_dir):
    # the context carries the network-wide facts; a partition whose parts have no demand
    # line still plans (stock-only parts) instead of failing
    ds = load(tiny_dir)
    whole = plan(ds, TINY_AS_OF)
    ctx = plan_context(ds, TINY_AS_OF)
    for p in split_dataset(ds, 64):
        if is_plannable(p) and not len(p.demand):
            got = plan(p, None, context=ctx)
            sel = whole.policies["part"].isin(set(p.parts["part"]))
            pd.testing.assert_frame_equal(got.policies, whole.policies[sel].reset_index(drop=True), check_exact=True)


@pytest.fixture(scope="module")
def small_piece(tmp_path_factory):
    """One part-partition (about a quarter of the parts, every location) of the small demo network."""
    from partsopt.demo import generate
    from partsopt.demo.writer import save

    net = generate("small", 3)
    ds = load(save(net, tmp_path_factory.mktemp("small") / "data", None))
    piece = split_dataset(ds, 4)[0]
    return piece, net.as_of, plan(piece, net.as_of)


@pytest.mark.parametrize("n", [5])
def test_demo_partitioned_plan_equals_the_single_process_plan(small_piece, n):
    piece, as_of, whole = small_piece
    assert len(whole.policies) > 300 and len(whole.orders) > 0
    assert_same_plan(whole, partitioned_plan(piece, as_of, n))


def test_parquet_layout_round_trips_and_plans_to_the_same_bytes(small_piece, tmp_path):
    piece, as_of, whole = small_piece
    root = write_partitioned(piece, tmp_path / "pq", 4)
    assert (root / "demand" / "part_bucket=0" / "part-0.parquet").is_file()
    assert (root / "locations.parquet").is_file()
    ctx = plan_context(piece, as_of)
    results = []
    for k in range(4):
        part = read_partition(root, k, 4)
        assert set(part.demand["part"]) <= set(part.parts["part"])
        if is_plannable(part):
            results.append(plan(part, None, context=ctx))
    assert_same_plan(whole, combine_plans(results, piece.issues))
    with pytest.raises(ValueError, match="partition must be in 0..3"):
        read_partition(root, 4)
    with pytest.raises(ValueError, match="n_partitions must be 4"):
        read_partition(root, 0, 5)


# ---------------------------------------------------------------- the shadow price
def _options(rng, G, K):
    """Option tables of G rows x K levels (partsopt.network_step.NetworkOptions, one pool): cost [money]
    rising from 0 (not stocked), hit rate rising to < 1, value = hit rate x the row's lines per year,
    rows spread over the part buckets; the per-row level is the dearest option."""
    from partsopt.network_step import NetworkOptions
    from policies.levels import LevelOptions

    cost = np.sort(rng.uniform(0, 10, (G, K)), axis=1)
    cost[:, 0] = 0.0
    hit = np.sort(rng.uniform(0, 0.99, (G, K)), axis=1)
    hit[:, 0] = 0.0
    weight = rng.uniform(1, 50, G)
    value = hit * weight[:, None]
    z = np.zeros((G, K))
    s = np.tile(np.arange(K) - 1, (G, 1))
    opt = LevelOptions(reorder_point=s, order_up_to=s + 1, hit_rate=hit, fill_rate=hit, ready_rate=hit, on_hand=z,
                       backorders=z, ip_mean=z, cost=cost, value=value, valid=np.ones((G, K), bool),
                       lines_per_year=weight, orders_per_year=np.zeros(G), hit_threshold=np.zeros(G))
    bucket = rng.integers(0, N_BUCKETS, G)
    col_row = np.full(G, K - 1)
    return NetworkOptions(rows=np.arange(G), options=opt, value=value, weight=weight, pool=np.zeros(G, np.int64),
                          bucket=bucket, col_row=col_row, supplier=np.zeros(G, bool),
                          fixed_cost_b=np.zeros(N_BUCKETS),
                          row_cost_b=np.bincount(bucket, weights=cost[:, -1], minlength=N_BUCKETS), n_pools=1)


def _by_bucket(no, n):
    """The option rows of partition k = bucket mod n (as split_dataset would hold them), row order kept."""
    from partsopt.network_step import NetworkOptions, _take

    out = []
    for k in range(n):
        keep = np.flatnonzero(no.bucket % n == k)
        fixed = np.where(np.arange(N_BUCKETS) % n == k, no.fixed_cost_b, 0.0)
        row = np.where(np.arange(N_BUCKETS) % n == k, no.row_cost_b, 0.0)
        out.append(NetworkOptions(rows=no.rows[keep], options=_take(no.options, keep), value=no.value[keep],
                                  weight=no.weight[keep], pool=no.pool[keep], bucket=no.bucket[keep],
                                  col_row=no.col_row[keep], supplier=no.supplier[keep], fixed_cost_b=fixed,
                                  row_cost_b=row, n_pools=no.n_pools))
    return out


def _solve(pieces, config):
    from partsopt.network_step import merge_responses, merge_summaries, partition_summary, respond, solve_allocation

    asked = []

    def ask(prices):
        asked.append(np.array(prices))
        return merge_responses([respond(p, prices) for p in pieces])
    return solve_allocation(merge_summaries([partition_summary(p) for p in pieces]), ask, config), asked


@pytest.mark.parametrize("mode", ["target", "budget"])
def test_shadow_price_over_partitions_equals_the_one_process_bisection(mode):
    """solve_allocation (the plan's shadow price, local and on the cluster) asking partitions of disjoint
    buckets finds the same price and totals, to the last digit, as asking one partition; the price is the
    single-process Lagrangian bisection's (policies.marginal.lagrangian_solve, to its tolerance)."""
    from partsopt.config import resolve_config
    from partsopt.network_step import choose
    from policies.marginal import lagrangian_solve, respond_at_price

    rng = np.random.default_rng(11)
    no = _options(rng, 90, 5)
    cost, value = no.options.cost, no.value
    if mode == "target":
        cfg = resolve_config({"service": {"scope": "network", "level": 0.7, "row_floors": False}})
        kw = {"target_value": 0.7 * no.weight.sum()}
    else:   # a row-scope plan dearer than the budget moves to the budget allocation
        cfg = resolve_config({"budget": {"total": 0.3 * cost[:, -1].sum()}})
        kw = {"budget": 0.3 * cost[:, -1].sum()}
    whole, _ = _solve([no], cfg)
    assert whole.mode == mode and whole.rounds > 10
    for n in (3, 4):
        split, asked = _solve(_by_bucket(no, n), cfg)
        assert len(asked) > 10
        assert split.record() == whole.record()
        np.testing.assert_array_equal(split.prices, whole.prices)
    # the totals at λ are the whole network's response at λ
    price = float(whole.prices[0])
    _, c1, v1 = respond_at_price(cost, value, price)
    assert whole.investment == pytest.approx(c1, rel=1e-12)
    assert whole.hit[0] == pytest.approx(v1 / no.weight.sum(), rel=1e-12)
    k = choose(no, whole.prices)
    chosen_value = value[np.arange(len(k)), k].sum()
    if mode == "target":
        assert chosen_value >= kw["target_value"] - 1e-9 and bool(whole.reached[0])
    else:
        assert cost[np.arange(len(k)), k].sum() <= kw["budget"] + 1e-9
    ref = lagrangian_solve(cost, value, **kw)
    assert price == pytest.approx(ref.price, rel=1e-6, abs=1e-9)


def test_shadow_price_reports_an_unreachable_target():
    """A pool target above the best hit rate: every row at its richest option (price 0), not reached."""
    from partsopt.config import resolve_config

    rng = np.random.default_rng(2)
    no = _options(rng, 12, 3)
    cfg = resolve_config({"service": {"scope": "network", "level": 0.999, "row_floors": False}})
    for pieces in ([no], _by_bucket(no, 2)):
        alloc, _ = _solve(pieces, cfg)
        assert alloc.mode == "target" and not alloc.reached[0] and "out of reach" in alloc.note
        assert alloc.prices[0] == 0.0
        assert alloc.hit[0] == pytest.approx(no.value[:, -1].sum() / no.weight.sum(), rel=1e-12)
