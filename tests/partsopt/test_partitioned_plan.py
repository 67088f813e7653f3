"""The plan of a partitioned dataset, written partition by partition (partsopt.partitioned_plan):
the context merged from the partitions equals the whole dataset's, the tables read back equal the
single-process plan's to the last digit (one process and a real LocalCluster, with a worker killed
mid-run), and the CLI (`partsopt partition`, `partsopt plan ROOT`, `partsopt export`) publishes all
or nothing."""
from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from partsopt.cli import main
from partsopt.config import resolve_config
from partsopt.dask_backend import is_partitioned, write_partitioned
from partsopt.excel import orders_summary
from partsopt.partition import split_dataset
from partsopt.partitioned_plan import (TABLES, context_piece, median_from_counts, merge_context_pieces,
                                       plan_partitioned, publish, read_partitioned_table, staging_folder)
from partsopt.pipeline import plan, plan_context, promise_days_by_location

NETWORK = {"service": {"scope": "network", "row_floors": False}}


def _parquet_round_trip(frame: pd.DataFrame, path) -> pd.DataFrame:
    frame.to_parquet(path, index=False)
    return pd.read_parquet(path)


def assert_tables_equal(one, out, tmp_path):
    """Every table read back from ``out`` equals the single-process table (both through Parquet)."""
    for t in TABLES:
        pd.testing.assert_frame_equal(read_partitioned_table(out / t),
                                      _parquet_round_trip(getattr(one, t), tmp_path / f"{t}.parquet"),
                                      check_exact=True)


def plan_both_ways(piece, tmp_path, overrides, n_partitions, client=None):
    """The single-process plan of ``piece`` and its partitioned plan published to ``tmp_path/out``."""
    data, as_of = piece
    cfg = resolve_config(overrides)
    one = plan(data, as_of, cfg)
    root = write_partitioned(data, tmp_path / "pq", n_partitions)
    out = tmp_path / "out"
    staging = staging_folder(out)
    res = plan_partitioned(root, as_of, cfg, staging, client=client)
    publish(staging, out)
    assert_tables_equal(one, out, tmp_path)
    assert res.network == one.network
    return one, res, out


# ------------------------------------------------------------------ context
@pytest.mark.parametrize("seed", range(6))
def test_median_from_counts_is_pandas_median(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    loc = rng.choice(np.array(["A", "B", "C", "D10", "x"]), size=n)
    days = pd.Series(rng.integers(-2, 9, size=n) * (1 if seed % 2 else 3))
    counts = days.groupby([loc, days.to_numpy()]).size()
    counts.index = counts.index.set_names(["location", "days"])
    want = days.astype(float).groupby(loc).median()
    got = median_from_counts(counts)
    np.testing.assert_array_equal(got.index.to_numpy(), want.index.to_numpy())
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())


def test_median_from_counts_even_and_odd_by_hand():
    idx = pd.MultiIndex.from_tuples([("A", 1), ("A", 4), ("B", 2), ("B", 3), ("B", 7)], names=["location", "days"])
    got = median_from_counts(pd.Series([1, 1, 2, 1, 2], index=idx))
    assert got.to_dict() == {"A": 2.5, "B": 3.0}   # A: 1,4 -> 2.5; B: 2,2,3,7,7 -> 3


def test_context_merged_from_partitions_equals_the_whole_dataset_context(network_piece):
    data, as_of = network_piece
    want = plan_context(data, as_of)
    ts = pd.Timestamp(as_of)
    got = merge_context_pieces([context_piece(p.demand, ts) for p in split_dataset(data, 7)], as_of)
    assert got.as_of == want.as_of and got.first_date == want.first_date
    pd.testing.assert_series_equal(got.promise_days, want.promise_days, check_names=False, check_exact=True)
    lines = data.demand[data.demand["date"] < ts]
    pd.testing.assert_series_equal(got.promise_days, promise_days_by_location(lines), check_names=False)


# ------------------------------------------------------------------ one process
@pytest.mark.parametrize("overrides", [{}, NETWORK], ids=["row", "network"])
def test_partitioned_plan_in_one_process_equals_the_single_process_plan(network_piece, tmp_path, overrides):
    one, res, out = plan_both_ways(network_piece, tmp_path, overrides, 5)
    assert res.rows == {t: len(getattr(one, t)) for t in TABLES}
    pol = one.policies
    assert res.stocked == int((pol["order_up_to"] > 0).sum())
    assert res.stock_value == pytest.approx(pol.loc[pol["order_up_to"] > 0, "inventory_value"].sum(), rel=1e-12)
    pd.testing.assert_frame_equal(res.orders_summary(), orders_summary(one.orders), check_exact=False, rtol=1e-12)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # the staging folder is gone


# ------------------------------------------------------------------ Dask
@pytest.mark.parametrize("overrides", [{}, NETWORK], ids=["row", "network"])
def test_partitioned_plan_on_a_local_cluster_equals_the_single_process_plan(network_piece, dask_client, tmp_path,
                                                                            overrides):
    plan_both_ways(network_piece, tmp_path, overrides, 6, client=dask_client)


