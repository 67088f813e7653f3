"""simulate and whatif partition by part (partsopt.dask_replay) on a real distributed.LocalCluster
(2 worker processes): the same results as one process to the last digit (plan, lines, misses with
causes, orders, stock, KPIs, the curve), also with re-planning and with a worker killed mid-run; the
CLI writes the same bytes; an unreachable scheduler exits 2 after a bounded wait."""
from __future__ import annotations

import dataclasses
import json
import os
import time

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from partsopt.cli import main  # noqa: E402
from partsopt.config import default_config  # noqa: E402
from partsopt.dask_replay import (PartitionRunner, network_coupled, replan_dates,  # noqa: E402
                                  run_scenario_on_cluster, run_whatif_on_cluster, split_by_part)
from partsopt.errors import ConfigError  # noqa: E402
from partsopt.io import load  # noqa: E402
from partsopt.partition import part_partitions, split_dataset  # noqa: E402
from partsopt.whatif import replay_window, run_scenario, run_whatif  # noqa: E402
from report_data import write_network  # noqa: E402

FRAMES = ("lines", "misses", "orders", "stock", "final_state", "kpis_by_location", "daily")
SEED = 7


def assert_same_replay(a, b):
    """Every frame equal to the last digit (daily.inventory_value included), and the per-bucket tables."""
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)
    assert sorted(a.daily_by_bucket) == sorted(b.daily_by_bucket) == ["inventory_value", "on_hand_units"]
    for name, table in a.daily_by_bucket.items():
        np.testing.assert_array_equal(table, b.daily_by_bucket[name], strict=True)
    assert json.dumps(a.kpis) == json.dumps(b.kpis)


def assert_same_run(a, b):
    assert_same_replay(a.result, b.result)
    assert (a.plan is None) == (b.plan is None)
    if a.plan is not None:
        for name in ("forecasts", "policies", "orders"):
            pd.testing.assert_frame_equal(getattr(a.plan, name), getattr(b.plan, name), check_exact=True, obj=name)
    np.testing.assert_array_equal([a.planned_hit_rate, a.planned_inventory_value],
                                  [b.planned_hit_rate, b.planned_inventory_value])


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    """A sixteenth of the parts of the small demo network (every location), with recorded master data that
    wrongly marks the three busiest dealer part-locations as not stocked, and the true data."""
    from partsopt.demo import generate
    from partsopt.demo.writer import save

    net = generate("small", 5)
    ds = load(save(net, tmp_path_factory.mktemp("small") / "data", None))
    true = split_dataset(ds, 16)[1]
    window = replay_window(true, days=21)
    d = true.demand
    d = d[(d["date"] >= window[0]) & (d["location"].str.startswith("D"))]
    busiest = d.groupby(["part", "location"]).size().sort_values(ascending=False, kind="stable").index[:3]
    wrong = pd.DataFrame({"part": [p for p, _ in busiest], "location": [loc for _, loc in busiest], "stocked": False})
    recorded = dataclasses.replace(true, tables={**true.tables, "items": pd.concat([true.items, wrong],
                                                                                     ignore_index=True)})
    return recorded, true, window


@pytest.fixture(scope="module")
def reference(network):
    recorded, true, window = network
    return run_scenario(recorded, "base", default_config(), *window, seed=SEED, true_dataset=true)


def test_the_reference_has_misses_of_every_family_and_several_partitions(network, reference):
    recorded, _, _ = network
    by = reference.result.kpis["misses_by_cause"]
    assert by["data"] > 0 and by["configuration"] > 0, by
    # the piece holds the buckets 1, 17, 33, 49 (1 mod 16): 3 or 5 partitions spread them, 2, 4 or 8 would not
    assert len(set(part_partitions(recorded.parts, 3))) == 3 and len(set(part_partitions(recorded.parts, 5))) == 4


def test_scenario_on_the_cluster_is_identical_to_one_process(network, reference, dask_client):
    recorded, true, window = network
    assert len(dask_client.scheduler_info()["workers"]) == 2
    seen = []
    run = run_scenario_on_cluster(dask_client, recorded, "base", default_config(), *window, seed=SEED,
                                  true_dataset=true, n_partitions=3, progress=lambda s, t, label: seen.append(label))
    assert_same_run(reference, run)
    assert run.result.info["partitions"] == 3 and run.result.info["causes"] is True
    assert seen[-1] == "replay base: 3/3 partitions"


