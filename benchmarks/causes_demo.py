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
    Path(args.out).write_text("\n".join(head + body + [READING]))


READING = """## Reading the numbers

* **Configuration precision is low in both modes by construction**: configuration is the default family,
  so every ordinary miss (random demand against a finite target; the legacy min/max policy of the demo
  history misses ~16 % of lines everywhere) lands there, mostly as `configuration.service_level` (replay:
  also `within_target`), outside every planted footprint.  Its recall is what measures the planted
  configuration defects (0.96 / 1.00 replay, 0.81 / 0.84 diagnosis on small / medium).
* **Short master lead times are not active in the replay**: partsopt's planner replaces the master lead time
  by the receipts' mean where a part-location has >= 3 receipts (`partsopt.leadtimes`), so the true-data plan
  equals the actual plan on those parts (`effective` false) -- the defect is already corrected by the
  planner.  The diagnosis, which judges the legacy history, finds 12/12 (small) and 72-73/73 (medium).
* **Late dealers are location-wide footprints**: most of a late dealer's misses are its ordinary ones, so
  "mostly execution" is out of reach (0 found by majority in the replay); the execution share there is
  20-35x the share elsewhere (small), hence `recall_by_lift` 1.0 (small) and 0.6 / 0.9 (medium replay /
  diagnosis).
* **Unlinked supersessions, replay, medium**: only 5 of 11 found by lift, 0 by majority: the true-data plan
  (linked history) turns few of the successors' misses into hits (not analysed further).
* **Diagnosis data precision 0.70 / 0.55**: on small every `data.lead_time_master` miss is on a planted
  part; the unexplained data misses are on genuinely new parts (lifecycle "new" in `parts_true`: 5 % of the
  demo's families are introduced in the last 26 weeks) -- a real data cause (no history), not a planted one.
"""


if __name__ == "__main__":
    main()
