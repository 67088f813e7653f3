"""The plan on a real distributed.LocalCluster (2 worker processes): identical to one process,
survives a worker killed mid-run, and fails clearly (exit 2, bounded wait) on a bad cluster."""
from __future__ import annotations

import os
import time

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from partsopt.cli import main  # noqa: E402
from partsopt.dask_backend import check_workers, parse_local, plan_on_cluster  # noqa: E402
from partsopt.errors import ConfigError  # noqa: E402
from partsopt.io import load  # noqa: E402
from partsopt.partition import split_dataset  # noqa: E402
from partsopt.pipeline import plan  # noqa: E402

TINY_AS_OF = "2024-03-04"


def assert_same_plan(a, b):
    for name in ("forecasts", "policies", "orders"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    """A sixth of the parts of the small demo network (every location) and its single-process plan."""
    from partsopt.demo import generate
    from partsopt.demo.writer import save

    net = generate("small", 5)
    ds = load(save(net, tmp_path_factory.mktemp("small") / "data", None))
    piece = split_dataset(ds, 6)[1]
    return piece, net.as_of, plan(piece, net.as_of)


@pytest.fixture(scope="module")
def client(dask_client):
    """The session's LocalCluster (2 worker processes, tests/partsopt/conftest.py)."""
    return dask_client


def test_local_cluster_plan_is_identical_to_the_single_process_plan(network, client):
    piece, as_of, whole = network
    assert len(client.scheduler_info()["workers"]) == 2
    # 5 partitions of the piece (a sixth of the demo's parts): every partition holds parts
    assert_same_plan(whole, plan_on_cluster(client, piece, as_of, n_partitions=5))


def test_a_worker_killed_mid_run_is_survived_with_identical_results(network, client):
    piece, as_of, whole = network
    from partsopt.dask_backend import _plan_partition
    from partsopt.partition import combine_plans, is_plannable
    from partsopt.pipeline import plan_context

    ctx = plan_context(piece, as_of)
    parts = [p for p in split_dataset(piece, 12) if is_plannable(p)]
    futures = [client.submit(_plan_partition, p, None, ctx, pure=False) for p in parts]
    # wait until a worker is busy with a partition, then kill that worker's process
    victim = None
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline:
        busy = {w: ts for w, ts in client.processing().items() if ts}
        victim = next(iter(busy), None)
        time.sleep(0.05)
    assert victim is not None, "no worker picked up a task within 60 s"
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, 9)
    results = client.gather(futures)
    assert victim not in client.scheduler_info()["workers"]  # it really died (the nanny starts a new one)
    assert_same_plan(whole, combine_plans(results, piece.issues))


def test_cli_plan_with_dask_local_writes_the_same_outputs(tiny_dir, tmp_path):
    assert main(["plan", str(tiny_dir), "--as-of", TINY_AS_OF, "--out", str(tmp_path / "one")]) == 0
    assert main(["plan", str(tiny_dir), "--as-of", TINY_AS_OF, "--out", str(tmp_path / "two"),
                 "--dask", "local:2"]) == 0
    for name in ("forecasts", "policies", "orders"):
        assert (tmp_path / "one" / f"{name}.csv").read_bytes() == (tmp_path / "two" / f"{name}.csv").read_bytes()
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "one" / f"{name}.parquet"),
                                      pd.read_parquet(tmp_path / "two" / f"{name}.parquet"), check_exact=True)


def test_unreachable_scheduler_exits_2_after_a_bounded_wait(tiny_dir, tmp_path, capsys):
    t0 = time.monotonic()
    code = main(["plan", str(tiny_dir), "--as-of", TINY_AS_OF, "--out", str(tmp_path / "x"),
                 "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "2"])
    assert code == 2
    assert time.monotonic() - t0 < 30
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler" in err and "tcp://127.0.0.1:9" in err
    assert "Traceback" not in err
    assert not (tmp_path / "x" / "policies.csv").exists()


def test_bad_cluster_options_are_usage_errors(tiny_dir, tmp_path, capsys):
    assert main(["plan", str(tiny_dir), "--as-of", TINY_AS_OF, "--out", str(tmp_path / "x"),
                 "--dask", "local:zero"]) == 2
    assert "--dask must be 'local' or 'local:N'" in capsys.readouterr().err
    assert main(["plan", str(tiny_dir), "--as-of", TINY_AS_OF, "--out", str(tmp_path / "x"),
                 "--dask", "local", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    with pytest.raises(ConfigError, match="local:N"):
        parse_local("remote")
    assert parse_local("local:3") == 3


class _ClusterWithoutPartsopt:
    """A client whose second worker lacks partsopt (what client.run(find_spec) returns there)."""

    def run(self, fn, *args, **kw):
        return {"tcp://10.0.0.1:1": fn(*args), "tcp://10.0.0.2:1": None}


def test_a_worker_without_partsopt_is_named_in_a_clear_error():
    with pytest.raises(ConfigError, match="cannot import partsopt") as info:
        check_workers(_ClusterWithoutPartsopt())
    assert "tcp://10.0.0.2:1" in info.value.message and "tcp://10.0.0.1:1" not in info.value.message


def test_local_workers_run_the_optimiser_on_one_thread(client):
    """One task per worker thread: the optimiser inside a task must not take a second core."""
    from partsopt.policy_step import optimiser_threads

    assert set(client.run(optimiser_threads).values()) == {1}
