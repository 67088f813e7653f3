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
        {"part": "C-3", "location": "2000", "reorder_point": 2.5, "order_up_to": 6.25, "safety_stock": 0.1234},
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


def test_erp_reorder_triggers_match_the_partsopt_order_rule_by_enumeration():
    """partsopt orders when IP <= s; SAP (stock < MINBE) and Odoo (forecast < product_min_qty)
    must trigger on exactly the same integer inventory positions, and Odoo must order up to S."""
    df = random_policies(200, 7)
    sap = to_layout(df, "sap")
    odoo = to_layout(df, "odoo")
    for i in range(len(df)):  # plain reference loop over rows and positions
        s, big_s = df["reorder_point"].iloc[i], df["order_up_to"].iloc[i]
        for ip in range(-3, int(big_s) + 4):
            partsopt_orders = ip <= s
            assert (ip < sap["MINBE"].iloc[i]) == partsopt_orders
            odoo_orders = ip < odoo["product_min_qty"].iloc[i]
            assert odoo_orders == partsopt_orders
            if odoo_orders:  # Odoo: max(min, max) - forecast, before rounding to qty_multiple
                qty = max(odoo["product_min_qty"].iloc[i], odoo["product_max_qty"].iloc[i]) - ip
                assert qty == pytest.approx(big_s - ip)


def test_vectorised_layouts_match_a_per_row_reference():
    df = random_policies(300, 3)
    sap = to_layout(df, "sap")
    odoo = to_layout(df, "odoo")
    for i, row in df.iterrows():
        minbe = max(math.floor(row["reorder_point"]) + 1, 0)
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