def test_a_worker_killed_during_a_partitioned_plan_is_survived_with_identical_tables(network_piece, dask_client,
                                                                                    tmp_path):
    data, as_of = network_piece
    cfg = resolve_config({})
    one = plan(data, as_of, cfg)
    root = write_partitioned(data, tmp_path / "pq", 12)
    killed = []

    def kill_a_busy_worker(step, total, label):
        if killed or label != "plan: partitions" or step != 1:
            return
        busy = [w for w, keys in dask_client.processing().items() if keys]
        victim = (busy or sorted(dask_client.scheduler_info()["workers"]))[0]
        os.kill(dask_client.run(os.getpid, workers=[victim])[victim], 9)
        killed.append(victim)

    out = tmp_path / "out"
    staging = staging_folder(out)
    plan_partitioned(root, as_of, cfg, staging, client=dask_client, progress=kill_a_busy_worker)
    publish(staging, out)
    assert killed and killed[0] not in dask_client.scheduler_info()["workers"]
    assert_tables_equal(one, out, tmp_path)


# ------------------------------------------------------------------ CLI
def test_cli_partition_then_plan_then_export(tiny_dir, tmp_path, capsys):
    as_of = "2024-03-04"
    assert main(["plan", str(tiny_dir), "--as-of", as_of, "--out", str(tmp_path / "one")]) == 0
    root = tmp_path / "byp"
    assert main(["partition", str(tiny_dir), "--out", str(root), "--partitions", "4"]) == 0
    assert is_partitioned(root)
    umask = os.umask(0)
    os.umask(umask)
    assert root.stat().st_mode & 0o777 == 0o777 & ~umask   # not private: the workers read it too
    out = tmp_path / "plan"
    assert main(["plan", str(root), "--as-of", as_of, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "part-locations planned" in printed and "4 partitions" in printed
    assert sorted(p.name for p in out.iterdir()) == ["forecasts", "issues.csv", "orders", "orders_summary.csv",
                                                     "policies", "run.json"]
    for t in TABLES:
        pd.testing.assert_frame_equal(read_partitioned_table(out / t),
                                      pd.read_parquet(tmp_path / "one" / f"{t}.parquet"), check_exact=True)
    run = json.loads((out / "run.json").read_text())
    assert run["run_id"] == json.loads((tmp_path / "one" / "run.json").read_text())["run_id"]
    assert run["layout"] == "partitioned" and run["partitions"] == 4
    # the ERP export reads the policies folder: the same file as from the one-piece plan
    assert main(["export", str(out), "--format", "sap", "--to", str(tmp_path / "a.csv")]) == 0
    assert main(["export", str(tmp_path / "one"), "--format", "sap", "--to", str(tmp_path / "b.csv")]) == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_cli_partitioned_plan_failure_publishes_nothing_and_layouts_replace_each_other(tiny_dir, tmp_path, capsys):
    as_of = "2024-03-04"
    root = tmp_path / "byp"
    assert main(["partition", str(tiny_dir), "--out", str(root), "--partitions", "3"]) == 0
    out = tmp_path / "plan"
    assert main(["plan", str(root), "--as-of", as_of, "--out", str(out)]) == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert main(["plan", str(root), "--as-of", "2031-01-01", "--out", str(out)]) == 2
    assert "--as-of is outside the demand history" in capsys.readouterr().err
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    # a one-piece plan into the same folder replaces the partitioned tables, and back again
    assert main(["plan", str(tiny_dir), "--as-of", as_of, "--out", str(out)]) == 0
    assert (out / "policies.parquet").is_file() and not (out / "policies").exists()
    assert main(["plan", str(root), "--as-of", as_of, "--out", str(out)]) == 0
    assert (out / "policies").is_dir() and not (out / "policies.parquet").exists()
    assert not (out / "orders.xlsx").exists()


def test_cli_partition_bad_options_are_usage_errors(tiny_dir, tmp_path, capsys):
    assert main(["partition", str(tiny_dir), "--out", str(tmp_path / "p"), "--partitions", "0"]) == 2
    assert "--partitions must be between 1 and 64" in capsys.readouterr().err
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("mine")
    assert main(["partition", str(tiny_dir), "--out", str(tmp_path / "other")]) == 2
    assert "is not a partitioned dataset" in capsys.readouterr().err
    assert (tmp_path / "other" / "keep.txt").read_text() == "mine"
    root = tmp_path / "byp"
    assert main(["partition", str(tiny_dir), "--out", str(root), "--partitions", "2"]) == 0
    assert main(["plan", str(root), "--as-of", "2024-03-04", "--out", str(tmp_path / "x"), "--strict"]) == 2
    assert "partsopt partition --strict" in capsys.readouterr().err
    # the other commands read dataset folders, not partitioned ones: one clear message
    capsys.readouterr()
    assert main(["validate", str(root)]) == 2
    assert "partitioned by part" in capsys.readouterr().err
