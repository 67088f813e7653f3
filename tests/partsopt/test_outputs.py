"""Outputs are published together or not at all; run ids are deterministic."""
from __future__ import annotations

import pandas as pd
import pytest

from partsopt.config import default_config
from partsopt.io import OutputSet
from partsopt.runinfo import data_fingerprint, make_run_info


def test_failed_run_leaves_previous_outputs(tmp_path):
    with OutputSet(tmp_path) as out:
        out.write_table(pd.DataFrame({"a": [1]}), "x.csv")
        out.write_text("first", "note.txt")
    assert (tmp_path / "note.txt").read_text() == "first"
    with pytest.raises(RuntimeError):
        with OutputSet(tmp_path) as out:
            out.write_table(pd.DataFrame({"a": [2]}), "x.csv")
            out.write_text("second", "note.txt")
            raise RuntimeError("boom")
    assert (tmp_path / "note.txt").read_text() == "first"
    assert pd.read_csv(tmp_path / "x.csv")["a"].tolist() == [1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["note.txt", "x.csv"]


def test_run_id_is_deterministic():
    t = {"demand": pd.DataFrame({"q": [1, 2]})}
    a = make_run_info("plan", default_config(), t, as_of="2026-01-05")
    b = make_run_info("plan", default_config(), t, as_of="2026-01-05")
    c = make_run_info("plan", default_config(), {"demand": pd.DataFrame({"q": [1, 3]})}, as_of="2026-01-05")
    assert a["run_id"] == b["run_id"] != c["run_id"]
    assert a["run_id"].startswith("plan-") and a["as_of"] == "2026-01-05"
    assert data_fingerprint(t) == data_fingerprint({"demand": pd.DataFrame({"q": [1, 2]})})
