"""The plan part of the benchmark suite (benchmarks/run_all.py): the size sweep's parts subsets and the
labelled memory projection.  Timings are not asserted (they are benchmarks, not tests)."""
from __future__ import annotations


import pandas as pd
import pytest

from partsopt.io import load
from bench_scripts import load_benchmark



def _run_all():
    return load_benchmark("run_all.py", "bench_run_all")


def test_parts_subset_keeps_first_parts_and_their_successors(tiny_dir, tmp_path):
    run_all = _run_all()
    folder, as_of = run_all.parts_subset(tiny_dir, "2024-02-12", 2, tmp_path / "sub" / "data")
    assert as_of == "2024-02-12"
    ds = load(folder)  # a valid dataset
    assert sorted(ds.parts["part"]) == ["P1", "P2", "P3"]  # P1, P2 and P2's successor P3
    full = load(tiny_dir)
    keep = {"P1", "P2", "P3"}
    assert len(ds.demand) == int(full.demand["part"].isin(keep).sum())
    assert len(ds.inventory) == int(full.inventory["part"].isin(keep).sum())
    pd.testing.assert_frame_equal(ds.locations, full.locations)
    # generated once: a second call reuses the folder
    assert run_all.parts_subset(tiny_dir, "2024-02-12", 2, tmp_path / "sub" / "data") == (folder, as_of)


def test_memory_projection_is_the_line_through_the_measured_sizes():
    run_all = _run_all()
    lines = run_all.memory_projection([(1_000_000, 6_000.0), (2_000_000, 11_000.0)], budget_mb=24_000.0)
    text = "\n".join(lines)
    assert "NOT measured" in text and "peak = 1,000 MB + 5,000 MB per million part-locations" in text
    assert "- 1M part-locations: ~5.9 GB peak (fits in 23 GB; issue-7 goal <= 8 GB met)" in text
    assert "- 5M part-locations: ~25.4 GB peak (does not fit" in text
    assert "largest plan that fits in 23 GB: ~4.6M part-locations" in text  # (24,000 - 1,000) / 5,000


@pytest.mark.parametrize("points", [[], [(204_728, 1_800.0)]])
def test_memory_projection_needs_two_sizes(points):
    lines = _run_all().memory_projection(points)
    assert lines == [] if not points else "at least two sizes" in lines[0]
