"""benchmarks/real/replay.py: the two replay kernels against other routes."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.real.replay import order_up_to_levels, order_up_to_replay, ss_replay
from forecasting import metrics
from policies.service import evaluate_policy


def _panel(seed=0, n=60, t=40):
    rng = np.random.default_rng(seed)
    occ = rng.random((n, t)) < rng.uniform(0.1, 0.9, size=(n, 1))
    return np.where(occ, rng.poisson(rng.uniform(0.5, 6.0, size=(n, 1)), size=(n, t)) + 1, 0).astype(float)


def test_order_up_to_fill_rate_equals_forecasting_metric():
    y = _panel()
    tr, te = y[:, :28], y[:, 28:]
    preds = np.maximum(te.mean(axis=1, keepdims=True) + np.random.default_rng(1).normal(0, 1, te.shape), 0.0)
    for target in (0.75, 0.9, 0.99):
        sup, dem, _ = order_up_to_replay(te, preds, tr, target)
        with np.errstate(invalid="ignore", divide="ignore"):
            fr = np.where(dem > 0, sup / np.where(dem > 0, dem, 1), np.nan)
        np.testing.assert_allclose(fr, metrics.fill_rate(te, preds, y_train=tr, target=target), rtol=1e-12)


def _plain_levels(mu, sigma, cap, target):
    from scipy.stats import norm
    if mu < 0:
        return 0.0
    r = 0
    while True:
        esc = (mu - r if sigma == 0 else sigma ** 2 * norm.pdf(r, mu, sigma) + (mu - r) * norm.sf(r, mu, sigma))
        if sigma == 0:
            esc = max(mu - r, 0.0)
        if esc <= (1 - target) * mu:
            return float(min(r, cap))
        r += 1
        if r >= cap:
            return float(cap)


def test_levels_equal_upward_search():
    rng = np.random.default_rng(3)
    mu = rng.uniform(-0.5, 20, 300)
    sigma = rng.choice([0.0, 0.5, 3.0, 10.0], 300)
    cap = rng.integers(0, 60, 300).astype(float)
    got = order_up_to_levels(mu, sigma, cap, 0.9)
    want = [_plain_levels(*a, 0.9) for a in zip(mu, sigma, cap)]
    np.testing.assert_array_equal(got, want)


def _plain_ss(y, s, S, L, start, measure_from):
    """One series, scalar loop; ``s`` and ``S`` scalars or one value per period."""
    s_t = np.broadcast_to(np.asarray(s, float), (len(y),))
    S_t = np.broadcast_to(np.asarray(S, float), (len(y),))
    on, pipe = float(S_t[start]), [0.0] * (L + 1)
    sup = dem = oh = 0.0
    m = 0
    for t in range(start, len(y)):
        ip = on + sum(pipe)
        if s_t[t] >= 0 and ip <= s_t[t]:
            pipe[L] += S_t[t] - ip
        on += pipe.pop(0)
        pipe.append(0.0)
        d = y[t]
        if t >= measure_from:
            m += 1
            sup += min(max(on, 0.0), max(d, 0.0))
            dem += max(d, 0.0)
            oh += max(on, 0.0)
        on -= d
    return sup, dem, oh / max(m, 1)


def _assert_equals_plain_loop(y, s, S, L, start, measure_from):
    out = ss_replay(y, s, S, L, start=start, measure_from=measure_from)
    for i in range(y.shape[0]):
        sup, dem, oh = _plain_ss(y[i], s[i], S[i], int(L[i]), start, measure_from)
        assert out["supplied"][i] == pytest.approx(sup)
        assert out["demand"][i] == pytest.approx(dem)
        assert out["mean_on_hand"][i] == pytest.approx(oh)


def test_ss_replay_equals_plain_loop():
    y = _panel(5, n=40, t=30)
    y[0, 3] = -2.0  # a return
    rng = np.random.default_rng(2)
    s = rng.integers(-1, 8, 40).astype(float)
    S = s + rng.integers(1, 6, 40)
    L = rng.integers(0, 4, 40)
    _assert_equals_plain_loop(y, s, S, L, start=0, measure_from=10)


def test_ss_replay_per_period_levels_equal_plain_loop():
    """A re-planned policy (levels per period) against the scalar loop; per-series levels given as
    (series,) or repeated per period give the same replay."""
    y = _panel(7, n=30, t=25)
    rng = np.random.default_rng(4)
    s = rng.integers(-1, 6, (30, 25)).astype(float)
    S = s + rng.integers(1, 5, (30, 25))
    L = rng.integers(0, 3, 30)
    _assert_equals_plain_loop(y, s, S, L, start=2, measure_from=8)
    s1, S1 = s[:, 0], S[:, 0]
    a = ss_replay(y, s1, S1, L, measure_from=5)
    b = ss_replay(y, np.repeat(s1[:, None], 25, 1), S1, L, measure_from=5)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    with pytest.raises(ValueError, match="series, periods"):
        ss_replay(y, s[:, :10], S[:, :10], L)


def test_ss_replay_long_run_matches_policy_evaluation():
    """Monte Carlo over 40,000 Poisson periods vs the exact (s, S) fill rate of policies.service."""
    rng = np.random.default_rng(11)
    T = 40_000
    cases = [(2.0, 2, 5, 9), (0.4, 1, 1, 3), (3.0, 0, 3, 6)]
    y = np.stack([rng.poisson(m, T) for m, *_ in cases]).astype(float)
    s = np.array([c[2] for c in cases], float)
    S = np.array([c[3] for c in cases], float)
    L = np.array([c[1] for c in cases])
    out = ss_replay(y, s, S, L, measure_from=100)
    ev = evaluate_policy("poisson", [c[0] for c in cases], lead_time=L.astype(float), review_period=1.0,
                         reorder_point=s.astype(int), order_up_to=S.astype(int))
    np.testing.assert_allclose(out["supplied"] / out["demand"], ev["fill_rate"], atol=0.01)


def test_bad_input():
    with pytest.raises(ValueError, match="lead_time"):
        ss_replay(np.ones((1, 3)), 0, 1, 1.5)
    with pytest.raises(ValueError, match="S must be"):
        ss_replay(np.ones((1, 3)), 2, 1, 0)
    with pytest.raises(ValueError, match="target"):
        order_up_to_replay(np.ones((1, 3)), np.ones((1, 3)), np.ones((1, 3)), 1.0)
