"""Load a script of ``benchmarks/`` as a module, for tests of its pure functions (goal verdicts,
protocol replays); timings are never asserted."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_benchmark(filename: str, module_name: str | None = None):
    """``benchmarks/<filename>`` imported under ``module_name`` (default ``bench_<stem>``)."""
    path = ROOT / "benchmarks" / filename
    spec = importlib.util.spec_from_file_location(module_name or f"bench_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
