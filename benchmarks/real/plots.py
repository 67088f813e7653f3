"""Plots of the real-data results for docs/results.md (from the CSVs the benchmarks write).

Run from the repository root after ``benchmarks.real.tradeoff`` and ``benchmarks.real.refinery``::

    python -m benchmarks.real.plots [--results benchmarks/results] [--data-dir DIR] [--out docs/img]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.real.common import ROOT, default_data_dir  # noqa: E402
from partsopt.config import default_config  # noqa: E402

NG = {"raf": "RAF", "manufacturing": "MAN", "auto": "AUTO"}


def calibration_plot(results: Path, nguyen: pd.DataFrame, ds: str, out: Path) -> Path | None:
    # the per-dataset run (``--out real_tradeoff_<ds>.md``) writes real_tradeoff_<ds>.<ds>.csv; the
    # default --out writes real_tradeoff.<ds>.csv
    found = [f for f in (results / f"real_tradeoff_{ds}.{ds}.csv", results / f"real_tradeoff.{ds}.csv") if f.is_file()]
    if not found:
        return None
    df = pd.read_csv(found[0])
    if "items" in df.columns:                      # Nguyen's item set, as the comparison
        df = df[df["items"] == "nguyen"]
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ng = nguyen[nguyen["dataset"] == NG[ds]]
    for m, g in ng.groupby("method"):
        ax.plot(g["target_fill_rate"], g["achieved_fill_rate_item_avg"], color="0.75", lw=1)
    ax.plot([], [], color="0.75", lw=1, label="Nguyen (2023) methods, item avg")
    for proto, m, style, label in (("A", "selection", "C0--", "protocol A, partsopt selection (our replay)"),
                                   ("B0", "selection", "C1-o", "partsopt pipeline, lead time 0"),
                                   ("BL", "selection", "C2-s", "partsopt pipeline, dataset lead times"),
                                   ("S0", "system", "C3-^", "partsopt system approach, lead time 0")):
        g = df[(df["protocol"] == proto) & (df["method"] == m)]
        if len(g):
            ax.plot(g["target"], g["fill_item_avg_src"], style, ms=4, label=label)
    ax.plot([0.75, 0.99], [0.75, 0.99], "k:", lw=1, label="achieved = target")
    ax.set_xlabel("target fill rate")
    ax.set_ylabel("achieved fill rate (item average)")
    ax.set_title(f"{NG[ds]}: target vs achieved fill rate (test window)")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path = out / f"real_calibration_{ds}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


ROLLING_STYLES = (("R0", "per item", "C1-o", "rolling plan, per item, lead time 0"),
                  ("R0", "system", "C3-^", "rolling plan, system approach (item average), lead time 0"),
                  ("R0", "system, units", "C4-v", "rolling plan, system approach (units), lead time 0"),
                  ("RL", "per item", "C2--s", "rolling plan, per item, dataset lead times"))


def rolling_plot(results: Path, nguyen: pd.DataFrame, ds: str, out: Path) -> Path | None:
    """Target vs achieved fill rate of the rolling plan (``--protocols R``, file
    ``real_tradeoff_<ds>_rolling.<ds>.csv``): left the item average over the items with test demand,
    right total units, with the published Nguyen curves of the same measure in grey (their item
    average is in the source's convention)."""
    f = results / f"real_tradeoff_{ds}_rolling.{ds}.csv"
    if not f.is_file():
        return None
    df = pd.read_csv(f)
    if "items" in df.columns:
        df = df[df["items"] == "nguyen"]
    ng = nguyen[nguyen["dataset"] == NG[ds]]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    for ax, col, ncol, title in ((axes[0], "fill_item_avg", "achieved_fill_rate_item_avg",
                                  "item average (ours: items with test demand)"),
                                 (axes[1], "fill_total", "achieved_fill_rate_total", "total units")):
        for _, g in ng.groupby("method"):
            ax.plot(g["target_fill_rate"], g[ncol], color="0.75", lw=1)
        ax.plot([], [], color="0.75", lw=1, label="Nguyen (2023) methods, published")
        for proto, m, style, label in ROLLING_STYLES:
            g = df[(df["protocol"] == proto) & (df["method"] == m)]
            if len(g):
                ax.plot(g["target"], g[col], style, ms=4, label=label)
        ax.plot([0.75, 0.99], [0.75, 0.99], "k:", lw=1, label="achieved = target")
        ax.set_xlabel("target fill rate")
        ax.set_title(title, fontsize=10)
    axes[0].set_ylabel("achieved fill rate (test window)")
    axes[0].set_ylim(0.6, 1.0)
    axes[1].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"{NG[ds]}: the plan re-fitted and re-set every period", fontsize=11)
    fig.tight_layout()
    path = out / f"real_rolling_{ds}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def refinery_plot(results: Path, out: Path) -> Path | None:
    f = results / "real_refinery.curve.csv"
    if not f.is_file():
        return None
    df = pd.read_csv(f)
    fig, ax = plt.subplots(figsize=(6, 4.2))
    labels = {"system": "partsopt system approach", "item_prior": "partsopt per item",
              "system_post": "system approach, posterior predictive", "pooled_post": "the same, one price"}
    variants = df["variant"].unique() if "variant" in df.columns else [None]
    for i, v in enumerate(variants):
        for crit, style in (("all", "-o"), ("all with history", "--s")):
            g = df[(df["criticality"] == crit) & ((df["variant"] == v) if v is not None else True)]
            if len(g):
                ax.plot(g["stock_value"] / 1e6, g["fill_rate"], f"C{2 * i}{style}" if crit == "all" else f"C{2 * i + 1}{style}",
                        ms=4, label=f"{labels.get(v, 'partsopt (s, S)')}, {crit}")
    comp = pd.read_csv(results / "real_refinery.company.csv") if (results / "real_refinery.company.csv").is_file() else None
    if comp is not None:
        for crit, mk in (("all", "k*"), ("all with history", "C8*")):
            r = comp[comp["criticality"] == crit]
            if len(r):
                ax.plot(r["stock_value"] / 1e6, r["fill_rate"], mk, ms=12, label=f"company Min/Max, {crit}")
    # partsopt's default service level (the product's default configuration) on the pooled curve
    level = float(default_config()["service"]["level"])
    if "variant" in df.columns:
        r = df[(df["variant"] == "pooled_post") & (df["criticality"] == "all")
               & np.isclose(df["target"].astype(float), level)]
        if len(r):
            ax.plot(r["stock_value"] / 1e6, r["fill_rate"], "rD", ms=8, mfc="none",
                    label=f"pooled, default service level {level:g}")
    ax.set_xlabel("average stock value (millions, test window)")
    ax.set_ylabel("achieved fill rate (units)")
    ax.set_xscale("log")
    ax.set_title("Refinery: partsopt (targets 0.80-0.99) vs company Min/Max", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path = out / "real_refinery_tradeoff.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--out", default=str(ROOT / "docs" / "img"))
    args = ap.parse_args(argv)
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    nguyen = pd.read_csv(data_dir / "benchmark_nguyen2023_fill_rates.csv")
    made = [calibration_plot(Path(args.results), nguyen, ds, out) for ds in NG]
    made += [rolling_plot(Path(args.results), nguyen, ds, out) for ds in NG]
    made.append(refinery_plot(Path(args.results), out))
    for p in made:
        if p is not None:
            print(f"wrote {p}")


if __name__ == "__main__":
    main()
