"""Method selection (class rules, rolling-origin backtest) and long-table functions."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecasting as F


def test_select_by_class_default_rules_and_override():
    cls = ["smooth", "erratic", "intermittent", "lumpy", "new", "dead"]
    assert list(F.select_by_class(cls)) == ["ses", "sba", "sba", "sba", "tsb", "tsb"]
    got = F.select_by_class(pd.Categorical(cls), rules={"lumpy": "imapa"})
    assert got[3] == "imapa" and got[0] == "ses"
    with pytest.raises(ValueError, match="unknown demand classes"):
        F.select_by_class(cls, rules={"slow": "ses"})
    with pytest.raises(ValueError, match="method must be one of"):
        F.select_by_class(cls, rules={"lumpy": "magic"})
    with pytest.raises(ValueError, match=r"received 'weird' at position 1"):
        F.select_by_class(["smooth", "weird"])


def _manual_scores(y, methods, h, origins):
    """Per-series loop: fit on y[:o] only, RMSE over y[o:o+h], mean over cut-offs."""
    out = {m: np.zeros(y.shape[0]) for m in methods}
    for r in range(y.shape[0]):
        for m in methods:
            vals = []
            for o in origins:
                pred = F.forecast(y[r, :o], h, m)[0]
                vals.append(np.sqrt(np.mean((y[r, o:o + h] - pred) ** 2)))
            out[m][r] = np.mean(vals)
    return out


def test_backtest_scores_match_per_series_computation(make_panel):
    y = make_panel(n=24, t=30, seed=9)
    methods = ["croston", "tsb", "ses", "sba"]
    got = F.backtest_scores(y, methods, h=3, n_origins=4, step=2)
    want = _manual_scores(y, methods, 3, [30 - 3 - 6, 30 - 3 - 4, 30 - 3 - 2, 30 - 3])
    for m in methods:
        np.testing.assert_allclose(got[m], want[m], rtol=1e-12)


def test_backtest_has_no_look_ahead(make_panel):
    """Scores for cut-offs ending before period c do not change when data from c on
    change: only the test windows that contain those periods move."""
    y = make_panel(n=30, t=40, seed=4)
    base = F.backtest_scores(y[:, :34], ["sba", "tsb"], h=2, n_origins=3)
    y2 = y.copy()
    y2[:, 34:] = 99.0                       # future beyond the last test window
    again = F.backtest_scores(y2[:, :34], ["sba", "tsb"], h=2, n_origins=3)
    for m in base:
        np.testing.assert_array_equal(base[m], again[m])
    # and a change inside the last test window moves only that window's loss
    y3 = y[:, :34].copy()
    y3[:, 33] += 5.0
    moved = F.backtest_scores(y3, ["sba"], h=2, n_origins=3)["sba"]
    first_two = F.backtest_scores(y[:, :32], ["sba"], h=2, n_origins=2)["sba"]
    first_two3 = F.backtest_scores(y3[:, :32], ["sba"], h=2, n_origins=2)["sba"]
    np.testing.assert_array_equal(first_two, first_two3)
    assert (moved != base["sba"]).all()


def test_select_by_backtest_picks_the_obvious_winner():
    t = 60
    obsolete = np.zeros(t)
    obsolete[:30:2] = 4.0                   # demand stops half-way: TSB decays, Croston not
    trend = np.arange(t, dtype=float) * 0.5 + 2.0
    y = np.vstack([obsolete, trend])
    res = F.select_by_backtest(y, ["croston", "tsb", "ses", "holt"], h=4, n_origins=3,
                               index=["obsolete", "trend"], params={"holt": {"alpha": 0.5,
                                                                             "beta": 0.3}})
    intermittent = F.select_by_backtest(obsolete, ["croston", "sba", "tsb"], h=4)
    assert intermittent["method"].iloc[0] == "tsb"
    assert res.loc["trend", "method"] == "holt"
    assert res.loc["trend", "score"] == res.loc["trend", "score_holt"]
    assert {"score_croston", "score_tsb", "score_ses", "score_holt"} <= set(res.columns)


def test_select_by_backtest_losses_and_errors(make_panel):
    y = make_panel(n=20, t=36, seed=2)
    for loss in F.LOSSES:
        res = F.select_by_backtest(y, ["sba", "tsb"], h=3, loss=loss)
        assert res["method"].isin(["sba", "tsb"]).all()
    zero = F.select_by_backtest(np.zeros((1, 20)), ["sba", "tsb"], h=2, loss="rmsse")
    assert zero["method"].iloc[0] == "sba" and np.isnan(zero["score"].iloc[0])
    with pytest.raises(ValueError, match="loss must be one of"):
        F.select_by_backtest(y, ["sba"], loss="mape")
    with pytest.raises(ValueError, match="not enough history"):
        F.select_by_backtest(y, ["sba"], h=12, n_origins=4)
    with pytest.raises(ValueError, match="method must be one of"):
        F.select_by_backtest(y, ["sba", "nope"])


def test_panel_from_long_sums_and_fills_zero():
    df = pd.DataFrame({"part": ["a", "a", "a", "b"], "location": ["x", "x", "x", "y"],
                       "date": ["2024-01-01", "2024-01-03", "2024-01-17", "2024-01-09"],
                       "qty": [1, 2, 5, 3]})
    panel, index, periods = F.panel_from_long(df)
    assert list(index) == [("a", "x"), ("b", "y")]
    assert len(periods) == 3 and str(periods.freq) in ("<Week: weekday=6>", "W-SUN")
    np.testing.assert_array_equal(panel, [[3, 0, 5], [0, 3, 0]])
    p2, idx2, per2 = F.panel_from_long(df, id_cols="part", freq="M", end="2024-03-31")
    np.testing.assert_array_equal(p2, [[8, 0, 0], [3, 0, 0]])
    assert list(idx2) == ["a", "b"]
    with pytest.raises(ValueError, match=r"missing column\(s\) \['qty'\]"):
        F.panel_from_long(df.drop(columns="qty"))
    bad = df.assign(qty=["1", "x", "2", "3"])
    with pytest.raises(ValueError, match="row 1 holds 'x'"):
        F.panel_from_long(bad)


def test_forecast_table_matches_array_entry_point(make_panel):
    y = make_panel(n=60, t=20, seed=12)
    rows, cols = np.nonzero(y)
    start = pd.Timestamp("2024-01-01")        # a Monday: week periods W-SUN
    df = pd.DataFrame({"part": [f"p{r:03d}" for r in rows], "location": "L1",
                       "date": start + pd.to_timedelta(cols * 7, unit="D"),
                       "qty": y[rows, cols]})
    table = F.forecast_table(df, 4, start="2024-01-01", end=start + pd.Timedelta(weeks=19))
    present = np.unique(rows)
    panel = y[present]
    assert len(table) == len(present)
    cls = F.classify(panel)
    assert (table["demand_class"].astype(str).to_numpy()
            == cls["demand_class"].astype(str).to_numpy()).all()
    chosen = F.select_by_class(cls["demand_class"])
    for m in set(chosen):
        sel = chosen == m
        np.testing.assert_allclose(table.loc[sel, ["step_1", "step_2", "step_3", "step_4"]],
                                   F.forecast(panel[sel], 4, m), rtol=1e-12)
    fixed = F.forecast_table(df, 2, method="croston", start="2024-01-01",
                             end=start + pd.Timedelta(weeks=19))
    np.testing.assert_allclose(fixed["mean_per_period"], F.forecast(panel, 1, "croston")[:, 0])


def test_table_functions_bad_input():
    df = pd.DataFrame({"part": ["a", "a", "b"], "location": ["x", "x", "y"],
                       "date": ["2024-01-01", "2024-01-09", "2024-01-09"], "qty": [1, 2, 3]})
    with pytest.raises(ValueError, match="df has no rows"):
        F.panel_from_long(df.iloc[:0])
    with pytest.raises(ValueError, match=r"end \(.*\) is before start"):
        F.panel_from_long(df, start="2024-02-01", end="2024-01-01")
    with pytest.raises(ValueError, match=r"column 'date' must hold dates and freq a pandas period "
                                         r"frequency; received freq='fortnight'"):
        F.panel_from_long(df, freq="fortnight")
    with pytest.raises(ValueError, match=r"h \(horizon\) must be an integer >= 1, received 0"):
        F.forecast_table(df, 0)
    with pytest.raises(ValueError, match=r"method must be one of .*received 'crost'"):
        F.forecast_table(df, 2, method="crost")
    # a negative net quantity is named by its part, location and period, not by array position
    neg = df.assign(qty=[1, 2, -3])
    with pytest.raises(ValueError, match=r"column 'qty' sums to a negative demand \(-3.0\) for "
                                         r"series \('b', 'y'\) in period 2024-01-08/2024-01-14"):
        F.forecast_table(neg, 2)
    # returns netted within a period are fine as long as the period's sum is >= 0
    netted = pd.concat([df, pd.DataFrame({"part": ["b"], "location": ["y"],
                                          "date": ["2024-01-10"], "qty": [-1]})])
    table = F.forecast_table(netted, 1, method="ses")
    assert table.loc[table["part"] == "b", "mean_per_period"].iloc[0] == pytest.approx(0.1 * 2.0)
