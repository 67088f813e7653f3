"""Refinery diagnostic: is partsopt's fill-rate model calibrated in-sample on the refinery data?

Run from the repository root::

    python -m benchmarks.real.refinery_insample [--data-dir DIR]

The per-item (s, S) of the pipeline (backtest selection, ``optimize_single``; the ``item_hist``
variant of ``benchmarks.real.refinery`` with the ``auto`` forecast) at target 0.95 (uniform), for
the materials with demand in 1997-99, replayed on the months they were fitted on (1998-01..1999-12 after a 12-month
warm-up; look-ahead by construction - a diagnostic, not a result).  Compare with the same policies'
fill rate in the test window (0.804 in the first version of ``benchmarks/results/real_refinery.md``) to separate model calibration from demand shifting between the two periods.
Prints the fill rate (units), hit rate and item-average fill rate.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks.real.common import choose_methods, default_data_dir, load_refinery, moments, pipeline_policy
from benchmarks.real.refinery import N_TRAIN
from benchmarks.real.replay import ss_replay


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--target", type=float, default=0.95)
    args = ap.parse_args(argv)
    d = load_refinery(Path(args.data_dir) if args.data_dir else default_data_dir())
    y, L, price = d["y"], d["lead_months"], d["price"]
    train = np.maximum(y[:, :N_TRAIN], 0.0)
    mean, var = moments(train, choose_methods(train, "auto"))
    h = mean > 0
    cost = np.where(price > 0, price, 0.01)
    p = pipeline_policy(mean[h], var[h], lead_time=L[h], unit_cost=cost[h], target_level=args.target,
                        periods_per_year=12.0)
    o = ss_replay(y[h, :N_TRAIN], p["reorder_point"].to_numpy(), p["order_up_to"].to_numpy(), L[h],
                  start=0, measure_from=12)
    fr = np.where(o["demand"] > 0, o["supplied"] / np.maximum(o["demand"], 1e-12), np.nan)
    print(f"materials with history: {int(h.sum())}; target {args.target}")
    print(f"in-sample fill rate (units) {o['supplied'].sum() / o['demand'].sum():.4f}, "
          f"hit rate {o['lines_hit'].sum() / o['lines'].sum():.4f}, item-average fill {np.nanmean(fr):.4f}, "
          f"model's expected fill (mean over materials) {np.nanmean(p['expected_fill_rate']):.4f}")


if __name__ == "__main__":
    main()
