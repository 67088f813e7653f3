"""Shared fixtures for the forecasting tests: seeded mixed panels and test data."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "forecasting"
SHARED_REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
SHARED_REAL_ALT = Path("/work/shared/data/real")


def shared_real(name: str) -> Path | None:
    """Path of a file of the shared real-data folder, or None when absent (CI)."""
    for base in (SHARED_REAL, SHARED_REAL_ALT):
        if (base / name).exists():
            return base / name
    return None


def mixed_panel(n: int = 1200, t: int = 60, seed: int = 20261122) -> np.ndarray:
    """Seeded panel mixing smooth, intermittent, lumpy, fractional and edge series."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.03, 1.0, n)[:, None]
    sizes = rng.poisson(rng.uniform(0.3, 8.0, n)[:, None], (n, t)) + 1.0
    y = (rng.random((n, t)) < p) * sizes
    # lumpy block: negative-binomial sizes
    a, b, c = n // 12, n // 6, n // 6 + n // 20
    y[a:b] = (rng.random((b - a, t)) < 0.2) * rng.negative_binomial(1, 0.1, (b - a, t))
    # fractional demand
    y[b:c] = y[b:c] * rng.uniform(0.2, 3.0, (c - b, t))
    # edge rows
    y[0] = 0.0
    y[1] = 0.0
    y[1, 0] = 3.0                      # single first
    y[2] = 0.0
    y[2, -1] = 5.0                     # single last
    y[3] = 1.0                         # constant
    y[4] = 0.0
    y[4, ::2] = 1.0                    # every second
    y[5] = 0.0
    y[5, [0, -1]] = 2.0                # first and last
    y[6] = 0.0
    y[6, t // 2] = 40.0                # one spike
    y[7] = 0.0
    y[7, :3] = [4.0, 1.0, 2.0]         # early obsolete
    y[8] = 0.0
    y[8, -2] = 1.0                     # demand then one trailing zero
    return y


@pytest.fixture(scope="session")
def panel() -> np.ndarray:
    return mixed_panel()


@pytest.fixture(scope="session")
def pbs() -> np.ndarray:
    import pandas as pd
    return pd.read_csv(DATA / "pbs_immunoglobulins_monthly.csv")["Scripts"].to_numpy(float)


@pytest.fixture(scope="session")
def make_panel():
    """The :func:`mixed_panel` factory (test modules cannot import conftest)."""
    return mixed_panel


@pytest.fixture(scope="session")
def shared_real_file():
    """``shared_real(name)``: path in the shared real-data folder or None (CI)."""
    return shared_real
