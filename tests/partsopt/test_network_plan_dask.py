"""The network target and the budget on a LocalCluster (2 workers): the three-phase plan
(draft per partition, client bisection over per-bucket answers, finish) gives exactly the
single-process plan, and the same shadow price."""
from __future__ import annotations

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from partsopt.config import resolve_config  # noqa: E402
from partsopt.dask_backend import plan_on_cluster  # noqa: E402
from partsopt.pipeline import plan  # noqa: E402

FREE = {"service": {"scope": "network", "row_floors": False}}


@pytest.fixture(scope="module")
def piece(network_piece):
    return network_piece


@pytest.fixture(scope="module")
def client(dask_client):
    """The session's LocalCluster (2 worker processes, tests/partsopt/conftest.py)."""
    return dask_client


def assert_same_plan(a, b):
    for name in ("forecasts", "policies", "orders"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.network == b.network


def test_network_and_budget_plans_on_the_cluster_equal_the_single_process_plans(piece, client):
    data, as_of = piece
    cfg = resolve_config(FREE)
    one = plan(data, as_of, cfg)
    assert one.network["mode"] == "target" and one.network["rounds"] > 10
    assert_same_plan(one, plan_on_cluster(client, data, as_of, cfg, n_partitions=5))
    budget = resolve_config({**FREE, "budget": {"total": 0.9 * one.network["investment"]},
                             "service": {"scope": "network", "row_floors": False,
                                         "by_criticality": {"A": 0.97}}})
    one_b = plan(data, as_of, budget)
    assert one_b.network["mode"] == "budget"
    assert_same_plan(one_b, plan_on_cluster(client, data, as_of, budget, n_partitions=3))


def test_network_plan_from_a_partitioned_parquet_dataset_is_the_same(piece, client, tmp_path):
    from partsopt.dask_backend import plan_parquet_on_cluster, write_partitioned

    data, as_of = piece
    cfg = resolve_config({"service": {"scope": "network", "row_floors": False, "level": 0.9}})
    root = write_partitioned(data, tmp_path / "pq", 4)
    assert_same_plan(plan(data, as_of, cfg), plan_parquet_on_cluster(client, root, data, as_of, cfg))
