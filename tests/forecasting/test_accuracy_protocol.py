"""The accuracy benchmark's protocol: no look-ahead, scores equal the metrics, loaders read the real data."""
from __future__ import annotations


import numpy as np
import pytest

from forecasting import metrics
from bench_scripts import load_benchmark



def _bench():
    return load_benchmark("forecasting_accuracy.py", "forecasting_accuracy_bench")


def _panel(seed=0, n=40, t=36):
    rng = np.random.default_rng(seed)
    occ = rng.random((n, t)) < rng.uniform(0.15, 0.9, (n, 1))
    return (occ * rng.geometric(0.4, (n, t))).astype(float)


def test_rolling_origin_has_no_look_ahead():
    bench = _bench()
    y = _panel()
    seen = []

    def predict(train):
        seen.append(train.shape[1])
        return train[:, -6:].mean(axis=1)  # any rule of the past only

    base = bench.rolling_one_step(y, predict)
    n = y.shape[1]
    assert seen == list(range(n - bench.N_TEST, n))  # one re-fit per origin, data before it only
    for j in range(bench.N_TEST):
        changed = y.copy()
        changed[:, n - bench.N_TEST + j:] += 50.0  # demand from the origin's period on
        out = bench.rolling_one_step(changed, predict)
        np.testing.assert_array_equal(out[:, : j + 1], base[:, : j + 1])


def test_score_equals_the_metrics():
    bench = _bench()
    y = _panel(1)
    y[0, : y.shape[1] - bench.N_TEST] = 0.0  # zero scale -> left out and counted
    preds = np.full((y.shape[0], bench.N_TEST), 0.7)
    s = bench.score(y, preds)
    n = y.shape[1]
    tr, te = y[:, : n - bench.N_TEST], y[:, n - bench.N_TEST:]
    mase = metrics.mase(te, preds, y_train=tr)
    assert s["n_zero_scale"] == 1 and s["n_scored"] == y.shape[0] - 1
    assert s["mase_mean"] == pytest.approx(np.nanmean(mase))
    assert s["rmsse_mean"] == pytest.approx(np.nanmean(metrics.rmsse(te, preds, y_train=tr)))
    assert s["bias_mean"] == pytest.approx(np.mean(preds - te))
    assert s["fill_rate_mean"] == pytest.approx(np.nanmean(metrics.fill_rate(te, preds, y_train=tr, target=0.9)))


@pytest.mark.parametrize("loss", ["rmse", "mase"])
def test_cached_backtest_choice_equals_select_by_backtest(loss):
    """The benchmark re-uses its rolling forecasts for the inner backtest: same choices as the library."""
    from forecasting.selection import select_by_backtest

    bench = _bench()
    y = _panel(2, n=60, t=30)
    y[3, :20] = 0.0  # zero naive scale early on: NaN MASE at some cut-offs
    y[4] = 0.0  # all NaN / all ties -> the first method
    methods = ["croston", "sba", "tsb", "ses"]
    n_orig = bench.N_TEST + bench.N_INNER
    cached = {m: bench.rolling_one_step(y, lambda tr, m=m: __import__("forecasting").forecast(tr, 1, m)[:, 0],
                                        n_origins=n_orig) for m in methods}
    choice = bench.backtest_choice(y, cached, methods, loss)
    n = y.shape[1]
    for j, o in enumerate(range(n - bench.N_TEST, n)):
        ref = select_by_backtest(y[:, :o], methods, h=1, n_origins=bench.N_INNER, step=1, loss=loss)
        got = np.asarray(methods, dtype=object)[choice[:, j]]
        np.testing.assert_array_equal(got, ref["method"].to_numpy())
    picked = bench.pick(cached, methods, choice)
    for i in (0, 3, 4):
        for j in range(bench.N_TEST):
            assert picked[i, j] == cached[methods[choice[i, j]]][i, bench.N_INNER + j]


@pytest.mark.parametrize("name, shape", [("auto", (3000, 24)), ("raf", (5000, 84)), ("carparts", (2509, 51))])
def test_loaders_read_the_real_data(name, shape):
    bench = _bench()
    data_dir = bench.default_data_dir()
    if not data_dir.is_dir():
        pytest.skip(f"real data not present at {data_dir} (CI without ../shared)")
    y, _ = bench.load_dataset(name, data_dir)
    assert y.shape == shape
    assert np.all(np.isfinite(y)) and np.all(y >= 0)


def test_ltd_calibration_on_iid_poisson_demand():
    """i.i.d. Poisson(2) demand: the correctly specified family (compound Bernoulli with the
    empirical sizes) covers like the true Poisson(6) LTD; the others are monotone in q, and the
    jittered bootstrap over-covers (its jitter adds ~0.5 unit per sampled size)."""
    from scipy import stats

    bench = _bench()
    rng = np.random.default_rng(8)
    y = rng.poisson(2.0, (600, 48)).astype(float)
    cov, pairs, _ = bench.ltd_calibration(y)
    assert all(n == 600 * bench.LTD_ORIGINS for n in pairs.values())
    truth = stats.poisson(2.0 * bench.LTD_TAU)
    expected = np.array([truth.cdf(truth.ppf(q)) for q in bench.LTD_Q])
    assert len(cov) == 4
    for fam, c in cov.items():
        assert np.all(np.diff(c) >= 0) and np.all((c >= 0) & (c <= 1)), fam
    exact = cov["compound Bernoulli, empirical sizes"]
    assert np.all(np.abs(exact - expected) <= 0.06), (exact, expected)
    boot = cov[f"Willemain bootstrap (B = {bench.LTD_BOOT})"]
    assert boot[0] > expected[0] + 0.05  # the jitter's upward shift is visible at the median


def test_nested_replay_equals_select_by_nested_backtest():
    """The benchmark replays the nested selection from its cached forecasts: same methods as the library
    called on the data before each origin (with a short history, as auto, the first origins use fewer cut-offs)."""
    import forecasting
    from forecasting.selection import select_by_nested_backtest

    bench = _bench()
    methods, extra = ["croston", "sba", "ses"], ["holt"]
    rng = np.random.default_rng(5)
    y = _panel(5, n=30, t=22)   # first origin 10: 6 cut-offs before it, fewer than 3 + 4 -> truncated
    y[:10] = np.round(np.maximum(1.0 + rng.uniform(0.2, 0.8, (10, 1)) * np.arange(22)
                                 + rng.normal(0, 1.0, (10, 22)), 0.0))  # trending rows: Holt matters
    n = y.shape[1]
    k = n - bench.MIN_TRAIN
    cached = {m: bench.rolling_one_step(y, lambda tr, m=m: forecasting.forecast(tr, 1, m)[:, 0], n_origins=k)
              for m in methods + extra}
    preds, wins = bench.nested_replay(y, cached, methods, extra, n_inner=3, n_outer=4)
    for j, o in enumerate(range(n - bench.N_TEST, n)):
        ref = select_by_nested_backtest(y[:, :o], methods, extra, n_origins=3, n_outer=4)
        assert wins[j] == ref["strategy"].iloc[0]
        want = np.array([cached[m][i, k - bench.N_TEST + j] for i, m in enumerate(ref["method"])])
        np.testing.assert_array_equal(preds[:, j], want)
    assert set(wins) == {"wide", "holt"}     # per-series and one-method strategies both replayed
