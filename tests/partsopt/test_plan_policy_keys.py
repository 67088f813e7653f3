"""The scenario's keys reach the plan (issue 5, build item 3), in row scope on the tiny dataset.

``policy.type`` and ``policy.min_order_up_to_gap`` were accepted by the configuration without
changing a policy; these tests fail if either is ignored again (each compares against the default
plan, which differs).  Then the service target, its level by criticality, the cost rates, the
review cycle and the normal-order-rate floor, each seen in the policies; and run.json.
(The OTD target: test_pipeline.py; forecast method: test_pipeline.py; budget and network scope:
test_network_plan.py.)
"""
from __future__ import annotations

import json

import numpy as np
import pytest

import partsopt
from partsopt.cli import main

from partsopt.config import default_config
from partsopt.io import load
from partsopt.ordering import round_up_to_pack
from partsopt.pipeline import plan
from partsopt.policy_step import order_quantity_bounds

AS_OF = "2024-02-12"


def _config(**policy):
    cfg = default_config()
    cfg["policy"].update(policy)
    return cfg


def _optimised(pol):
    """Stocked rows whose levels are the optimiser's (no items override, not superseded)."""
    return pol[(pol["order_up_to"] > 0) & (pol["override"] == "")]


def _least_q(pol, gap=1):
    """Least order quantity per row by hand: max(MOQ, gap) rounded up to whole packs [units]."""
    return round_up_to_pack(np.maximum(pol["moq"].to_numpy(np.float64), gap), pol["pack_size"].to_numpy())


def test_bounds_of_the_order_quantity():
    moq = np.array([1, 3, 10])
    q_min, max_q = order_quantity_bounds(moq, _config(min_order_up_to_gap=4))
    assert q_min.tolist() == [4, 4, 10] and max_q == 500
    q_min, max_q = order_quantity_bounds(moq, _config(type="base_stock"))
    assert q_min.tolist() == [1, 3, 10] and max_q == 1


def test_base_stock_fixes_s_minus_s_at_its_least_value(tiny_dir):
    ds = load(tiny_dir)
    base = _optimised(plan(ds, AS_OF).policies)
    assert ((base["order_up_to"] - base["reorder_point"]) > _least_q(base)).any()  # the default searches Q
    pol = plan(ds, AS_OF, _config(type="base_stock")).policies
    rows = _optimised(pol)
    assert len(rows) >= 5
    np.testing.assert_array_equal((rows["order_up_to"] - rows["reorder_point"]).to_numpy(), _least_q(rows))
    unit = rows[(rows["pack_size"] == 1) & (rows["moq"] == 1)]
    assert len(unit) and (unit["policy"] == "base_stock").all()
    assert (unit["order_up_to"] == unit["reorder_point"] + 1).all()
    # the targets still hold: a base-stock level is a feasible level of the same search
    cust = rows[rows["target_name"] == "hit_rate"]
    assert (cust["expected_hit_rate"] >= cust["target_level"] - 1e-9).all()


@pytest.mark.parametrize("gap", [4, 8])
def test_min_order_up_to_gap_is_the_least_s_minus_s(tiny_dir, gap):
    ds = load(tiny_dir)
    base = _optimised(plan(ds, AS_OF).policies)
    assert ((base["order_up_to"] - base["reorder_point"]) < gap).any()  # the gap binds somewhere
    pol = plan(ds, AS_OF, _config(min_order_up_to_gap=gap)).policies
    rows = _optimised(pol)
    diff = (rows["order_up_to"] - rows["reorder_point"]).to_numpy()
    assert (diff >= _least_q(rows, gap)).all()
    raised = rows[rows["moq"] < gap]
    assert raised["reason"].str.contains(f"policy.min_order_up_to_gap = {gap}", regex=False).all()
    # the part's own MOQ is what the order rule uses, unchanged
    np.testing.assert_array_equal(pol["moq"].to_numpy(), pol["part"].map(ds.parts.set_index("part")["moq"]).to_numpy())


def test_base_stock_with_a_gap_orders_the_gap(tiny_dir):
    rows = _optimised(plan(load(tiny_dir), AS_OF, _config(type="base_stock", min_order_up_to_gap=3)).policies)
    np.testing.assert_array_equal((rows["order_up_to"] - rows["reorder_point"]).to_numpy(), _least_q(rows, 3))