def test_given_policies_and_replanning_on_the_cluster_are_identical(network, dask_client):
    """Re-planning every week: each partition's planner has the whole network's context at each date."""
    recorded, _, window = network
    piece = recorded
    cfg = default_config()
    cfg["simulation"]["replan_weeks"] = 1
    start, end = window[0], window[0] + pd.Timedelta(days=13)
    assert replan_dates(start, end, 1) == [start + pd.Timedelta(days=7)]
    assert replan_dates(*window, 1) == [window[0] + pd.Timedelta(days=7), window[0] + pd.Timedelta(days=14)]
    one = run_scenario(piece, "weekly", cfg, start, end, seed=SEED)
    run = run_scenario_on_cluster(dask_client, piece, "weekly", cfg, start, end, seed=SEED, n_partitions=5)
    assert_same_run(one, run)
    assert run.result.info["partitions"] == 4
    assert one.result.info["replan_weeks"] == 1
    # given policies (no plan): the planned hit rate is NaN in both, the value their sum
    pol = one.plan.policies
    given_one = run_scenario(piece, "given", default_config(), start, end, seed=SEED, policies=pol, causes=False)
    given = run_scenario_on_cluster(dask_client, piece, "given", default_config(), start, end, seed=SEED, policies=pol,
                                    causes=False, n_partitions=5)
    assert_same_run(given_one, given)
    assert np.isnan(given.planned_hit_rate)
    # partitioned in this process (client None): the same too
    here = PartitionRunner(None, n_partitions=5).run_scenario(piece, "given", default_config(), start, end, seed=SEED,
                                                              policies=pol, causes=False)
    assert_same_run(given_one, here)
    assert here.result.info["partitions"] == given.result.info["partitions"] == 4


def test_whatif_with_two_scenarios_and_a_curve_is_identical(network, dask_client):
    recorded, _, window = network
    lean = default_config()
    lean["name"], lean["service"]["level"] = "lean", 0.85
    scenarios = [("base", default_config()), ("lean", lean)]
    levels = [0.8, 0.9, 0.95]
    one = run_whatif(recorded, scenarios, *window, seed=SEED, levels=levels)
    two = run_whatif_on_cluster(dask_client, recorded, scenarios, *window, seed=SEED, levels=levels, n_partitions=3)
    pd.testing.assert_frame_equal(one.kpis, two.kpis, check_exact=True)
    pd.testing.assert_frame_equal(one.curve, two.curve, check_exact=True)
    pd.testing.assert_frame_equal(one.points(), two.points(), check_exact=True)
    assert len(one.curve) == 3
    for a, b in zip(one.runs, two.runs):
        assert_same_run(a, b)
        assert b.result.info["partitions"] == 3


