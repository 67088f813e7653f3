"""Public API of partsopt.demo: sizes, argument checks, determinism, file layout."""
from __future__ import annotations

import filecmp
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from partsopt.demo import GROUND_TRUTH_DIR, SIZES, TABLES, TRUTH_TABLES, DemoNetwork, generate, write_demo

COLUMNS = {
    "parts": ["part", "unit_cost", "unit_price", "lead_time_days", "lead_time_sd_days", "pack_size",
              "moq", "criticality", "superseded_by", "description"],
    "locations": ["location", "parent", "kind", "transit_days", "review_days", "emergency_days",
                  "emergency_cost", "holding_rate", "order_cost", "size"],
    "demand": ["date", "part", "location", "qty", "line_id", "promised_date"],
    "inventory": ["part", "location", "on_hand", "on_order", "backorders"],
    "receipts": ["part", "location", "order_date", "qty", "received_date", "promised_date", "order_type"],
    "items": ["part", "location", "stocked", "min_qty", "max_qty"],
    "install_base": ["location", "model", "units"],
    "bom": ["model", "part", "qty_per_unit", "failure_rate"],
}


@pytest.fixture(scope="module")
def small_dirs(tmp_path_factory):
    a = write_demo(tmp_path_factory.mktemp("a"), "small", seed=0)
    b = write_demo(tmp_path_factory.mktemp("b"), "small", seed=0)
    c = write_demo(tmp_path_factory.mktemp("c"), "small", seed=1)
    return a, b, c


def _files(root: Path):
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def test_sizes_are_the_documented_ones():
    assert set(SIZES) == {"small", "medium", "large"}
    assert (SIZES["small"].n_dealers, SIZES["small"].n_parts) == (20, 300)
    assert (SIZES["medium"].n_dealers, SIZES["medium"].n_parts) == (100, 2_000)
    assert (SIZES["large"].n_dealers, SIZES["large"].n_parts) == (500, 20_000)
    assert SIZES["large"].default_format == "parquet" and SIZES["small"].default_format == "csv"


@pytest.mark.parametrize("bad", ["tiny", "", None, 3])
def test_unknown_size_lists_the_valid_ones(bad):
    with pytest.raises(ValueError, match="'small', 'medium', 'large'"):
        generate(bad)


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_bad_seed(bad):
    with pytest.raises(ValueError, match="seed"):
        generate("small", bad)


def test_bad_end_date_and_format(tmp_path):
    with pytest.raises(ValueError, match="end_date"):
        generate("small", 0, end_date="not a date")
    with pytest.raises(ValueError, match="end_date"):
        generate("small", 0, end_date="2026-11-16 12:00")
    with pytest.raises(ValueError, match="fmt"):
        write_demo(tmp_path, "small", 0, fmt="xlsx")


def test_generate_returns_the_tables_and_truth():
    net = generate("small", 0)
    assert isinstance(net, DemoNetwork)
    assert net.as_of == pd.Timestamp("2026-11-16")
    assert set(net.tables()) == set(TABLES)
    for name, cols in COLUMNS.items():
        assert list(net.tables()[name].columns) == cols, name
    assert set(net.truth) == set(TRUTH_TABLES)
    assert list(net.truth["planted_defects"].columns) == ["defect", "cause", "part", "location", "detail"]
    assert net.demand["date"].max() < net.as_of


def test_same_seed_same_frames_other_end_date_shifts_dates():
    a, b = generate("small", 7), generate("small", 7)
    for name in TABLES:
        pd.testing.assert_frame_equal(a.tables()[name], b.tables()[name])
    c = generate("small", 7, end_date="2025-01-06")
    shift = pd.Timestamp("2026-11-16") - pd.Timestamp("2025-01-06")
    pd.testing.assert_series_equal(c.demand["date"] + shift, a.demand["date"])


def test_same_seed_writes_byte_identical_files(small_dirs):
    a, b, _ = small_dirs
    files = _files(a)
    assert files == _files(b)
    expected = {Path(f"{t}.csv") for t in TABLES} | {Path(GROUND_TRUTH_DIR) / f"{t}.csv" for t in TRUTH_TABLES}
    assert set(files) == expected | {Path(GROUND_TRUTH_DIR) / "README.md"}
    for f in files:
        assert filecmp.cmp(a / f, b / f, shallow=False), f"{f} differs between two runs with seed 0"


def test_other_seed_writes_other_data(small_dirs):
    a, _, c = small_dirs
    assert (a / "demand.csv").read_bytes() != (c / "demand.csv").read_bytes()


def test_csv_columns_and_formats(small_dirs):
    a = small_dirs[0]
    for name, cols in COLUMNS.items():
        head = (a / f"{name}.csv").read_text(encoding="utf-8").split("\n", 1)[0]
        assert head.split(",") == cols, name
    text = (a / "items.csv").read_text()
    assert "true" in text or "false" in text
    assert "True" not in text and "False" not in text
    assert "\r" not in (a / "demand.csv").read_text()


def test_parquet_format_is_deterministic_and_typed(tmp_path):
    p1 = write_demo(tmp_path / "p1", "small", 3, fmt="parquet")
    p2 = write_demo(tmp_path / "p2", "small", 3, fmt="parquet")
    for name in TABLES:
        assert (p1 / f"{name}.parquet").read_bytes() == (p2 / f"{name}.parquet").read_bytes(), name
        assert not (p1 / f"{name}.csv").exists()
    schema = pq.read_schema(p1 / "demand.parquet")
    assert str(schema.field("date").type) == "date32[day]"
    assert str(schema.field("part").type) == "string"
    net = generate("small", 3)
    back = pd.read_parquet(p1 / "demand.parquet")
    assert back["part"].tolist() == net.demand["part"].tolist()
    assert (pd.to_datetime(back["date"]) == net.demand["date"]).all()


def test_rewriting_in_another_format_replaces_stale_files_and_leaves_no_temp(tmp_path):
    out = write_demo(tmp_path, "small", 0, fmt="parquet")
    write_demo(out, "small", 0, fmt="csv")
    assert not list(out.glob("*.parquet"))
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]
    assert (out / GROUND_TRUTH_DIR / "README.md").read_text().startswith("# Ground truth")
