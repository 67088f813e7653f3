"""Accuracy metrics: hand-computed examples, a per-series reference, bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from forecasting import metrics as M

# ---------------------------------------------------------------------------
# one hand-computed example for every error metric
#   y_true = [1, 0, 2, 0], y_pred = 0.5 flat, y_train = [0, 1, 0, 3, 1]
#   e = f - y = [-0.5, 0.5, -1.5, 0.5]
#   naive in-sample diffs = [1, -1, 3, -2]: MAE scale 7/4, MSE scale 15/4
#   CFE = [-0.5, 0, -1.5, -1.0] -> PIS = -3
# ---------------------------------------------------------------------------
Y_TRUE = np.array([[1.0, 0.0, 2.0, 0.0]])
Y_PRED = np.full((1, 4), 0.5)
Y_TRAIN = np.array([[0.0, 1.0, 0.0, 3.0, 1.0]])


@pytest.mark.parametrize(
    "name, expected",
    [
        ("mae", 0.75),
        ("rmse", math.sqrt(0.75)),
        ("bias", -0.25),
        ("mase", 0.75 / 1.75),
        ("rmsse", math.sqrt(0.75 / 3.75)),
        ("pis", -3.0),
        ("spis", -3.0 / 1.0),
    ],
)
def test_hand_computed_example(name, expected):
    got = M.METRICS[name](Y_TRUE, Y_PRED, y_train=Y_TRAIN)
    assert got.shape == (1,)
    assert got[0] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_sign_conventions():
    y = np.array([[2.0, 2.0]])
    over = np.array([[3.0, 3.0]])
    assert M.bias(y, over)[0] == 1.0  # positive = over-forecast
    assert M.pis(y, over)[0] == 1.0 + 2.0  # stock accumulates: CFE = 1, 2
    assert M.pis(y, np.array([[1.0, 1.0]]))[0] == -3.0


def test_seasonal_lag_in_scale():
    # m = 2: diffs y_t - y_{t-2} of [0,1,0,3,1] = [0, 2, 1] -> MAE scale 1
    assert M.mase(Y_TRUE, Y_PRED, y_train=Y_TRAIN, m=2)[0] == pytest.approx(0.75)


def test_zero_scale_is_nan_and_others_unaffected():
    y_train = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 1.0]])
    y_true = np.array([[1.0], [1.0]])
    y_pred = np.array([[0.0], [0.0]])
    got = M.mase(y_true, y_pred, y_train=y_train)
    assert np.isnan(got[0]) and got[1] == pytest.approx(1.0)
    got = M.rmsse(y_true, y_pred, y_train=y_train)
    assert np.isnan(got[0]) and got[1] == pytest.approx(1.0)
    assert np.isnan(M.spis(y_true, y_pred, y_train=y_train)[0])


def test_axis_and_per_series_vectorisation():
    rng = np.random.default_rng(1)
    yt = rng.poisson(1.0, (7, 5)).astype(float)
    yp = rng.gamma(1.0, 1.0, (7, 5))
    tr = rng.poisson(1.0, (7, 9)).astype(float)
    tr[:, 0] = 5.0  # no zero scales
    for name, fn in M.METRICS.items():
        if name == "fill_rate":
            continue
        full = fn(yt, yp, y_train=tr)
        assert full.shape == (7,)
        # the same along axis 0
        np.testing.assert_allclose(fn(yt.T, yp.T, y_train=tr.T, axis=0), full, rtol=1e-14)
        # row by row on 1-D input gives the same (per-series reference)
        rows = np.array([fn(yt[i], yp[i], y_train=tr[i]) for i in range(7)])
        np.testing.assert_allclose(rows, full, rtol=1e-14)
        # 3-D batch
        got3 = fn(yt.reshape(7, 1, 5), yp.reshape(7, 1, 5), y_train=tr.reshape(7, 1, 9))
        np.testing.assert_allclose(got3.ravel(), full, rtol=1e-14)


# ---------------------------------------------------------------------------
# fill rate of the order-up-to replay
# ---------------------------------------------------------------------------
def test_fill_rate_hand_computed():
    # y_train = [2, 2]: sigma_1 = 0, max 2, mu = 2 -> R_1 = 2; demand 3: supply 2, IL = -1
    # history [2,2,3]: sigma = 0.57735, max 3; loss(2) = 0.2303 > 0.2; loss(3) = 0.0099 -> R = 3
    #   IL = max(-1, 3) = 3, demand 0: supply 0, IL = 3
    # history [2,2,3,0]: sigma = 1.2583, max 3; loss(2) = 0.502, loss(3) = 0.1526 <= 0.2 -> R = 3
    #   IL = 3, demand 2: supply 2.  fill = (2 + 0 + 2) / (3 + 0 + 2) = 0.8
    got = M.fill_rate([[3.0, 0.0, 2.0]], [[2.0, 2.0, 2.0]], y_train=[[2.0, 2.0]], target=0.9)
    assert got[0] == pytest.approx(0.8, abs=1e-15)


def _fill_rate_reference(y_true, y_pred, y_train, target):
    """Literal per-series transcription of the protocol (scipy norm, upward search)."""
    hist = list(y_train)
    level_post = None
    supplied = 0.0
    for mu, d in zip(y_pred, y_true):
        sigma = float(np.std(hist, ddof=1))
        cap = max(hist)
        if mu < 0:
            r = 0.0
        else:
            def loss(x):
                if sigma == 0:
                    return max(mu - x, 0.0)
                z = (x - mu) / sigma
                return sigma * stats.norm.pdf(z) + (mu - x) * stats.norm.sf(z)

            r = 0
            while loss(r) > (1 - target) * mu and r < cap:
                r += 1
            r = min(r, cap)
        level = r if level_post is None else max(level_post, r)
        supplied += min(max(level, 0.0), d)
        level_post = level - d
        hist.append(d)
    total = sum(y_true)
    return supplied / total if total > 0 else float("nan")


@pytest.mark.parametrize("target", [0.75, 0.9, 0.99])
def test_fill_rate_matches_per_series_reference(target):
    rng = np.random.default_rng(42)
    n = 60
    occ = rng.random((n, 30)) < rng.uniform(0.1, 0.9, (n, 1))
    y = occ * rng.geometric(rng.uniform(0.2, 0.9, (n, 1)), (n, 30))
    y = y.astype(float)
    y[:5] *= 0.5  # fractional demand (as in the manufacturing set)
    y[5, :18] = 0.0  # zero history
    y[5, 18:] = 1.0
    y[6] = 3.0  # constant: sigma = 0
    tr, yt = y[:, :18], y[:, 18:]
    yp = np.abs(yt.mean(axis=1, keepdims=True) + rng.normal(0, 0.3, yt.shape))
    yp[7] = 0.0  # zero forecast: R climbs to the cap (protocol quirk)
    got = M.fill_rate(yt, yp, y_train=tr, target=target)
    ref = np.array([_fill_rate_reference(yt[i], yp[i], tr[i], target) for i in range(n)])
    np.testing.assert_allclose(got, ref, rtol=1e-12, equal_nan=True)
    assert np.all((got[~np.isnan(got)] >= 0) & (got[~np.isnan(got)] <= 1))


def test_fill_rate_no_demand_is_nan():
    got = M.fill_rate([[0.0, 0.0], [1.0, 0.0]], [[1.0, 1.0], [1.0, 1.0]],
                      y_train=[[1.0, 0.0], [1.0, 0.0]])
    assert np.isnan(got[0]) and got[1] == 1.0


# ---------------------------------------------------------------------------
# bad input: clear ValueErrors naming the parameter
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: M.mae([[1.0, np.nan]], [[1.0, 1.0]]), "y_true must be finite"),
        (lambda: M.mae([[1.0, 1.0]], [[1.0]]), "y_pred must have the shape"),
        (lambda: M.mae(1.0, 1.0), "y_true must be an array"),
        (lambda: M.mae([[1.0]], [[1.0]], axis=2), "axis must be in"),
        (lambda: M.mase([[1.0]], [[1.0]]), "mase needs y_train"),
        (lambda: M.mase([[1.0]], [[1.0]], y_train=[[1.0]]), "at least 2 training periods"),
        (lambda: M.mase([[1.0]], [[1.0]], y_train=[1.0, 2.0]), "same number of dimensions"),
        (lambda: M.mase([[1.0]], [[1.0]], y_train=[[1.0, 2.0], [1.0, 2.0]]), "match y_true"),
        (lambda: M.mase([[1.0]], [[1.0]], y_train=[[1.0, 2.0]], m=0), "m \\(naive seasonal lag\\)"),
        (lambda: M.fill_rate([[1.0]], [[1.0]], y_train=[[1.0, 2.0]], target=1.0), "target must be"),
        (lambda: M.fill_rate([[-1.0]], [[1.0]], y_train=[[1.0, 2.0]]), "non-negative"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