def _write_scenarios(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.toml").write_text('name = "base"\n', encoding="utf-8")
    (folder / "lean.toml").write_text('name = "lean"\n[service]\nlevel = 0.85\n', encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def small_net(tmp_path_factory):
    return write_network(tmp_path_factory.mktemp("net") / "net", n_parts=16)


SIM_OUTPUTS = ("kpis.json", "kpis_by_location.csv", "misses.csv", "curve.csv", "report.html")
SIM_ARGS = ["--start", "2025-09-29", "--end", "2025-10-26", "--curve", "0.9"]


def test_cli_simulate_with_dask_local_writes_the_same_bytes(small_net, tmp_path, capsys):
    assert main(["simulate", str(small_net), "--out", str(tmp_path / "one")] + SIM_ARGS) == 0
    capsys.readouterr()
    assert main(["simulate", str(small_net), "--out", str(tmp_path / "two"), "--dask", "local:2"] + SIM_ARGS) == 0
    err = capsys.readouterr().err
    assert "partitions" in err  # progress per partition on stderr
    for name in SIM_OUTPUTS:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    assert len(pd.read_csv(tmp_path / "two" / "misses.csv")) > 0
    run_one = json.loads((tmp_path / "one" / "run.json").read_text())
    run_two = json.loads((tmp_path / "two" / "run.json").read_text())
    assert {k for k in run_one if run_one[k] != run_two[k]} <= {"created_at"}


def test_cli_whatif_on_a_scheduler_writes_the_same_bytes(small_net, tmp_path, dask_client):
    sc = _write_scenarios(tmp_path / "scenarios")
    args = ["whatif", str(small_net), "--scenario", str(sc / "base.toml"), "--scenario", str(sc / "lean.toml"),
            "--start", "2025-09-29", "--end", "2025-10-26", "--levels", "0.9"]
    assert main(args + ["--out", str(tmp_path / "one")]) == 0
    assert main(args + ["--out", str(tmp_path / "two"), "--scheduler", dask_client.scheduler.address]) == 0
    for name in ("kpis.csv", "curve.csv", "scenarios.csv", "kpis.json", "whatif.html"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


@pytest.mark.parametrize("command", ["simulate", "whatif"])
def test_unreachable_scheduler_exits_2_after_a_bounded_wait(small_net, tmp_path, capsys, command):
    sc = _write_scenarios(tmp_path / "scenarios")
    args = ([command, str(small_net), "--start", "2025-09-01", "--end", "2025-10-26", "--out", str(tmp_path / "x"),
             "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "2"]
            + (["--scenario", str(sc / "base.toml")] if command == "whatif" else []))
    t0 = time.monotonic()
    assert main(args) == 2
    assert time.monotonic() - t0 < 30
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler" in err and "tcp://127.0.0.1:9" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_bad_cluster_options_on_simulate_are_usage_errors(small_net, tmp_path, capsys):
    assert main(["simulate", str(small_net), "--out", str(tmp_path / "x"), "--dask", "local:zero"] + SIM_ARGS) == 2
    assert "--dask must be 'local' or 'local:N'" in capsys.readouterr().err
    assert main(["simulate", str(small_net), "--out", str(tmp_path / "x"), "--dask", "local",
                 "--scheduler", "tcp://127.0.0.1:9"] + SIM_ARGS) == 2
    assert not (tmp_path / "x").exists()


def test_split_by_part_follows_the_dataset_partitions(network):
    recorded, _, _ = network
    pieces = split_dataset(recorded, 3)
    frames = split_by_part(recorded.demand, recorded, 3)
    for piece, frame in zip(pieces, frames):
        pd.testing.assert_frame_equal(piece.demand, frame)


def test_runner_and_coupling_checks():
    cfg = default_config()
    assert not network_coupled(cfg)
    assert network_coupled({**cfg, "budget": {"total": 1000.0}})
    assert network_coupled({**cfg, "service": {**cfg["service"], "scope": "network"}})
    with pytest.raises(ValueError, match="n_partitions must be an integer >= 1"):
        PartitionRunner(None, n_partitions=0)
    with pytest.raises(ValueError, match="retries must be an integer >= 0"):
        PartitionRunner(None, retries=-1)
    assert replan_dates(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-01-14"), 0) == []


def test_a_worker_killed_mid_replay_is_survived_with_identical_results(network, reference, dask_client):
    recorded, true, window = network
    killed = []

    def kill_a_busy_worker(step, total, label):
        if killed or not label.startswith("replay") or step != 1:
            return
        busy = [w for w, keys in dask_client.processing().items() if keys]
        victim = (busy or sorted(dask_client.scheduler_info()["workers"]))[0]
        pid = dask_client.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, 9)
        killed.append((victim, bool(busy)))

    run = run_scenario_on_cluster(dask_client, recorded, "base", default_config(), *window, seed=SEED,
                                  true_dataset=true, n_partitions=5, progress=kill_a_busy_worker)
    assert killed, "no worker was killed"
    assert killed[0][0] not in dask_client.scheduler_info()["workers"]  # it died (the nanny starts a new one)
    assert_same_run(reference, run)


def test_a_worker_that_cannot_load_partsopt_tasks_is_a_clear_error(dask_client):
    """What a worker with an older partsopt (no such module) raises becomes a ConfigError naming the fix."""
    import importlib

    with pytest.raises(ConfigError, match="cannot run partsopt's tasks") as info:
        PartitionRunner(dask_client, retries=0)._map("x", importlib.import_module, [("partsopt_no_such_module",)])
    assert "partsopt_no_such_module" in info.value.received and "install this partsopt" in info.value.fix


class _ClusterWithAnOldPartsopt:
    """A client whose second worker has a partsopt without partsopt.dask_replay."""

    def run(self, fn, *args, **kw):
        return {"tcp://10.0.0.1:1": fn(*args), "tcp://10.0.0.2:1": None}


def test_a_worker_without_the_replay_module_is_named_before_any_work():
    with pytest.raises(ConfigError, match="cannot run simulate/whatif") as info:
        PartitionRunner(_ClusterWithAnOldPartsopt())
    assert info.value.received == "tcp://10.0.0.2:1" and "install this partsopt" in info.value.fix


def test_merged_frames_get_the_sorted_union_of_categories_and_skip_empty_partitions():
    """What one replay of everything would hold: categories = sorted values of all rows; a partition with
    no rows (its frame untyped, as a replay without orders returns it) changes nothing."""
    from partsopt.simulate.merge import _concat

    a = pd.DataFrame({"date": pd.to_datetime(["2025-01-02", "2025-01-01"]),
                      "part": pd.Categorical(["P2", "P2"], categories=["P2"]), "qty": [1.0, 2.0]})
    b = pd.DataFrame({"date": pd.to_datetime(["2025-01-01"]),
                      "part": pd.Categorical(["P1"], categories=["P1", "P3"]), "qty": [3.0]})
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in ("date", "part", "qty")})
    out = _concat([a, empty, b], ["date", "part"])
    expected = pd.DataFrame({"date": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-02"]),
                             "part": pd.Categorical(["P1", "P2", "P2"], categories=["P1", "P2", "P3"]),
                             "qty": [3.0, 2.0, 1.0]})
    pd.testing.assert_frame_equal(out, expected, check_exact=True)
    pd.testing.assert_frame_equal(_concat([empty, empty]), empty)
