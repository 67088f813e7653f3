"""partsopt.erp.formats: the generic / SAP / Odoo layouts and the reorder-point convention."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from partsopt.errors import ConfigError
from partsopt.erp.formats import LAYOUTS, get_layout, to_layout
from partsopt.erp.policies_file import POLICY_COLUMNS, validate_policies


def policies(rows: list[dict]) -> pd.DataFrame:
    base = {"policy": "sS", "safety_stock": 0.0, "lead_time_days": 14.0, "review_days": 7.0,
            "target_name": "hit_rate", "target_level": 0.95, "expected_hit_rate": 0.95,
            "expected_fill_rate": 0.97, "expected_on_hand": 2.0, "inventory_value": 20.0,
            "annual_holding_cost": 5.0, "reason": "r", "pack_size": 1.0}
    return validate_policies(pd.DataFrame([{**base, **r} for r in rows]))


def random_policies(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = rng.integers(-1, 30, n) + rng.choice([0.0, 0.5], n)
    return policies([{"part": f"P{i:04d}", "location": f"L{i % 3}", "reorder_point": s[i],
                      "order_up_to": s[i] + 1 + rng.integers(0, 10), "safety_stock": rng.normal(1, 2),
                      "pack_size": float(rng.choice([1, 2, 5, 10]))} for i in range(n)])


def test_sap_layout_of_a_hand_example():
    df = policies([
        {"part": "A-1", "location": "1000", "reorder_point": 3, "order_up_to": 8, "safety_stock": 1.2,
         "pack_size": 5},
        {"part": "B-2", "location": "1000", "reorder_point": -1, "order_up_to": 0, "safety_stock": -0.4},
        {"part": "C-3", "location": "2000", "reorder_point": 2.5, "order_up_to": 6.25,
         "safety_stock": 0.1234},
        {"part": "D-4", "location": "2000", "reorder_point": 0, "order_up_to": 0},  # not stocked
    ])
    sap = to_layout(df, "sap")
    assert list(sap.columns) == ["MATNR", "WERKS", "DISMM", "DISLS", "MINBE", "EISBE", "MABST", "BSTRF"]
    assert sap.to_dict("records") == [
        {"MATNR": "A-1", "WERKS": "1000", "DISMM": "VB", "DISLS": "HB", "MINBE": 4.0, "EISBE": 1.2,
         "MABST": 8.0, "BSTRF": 5.0},
        {"MATNR": "B-2", "WERKS": "1000", "DISMM": "VB", "DISLS": "HB", "MINBE": 0.0, "EISBE": 0.0,
         "MABST": 0.0, "BSTRF": 1.0},
        {"MATNR": "C-3", "WERKS": "2000", "DISMM": "VB", "DISLS": "HB", "MINBE": 3.0, "EISBE": 0.123,
         "MABST": 6.25, "BSTRF": 1.0},
        {"MATNR": "D-4", "WERKS": "2000", "DISMM": "VB", "DISLS": "HB", "MINBE": 0.0, "EISBE": 0.0,
         "MABST": 0.0, "BSTRF": 1.0},
    ]


def test_odoo_layout_of_a_hand_example():
    df = policies([{"part": "A-1", "location": "WH/Stock", "reorder_point": 3, "order_up_to": 8,
                    "pack_size": 6}])
    assert to_layout(df, "odoo").to_dict("records") == [
        {"product_id": "A-1", "location_id": "WH/Stock", "product_min_qty": 4.0,
         "product_max_qty": 8.0, "qty_multiple": 6.0}]


def test_generic_layout_is_the_policies_table():
    df = random_policies(20, 1)
    out = to_layout(df, "generic")
    assert tuple(out.columns) == POLICY_COLUMNS
    pd.testing.assert_frame_equal(out, df[list(POLICY_COLUMNS)].reset_index(drop=True),
                                  check_dtype=False)


def erp_order(stock: float, level: float, up_to: float, multiple: float) -> float:
    """Plain model of both ERPs: order when stock < level, up to max(level, up_to),
    rounded up to a multiple (SAP: MINBE / HB lot size to MABST / BSTRF; Odoo:
    product_min_qty / product_max_qty / qty_multiple)."""
    if not stock < level:
        return 0.0
    qty = max(level, up_to) - stock
    return math.ceil(qty / multiple - 1e-9) * multiple if qty > 0 else 0.0


def test_erp_orders_match_the_partsopt_order_rule_by_enumeration():
    """For every integer inventory position, SAP and Odoo (modelled by erp_order) order
    exactly what partsopt's one order rule orders: same trigger, same quantity."""
    from partsopt.ordering import order_rule

    df = random_policies(300, 7)
    df = pd.concat([df, policies([{"part": "NS", "location": "L0", "reorder_point": 0.0,
                                   "order_up_to": 0.0, "pack_size": 3.0}])], ignore_index=True)
    df = validate_policies(df)
    df["order_up_to"] = np.ceil(df["order_up_to"])  # the quantity check needs integer S
    sap = to_layout(df, "sap")
    odoo = to_layout(df, "odoo")
    positions = np.arange(0, int(df["order_up_to"].max()) + 4, dtype=float)
    ip = np.repeat(positions[None, :], len(df), axis=0)
    want = order_rule(ip, 0.0, 0.0, df["reorder_point"].to_numpy()[:, None],
                      df["order_up_to"].to_numpy()[:, None],
                      pack_size=df["pack_size"].to_numpy()[:, None]).normal
    for i in range(len(df)):  # plain reference loop over rows and positions
        for j, x in enumerate(positions):
            got_sap = erp_order(x, sap["MINBE"].iloc[i], sap["MABST"].iloc[i], sap["BSTRF"].iloc[i])
            got_odoo = erp_order(x, odoo["product_min_qty"].iloc[i], odoo["product_max_qty"].iloc[i],
                                 odoo["qty_multiple"].iloc[i])
            assert got_sap == want[i, j] == got_odoo, (df.iloc[i].to_dict(), x)
    assert want.sum() > 0 and (want == 0).sum() > 0


