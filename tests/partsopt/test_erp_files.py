"""File targets of export_policies: CSV / Parquet / Excel, atomic and idempotent."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from partsopt.errors import ConfigError, DataError
from partsopt.erp import export_policies, to_layout, validate_policies
from partsopt.erp.files import read_file_target
from partsopt.erp.formats import LAYOUTS


def make_policies(n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = rng.integers(-1, 12, n).astype(float)
    return pd.DataFrame({
        "part": [f"0{i:04d}" for i in range(n)], "location": rng.choice(["C1", "R1", "D1"], n),
        "policy": "sS", "reorder_point": s, "order_up_to": s + rng.integers(1, 6, n),
        "safety_stock": rng.normal(1, 1, n), "lead_time_days": 14.0, "review_days": 7.0,
        "target_name": "hit_rate", "target_level": 0.95, "expected_hit_rate": rng.random(n),
        "expected_fill_rate": rng.random(n), "expected_on_hand": rng.random(n) * 3,
        "inventory_value": rng.random(n) * 100, "annual_holding_cost": rng.random(n) * 25,
        "reason": "s=3 because P(LTD <= 3) = 0.96", "pack_size": rng.choice([1.0, 4.0], n),
    })


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
@pytest.mark.parametrize("fmt", ["generic", "sap", "odoo"])
def test_file_export_roundtrip_and_idempotence(tmp_path, fmt, suffix):
    df = make_policies()
    path = tmp_path / f"out{suffix}"
    first = export_policies(df, fmt, str(path), run={"run_id": "r1"})
    assert first.written and first.new == len(df) and first.kind == "file"
    back = read_file_target(path, LAYOUTS[fmt])
    pd.testing.assert_frame_equal(back, to_layout(validate_policies(df), fmt))
    stat = path.stat()
    again = export_policies(df.sample(frac=1.0, random_state=1), fmt, str(path), run={"run_id": "r1"})
    assert not again.written and again.unchanged == len(df) and again.diff.empty
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_dry_run_reports_the_difference_from_the_file_and_writes_nothing(tmp_path):
    df = make_policies()
    path = tmp_path / "sap.csv"
    export_policies(df, "sap", str(path), run={"run_id": "r1"})
    before = path.read_bytes()
    df2 = df.iloc[2:].copy()
    df2.loc[5, ["reorder_point", "order_up_to"]] = [40.0, 45.0]
    df2 = pd.concat([df2, make_policies(1, 9).assign(part="NEW")])
    res = export_policies(df2, "sap", str(path), run={"run_id": "r2"}, dry_run=True)
    assert (res.new, res.removed) == (1, 2) and res.changed >= 1 and not res.written
    assert path.read_bytes() == before
    assert set(res.flagged["part"]) == {df.loc[5, "part"]}
    res = export_policies(df2, "sap", str(path), run={"run_id": "r2"})
    assert res.written
    pd.testing.assert_frame_equal(read_file_target(path, LAYOUTS["sap"]),
                                  to_layout(validate_policies(df2), "sap"))


def test_a_file_in_another_layout_is_not_overwritten(tmp_path):
    path = tmp_path / "policies.csv"
    export_policies(make_policies(), "odoo", str(path))
    before = path.read_bytes()
    with pytest.raises(DataError, match="does not have the sap layout") as err:
        export_policies(make_policies(), "sap", str(path))
    assert "MATNR" in err.value.received
    assert path.read_bytes() == before


def test_a_crash_while_writing_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "generic.parquet"
    export_policies(make_policies(), "generic", str(path))
    before = path.read_bytes()

    def broken(self, *args, **kwargs):
        with open(args[0], "wb") as fh:
            fh.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.raises(OSError, match="disk full"):
        export_policies(make_policies(seed=3), "generic", str(path))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.mark.parametrize("to, message", [
    ("out.json", "unknown export file type"),
    ("missing_dir/out.csv", "folder of the export file does not exist"),
])
def test_bad_file_targets(tmp_path, to, message):
    with pytest.raises(ConfigError, match=message):
        export_policies(make_policies(), "generic", str(tmp_path / to))
    with pytest.raises(ValueError):
        export_policies(make_policies(), "generic", str(tmp_path / to))


def test_bad_options(tmp_path):
    target = str(tmp_path / "x.csv")
    with pytest.raises(ValueError, match="review_threshold"):
        export_policies(make_policies(), "generic", target, review_threshold=-1)
    with pytest.raises(ValueError, match="batch_size"):
        export_policies(make_policies(), "generic", target, batch_size=0)
    with pytest.raises(ValueError, match="format"):
        export_policies(make_policies(), "csv", target)
    assert not os.path.exists(target)
