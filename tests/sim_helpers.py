"""Small in-memory datasets for the simulator tests."""
from __future__ import annotations

import numpy as np
import pandas as pd

from partsopt.validate import validate_tables

START = pd.Timestamp("2001-01-01")  # a Monday


def dataset(parts, locations, demand, **extra):
    tables = {"parts": pd.DataFrame(parts), "locations": pd.DataFrame(locations), "demand": pd.DataFrame(demand)}
    for k, v in extra.items():
        tables[k] = pd.DataFrame(v)
    return validate_tables(tables)


def poisson_lines(rate: float, days: int, *, part="P", location="W", seed=0, start=START, promise=0):
    """One demand line per day with Poisson(rate) units (days with zero demand have no line)."""
    rng = np.random.default_rng(seed)
    q = rng.poisson(rate, size=days)
    d = np.flatnonzero(q > 0)
    dates = start + pd.to_timedelta(d, unit="D")
    return pd.DataFrame({"date": dates, "part": part, "location": location, "qty": q[d].astype(np.int64),
                         "promised_date": dates + pd.Timedelta(days=promise)})


def batch_means(x: np.ndarray, w: np.ndarray | None = None, batches: int = 30):
    """Ratio estimate Σx/Σw and its standard error from batch means (w = weights, default 1)."""
    x = np.asarray(x, float)
    w = np.ones_like(x) if w is None else np.asarray(w, float)
    n = len(x) // batches * batches
    xb = x[:n].reshape(batches, -1).sum(1)
    wb = w[:n].reshape(batches, -1).sum(1)
    r = xb / wb
    return xb.sum() / wb.sum(), r.std(ddof=1) / np.sqrt(batches)


DAY = pd.Timedelta(days=1)


def network(days=200, tail=0, seed=0, sd=4.0, receipts=True, n_parts=3):
    """CW → RW → (D1, D2), a few parts with random demand at RW, D1, D2 for ``days`` days,
    then ``tail`` days without demand."""
    rng = np.random.default_rng(seed)
    parts = {"part": [f"P{i}" for i in range(n_parts)], "unit_cost": 10.0 + np.arange(n_parts),
             "unit_price": 15.0 + np.arange(n_parts), "lead_time_days": 12.0,
             "lead_time_sd_days": sd, "pack_size": [1, 5, 1][:n_parts] + [1] * max(0, n_parts - 3),
             "moq": [1, 10, 1][:n_parts] + [1] * max(0, n_parts - 3),
             "criticality": (["A", "B", "C"] * n_parts)[:n_parts]}
    locs = {"location": ["CW", "RW", "D1", "D2"], "parent": ["", "CW", "RW", "RW"],
            "transit_days": [0, 3, 1, 2], "review_days": [7, 7, 7, 14], "emergency_days": [3, 1, 1, 1],
            "emergency_cost": [50, 30, 20, 20], "order_cost": [5, 3, 2, 2]}
    rows = []
    for p in parts["part"]:
        for loc, rate in (("RW", 0.15), ("D1", 0.4), ("D2", 0.3)):
            q = rng.poisson(rate, size=days)
            for d in np.flatnonzero(q):
                rows.append((START + d * DAY, p, loc, int(q[d]), START + (d + int(rng.integers(0, 3))) * DAY))
    demand = pd.DataFrame(rows, columns=["date", "part", "location", "qty", "promised_date"])
    extra = {}
    if receipts:
        # enough history for the RW leg of P0 to be bootstrapped (5 receipts of 4..6 days)
        od = START - pd.to_timedelta([200, 170, 140, 110, 80], unit="D")
        extra["receipts"] = {"part": ["P0"] * 5, "location": ["RW"] * 5, "order_date": od, "qty": [2.0] * 5,
                             "received_date": od + pd.to_timedelta([4, 5, 6, 4, 5], unit="D"),
                             "order_type": ["normal"] * 5}
    ds = dataset(parts, locs, demand, **extra)
    pol = pd.DataFrame([(p, loc, s, S) for p in parts["part"]
                        for loc, s, S in (("CW", 4, 10), ("RW", 2, 5), ("D1", 1, 3), ("D2", 1, 3))],
                       columns=["part", "location", "reorder_point", "order_up_to"])
    end = START + (days + tail - 1) * DAY
    return ds, pol, end
