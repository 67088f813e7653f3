"""partsopt.erp.policies_file: reading and validating a policies table and run.json."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from partsopt.errors import DataError
from partsopt.erp.policies_file import (POLICY_COLUMNS, RunInfo, policies_content_id, read_policies,
                                        read_run, validate_policies)


def make_policies(n: int = 6, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = rng.integers(-1, 6, n).astype(float)
    return pd.DataFrame({
        "part": [f"00{i}" for i in range(n)], "location": "DLR1", "policy": "sS",
        "reorder_point": s, "order_up_to": s + rng.integers(1, 4, n), "safety_stock": rng.normal(0, 1, n),
        "lead_time_days": 14.0, "review_days": 7.0, "target_name": "hit_rate", "target_level": 0.95,
        "expected_hit_rate": rng.random(n), "expected_fill_rate": rng.random(n),
        "expected_on_hand": rng.random(n), "inventory_value": rng.random(n) * 10,
        "annual_holding_cost": rng.random(n), "reason": "s because P(D <= s) >= 0.95",
    })


def test_validate_normalises_columns_order_types_and_default_pack_size():
    raw = make_policies()
    raw["extra"] = 1
    out = validate_policies(raw.iloc[::-1])
    assert tuple(out.columns) == POLICY_COLUMNS
    assert (out["pack_size"] == 1.0).all()
    assert list(out["part"]) == sorted(raw["part"])
    assert out["reorder_point"].dtype == np.float64


@pytest.mark.parametrize("column", ["part", "reorder_point", "reason", "target_level"])
def test_missing_required_column_names_it(column):
    with pytest.raises(DataError) as err:
        validate_policies(make_policies().drop(columns=column), source="plan/policies.csv")
    assert column in err.value.where and "plan/policies.csv" in err.value.where


def test_text_in_a_number_column_names_column_and_first_bad_row():
    df = make_policies().astype({"order_up_to": object})
    df.loc[3, "order_up_to"] = "lots"
    with pytest.raises(DataError) as err:
        validate_policies(df, source="p.csv")
    assert "order_up_to" in err.value.where
    assert "row 5" in err.value.received and "lots" in err.value.received  # header = line 1


def test_duplicate_keys_are_rejected_with_the_rows():
    df = make_policies()
    df.loc[4, "part"] = df.loc[1, "part"]
    with pytest.raises(DataError, match="duplicate") as err:
        validate_policies(df)
    assert "row 3" in err.value.received and "row 6" in err.value.received


@pytest.mark.parametrize("change, message", [
    ({"order_up_to": -5.0}, "below reorder_point"),
    ({"reorder_point": np.nan}, "finite"),
    ({"pack_size": 0.0}, "pack_size"),
    ({"location": "  "}, "empty location"),
])
def test_bad_values_raise(change, message):
    df = make_policies().assign(pack_size=1.0).astype(object)
    for col, value in change.items():
        df.loc[2, col] = value
    with pytest.raises(DataError, match=message):
        validate_policies(df)


def test_read_csv_keeps_leading_zeros_and_parquet_equals_csv(tmp_path):
    df = make_policies()
    df.to_csv(tmp_path / "policies.csv", index=False)
    df.to_parquet(tmp_path / "policies.parquet", index=False)
    a = read_policies(tmp_path / "policies.csv")
    b = read_policies(tmp_path / "policies.parquet")
    assert a["part"].iloc[0] == "000"
    pd.testing.assert_frame_equal(a, b)
    # floats survive the CSV exactly (round-trip parsing)
    np.testing.assert_array_equal(a["safety_stock"].to_numpy(),
                                  validate_policies(df)["safety_stock"].to_numpy())


def test_read_unknown_suffix_and_missing_file(tmp_path):
    (tmp_path / "p.txt").write_text("x")
    with pytest.raises(DataError, match="unknown policies file type"):
        read_policies(tmp_path / "p.txt")
    with pytest.raises(DataError, match="not found"):
        read_policies(tmp_path / "nope.csv")


def test_run_json_is_read_and_missing_run_json_derives_a_stable_id(tmp_path):
    df = make_policies()
    path = tmp_path / "policies.csv"
    df.to_csv(path, index=False)
    pol = read_policies(path)
    derived = read_run(path, pol)
    assert derived.derived and derived.run_id.startswith("sha256-")
    # the derived id ignores row order, and changes with content
    assert policies_content_id(pol.iloc[::-1]) == derived.run_id
    changed = pol.copy()
    changed.loc[0, "order_up_to"] += 1
    assert policies_content_id(changed) != derived.run_id
    (tmp_path / "run.json").write_text(json.dumps(
        {"run_id": "2026-11-20T0600-abc", "as_of": "2026-11-20", "config_hash": "c0ffee",
         "version": "0.1.0", "created_at": "2026-11-20T06:00:00Z", "extra": 1}))
    run = read_run(path, pol)
    assert run == RunInfo("2026-11-20T0600-abc", "2026-11-20", "c0ffee", "0.1.0",
                          "2026-11-20T06:00:00Z", derived=False)
    (tmp_path / "run.json").write_text("{not json")
    with pytest.raises(DataError, match="run.json"):
        read_run(path, pol)


def test_runinfo_coerce():
    assert RunInfo.coerce({"run_id": 7}).run_id == "7"
    with pytest.raises(DataError):
        RunInfo.coerce("r1")
    derived = RunInfo.coerce({"as_of": "2026-01-01"}, validate_policies(make_policies()))
    assert derived.derived and derived.as_of == "2026-01-01"


def test_find_policies_file_in_a_plan_folder(tmp_path):
    from partsopt.erp.policies_file import find_policies_file

    with pytest.raises(DataError, match="no policies file"):
        find_policies_file(tmp_path)
    make_policies().to_csv(tmp_path / "policies.csv", index=False)
    assert find_policies_file(tmp_path) == tmp_path / "policies.csv"
    make_policies().to_parquet(tmp_path / "policies.parquet", index=False)
    assert find_policies_file(tmp_path) == tmp_path / "policies.parquet"
    assert find_policies_file(tmp_path / "policies.csv") == tmp_path / "policies.csv"
