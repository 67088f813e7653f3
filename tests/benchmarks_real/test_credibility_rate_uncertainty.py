"""Posterior rate uncertainty (gamma–Poisson / Bühlmann–Straub) and its use in the option tables."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.real.credibility import BuhlmannStraub, buhlmann_straub, rate_posterior_var
from benchmarks.real.system import base_stock_options


def _true_fit(k, s, n, T, counts):
    """The credibility fit with the TRUE structural parameters of a gamma(k, scale s)–Poisson
    collective: mu0 = k s, tau2 = k s², sigma2 = mu0 (Poisson)."""
    mu0, tau2 = k * s, k * s * s
    w = n * T
    alpha = w / (w + mu0 / tau2)
    X = counts / w
    return BuhlmannStraub(mu0 + alpha * (X - mu0), alpha, X, {"c": mu0}, {"c": mu0}, {"c": tau2})


def test_posterior_variance_is_the_exact_gamma_posterior_with_known_parameters():
    # conjugate route: rate per installation ~ Gamma(k, rate 1/s); N_i ~ Poisson(w_i mu_i) =>
    # posterior Gamma(k + N_i, 1/s + w_i): mean (k + N)/(1/s + w), variance (k + N)/(1/s + w)^2
    k, s, T = 1.5, 0.04, 24
    n = np.array([1.0, 3.0, 7.0, 2.0, 12.0])
    N = np.array([0.0, 2.0, 9.0, 1.0, 0.0])
    fit = _true_fit(k, s, n, T, N)
    post_mean = (k + N) / (1.0 / s + n * T)
    post_var = (k + N) / (1.0 / s + n * T) ** 2
    assert fit.estimate == pytest.approx(post_mean, rel=1e-12)         # credibility = exact Bayes (Jewell)
    v = rate_posterior_var(fit, n * fit.estimate, n, np.array(["c"] * 5))
    assert v == pytest.approx(n ** 2 * post_var, rel=1e-12)             # per material: n² Var(mu | data)


def test_predictive_lead_time_variance_by_monte_carlo():
    # draw a collective, observe T periods, predict the next H periods; the predictive variance
    # H·mean + H²·Var(mu) matches the spread of the realised future demand around the prediction
    rng = np.random.default_rng(5)
    k, s, T, H, I = 0.7, 0.3, 24, 6, 60_000
    n = rng.integers(1, 6, I).astype(float)
    mu = rng.gamma(k, s, I)
    y = rng.poisson(n[:, None] * mu[:, None], (I, T)).astype(float)
    fit = buhlmann_straub(y, n, np.zeros(I, int))
    mean = n * fit.estimate
    v = rate_posterior_var(fit, mean, n, np.zeros(I, int))
    future = rng.poisson(H * n * mu).astype(float)
    err2 = (future - H * mean) ** 2
    predicted = H * mean + H * H * v
    assert err2.mean() == pytest.approx(predicted.mean(), rel=0.05)
    # by history: materials without demand keep more uncertainty relative to their mean
    none = y.sum(axis=1) == 0
    assert err2[none].mean() == pytest.approx(predicted[none].mean(), rel=0.10)
    # and the Poisson-only variance (no rate uncertainty) understates the spread
    assert err2.mean() > 1.2 * (H * mean).mean()


def test_rate_posterior_var_validates():
    fit = _true_fit(1.0, 0.1, np.ones(2), 10, np.zeros(2))
    with pytest.raises(ValueError, match="mean must"):
        rate_posterior_var(fit, np.array([-1.0, 1.0]), 1.0, np.array(["c", "c"]))
    with pytest.raises(ValueError, match="classes must"):
        rate_posterior_var(fit, np.ones(2), 1.0, np.array(["c", "d"]))


def test_option_tables_with_rate_uncertainty():
    rng = np.random.default_rng(2)
    mean = rng.gamma(1.0, 1.0, 20) + 0.05
    var = mean * 1.5
    L = rng.integers(0, 5, 20)
    base = base_stock_options(mean, var, L, targets=[0.95])
    zero = base_stock_options(mean, var, L, targets=[0.95], rate_var=np.zeros(20))
    for a, b in zip(base, zero):
        assert np.array_equal(a, b)
    more = base_stock_options(mean, var, L, targets=[0.95], rate_var=0.5 * mean ** 2)
    assert (more[4][:, 0] >= base[4][:, 0]).all() and (more[4][:, 0] > base[4][:, 0]).any()
    with pytest.raises(ValueError, match="rate_var"):
        base_stock_options(mean, var, L, rate_var=-np.ones(20))


def test_option_tables_with_rate_uncertainty_match_a_monte_carlo_mixture():
    # base stock S, Poisson demand whose rate is gamma distributed (fixed over the horizon), lead
    # time L, review 1: the expected on-hand at the end of a period is E[(S - D_{L+1})^+] with D
    # the gamma-mixed Poisson (negative binomial) - compare the table's time-averaged on-hand,
    # bracketed by the ends of the review period, with a simulation of that mixture
    rng = np.random.default_rng(9)
    m, cv, L = 2.0, 0.6, 3
    rv = (cv * m) ** 2
    level, fill, oh, valid = base_stock_options(np.array([m]), np.array([m]), np.array([L]), rate_var=np.array([rv]),
                                                max_options=400, tail=1e-9)
    lam = rng.gamma(1 / cv ** 2, m * cv ** 2, 400_000)
    for S in (6, 10, 16):
        j = int(np.flatnonzero(level[0] == S)[0])
        end = np.maximum(S - rng.poisson(lam * (L + 1)), 0).mean()
        start = np.maximum(S - rng.poisson(lam * L), 0).mean()
        assert end - 0.02 <= oh[0, j] <= start + 0.02
