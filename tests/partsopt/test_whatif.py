"""What-if: scenarios over one seed, KPIs side by side, the cost–availability curve."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from partsopt.config import default_config
from partsopt.errors import ConfigError
from partsopt.io import load
from partsopt.pipeline import plan
from partsopt.simulate import simulate
from partsopt.whatif import (cost_availability_curve, kpis_side_by_side, planned_point, replay_window, run_scenario,
                             run_whatif,
                             scenario_names, weighted_rate, with_planned_point)
from report_data import write_network


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load(write_network(tmp_path_factory.mktemp("whatif") / "net"))


@pytest.fixture(scope="module")
def window(data):
    return replay_window(data)


def _lean(level=0.80, name="lean"):
    cfg = default_config()
    cfg["name"], cfg["service"]["level"] = name, level
    return cfg


@pytest.fixture(scope="module")
def whatif(data, window):
    return run_whatif(data, [("base", default_config()), ("lean", _lean())], *window, levels=[0.8, 0.95])


def test_weighted_rate_by_hand():
    assert weighted_rate([0.9, 0.5, np.nan, 1.0], [3.0, 1.0, 5.0, 0.0]) == pytest.approx((2.7 + 0.5) / 4)
    assert np.isnan(weighted_rate([0.9], [0.0]))


def test_planned_point_by_hand():
    fc = pd.DataFrame({"part": ["A", "A", "B"], "location": ["W", "D", "D"], "mean_per_day": [0.0, 2.0, 1.0]})
    pol = pd.DataFrame({"part": ["B", "A", "A"], "location": ["D", "D", "W"], "expected_hit_rate": [0.8, 0.95, 0.99],
                        "inventory_value": [10.0, 20.0, 30.0]})
    hit, value = planned_point(fc, pol)
    assert hit == pytest.approx((0.8 * 1 + 0.95 * 2) / 3)  # the warehouse (no customers) carries no weight
    assert value == 60.0
    with pytest.raises(ValueError, match="policies lacks"):
        planned_point(fc, pol.drop(columns="inventory_value"))


def test_replay_window_defaults_and_errors(data):
    first, last = data.demand["date"].min(), data.demand["date"].max()
    s, e = replay_window(data)
    assert e == last and (e - s).days == 364
    assert replay_window(data, "2025-03-01", "2025-03-31") == (pd.Timestamp("2025-03-01"), pd.Timestamp("2025-03-31"))
    for start, end in ((str(first.date()), None), ("2025-03-01", str((last + pd.Timedelta(days=1)).date())),
                       ("2025-03-31", "2025-03-01"), ("2020-01-01", "2020-02-01")):
        with pytest.raises(ValueError, match="outside the demand history"):
            replay_window(data, start, end)
    with pytest.raises(ValueError, match="must be dates"):
        replay_window(data, "soon", None)


def test_curve_point_equals_the_pipeline_at_that_level(data, window):
    """The sweep reuses forecasts and lead times: at each level it must give exactly what plan() gives."""
    curve = cost_availability_curve(data, window[0], default_config(), [0.8, 0.95, 0.99])
    for level in (0.8, 0.95):
        cfg = default_config()
        cfg["service"]["level"] = level
        res = plan(data, window[0], cfg)
        hit, value = planned_point(res.forecasts, res.policies)
        row = curve[curve["level"] == level].iloc[0]
        assert row["expected_hit_rate"] == pytest.approx(hit, rel=1e-12)
        assert row["inventory_value"] == pytest.approx(value, rel=1e-12)
        assert row["stocked"] == int((res.policies["order_up_to"] > 0).sum())
    # more availability costs more stock
    assert curve["inventory_value"].is_monotonic_increasing
    assert curve["expected_hit_rate"].iloc[-1] > curve["expected_hit_rate"].iloc[0]


def test_with_planned_point_adds_the_plan_as_the_sweep_would(data, window):
    cfg = default_config()
    res = plan(data, window[0], cfg)
    swept = cost_availability_curve(data, window[0], cfg, [0.8, 0.95])
    added = with_planned_point(cost_availability_curve(data, window[0], cfg, [0.8]), cfg, res)
    pd.testing.assert_frame_equal(added, swept, rtol=1e-12)
    assert with_planned_point(swept, cfg, res) is swept  # the level is there already
    crit = default_config()
    crit["service"]["by_criticality"]["A"] = 0.99
    one = swept.iloc[:1]
    assert with_planned_point(one, crit, res) is one  # a per-class plan is not a point of the sweep


def test_curve_overrides_criticality_levels(data, window):
    cfg = default_config()
    cfg["service"]["by_criticality"]["A"] = 0.99
    a = cost_availability_curve(data, window[0], cfg, [0.8])
    b = cost_availability_curve(data, window[0], default_config(), [0.8])
    pd.testing.assert_frame_equal(a, b)  # the sweep's level applies to every class


def test_curve_rejects_bad_levels(data, window):
    for bad in ([], [0.0], [1.0], [0.5, 1.2]):
        with pytest.raises(ValueError, match="levels must be"):
            cost_availability_curve(data, window[0], default_config(), bad)


def test_scenarios_share_the_seed_and_match_a_direct_replay(data, window, whatif):
    assert whatif.seed == 0
    for run, cfg in zip(whatif.runs, (default_config(), _lean())):
        direct = simulate(data, plan(data, window[0], cfg).policies, *window, config=cfg, seed=0)
        for k in ("hit_rate", "otd_rate", "avg_inventory_value", "lines", "misses", "emergency_cost"):
            assert run.result.kpis[k] == direct.kpis[k], k
        assert run.result.misses["cause"].ne("").all()  # causes attributed


def test_identical_scenarios_give_identical_results(data, window):
    """Same demand, same draws: two copies of one scenario differ in nothing (deltas exactly 0)."""
    r = run_whatif(data, [("a", _lean()), ("b", _lean())], *window, levels=None, causes=False)
    k = r.kpis.set_index("kpi")
    assert (k["delta_b"].fillna(0) == 0).all()
    assert r.curve.empty


def test_side_by_side_deltas_and_rows(whatif):
    k = whatif.kpis
    assert list(k.columns) == ["kpi", "better", "base", "lean", "delta_lean"]
    assert k["kpi"].iloc[0] == "hit_rate" and "misses_execution" in set(k["kpi"])
    np.testing.assert_allclose(k["delta_lean"], k["lean"] - k["base"])
    kp = k.set_index("kpi")
    base, lean = whatif.runs
    assert kp.loc["hit_rate", "lean"] == lean.result.kpis["hit_rate"]
    assert kp.loc["misses", "base"] == base.result.kpis["misses"]
    by_cause = lean.result.kpis["misses_by_cause"]
    assert kp.loc["misses_configuration", "lean"] == by_cause["configuration"]
    assert kp.loc["misses_data", "lean"] + kp.loc["misses_configuration", "lean"] + \
        kp.loc["misses_execution", "lean"] == kp.loc["misses", "lean"]
    # a lower level plans less stock and expects a lower hit rate
    assert kp.loc["planned_inventory_value", "delta_lean"] < 0 and kp.loc["planned_hit_rate", "delta_lean"] < 0
    with pytest.raises(ValueError, match="at least one"):
        kpis_side_by_side([])


def test_points_sit_on_the_curve(whatif):
    pts = whatif.points().set_index("scenario")
    curve = whatif.curve.set_index("level")
    # the base plan (95 %) and the lean plan (80 %) are points of the sweep
    assert pts.loc["base", "planned_hit_rate"] == pytest.approx(curve.loc[0.95, "expected_hit_rate"], rel=1e-12)
    assert pts.loc["lean", "planned_inventory_value"] == pytest.approx(curve.loc[0.8, "inventory_value"], rel=1e-12)
    assert pts.loc["lean", "simulated_hit_rate"] == whatif.runs[1].result.kpis["hit_rate"]


def test_true_data_names_data_causes(data, window, tmp_path):
    """Misses that the plan from the true master data would have prevented are data.master_data —
    exactly the missed lines that are hits in a replay with that plan and not fixed by punctual supply.
    Recorded data here: the item master wrongly marks the three busiest parts at D1 as not stocked."""
    from report_data import network_tables

    tables = network_tables()
    d1 = tables["demand"][tables["demand"]["location"] == "D1"]
    busiest = d1["part"].value_counts().index[:3]
    tables["items"] = pd.DataFrame({"part": busiest, "location": "D1", "stocked": "false"})
    folder = tmp_path / "recorded"
    folder.mkdir()
    for name, frame in tables.items():
        if not name.startswith("_"):
            frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    recorded = load(folder)
    cfg = default_config()
    run = run_scenario(recorded, "base", cfg, *window, seed=0, true_dataset=data)
    m = run.result.misses
    is_data = (m["cause"] == "data.master_data").to_numpy()
    assert run.result.kpis["misses_by_cause"]["data"] == is_data.sum() > 0
    assert set(m.loc[is_data, "part"].astype(str)) <= set(busiest)
    replay = simulate(recorded, plan(data, window[0], cfg).policies, *window, config=cfg, seed=0)
    hit = replay.lines.set_index(replay.lines["line_id"].astype(str))["hit"]
    punctual = simulate(recorded, run.plan.policies, *window, config=cfg, seed=0, counterfactual="planned_lead_times")
    hit_punctual = punctual.lines.set_index(punctual.lines["line_id"].astype(str))["hit"]
    ids = m["line_id"].astype(str).to_numpy()
    assert hit.reindex(ids[is_data]).all()
    assert not hit_punctual.reindex(ids[is_data]).any()  # execution is tried first
    others = ~is_data & (m["cause"] != "execution.late_supply").to_numpy()
    assert not hit.reindex(ids[others]).any()
    # without the true data those misses are configuration.not_stocked
    plain = run_scenario(recorded, "base", cfg, *window, seed=0)
    assert plain.result.kpis["misses_by_cause"]["data"] == 0
    pm = plain.result.misses.set_index(plain.result.misses["line_id"].astype(str))["cause"]
    assert (pm.reindex(ids[is_data]) == "configuration.not_stocked").all()


def test_scenario_with_replanning_replays_as_simulate_with_the_planner(data, window):
    cfg = _lean()
    cfg["simulation"]["replan_weeks"] = 13
    run = run_scenario(data, "lean", cfg, *window, seed=0, causes=False)
    assert run.result.info["replan_weeks"] == 13
    direct = simulate(data, None, *window, config=cfg, seed=0, planner=lambda ds, as_of: plan(ds, as_of, cfg).policies)
    for k in ("hit_rate", "avg_inventory_value", "misses", "emergency_cost"):
        assert run.result.kpis[k] == direct.kpis[k], k
    fixed = run_scenario(data, "lean", _lean(), *window, seed=0, causes=False)
    assert fixed.result.kpis["avg_inventory_value"] != run.result.kpis["avg_inventory_value"]


def test_scenario_names():
    a, b = default_config(), default_config()
    assert scenario_names([a, b], ["x", "y"]) == ["x", "y"]  # both called 'base': the file stems
    assert scenario_names([_lean(name="p"), _lean(name="q")], ["x", "y"]) == ["p", "q"]
    assert scenario_names([a, b], ["x", "x"]) == ["x #1", "x #2"]
    with pytest.raises(ValueError, match="one name per scenario"):
        scenario_names([a], ["x", "y"])


def test_run_whatif_rejects_bad_input(data, window):
    with pytest.raises(ValueError, match="at least one"):
        run_whatif(data, [], *window)
    with pytest.raises(ValueError, match="unique"):
        run_whatif(data, [("a", default_config()), ("a", default_config())], *window)
    with pytest.raises(ConfigError, match="Unknown configuration key"):
        run_whatif(data, [("a", {"service": {"levle": 0.9}})], *window)
    with pytest.raises(ValueError, match="seed must be"):
        run_whatif(data, [("a", default_config())], *window, seed=-1)
