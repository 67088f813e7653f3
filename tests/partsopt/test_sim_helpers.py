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
