"""`partsopt diagnose`: the diagnostic mode from the command line."""
from __future__ import annotations

import pandas as pd

from partsopt.cli import main


def test_diagnose_writes_misses_and_causes(tiny_dir, tmp_path, capsys):
    out = tmp_path / "diag"
    assert main(["diagnose", str(tiny_dir), "--start", "2024-01-01", "--end", "2024-02-06", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "Diagnosis 2024-01-01 – 2024-02-06" in stdout
    misses = pd.read_csv(out / "misses.csv")
    causes = pd.read_csv(out / "causes.csv")
    assert {"line_id", "date", "part", "location", "qty", "cause", "cause_detail"} <= set(misses.columns)
    assert misses["cause"].str.match(r"^(data|configuration|execution)\.").all()
    assert causes["lines"].sum() == len(misses)


def test_diagnose_bad_period_exit_2_nothing_written(tiny_dir, tmp_path, capsys):
    out = tmp_path / "diag"
    assert main(["diagnose", str(tiny_dir), "--start", "2024-01-01", "--end", "2030-01-01", "--out", str(out)]) == 2
    assert "before the inventory snapshot" in capsys.readouterr().err
    assert not out.exists()
    assert main(["diagnose", str(tiny_dir), "--start", "2024-01-01", "--end", "2024-02-06", "--out", str(out),
                 "--plans", str(tmp_path / "nope")]) == 2
    assert "orders.parquet" in capsys.readouterr().err
