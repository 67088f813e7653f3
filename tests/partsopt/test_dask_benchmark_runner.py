"""Smoke test of the benchmark suite's runner (benchmarks/run_all.py) at tiny sizes.

The full suite is a benchmark, not a test; this only checks that one command runs a partsopt case
and its peer in fresh processes and writes the result table with the medians, the memory and the
ratio (the figures themselves are not asserted: timings are not tests)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_run_all_quick_writes_the_result_table(tmp_path):
    out = tmp_path / "result.md"
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--quick", "--only", "zf",
                        "--set", "zf=50", "--set", "zf_peer=1", "--out", str(out), "--work", str(tmp_path)],
                       capture_output=True, text=True, timeout=120, cwd=str(ROOT))
    assert p.returncode == 0, p.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Benchmark suite results (quick smoke run)\n")
    assert "machine:" in text and "load average" in text
    rows = [ln for ln in text.splitlines() if ln.startswith("| partsopt") or ln.startswith("| stockpyl")]
    assert len(rows) == 2
    for row in rows:  # median, min, max in seconds, then the peak memory
        assert re.search(r"\| \d+\.\d\d s \| \d+\.\d\d s \| \d+\.\d\d s \| [\d,]+ MB \|", row), row
    assert re.search(r"throughput ratio partsopt / stockpyl: \*\*[\d,]+x\*\*", text)


def test_run_all_rejects_an_unknown_group(tmp_path):
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--only", "nope",
                        "--out", str(tmp_path / "x.md")], capture_output=True, text=True, timeout=60, cwd=str(ROOT))
    assert p.returncode == 2 and "unknown group" in p.stderr
    assert not (tmp_path / "x.md").exists()
