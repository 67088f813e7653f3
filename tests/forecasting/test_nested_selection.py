"""select_by_nested_backtest: a plain per-series, per-cut-off reference; no look-ahead; bad input."""
from __future__ import annotations

import numpy as np
import pytest

import forecasting as F
from forecasting.selection import nested_backtest_choice, one_step_cube

BASE = ["croston", "sba", "ses"]
EXTRA = ["holt"]


def _intermittent(seed, n=10, t=30):
    rng = np.random.default_rng(seed)
    occ = rng.random((n, t)) < rng.uniform(0.2, 0.9, (n, 1))
    y = (occ * rng.geometric(0.35, (n, t))).astype(float)
    y[0] = 0.0                                   # zero naive scale: left out of the panel score
    return y


def _trending(seed, n=10, t=30):
    rng = np.random.default_rng(seed)
    slope = rng.uniform(0.3, 1.0, (n, 1))
    return np.round(np.maximum(2.0 + slope * np.arange(t) + rng.normal(0, 0.8, (n, t)), 0.0))


def _steady(seed, n=10, t=30):
    """Stationary Poisson demand: per-series choices follow noise, one method for all can win."""
    rng = np.random.default_rng(seed)
    return rng.poisson(rng.uniform(2.0, 6.0, (n, 1)), (n, t)).astype(float)


def _reference(y, base, extra, n_origins, n_outer, min_train=4):
    """Series by series and cut-off by cut-off, from the definitions (re-fit on the past only)."""
    n, t = y.shape
    wide = base + [m for m in extra if m not in base]

    def one_step(i, m, o):                       # forecast of period o from y[i, :o]
        return float(F.forecast(y[i, :o], 1, m)[0, 0])

    def per_series(i, ms, o):                    # select_by_backtest's rule on y[i, :o]
        best, best_score = ms[0], np.inf
        for m in ms:
            errs = [abs(y[i, c] - one_step(i, m, c)) for c in range(o - n_origins, o)]
            s = sum(errs) / n_origins
            if s < best_score:
                best, best_score = m, s
        return best

    scale = [np.mean(np.abs(np.diff(y[i]))) for i in range(n)]
    outer = [e for e in range(t - n_outer, t) if e - n_origins >= min_train]
    strategies = {"base": base, "wide": wide} if extra else {"base": base}
    scores = {}
    if outer:
        for name in list(strategies) + wide:
            tot, cnt = 0.0, 0
            for i in range(n):
                if scale[i] <= 0:
                    continue
                for e in outer:
                    m = per_series(i, strategies[name], e) if name in strategies else name
                    tot += abs(y[i, e] - max(one_step(i, m, e), 0.0)) / scale[i]
                    cnt += 1
            scores[name] = tot / cnt
    order = list(strategies) + wide
    win = min(scores, key=lambda s: (scores[s], order.index(s))) if scores else "base"
    if win in strategies:
        methods = [per_series(i, strategies[win], t) for i in range(n)]
    else:
        methods = [win] * n
    return methods, win, scores


@pytest.mark.parametrize("maker, seed, expected", [(_intermittent, 1, "wide"), (_intermittent, 2, "base"),
                                                   (_trending, 3, "wide"), (_steady, 0, "ses"),
                                                   (_steady, 3, "sba")])
def test_nested_selection_equals_the_plain_reference(maker, seed, expected):
    y = maker(seed)
    got = F.select_by_nested_backtest(y, BASE, EXTRA, n_origins=4, n_outer=5)
    methods, win, scores = _reference(y, BASE, EXTRA, 4, 5)
    assert win == expected                       # every kind of strategy is exercised
    assert got["strategy"].iloc[0] == win and (got["strategy"] == win).all()
    assert list(got["method"]) == methods
    assert got.attrs["panel_scores"].keys() == scores.keys()
    for k, v in scores.items():
        assert got.attrs["panel_scores"][k] == pytest.approx(v, rel=1e-12)


def test_the_strategy_follows_the_panel():
    """Trending demand: a trend method (alone or among the candidates) wins; intermittent: not Holt alone."""
    trend = F.select_by_nested_backtest(_trending(5), BASE, EXTRA, n_origins=4, n_outer=5)
    assert trend["strategy"].iloc[0] in ("wide", "holt")
    assert (trend["method"] == "holt").mean() > 0.5
    inter = F.select_by_nested_backtest(_intermittent(6), BASE, EXTRA, n_origins=4, n_outer=5)
    assert inter["strategy"].iloc[0] != "holt"
    s = inter.attrs["panel_scores"]
    assert s[inter["strategy"].iloc[0]] == min(s.values())


def test_per_series_selection_when_no_outer_cut_off_fits():
    """T = min_train + n_origins: no outer cut-off has its inner ones -> per-series over the base set."""
    y = _intermittent(7, t=4 + 6)
    got = F.select_by_nested_backtest(y, BASE, EXTRA, n_origins=6, n_outer=4)
    ref = F.select_by_backtest(y, BASE, h=1, n_origins=6)
    assert (got["strategy"] == "base").all() and got.attrs["panel_scores"] == {}
    np.testing.assert_array_equal(got["method"].to_numpy(), ref["method"].to_numpy())


def test_outer_scores_ignore_later_periods():
    """The forecasts scored at an outer cut-off e are made from periods before e only: the kernel on
    the first e periods gives the same choice at e whatever follows."""
    y = _intermittent(8, t=26)
    cube = one_step_cube(y, BASE + EXTRA, 16)
    for e in range(20, 26):
        later = y.copy()
        later[:, e:] = later[:, e:] * 3.0 + 7.0
        cube_later = one_step_cube(later, BASE + EXTRA, 16)
        k0 = 16 - (26 - e)                       # columns before cut-off e
        a = nested_backtest_choice(y[:, :e], {m: v[:, :k0] for m, v in cube.items()}, BASE, EXTRA, 4, 5)
        b = nested_backtest_choice(later[:, :e], {m: v[:, :k0] for m, v in cube_later.items()}, BASE,
                                   EXTRA, 4, 5)
        np.testing.assert_array_equal(a[0], b[0])
        assert a[1] == b[1] and a[2] == b[2]
        for m in BASE + EXTRA:                   # and the cube itself has no look-ahead
            np.testing.assert_array_equal(cube[m][:, :k0 + 1], cube_later[m][:, :k0 + 1])


def test_nested_selection_bad_input():
    y = _intermittent(9)
    with pytest.raises(ValueError, match="n_outer"):
        F.select_by_nested_backtest(y, BASE, n_outer=0)
    with pytest.raises(ValueError, match="not enough history"):
        F.select_by_nested_backtest(y[:, :10], BASE, n_origins=8)
    with pytest.raises(ValueError, match="loss must be one of"):
        F.select_by_nested_backtest(y, BASE, loss="mape")
    with pytest.raises(ValueError, match="method must be one of"):
        F.select_by_nested_backtest(y, BASE, extra=["nope"])
    with pytest.raises(ValueError, match="methods must name"):
        F.select_by_nested_backtest(y, [])
    with pytest.raises(ValueError, match="need"):
        nested_backtest_choice(y, one_step_cube(y, BASE, 3), BASE, (), 4, 5)
    with pytest.raises(ValueError, match="n_last"):
        one_step_cube(y, BASE, 30)
