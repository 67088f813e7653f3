"""benchmarks/real/accuracy.py scores the selection exactly as the pipeline runs it."""
from __future__ import annotations

import numpy as np

import forecasting
from benchmarks.real import accuracy
from partsopt import forecast_step


def _panel(seed=3, n=50, t=30):
    rng = np.random.default_rng(seed)
    occ = rng.random((n, t)) < rng.uniform(0.15, 0.95, (n, 1))
    y = (occ * rng.geometric(0.35, (n, t))).astype(float)
    y[0] = 0.0                      # all ties -> the first method
    y[1, :t - 3] = 0.0              # demand only at the very end
    y[2] += np.arange(t) * 0.3      # a trend
    return y


def test_benchmark_replays_the_pipelines_backtest_selection():
    fa = accuracy.fa
    y = _panel()
    methods = list(forecast_step.BACKTEST_METHODS)
    k = fa.N_TEST + forecast_step.BACKTEST_ORIGINS
    cached = {m: fa.rolling_one_step(y, lambda tr, m=m: forecasting.forecast(tr, 1, m)[:, 0], n_origins=k)
              for m in methods}
    choice = accuracy.pipeline_choice(y, cached)
    n = y.shape[1]
    for j, o in enumerate(range(n - fa.N_TEST, n)):
        ref = forecast_step.backtest_methods(y[:, :o])      # what forecast_part_locations runs
        np.testing.assert_array_equal(np.asarray(methods, dtype=object)[choice[:, j]], ref)


def test_pipeline_selection_uses_its_constants():
    y = _panel(4, n=20, t=forecast_step.BACKTEST_MIN_PERIODS)
    ref = forecasting.select_by_backtest(y, forecast_step.BACKTEST_METHODS, h=1,
                                         n_origins=forecast_step.BACKTEST_ORIGINS)
    np.testing.assert_array_equal(forecast_step.backtest_methods(y), ref["method"].to_numpy())
    assert forecast_step.BACKTEST_MIN_PERIODS == forecast_step.BACKTEST_ORIGINS + 4  # min_train 4, h 1
