"""Repair history as it arrives: import the workshop's invoice lines, plan, and replay.

Run from the repository root::

    python -m benchmarks.real.workshop [--data-dir DIR] [--as-of 2018-06-04]
        [--out benchmarks/results/real_workshop.md]

Steps (all through the product's own entry points):

1. :func:`partsopt.importers.import_service_lines` on ``two_wheeler_service_lines.csv`` (free text
   normalised, labour/service/fee lines left out, one line = one unit, vehicle-model counts as the
   installed base, BOM failure rates from the history); the tables are written to a temporary
   folder and read back with :func:`partsopt.io.load` (the data contract's validation).
2. :func:`partsopt.pipeline.plan` as of ``--as-of`` with the default scenario (only lines before
   that date are used).  Note the installed-base rates in the BOM are estimated from the whole
   history (the importer sees the whole file), so for parts with little history before as-of the
   blended forecast carries some knowledge of later demand; the history part does not.
3. :func:`partsopt.simulate.simulate` replays the lines from as-of to the last day with those
   policies (initial stock at S, the part master's default 7-day lead time), giving the KPIs of
   DESIGN.md §6 (hit rate, fill rate, average stock in units, since no prices are known).
"""
from __future__ import annotations

import argparse
import sys
import datetime as _dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.real.common import ROOT, default_data_dir, machine, write_result
from partsopt.importers import import_service_lines
from partsopt.io import load, write_table
from partsopt.pipeline import plan
from partsopt.simulate import simulate


def run(data_dir: Path, as_of: str) -> dict:
    lines = pd.read_csv(data_dir / "two_wheeler_service_lines.csv")
    t0 = time.perf_counter()
    res = import_service_lines(lines)
    t_imp = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        for name, frame in res.tables.items():
            write_table(frame, Path(tmp) / f"{name}.csv")
        data = load(tmp)
        t0 = time.perf_counter()
        p = plan(data, as_of)
        t_plan = time.perf_counter() - t0
        end = data.demand["date"].max()
        t0 = time.perf_counter()
        sim = simulate(data, p.policies, as_of, end)
        t_sim = time.perf_counter() - t0
        by_class = sim.kpis_by("demand_class") if "demand_class" in sim.lines.columns else None
    top = (res.texts.sort_values("lines", ascending=False)
           .loc[:, ["text", "normalised", "part", "status", "reason", "lines"]].head(25))
    return {"summary": res.summary(), "texts": res.texts, "top": top, "plan": p, "sim": sim,
            "by_class": by_class, "times": {"import": t_imp, "plan": t_plan, "simulate": t_sim},
            "end": end, "issues": data.issues}


def _md(df: pd.DataFrame) -> list[str]:
    cols = list(df.columns)
    out = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        out.append("| " + " | ".join(f"{v:.4f}" if isinstance(v, (float, np.floating)) else str(v)
                                     for v in r.to_numpy()) + " |")
    return out


def report(r: dict, data_dir: Path, as_of: str, argv: str) -> str:
    sm, k = r["summary"], r["sim"].kpis
    pol = r["plan"].policies
    stocked = pol[pol["order_up_to"] > 0]
    kp = {key: k[key] for key in ("hit_rate", "fill_rate", "otd_rate", "lines", "misses", "avg_inventory_value",
                                   "turnover") if key in k}
    lines = [
        "# Workshop repair history: import, plan and replay",
        "",
        f"- Date: {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        f"- Data: `{data_dir}/two_wheeler_service_lines.csv` (read in place)",
        f"- Command: `python -m benchmarks.real.workshop {argv}`",
        f"- Times: import {r['times']['import']:.1f} s, plan {r['times']['plan']:.1f} s, "
        f"replay {r['times']['simulate']:.1f} s (one run, machine shared with other jobs).",
        "",
        "## Import",
        "",
        f"{sm['lines']} invoice lines: {sm['part_lines']} part lines kept, {sm['excluded_lines']} left out "
        f"(labour, services, fees); {sm['distinct_texts']} distinct texts became {sm['parts']} parts; "
        f"{sm['models']} vehicle models form the installed base. `partsopt validate` issues: {len(r['issues'])}.",
        "",
        "The 25 most frequent texts and what the importer made of them:",
        "",
        *_md(r["top"]),
        "",
        "## Plan and replay",
        "",
        f"Plan as of {as_of} (history before it), replay {as_of} .. {pd.Timestamp(r['end']).date()} with "
        f"`partsopt.simulate.simulate` (default scenario, one site, 7-day default lead time, start at S).",
        f"Part-locations planned: {len(pol)}, stocked (S > 0): {len(stocked)}; total S = "
        f"{stocked['order_up_to'].sum():.0f} units.",
        "",
        "| KPI | value |",
        "|---|---|",
        *[f"| {key} | {v:.4f} |" if isinstance(v, float) else f"| {key} | {v} |" for key, v in kp.items()],
        "",
    ]
    if r["by_class"] is not None:
        bc = r["by_class"]
        keep = [c for c in ("demand_class", "lines", "hit_rate", "fill_rate", "avg_inventory_value") if c in bc.columns]
        lines += ["By demand class:", "", *_md(bc[keep]), ""]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--as-of", default="2018-06-04")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "real_workshop.md"))
    args = ap.parse_args(argv)
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    r = run(data_dir, args.as_of)
    out = write_result(args.out, report(r, data_dir, args.as_of, " ".join(sys.argv[1:] if argv is None else argv)))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
