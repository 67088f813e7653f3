"""A small seeded network for the report / what-if / simulate-CLI tests (not the demo generator).

One central warehouse CW → one regional RW → three dealers, 24 parts with
Poisson demand lines (rates 0.01–0.6 lines/day per dealer, sizes 1–3) over
two years, no receipts (lead times from the part master).  Small enough that
planning it takes about a second, big enough that the service level matters.
Tests import it as ``from report_data import write_network``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

START = pd.Timestamp("2024-01-01")
DAYS = 730
DEALERS = ("D1", "D2", "D3")


def network_tables(seed: int = 3, n_parts: int = 24) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    parts = pd.DataFrame({
        "part": [f"P{i:03d}" for i in range(n_parts)],
        "unit_cost": np.round(rng.uniform(5, 400, n_parts), 2),
        "lead_time_days": rng.integers(14, 42, n_parts),
        "lead_time_sd_days": 0.0,
        "pack_size": 1,
        "moq": 1,
        "criticality": rng.choice(["A", "B", "C"], n_parts),
    })
    parts["lead_time_sd_days"] = np.round(parts["lead_time_days"] * 0.3, 1)  # suppliers vary: some misses
    parts["unit_price"] = np.round(parts["unit_cost"] * rng.uniform(1.2, 1.6, n_parts), 2)
    locations = pd.DataFrame({
        "location": ["CW", "RW", *DEALERS], "parent": ["", "CW", "RW", "RW", "RW"],
        "kind": ["central", "regional", "dealer", "dealer", "dealer"], "transit_days": [0, 3, 2, 2, 2],
        "review_days": 7, "emergency_days": [2, 1, 1, 1, 1], "emergency_cost": [40, 25, 15, 15, 15],
        "holding_rate": 0.25, "order_cost": [5, 3, 2, 2, 2]})
    rates = np.exp(rng.uniform(np.log(0.01), np.log(0.6), (n_parts, len(DEALERS))))
    counts = rng.poisson(rates[:, :, None] * np.ones(DAYS))  # part x dealer x day
    p, d, t = np.nonzero(counts)
    reps = counts[p, d, t]
    p, d, t = np.repeat(p, reps), np.repeat(d, reps), np.repeat(t, reps)
    dates = START + pd.to_timedelta(t, unit="D")
    demand = pd.DataFrame({"date": dates, "part": parts["part"].to_numpy()[p],
                           "location": np.asarray(DEALERS)[d], "qty": rng.geometric(0.7, len(p)).clip(1, 3)})
    demand = demand.sort_values(["date", "part", "location"], kind="stable").reset_index(drop=True)
    demand["line_id"] = [f"L{i:06d}" for i in range(len(demand))]
    demand["promised_date"] = demand["date"] + pd.to_timedelta(rng.integers(0, 3, len(demand)), unit="D")
    last = pd.Timestamp(demand["date"].max())
    inventory = pd.DataFrame({"part": np.repeat(parts["part"].to_numpy(), 2),
                              "location": np.tile(["CW", "D1"], n_parts), "on_hand": 2, "on_order": 0,
                              "backorders": 0})
    return {"parts": parts, "locations": locations, "demand": demand, "inventory": inventory,
            "_last": pd.DataFrame({"last": [last]})}


def write_network(folder: Path, seed: int = 3, n_parts: int = 24) -> Path:
    """Write the network's tables as CSV files into ``folder`` (created) and return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in network_tables(seed, n_parts).items():
        if name.startswith("_"):
            continue
        frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    return folder