def test_vectorised_layouts_match_a_per_row_reference():
    df = random_policies(300, 3)
    sap = to_layout(df, "sap")
    odoo = to_layout(df, "odoo")
    for i, row in df.iterrows():
        minbe = max(min(math.floor(row["reorder_point"]), math.ceil(row["order_up_to"]) - 1) + 1, 0)
        assert sap.loc[i, "MATNR"] == row["part"] and sap.loc[i, "WERKS"] == row["location"]
        assert sap.loc[i, "MINBE"] == minbe == odoo.loc[i, "product_min_qty"]
        assert sap.loc[i, "EISBE"] == round(max(row["safety_stock"], 0.0), 3)
        assert sap.loc[i, "MABST"] == round(row["order_up_to"], 3) == odoo.loc[i, "product_max_qty"]
        assert sap.loc[i, "BSTRF"] == row["pack_size"] == odoo.loc[i, "qty_multiple"]


def test_layout_rows_are_in_key_order_whatever_the_input_order():
    df = random_policies(50, 5)
    shuffled = validate_policies(df.sample(frac=1.0, random_state=0))
    for fmt in LAYOUTS:
        out = to_layout(shuffled, fmt)
        pd.testing.assert_frame_equal(out, to_layout(df, fmt))
        keys = list(zip(out[LAYOUTS[fmt].keys[0]], out[LAYOUTS[fmt].keys[1]]))
        assert keys == sorted(keys)


def test_unknown_format_is_a_config_error_and_a_value_error():
    with pytest.raises(ConfigError) as err:
        get_layout("xml")
    assert "--format" in err.value.where and "generic" in err.value.fix
    with pytest.raises(ValueError):
        get_layout("xml")
