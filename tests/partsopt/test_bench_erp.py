"""benchmarks/erp_export.py judges issue 5's goal (1M policy rows to PostgreSQL in <= 60 s) only at
1M rows: a smoke run at a small size must not print "Goal met".  Timings are not asserted."""
from __future__ import annotations

from bench_scripts import load_benchmark



def _bench():
    return load_benchmark("erp_export.py", "bench_erp_export")


def test_goal_is_judged_only_at_one_million_rows():
    b = _bench()
    small = b.goal_verdict(5_000, 0.3, 0.2)
    assert small.startswith("Goal not evaluated") and "5,000 rows" in small and "Goal met" not in small
    assert b.goal_verdict(1_000_000, 39.5, 30.3).startswith("Goal met: yes (first export median 39.5 s ≤ 60 s")
    assert b.goal_verdict(1_000_000, 61.0, 30.0).startswith("Goal met: NO (first export median 61.0 s > 60 s")
