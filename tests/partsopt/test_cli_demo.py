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
    # the one-year replay and its report
    for text in ("Replay", "Hit rate", "On-time delivery", "Normal-order rate", "Misses by cause", "report.html"):
        assert text in stdout, text
    import json
    kpis = json.loads((out / "replay" / "kpis.json").read_text())
    for key in ("hit_rate", "fill_rate", "otd_rate", "normal_order_rate", "turnover", "avg_inventory_value",
                "holding_cost", "emergency_cost", "lines", "misses", "misses_by_cause"):
        assert key in kpis, key
    assert set(kpis["misses_by_cause"]) == {"data", "configuration", "execution"}
    assert sum(kpis["misses_by_cause"].values()) == kpis["misses"]
    assert 0.85 < kpis["hit_rate"] <= 1.0
    assert (out / "replay" / "report.html").is_file()
    # the demo folder validates
    assert main(["validate", str(out / "data")]) == 0
