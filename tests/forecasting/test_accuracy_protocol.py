"""The accuracy benchmark's protocol: no look-ahead, scores equal the metrics, loaders read the real data."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from forecasting import metrics

ROOT = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("forecasting_accuracy_bench", ROOT / "benchmarks" / "forecasting_accuracy.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


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


@pytest.mark.parametrize("name, shape", [("auto", (3000, 24)), ("raf", (5000, 84)), ("carparts", (2509, 51))])
def test_loaders_read_the_real_data(name, shape):
    bench = _bench()
    data_dir = bench.default_data_dir()
    if not data_dir.is_dir():
        pytest.skip(f"real data not present at {data_dir} (CI without ../shared)")
    y, _ = bench.load_dataset(name, data_dir)
    assert y.shape == shape
    assert np.all(np.isfinite(y)) and np.all(y >= 0)
