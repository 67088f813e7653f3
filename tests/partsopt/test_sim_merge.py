"""Replaying parts in partitions and merging equals one replay of everything (DESIGN.md §9)."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from partsopt.simulate import simulate
from partsopt.simulate.merge import merge_results

from sim_helpers import START, dataset, network as _network


def _part_subset(ds, parts):
    return dataset(ds.parts, ds.locations.assign(kind=""), ds.demand[ds.demand["part"].isin(parts)],
                   receipts=ds.receipts[ds.receipts["part"].isin(parts)])


def test_partitioned_replay_merges_to_the_whole():
    ds, pol, end = _network(days=120, sd=5.0)
    whole = simulate(ds, pol, START, end, seed=4)
    pieces = [simulate(_part_subset(ds, ps), pol[pol["part"].isin(ps)], START, end, seed=4)
              for ps in (["P0", "P2"], ["P1"])]
    merged = merge_results(pieces)
    for k, v in whole.kpis.items():
        if isinstance(v, float):
            assert merged.kpis[k] == pytest.approx(v, rel=1e-12), k
        else:
            assert merged.kpis[k] == v, k
    a = whole.kpis_by_location.set_index("location").sort_index()
    b = merged.kpis_by_location.set_index("location").sort_index()
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    np.testing.assert_allclose(merged.daily["inventory_value"], whole.daily["inventory_value"])
    key = ["date", "part", "location", "line_id"]
    la = whole.lines.astype({"part": object, "location": object}).sort_values(key).reset_index(drop=True)
    lb = merged.lines.astype({"part": object, "location": object}).sort_values(key).reset_index(drop=True)
    pd.testing.assert_series_equal(la["hit"], lb["hit"])
    pd.testing.assert_series_equal(la["delivered_date"], lb["delivered_date"])
    assert merged.info["partitions"] == 2 and merged.info["rows"] == whole.info["rows"]


def test_merge_rejects_overlapping_or_misaligned_results():
    ds, pol, end = _network(days=30)
    a = simulate(ds, pol, START, end)
    with pytest.raises(ValueError, match="disjoint parts"):
        merge_results([a, a])
    b = simulate(ds, pol, START, end - pd.Timedelta(days=1))
    with pytest.raises(ValueError, match="same dates"):
        merge_results([a, b])
    with pytest.raises(ValueError, match="at least one"):
        merge_results([])
