"""The scenario's policy keys reach the plan: ``policy.type`` and ``policy.min_order_up_to_gap``.

Both were accepted by the configuration without changing a policy; these tests fail if either
is ignored again (each compares against the default plan, which differs on the tiny dataset).
"""
from __future__ import annotations

import numpy as np
import pytest

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
