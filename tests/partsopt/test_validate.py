"""The data contract: structural errors raise one clear message (exit 2), row-level
problems land in the issues table with their fallback."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from partsopt.cli import main
from partsopt.errors import DataError
from partsopt.io import load
from partsopt.validate import validate_tables

from tiny_dataset import TINY, write_dataset


def _replace_line(table: str, old: str, new: str) -> str:
    text = TINY[table]
    assert old in text, old
    return text.replace(old, new, 1)


# Each case: (id, how to break the tiny dataset, file named, column named, text of the message)
MALFORMED = [
    ("missing_file", dict(demand=None), "demand", None, "lacks the required table demand"),
    ("missing_column", dict(parts=TINY["parts"].replace("unit_cost,", "cost,", 1)), "parts.csv", "unit_cost",
     "lacks the required column 'unit_cost'"),
    ("text_in_number", dict(parts=_replace_line("parts", "P1,10.0,", "P1,ten,")), "parts.csv", "unit_cost",
     "Text where a number is expected"),
    ("negative_quantity", dict(demand=_replace_line("demand", "P1,D1,2,L2", "P1,D1,-2,L2")), "demand.csv", "qty",
     "must be > 0"),
    ("impossible_date", dict(demand=_replace_line("demand", "2024-01-03,P1", "2024-02-30,P1")), "demand.csv", "date",
     "Date that cannot be read"),
    ("duplicate_part", dict(parts=TINY["parts"] + "P1,11,15,21,0,1,1,A,,dup\n"), "parts.csv", "part",
     "Duplicate key in parts"),
    ("unknown_location", dict(demand=TINY["demand"] + "2024-02-07,P1,D9,1,L7,2024-02-07\n"), "demand.csv",
     "location", "'D9'"),
    ("cycle_in_tree", dict(locations=_replace_line("locations", "CW,,central", "CW,D1,central")), "locations.csv",
     "parent", "location tree has a cycle"),
    ("empty_file", dict(demand=""), "demand.csv", None, "is empty"),
    ("semicolon_delimiter", dict(parts=TINY["parts"].replace(",", ";")), "parts.csv", None,
     "semicolon (;) as the delimiter"),
    ("empty_key", dict(inventory=TINY["inventory"] + ",D2,1,0,0\n"), "inventory.csv", "part", "Empty key"),
    ("supersession_loop", dict(parts=_replace_line("parts", "P3,2.6,3.6,14,0,5,10,B,,", "P3,2.6,3.6,14,0,5,10,B,P2,")),
     "parts.csv", "superseded_by", "supersession chain has a loop"),
    ("ragged_rows", dict(demand=TINY["demand"] + "2024-02-07,P1,D1,1,L7,2024-02-07,extra,fields\n"), "demand.csv",
     None, "different number of fields"),
    ("header_only", dict(locations=TINY["locations"].splitlines()[0] + "\n"), "locations.csv", None,
     "has a header but no rows"),
    ("unknown_choice", dict(parts=_replace_line("parts", ",A,,brake", ",X,,brake")), "parts.csv", "criticality",
     "use one of: A, B, C"),
    ("fractional_qty", dict(demand=_replace_line("demand", "P1,D1,2,L2", "P1,D1,1.5,L2")), "demand.csv", "qty",
     "whole number"),
    ("inventory_unknown_part", dict(inventory=TINY["inventory"] + "P99,D1,1,0,0\n"), "inventory.csv", "part",
     "'P99'"),
    ("bad_boolean", dict(items=TINY["items"].replace("false", "maybe")), "items.csv", "stocked", "true/false"),
    ("negative_transit", dict(locations=_replace_line("locations", "D1,RW,dealer,2", "D1,RW,dealer,-2")),
     "locations.csv", "transit_days", "must be >= 0"),
]


@pytest.mark.parametrize("case", MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_dataset_exits_2_with_a_clear_message(case, tmp_path, capsys):
    name, overrides, file_named, column_named, text = case
    folder = write_dataset(tmp_path / name, **overrides)
    code = main(["validate", str(folder)])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "Traceback" not in err and "Traceback" not in out
    assert err.startswith("partsopt: error: ")
    assert text in err, err
    assert file_named in err, err
    if column_named:
        assert f"column '{column_named}'" in err or f"'{column_named}'" in err, err
    assert "fix:" in err  # every message says how to fix it


def test_wrong_encoding_names_file_and_line(tmp_path, capsys):
    folder = write_dataset(tmp_path / "enc")
    text = TINY["parts"].replace("brake pad", "Bremsbeläge")
    (folder / "parts.csv").write_bytes(text.encode("latin-1"))
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "parts.csv is not UTF-8" in err and "line 2" in err and "CSV UTF-8" in err


def test_message_shows_first_rows_with_values(tmp_path):
    demand = TINY["demand"] + "".join(f"2024-03-{d:02d},P1,D1,-1,X{d},2024-03-{d:02d}\n" for d in range(1, 9))
    folder = write_dataset(tmp_path / "many", demand=demand)
    with pytest.raises(DataError) as info:
        load(folder)
    msg = info.value.message
    assert "line 8: qty='-1'" in msg  # header is line 1, the 6 good rows are lines 2-7
    assert "(and 3 more)" in msg  # 8 bad rows, 5 shown


def test_missing_folder_and_file_instead_of_folder(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    f = tmp_path / "file.csv"
    f.write_text("x\n")
    assert main(["validate", str(f)]) == 2
    assert "must be a folder" in capsys.readouterr().err


def test_two_files_for_one_table(tmp_path, capsys):
    folder = write_dataset(tmp_path / "two")
    pd.DataFrame({"part": ["P1"]}).to_parquet(folder / "parts.parquet")
    assert main(["validate", str(folder)]) == 2
    assert "more than one file" in capsys.readouterr().err


def test_broken_parquet(tmp_path, capsys):
    folder = write_dataset(tmp_path / "pq", demand=None)
    (folder / "demand.parquet").write_bytes(b"PAR1 this is not parquet")
    assert main(["validate", str(folder)]) == 2
    assert "cannot be read as Parquet" in capsys.readouterr().err


def test_usage_error_exit_2_no_traceback(capsys):
    assert main(["validate"]) == 2
    err = capsys.readouterr().err
    assert "the following arguments are required: data" in err and "Traceback" not in err
    assert main(["frobnicate"]) == 2
    assert main(["--help"]) == 0


def test_valid_tiny_dataset(tiny_dir, capsys):
    assert main(["validate", str(tiny_dir)]) == 0
    out = capsys.readouterr().out
    assert "valid: 4 parts, 4 locations, 6 demand lines" in out
    assert "no_demand_history" in out  # P4 never sold


def test_types_and_defaults(tiny_dir):
    ds = load(tiny_dir)
    assert ds.demand["date"].dtype == "datetime64[ns]"
    assert ds.demand["qty"].dtype == np.int64
    assert ds.parts["pack_size"].tolist() == [1, 5, 5, 1]
    assert ds.items["stocked"].tolist() == [False, True]
    # receipts: an empty received_date is an open order
    assert ds.receipts["received_date"].isna().sum() == 1
    # optional tables absent → typed empty tables
    folder = write_dataset(tiny_dir.parent / "min", inventory=None, receipts=None, items=None,
                           install_base=None, bom=None)
    ds2 = load(folder)
    assert len(ds2.inventory) == 0 and list(ds2.inventory.columns)[:3] == ["part", "location", "on_hand"]
    assert "inventory" not in ds2.present


def test_optional_columns_get_defaults_and_kind_is_derived(tmp_path):
    folder = write_dataset(tmp_path / "d",
                           locations="location,parent\nCW,\nRW,CW\nD1,RW\nD2,RW\n",
                           demand="date,part,location,qty\n2024-01-01,P1,D1,1\n2024-01-02,P1,D1,1\n")
    ds = load(folder)
    assert ds.locations["kind"].tolist() == ["central", "regional", "dealer", "dealer"]
    assert ds.locations["review_days"].tolist() == [7.0] * 4
    assert ds.demand["line_id"].tolist() == ["L000000000", "L000000001"]
    assert (ds.demand["promised_date"] == ds.demand["date"]).all()


def test_parquet_and_csv_mixed_give_same_tables(tiny_dir, tmp_path):
    ds_csv = load(tiny_dir)
    mixed = write_dataset(tmp_path / "mixed", demand=None, parts=None)
    ds_csv.demand.to_parquet(mixed / "demand.parquet")
    raw_parts = pd.read_csv(tiny_dir / "parts.csv", dtype={"part": str})
    raw_parts.to_parquet(mixed / "parts.parquet")
    ds = load(mixed)
    pd.testing.assert_frame_equal(ds.demand, ds_csv.demand)
    pd.testing.assert_frame_equal(ds.parts, ds_csv.parts)


def test_numeric_keys_in_parquet_become_strings(tmp_path):
    folder = write_dataset(tmp_path / "num", parts=None, demand=None, inventory=None, receipts=None,
                           items=None, bom=None)
    pd.DataFrame({"part": [101, 102], "unit_cost": [1.0, 2.0], "lead_time_days": [7, 7]}).to_parquet(
        folder / "parts.parquet")
    pd.DataFrame({"date": pd.to_datetime(["2024-01-01"]), "part": [101.0], "location": ["D1"], "qty": [1]}).to_parquet(
        folder / "demand.parquet")
    ds = load(folder)
    assert ds.parts["part"].tolist() == ["101", "102"]
    assert ds.demand["part"].tolist() == ["101"]


# ------------------------------------------------------------------ row-level
ROW_LEVEL = [
    ("unit_cost_missing", "parts", dict(parts=_replace_line("parts", "P1,10.0,", "P1,,"))),
    ("lead_time_missing", "parts", dict(parts=_replace_line("parts", "P1,10.0,14.0,21,", "P1,10.0,14.0,0,"))),
    ("lead_time_implausible", "parts", dict(parts=_replace_line("parts", "P1,10.0,14.0,21,", "P1,10.0,14.0,900,"))),
    ("lead_time_sd_negative", "parts", dict(parts=_replace_line("parts", "P1,10.0,14.0,21,3,", "P1,10.0,14.0,21,-3,"))),
    ("unit_price_negative", "parts", dict(parts=_replace_line("parts", "P1,10.0,14.0,", "P1,10.0,-14.0,"))),
    ("supersession_gap", "parts", dict(parts=_replace_line("parts", "B,P3,oil", "B,P777,oil"))),
    ("no_demand_history", "parts", {}),
    ("negative_on_hand", "inventory", dict(inventory=_replace_line("inventory", "P1,D1,2,", "P1,D1,-2,"))),
    ("negative_on_order", "inventory", dict(inventory=_replace_line("inventory", "P3,D1,5,5,", "P3,D1,5,-5,"))),
    ("negative_backorders", "inventory", dict(inventory=_replace_line("inventory", "P1,CW,10,0,0", "P1,CW,10,0,-1"))),
    ("receipt_before_order", "receipts",
     dict(receipts=_replace_line("receipts", "2024-01-02,2,2024-01-06", "2024-01-02,2,2023-12-30"))),
    ("promised_before_date", "demand", dict(demand=_replace_line("demand", "L2,2024-01-04", "L2,2023-12-01"))),
    ("min_above_max", "items", dict(items=_replace_line("items", "P1,D1,true,1,4", "P1,D1,true,6,4"))),
]


@pytest.mark.parametrize("check,table,overrides", ROW_LEVEL, ids=[c[0] for c in ROW_LEVEL])
def test_row_level_problem_lands_in_issues_and_run_goes_on(check, table, overrides, tmp_path):
    folder = write_dataset(tmp_path / check, **overrides)
    ds = load(folder)
    rows = ds.issues[ds.issues["check"] == check]
    assert len(rows) >= 1, ds.issues
    assert (rows["table"] == table).all()
    assert rows["fallback"].str.len().gt(0).all()
    assert rows["severity"].isin(["error", "warning", "info"]).all()


def test_fallbacks_are_applied(tmp_path):
    parts = _replace_line("parts", "P1,10.0,14.0,21,", "P1,,14.0,0,")
    inv = _replace_line("inventory", "P1,D1,2,", "P1,D1,-2,")
    ds = load(write_dataset(tmp_path / "fb", parts=parts, inventory=inv))
    p1 = ds.parts.set_index("part").loc["P1"]
    assert p1["unit_cost"] == np.median([2.5, 2.6, 120])
    assert p1["lead_time_days"] == np.median([14, 14, 40])
    assert ds.inventory.loc[0, "on_hand"] == 0


def test_supersession_gap_drops_the_link(tmp_path):
    ds = load(write_dataset(tmp_path / "gap", parts=_replace_line("parts", "B,P3,oil", "B,P777,oil")))
    assert ds.parts.set_index("part").loc["P2", "superseded_by"] == ""


def test_strict_turns_error_issues_into_failure(tmp_path, capsys):
    folder = write_dataset(tmp_path / "strict", inventory=_replace_line("inventory", "P1,D1,2,", "P1,D1,-2,"))
    assert main(["validate", str(folder)]) == 0
    capsys.readouterr()
    assert main(["validate", str(folder), "--strict"]) == 2
    err = capsys.readouterr().err
    assert "--strict: 1 error-level issue" in err and "negative_on_hand" in err


def test_issues_out_file(tiny_dir, tmp_path):
    out = tmp_path / "issues.csv"
    assert main(["validate", str(tiny_dir), "--issues-out", str(out)]) == 0
    issues = pd.read_csv(out)
    assert list(issues.columns) == ["table", "row", "part", "location", "check", "severity", "detail", "fallback"]


def test_in_memory_tables_validate_like_files(tiny_dir):
    ds_files = load(tiny_dir)
    ds_mem = validate_tables({name: ds_files.tables[name] for name in ds_files.present})
    for name in ds_files.present:
        pd.testing.assert_frame_equal(ds_mem.tables[name], ds_files.tables[name], check_dtype=False)


def test_successor_inherits_history_so_it_is_not_flagged(tiny_dir):
    # P3 has own demand; P2 → P3. Make P3 never sold: still not 'no history' since P2 sold
    text = "\n".join(line for line in TINY["demand"].splitlines() if ",P3," not in line) + "\n"
    ds = load(write_dataset(tiny_dir.parent / "succ", demand=text))
    flagged = set(ds.issues.loc[ds.issues["check"] == "no_demand_history", "part"])
    assert "P3" not in flagged and "P4" in flagged
