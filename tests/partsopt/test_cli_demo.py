"""`partsopt demo`: the README's main command, end to end on the small network."""
from __future__ import annotations

import pandas as pd

from partsopt.cli import main


def test_demo_generates_validates_and_plans(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    for text in ("partsopt demo: small network, seed 0", "central", "regional", "dealer", "demand lines",
                 "stock value at cost", "intermittent", "lumpy", "Weekly plan as of", "order lines to place",
                 "orders.xlsx"):
        assert text in stdout, text
    assert (out / "data" / "parts.csv").is_file() and (out / "data" / "ground_truth" / "planted_defects.csv").is_file()
    assert (out / "plan" / "orders.xlsx").is_file()
    pol = pd.read_parquet(out / "plan" / "policies.parquet")
    assert len(pol) > 1000 and (pol["expected_hit_rate"] >= 0.95 - 1e-9).mean() > 0.95
    # the demo folder validates
    assert main(["validate", str(out / "data")]) == 0
