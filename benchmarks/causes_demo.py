"""Benchmark: miss root causes scored against the demo network's planted defects.

For each demo size: plan on the history 26 weeks before the demo's as-of (the
actual part master, and the true one from the ground truth), replay the 26 weeks
and attribute every miss by counterfactual replay
(:func:`partsopt.causes_eval.attribute_demo`); then run the diagnostic mode on
the same 26 weeks of actual history (:func:`partsopt.diagnose.diagnose`, no
plans given: the demo records none).  Both attributions are scored with
:func:`partsopt.causes_eval.score_attribution` (miss-level precision,
defect-level recall; definitions in that module).  One run per size (the
attribution is deterministic; the wall time is reported for information).

Usage::

    python benchmarks/causes_demo.py [--sizes small medium] [--seed 0]
        [--out benchmarks/results/causes_demo.md]
"""
from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from partsopt.causes_eval import attribute_demo, score_attribution  # noqa: E402
from partsopt.demo import generate  # noqa: E402
from partsopt.diagnose import diagnose  # noqa: E402
from partsopt.validate import validate_tables  # noqa: E402

WEEKS = 26


def _cpu() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        return platform.processor() or "unknown"


def _table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    rows = ["| " + " | ".join([df.index.name or ""] + cols) + " |", "|" + "---|" * (len(cols) + 1)]
    fmt = {c: (lambda v: f"{v:.3f}") if df[c].dtype.kind == "f" else str for c in cols}
    for i, idx in enumerate(df.index):
        cells = [fmt[c](df[c].iat[i]) for c in cols]
        rows.append("| " + " | ".join([str(idx)] + cells) + " |")
    return "\n".join(rows)


def run(size: str, seed: int) -> str:
    demo = generate(size, seed)
    planted, parts_true = demo.truth["planted_defects"], demo.truth["parts_true"]
    t0 = time.perf_counter()
    ds, res, pol, tpol = attribute_demo(demo, weeks=WEEKS, seed=seed)
    t_replay = time.perf_counter() - t0
    fam_r, def_r = score_attribution(res.misses, planted, parts_true, policies=pol, true_policies=tpol)
    start = demo.as_of - pd.Timedelta(weeks=WEEKS)
    end = demo.as_of - pd.Timedelta(days=1)
    t0 = time.perf_counter()
    diag = diagnose(validate_tables(demo.tables()), start=start, end=end, snapshot_date=demo.as_of)
    t_diag = time.perf_counter() - t0
    fam_d, def_d = score_attribution(diag, planted, parts_true)
    cols = ["attributed", "attributed_explained", "precision", "precision_excl_within_target", "defects", "active",
            "found", "recall", "recall_by_lift"]
    lines_n = int(res.kpis.get("lines", len(res.lines)))
    out = [f"## {size} (seed {seed}): {start.date()}..{end.date()}",
           "",
           f"Replay: {lines_n:,} lines, {len(res.misses):,} misses; plan x2 + replay + attribution "
           f"{t_replay:.1f} s wall.  Diagnosis: {len(diag):,} missed lines reconstructed from the records, "
           f"{t_diag:.1f} s wall.",
           "",
           "### Counterfactual replay (`attribute_demo`)", "", _table(fam_r[cols]), "",
           "Causes: " + ", ".join(f"{k} {v:,}" for k, v in res.misses["cause"].value_counts().items()), "",
           "Planted defects, by kind (active / found / found by lift):", "",
           _defects(def_r), "",
           "### Diagnostic mode on actual history (`diagnose`)", "", _table(fam_d[cols]), "",
           "Causes: " + ", ".join(f"{k} {v:,}" for k, v in diag["cause"].value_counts().items()), "",
           "Planted defects, by kind (active / found / found by lift):", "",
           _defects(def_d), ""]
    return "\n".join(out)


def _defects(d: pd.DataFrame) -> str:
    active = d["effective"] & (d["misses"] > 0)
    g = d.assign(active=active).groupby("defect").agg(defects=("defect", "size"), active=("active", "sum"),
                                                       misses=("misses", "sum"), found=("found", "sum"),
                                                       found_by_lift=("found_by_lift", "sum"))
    return _table(g)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["small", "medium"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "causes_demo.md"))
    args = ap.parse_args(argv)
    head = ["# Miss root causes on the demo's planted defects", "",
            f"Machine: {_cpu()}, 2 cores; run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; "
            f"`python benchmarks/causes_demo.py --sizes {' '.join(args.sizes)} --seed {args.seed}`.", "",
            "Precision is miss-level (misses attributed to a family that fall in the footprint of a planted "
            "defect of that family), recall defect-level (planted defects with misses, of which most — at least "
            "half — are attributed to the defect's family; `recall_by_lift` also counts a defect whose share of "
            "its family is >= 3x the share outside the footprints).  Data defects count only if they change the "
            "plan (`effective`).  Definitions: `partsopt/causes_eval.py`.", ""]
    body = [run(s, args.seed) for s in args.sizes]
    Path(args.out).write_text("\n".join(head + body))


if __name__ == "__main__":
    main()