def test_fill_rate_target(tiny_dir):
    ds = load(tiny_dir)
    default = plan(ds, AS_OF).policies
    cust = set(zip(*default.loc[default["target_name"] == "hit_rate", ["part", "location"]].T.to_numpy()))
    assert len(cust) >= 4
    pol = plan(ds, AS_OF, _config_section("service", target="fill_rate")).policies
    rows = pol[[k in cust for k in zip(pol["part"], pol["location"])]]
    assert (rows["target_name"] == "fill_rate").all()
    free = rows[rows["override"] == ""]
    assert (free["expected_fill_rate"] >= 0.95 - 1e-9).all()


def test_levels_by_criticality(tiny_dir):
    ds = load(tiny_dir)
    pol = plan(ds, AS_OF, _config_section("service", by_criticality={"A": 0.99, "C": 0.80})).policies
    cust = pol[pol["target_name"] == "hit_rate"]
    want = cust["criticality"].map({"A": 0.99, "B": 0.95, "C": 0.80})
    np.testing.assert_array_equal(cust["target_level"].to_numpy(), want.to_numpy())
    assert set(cust["criticality"]) >= {"A", "B", "C"}
    free = cust[cust["override"] == ""]
    assert (free["expected_hit_rate"] >= free["target_level"] - 1e-9).all()
    # warehouses that only supply keep policy.upper_fill_rate
    assert (pol.loc[pol["target_name"] == "fill_rate", "target_level"] == 0.95).all()


def test_cost_rates(tiny_dir):
    ds = load(tiny_dir)
    pol = plan(ds, AS_OF, _config_section("costs", holding_rate=0.5)).policies
    free = pol[pol["override"] == ""]
    np.testing.assert_allclose(free["annual_holding_cost"], 0.5 * free["unit_cost"] * free["expected_on_hand"],
                               rtol=1e-12, atol=1e-12)
    default = _optimised(plan(ds, AS_OF).policies)
    dear = _optimised(plan(ds, AS_OF, _config_section("costs", order_cost=500.0)).policies)
    q = lambda p: (p["order_up_to"] - p["reorder_point"]).sum()  # noqa: E731
    assert q(dear) > 2 * q(default)  # dear order lines: fewer, larger orders


def test_review_cycle(tiny_dir):
    ds = load(tiny_dir)
    assert (plan(ds, AS_OF).policies["review_days"] == 7).all()  # each location's review_days
    pol = plan(ds, AS_OF, _config(review_days=14.0)).policies
    assert (pol["review_days"] == 14).all()
    free = _optimised(pol)
    assert free["reason"].str.contains("+ 14 of review", regex=False).all()


def test_normal_order_rate_floor(tiny_dir):
    ds = load(tiny_dir)
    for floor in (0.85, 0.95):
        pol = plan(ds, AS_OF, _config_section("service", normal_order_rate=floor)).policies
        cust = pol[(pol["target_name"] == "hit_rate") & (pol["override"] == "")]
        assert len(cust) >= 3
        assert (cust["normal_order_rate"] >= floor - 1e-9).all(), floor


def test_run_json_records_config_run_id_and_version(tiny_dir, tmp_path):
    cfg = tmp_path / "s.toml"
    cfg.write_text('name = "tight"\n[service]\nlevel = 0.97\n[policy]\ntype = "base_stock"\n')
    out = tmp_path / "plan"
    assert main(["plan", str(tiny_dir), "--as-of", AS_OF, "--out", str(out), "--config", str(cfg)]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["version"] == partsopt.__version__ and run["run_id"].startswith("plan-")
    assert run["config"]["name"] == "tight" and run["config"]["service"]["level"] == 0.97
    assert run["config"]["policy"]["type"] == "base_stock"
    assert run["config"]["forecast"]["method"] == "auto"  # resolved: defaults filled in
    from partsopt.config import config_hash

    assert run["config_hash"] == config_hash(run["config"])


def _config_section(section, **keys):
    cfg = default_config()
    cfg[section].update(keys)
    return cfg


def test_multi_echelon_switch(tiny_dir):
    """policy.multi_echelon: a supplied location's lead time is transit + the METRIC wait at its parent;
    false plans every location as a single location (lead time = transit days, here 2 and 3)."""
    ds = load(tiny_dir)
    transit = ds.locations.set_index("location")["transit_days"]
    single = plan(ds, AS_OF, _config(multi_echelon=False)).policies
    multi = plan(ds, AS_OF).policies
    for pol in (single, multi):
        assert (pol["lt_source"] == "transit").sum() >= 6
    rows = single["lt_source"] == "transit"
    np.testing.assert_array_equal(single.loc[rows, "lead_time_days"], single.loc[rows, "location"].map(transit))
    wait = multi.loc[rows, "lead_time_days"] - multi.loc[rows, "location"].map(transit)
    stocked = multi.loc[rows, "order_up_to"] > 0
    assert (wait >= 0).all() and (wait[stocked] > 0).any()
