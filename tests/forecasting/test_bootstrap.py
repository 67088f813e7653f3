"""Willemain-Smart-Schwarz bootstrap: exact distribution of the resampling scheme, i.i.d. case, seeds."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from forecasting import bootstrap as BS
from forecasting import leadtime as LT


# ---------------------------------------------------------------------------
# plain per-series reference: the exact LTD pmf of the bootstrap scheme
# ---------------------------------------------------------------------------
def _transitions_plain(y):
    occ = [v > 0 for v in y]
    frac = sum(occ) / len(occ)
    n = {(a, b): 0 for a in (False, True) for b in (False, True)}
    for a, b in zip(occ[:-1], occ[1:]):
        n[(a, b)] += 1
    n0 = n[(False, False)] + n[(False, True)]
    n1 = n[(True, False)] + n[(True, True)]
    p01 = n[(False, True)] / n0 if n0 else frac
    p11 = n[(True, True)] / n1 if n1 else frac
    return p01, p11, occ[-1]


def _size_pmf_plain(y, jitter):
    vals = [v for v in y if v > 0]
    top = int(max(vals) + 12 * math.sqrt(max(vals)) + 3)
    g = np.zeros(top)
    for x in vals:
        if not jitter:
            g[int(x)] += 1 / len(vals)
            continue
        # J = 1 + floor(x + Z sqrt(x)) = j  <=>  x + Z sqrt(x) in [j-1, j), j >= 1; else J = x
        sd = math.sqrt(x)
        g[int(x)] += stats.norm.cdf(-x / sd) / len(vals)
        for j in range(1, top):
            g[j] += (stats.norm.cdf((j - x) / sd) - stats.norm.cdf((j - 1 - x) / sd)) / len(vals)
    return g


def _exact_bootstrap_pmf(y, horizon, jitter):
    p01, p11, last = _transitions_plain(y)
    g = _size_pmf_plain(y, jitter)
    f0 = np.zeros(1)
    f1 = np.zeros(1)
    (f1 if last else f0)[0] = 1.0
    for _ in range(horizon):
        pad = lambda a, n: np.pad(a, (0, n - a.size))  # noqa: E731
        into1 = p01 * f0 + p11 * f1
        into0 = (1 - p01) * f0 + (1 - p11) * f1
        f1 = np.convolve(into1, g)
        f0 = pad(into0, f1.size)
    return f0 + f1


def _moments(pmf):
    k = np.arange(pmf.size)
    m = pmf @ k
    v = pmf @ (k - m) ** 2
    m4 = pmf @ (k - m) ** 4
    return m, v, m4


HISTORIES = [
    [0, 0, 3, 0, 1, 0, 0, 0, 7, 2, 0, 0, 1, 0, 0, 4, 0, 0, 0, 1],  # ends in zero
    [2, 0, 0, 0, 0, 5, 0, 1, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3],  # ends in a demand
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9],  # state 1 never an origin
]


@pytest.mark.parametrize("jitter", [True, False])
def test_bootstrap_matches_exact_distribution_of_the_scheme(jitter):
    """Mean, variance and pmf of the replicates vs the exact Markov-chain pmf (5-SE bands: can fail)."""
    y = np.array(HISTORIES, dtype=float)
    horizons = [3, 6, 4]
    b = 40_000
    res = BS.willemain_bootstrap(y, horizons, n_boot=b, seed=7, jitter=jitter)
    assert res.samples.shape == (3, b)
    emp = res.pmf()
    for i in range(3):
        exact = _exact_bootstrap_pmf(HISTORIES[i], horizons[i], jitter)
        m, v, m4 = _moments(exact)
        se_m = math.sqrt(v / b)
        se_v = math.sqrt(max(m4 - v * v, 0.0) / b)
        assert abs(res.mean[i] - m) <= 5 * se_m, (i, res.mean[i], m)
        assert abs(res.var[i] - v) <= 5 * se_v + 1e-12, (i, res.var[i], v)
        k = min(exact.size, emp.pmf.shape[1])
        se_p = np.sqrt(exact[:k] * (1 - exact[:k]) / b)
        assert np.all(np.abs(emp.pmf[i, :k] - exact[:k]) <= 5 * se_p + 2e-4)
    np.testing.assert_allclose(res.p01, [_transitions_plain(h)[0] for h in HISTORIES])
    np.testing.assert_allclose(res.p11, [_transitions_plain(h)[1] for h in HISTORIES])


def test_iid_bernoulli_series_matches_analytical_compound_bernoulli():
    """Long i.i.d. Bernoulli-occurrence history: bootstrap LTD mean/var vs the true compound Bernoulli.

    The tolerance adds the Monte-Carlo error and the estimation error of the
    history (p and the sizes are estimated from 4,000 periods); 4-sigma bands.
    """
    rng = np.random.default_rng(11)
    p, sizes, w = 0.3, np.array([1, 2, 3, 6]), np.array([0.4, 0.3, 0.2, 0.1])
    t_hist, horizon, b = 4000, 5, 60_000
    y = (rng.random(t_hist) < p) * rng.choice(sizes, size=t_hist, p=w)
    g = np.zeros((1, 7))
    g[0, sizes] = w
    true = LT.compound_bernoulli_ltd(p, g, periods=horizon)
    res = BS.willemain_bootstrap(y[None, :], horizon, n_boot=b, seed=12, jitter=False)
    m, v = true.mean[0], true.var[0]
    # estimation error of the mean: horizon * sd(y) / sqrt(T); of the variance: horizon * se(var(y))
    d1 = y - y.mean()
    se_est_m = horizon * y.std() / math.sqrt(t_hist)
    se_est_v = horizon * math.sqrt((np.mean(d1**4) - y.var() ** 2) / t_hist)
    pm = true.pmf(tail=1e-13).pmf[0]
    _, _, m4 = _moments(pm)
    se_mc_m = math.sqrt(v / b)
    se_mc_v = math.sqrt((m4 - v * v) / b)
    assert abs(res.mean[0] - m) <= 4 * math.hypot(se_mc_m, se_est_m)
    assert abs(res.var[0] - v) <= 4 * math.hypot(se_mc_v, se_est_v)


def test_random_horizon_and_zero_series():
    y = np.array([[0, 2, 0, 0, 1, 0, 3, 0], [0, 0, 0, 0, 0, 0, 0, 0]], dtype=float)
    h_pmf = np.array([0.0, 0.5, 0.0, 0.5])  # 1 or 3 periods
    b = 40_000
    res = BS.willemain_bootstrap(y, horizon_pmf=h_pmf, n_boot=b, seed=3, jitter=False)
    assert np.all(res.samples[1] == 0)  # no demand history: LTD 0
    e1 = _exact_bootstrap_pmf(list(y[0]), 1, False)
    e3 = _exact_bootstrap_pmf(list(y[0]), 3, False)
    mix = 0.5 * np.pad(e1, (0, e3.size - e1.size)) + 0.5 * e3
    m, v, _ = _moments(mix)
    assert abs(res.mean[0] - m) <= 5 * math.sqrt(v / b)


def test_seeded_and_deterministic():
    y = np.array(HISTORIES, dtype=float)
    a = BS.willemain_bootstrap(y, 4, n_boot=500, seed=99)
    b = BS.willemain_bootstrap(y, 4, n_boot=500, seed=99)
    c = BS.willemain_bootstrap(y, 4, n_boot=500, seed=100)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, c.samples)
    assert np.all(a.samples >= 0) and np.all(a.samples == np.round(a.samples))
    q = a.quantile(0.9)
    assert np.all(np.mean(a.samples <= q[:, None], axis=1) >= 0.9)


def test_block_processing_gives_identical_draws_to_one_block(monkeypatch):
    """Row blocks only bound memory; results are reproducible for a fixed block size."""
    y = np.tile(np.array(HISTORIES, dtype=float), (4, 1))
    full = BS.willemain_bootstrap(y, 3, n_boot=64, seed=5)
    monkeypatch.setattr(BS, "_BLOCK_CELLS", 64 * 5)
    blocked = BS.willemain_bootstrap(y, 3, n_boot=64, seed=5)
    assert blocked.samples.shape == full.samples.shape
    # same distribution family, deterministic under the same block size
    again = BS.willemain_bootstrap(y, 3, n_boot=64, seed=5)
    np.testing.assert_array_equal(blocked.samples, again.samples)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(y=[[1.0, -1.0]], horizon=2), "non-negative"),
        (dict(y=[[1.0, np.nan]], horizon=2), "finite"),
        (dict(y=[[1.0, 0.0], [2.0, np.inf]], horizon=2), r"received inf in series index 1 at period 1"),
        (dict(y=[[1.0, 0.0], [0.0, -3.0]], horizon=2), r"first: -3.0 in series index 1 at period 1"),
        (dict(y=[[1.0, 0.0]], horizon=1.5), "whole periods"),
        (dict(y=[[1.0, 0.0]]), "exactly one of"),
        (dict(y=[[1.0, 0.0]], horizon=2, n_boot=0), "n_boot"),
        (dict(y=[[1.0, 0.0]], horizon_pmf=[[0.5, 0.4]]), "sum to 1"),
        (dict(y=np.zeros((2, 0)), horizon=1), "at least 1 period"),
        (dict(y=[[1.0, 0.0]], horizon=1, seed=None), "seed must be"),
    ],
)
def test_bad_input(kwargs, match):
    y = kwargs.pop("y")
    with pytest.raises(ValueError, match=match):
        BS.willemain_bootstrap(y, **kwargs)


def test_fractional_history_has_no_pmf():
    res = BS.willemain_bootstrap([[0.5, 0.0, 1.5]], 2, n_boot=10, seed=1, jitter=False)
    with pytest.raises(ValueError, match="integer"):
        res.pmf()
