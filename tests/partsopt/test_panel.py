"""The period panel: vectorised aggregation checked against a plain per-line loop."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from partsopt.panel import build_panel, period_start


def _random_lines(seed=0, n=3000):
    rng = np.random.default_rng(seed)
    dates = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    return pd.DataFrame({
        "date": dates,
        "part": rng.choice([f"P{i}" for i in range(40)], n),
        "location": rng.choice(["D1", "D2", "D3", "RW"], n),
        "qty": rng.integers(1, 5, n),
    })


def _reference(lines, freq):
    """Plain loop: period start of each line by pandas' own calendar logic."""
    if freq == "W":
        starts = [d - pd.Timedelta(days=d.weekday()) for d in lines["date"]]
    elif freq == "M":
        starts = [d.replace(day=1) for d in lines["date"]]
    else:
        starts = list(lines["date"])
    out = {}
    for s, p, l, q in zip(starts, lines["part"], lines["location"], lines["qty"]):
        out[(p, l, s.normalize())] = out.get((p, l, s.normalize()), 0) + q
    return out


@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_panel_equals_plain_loop(freq):
    lines = _random_lines()
    panel = build_panel(lines, freq=freq)
    ref = _reference(lines, freq)
    got = {}
    for i, (p, l) in enumerate(panel.keys.itertuples(index=False)):
        for j in np.flatnonzero(panel.values[i]):
            got[(p, l, panel.periods[j])] = panel.values[i, j]
    assert got == ref
    assert panel.values.sum() == lines["qty"].sum()
    # first = first column with demand
    np.testing.assert_array_equal(panel.first, (panel.values > 0).argmax(axis=1))
    # periods are consecutive and complete
    if freq == "W":
        assert (panel.periods.dayofweek == 0).all()
        assert (np.diff(panel.periods.values).astype("timedelta64[D]").astype(int) == 7).all()
    if freq == "M":
        assert (panel.periods.day == 1).all()


def test_weeks_start_on_monday():
    d = pd.to_datetime(["2024-01-01", "2024-01-07", "2024-01-08", "2023-12-31"])  # Mon, Sun, Mon, Sun
    starts = period_start(d, "W").astype("datetime64[ns]")
    assert list(pd.DatetimeIndex(starts).strftime("%Y-%m-%d")) == ["2024-01-01", "2024-01-01", "2024-01-08", "2023-12-25"]


def test_start_end_keys_and_zero_series():
    lines = _random_lines(1, 200)
    keys = pd.DataFrame({"part": ["P3", "NOPE", "P1"], "location": ["D1", "D1", "D2"]})
    panel = build_panel(lines, freq="W", start="2023-03-01", end="2023-06-30", keys=keys)
    assert panel.keys["part"].tolist() == ["P3", "NOPE", "P1"]
    assert panel.periods[0] == pd.Timestamp("2023-02-27") and panel.periods[-1] == pd.Timestamp("2023-06-26")
    assert panel.values[1].sum() == 0 and panel.first[1] == panel.shape[1]
    inside = lines[(lines["date"] >= "2023-02-27") & (lines["date"] <= "2023-07-02")]
    sel = inside[(inside["part"] == "P3") & (inside["location"] == "D1")]
    assert panel.values[0].sum() == sel["qty"].sum()


def test_from_first_and_long_frame():
    lines = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-01-22", "2024-01-15"]),
                          "part": ["A", "A", "B"], "location": ["X", "X", "X"], "qty": [2, 1, 5]})
    panel = build_panel(lines)
    np.testing.assert_array_equal(panel.from_first()[1], [np.nan, np.nan, 5, 0])
    long = panel.to_frame()
    assert len(long) == 4 + 2  # A from week 0, B from week 2
    assert long["qty"].sum() == 8


def test_network_level_series():
    lines = _random_lines(2, 500)
    panel = build_panel(lines, by=("part",))
    assert list(panel.keys.columns) == ["part"]
    assert panel.values.sum() == lines["qty"].sum()


def test_bad_freq():
    with pytest.raises(ValueError, match="freq must be one of"):
        build_panel(_random_lines(0, 10), freq="Q")
