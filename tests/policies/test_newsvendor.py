"""Newsvendor / base stock (ORACLES O-8, O-9) and the power approximation (O-11)."""
import numpy as np
import pytest
from scipy import stats

from policies.newsvendor import newsvendor_normal, newsvendor_poisson, ss_power_approximation


def test_o8_normal_newsvendor_and_base_stock():
    S, g = newsvendor_normal(0.18, 0.7, 50, 8)
    assert S[0] == pytest.approx(56.603955927433887, rel=1e-12)
    assert g[0] == pytest.approx(1.997605193176645, rel=1e-12)
    np.testing.assert_allclose(newsvendor_normal(0.18, 0.7, 50, 8, base_stock_level=[40, 60])[1],
                               [7.356131552870388, 2.156131552870387], rtol=1e-12)
    S, g = newsvendor_normal(0.18, 0.7, 50, 8, lead_time=4)
    assert S[0] == pytest.approx(264.7668943741548, rel=1e-12)
    assert g[0] == pytest.approx(4.466781004149578, rel=1e-12)
    assert newsvendor_normal(0.18, 0.7, 50, 8, 4, 180)[1][0] == pytest.approx(49.000164748034095,
                                                                             rel=1e-10)
    S, g = newsvendor_normal(43, 79, 900, 60)
    assert (S[0], g[0]) == (pytest.approx(922.7214038234755), pytest.approx(2718.196781782411))
    np.testing.assert_allclose(newsvendor_normal(43, 79, 900, 60, base_stock_level=[1040, 1100])[1],
                               [6044.298415188692, 8600.820410122849], rtol=1e-12)


def test_o9_poisson_newsvendor():
    S, g = newsvendor_poisson([1, 200], [4, 270], [6, 18])
    assert S.tolist() == [8, 19]
    np.testing.assert_allclose(g, [3.570106945770946, 786.0884409351115], rtol=1e-12)
    np.testing.assert_allclose(newsvendor_poisson([1, 200], [4, 270], [6, 18],
                                                  base_stock_level=[5, 13])[1],
                               [6.590296024616344, 1445.751062891969], rtol=1e-12)


def test_poisson_optimum_is_the_enumerated_minimum():
    rng = np.random.default_rng(0)
    h, p, mu, L = rng.uniform(0.1, 5, 20), rng.uniform(0.5, 50, 20), rng.uniform(0.1, 40, 20), \
        rng.integers(0, 4, 20)
    S, g = newsvendor_poisson(h, p, mu, L)
    for i in range(20):
        k = np.arange(0, 400)
        pk = stats.poisson.pmf(k, mu[i] * (L[i] + 1))
        costs = [np.sum(pk * (h[i] * np.maximum(y - k, 0) + p[i] * np.maximum(k - y, 0)))
                 for y in range(0, 250)]
        assert S[i] == int(np.argmin(costs))
        assert g[i] == pytest.approx(min(costs), rel=1e-9)


def test_o11_power_approximation():
    s, S = ss_power_approximation([0.18, 2], [0.7, 36], [2.5, 60], [50, 190], [8, 48])
    np.testing.assert_allclose(s, [40.194616956474071, 226.6137928222839], rtol=1e-12)
    np.testing.assert_allclose(S, [74.290170109805786, 324.3797868133974], rtol=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: newsvendor_normal(-1, 1, 5, 1), r"holding_cost must be finite and in \(0, inf\); received -1\.0"),
    (lambda: newsvendor_normal(1, 1, 5, 0), r"sd must be finite and in \(0, inf\); received 0\.0"),
    (lambda: newsvendor_poisson(1, 1, -5), r"mean must be finite and in \[0, inf\)"),
    (lambda: newsvendor_poisson(1, 1, 5, lead_time=-1), r"lead_time must be finite and in \[0, inf\)"),
    (lambda: newsvendor_poisson(1, 1, 5, base_stock_level=2.5), "must be an integer"),
    (lambda: ss_power_approximation(1, 1, 0, 5, 1), r"fixed_cost must be finite and in \(0, inf\)"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
