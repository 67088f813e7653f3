"""The real-data plots render from the CSVs the benchmarks write (synthetic CSVs here)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.real.plots import calibration_plot, rolling_plot


def _nguyen():
    grid = np.round(np.arange(0.75, 0.995, 0.01), 2)
    return pd.DataFrame([{"dataset": "MAN", "method": m, "target_fill_rate": t, "achieved_fill_rate_item_avg": t - d,
                          "achieved_fill_rate_total": t - 2 * d, "holding_cost_sum": 1000 * t}
                         for m, d in (("Croston", 0.03), ("SES", 0.05)) for t in grid])


def _rows(protocols_methods):
    targets = (0.8, 0.9, 0.95)
    return pd.DataFrame([{"protocol": p, "method": m, "target": t, "items": "nguyen", "fill_item_avg": t - 0.01,
                          "fill_item_avg_src": t - 0.1, "fill_total": t + 0.01}
                         for p, m in protocols_methods for t in targets])


def test_rolling_and_calibration_plots_write_pngs(tmp_path):
    res = tmp_path / "results"
    res.mkdir()
    out = tmp_path / "img"
    out.mkdir()
    assert rolling_plot(res, _nguyen(), "manufacturing", out) is None          # no file: nothing drawn
    _rows([("R0", "per item"), ("R0", "system"), ("R0", "system, units"), ("RL", "per item")]).to_csv(
        res / "real_tradeoff_manufacturing_rolling.manufacturing.csv", index=False)
    _rows([("B0", "selection"), ("S0", "system")]).to_csv(res / "real_tradeoff_manufacturing.manufacturing.csv",
                                                          index=False)
    for path in (rolling_plot(res, _nguyen(), "manufacturing", out),
                 calibration_plot(res, _nguyen(), "manufacturing", out)):
        assert path is not None and path.is_file()
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
