"""Zheng-Federgruen exact (s, S): ORACLES O-10, Markov-chain cost, brute force, stockpyl."""
import numpy as np
import pytest
from scipy import stats

import policies
from policies.ss_exact import optimal_ss_poisson, renewal_m, ss_cost_poisson

ZF_TABLE = [  # mu, s*, S*, g*  (Zheng & Federgruen 1991, h=1, p=9, K=64)
    (10, 6, 40, 35.022), (15, 10, 49, 42.698), (20, 14, 62, 49.173), (25, 19, 56, 54.262),
    (30, 23, 66, 57.819), (35, 28, 77, 61.215), (40, 33, 87, 64.512), (45, 37, 97, 67.776),
    (50, 42, 108, 70.975), (55, 47, 118, 74.149), (60, 52, 129, 77.306), (65, 56, 75, 78.518),
    (70, 62, 81, 79.037), (75, 67, 86, 79.554), (21, 15, 65, 50.406), (22, 16, 68, 51.632),
    (23, 17, 52, 52.757), (24, 18, 54, 53.518), (51, 43, 110, 71.611), (52, 44, 112, 72.246),
    (59, 51, 126, 76.679), (61, 52, 131, 77.929), (63, 54, 73, 78.287), (64, 55, 74, 78.402),
]


def test_zheng_federgruen_table_all_24_rows_in_one_batch():
    mu, s_exp, S_exp, g_exp = map(np.array, zip(*ZF_TABLE))
    s, S, g = policies.optimal_ss_poisson(mu, 64, 1, 9)
    np.testing.assert_array_equal(s, s_exp)
    np.testing.assert_array_equal(S, S_exp)
    np.testing.assert_allclose(g, g_exp, atol=5e-4)


def test_snyder_shen_ex_4_7_and_prob_4_31():
    s, S, g = optimal_ss_poisson([6, 4], [5, 150], [1, 40], [4, 125])
    assert s.tolist() == [4, 2] and S.tolist() == [10, 7]
    np.testing.assert_allclose(g, [8.034111561471644, 223.5748295669688], rtol=1e-12)
    np.testing.assert_allclose(ss_cost_poisson([6, 4], [18, 10], [6, 4], [5, 150], [1, 40],
                                               [4, 125]),
                               [10.193798671644046, 262.2755613772775], rtol=1e-12)


def _markov_chain_cost(s, S, mu, K, h, p):
    """Independent route: stationary law of the IP after ordering, cost = E[G] + K P(order)."""
    states = np.arange(s + 1, S + 1)
    n = states.size
    P = np.zeros((n, n))
    for a, y in enumerate(states):
        for b, z in enumerate(states):
            P[a, b] = stats.poisson.pmf(y - z, mu) if z < y else 0.0
            if z == y:
                P[a, b] = stats.poisson.pmf(0, mu)
        P[a, -1] += stats.poisson.sf(y - s - 1, mu)  # demand >= y - s: order up to S
    A = np.vstack([P.T - np.eye(n), np.ones(n)])
    pi = np.linalg.lstsq(A, np.r_[np.zeros(n), 1.0], rcond=None)[0]
    k = np.arange(0, S + 200)
    pk = stats.poisson.pmf(k, mu)
    G = np.array([np.sum(pk * (h * np.maximum(y - k, 0) + p * np.maximum(k - y, 0)))
                  for y in states])
    p_order = np.array([stats.poisson.sf(y - s - 1, mu) for y in states])
    return float(pi @ G + K * (pi @ p_order))


@pytest.mark.parametrize("mu, K, h, p", [(3.0, 10.0, 1.0, 5.0), (0.7, 4.0, 0.5, 9.0),
                                         (12.0, 30.0, 2.0, 7.0)])
def test_cost_formula_matches_markov_chain_and_optimum_matches_brute_force(mu, K, h, p):
    s_opt, S_opt, g_opt = optimal_ss_poisson(mu, K, h, p)
    # the renewal-formula cost equals the Markov-chain cost on a few policies
    for s, S in [(int(s_opt[0]), int(S_opt[0])), (int(s_opt[0]) - 1, int(S_opt[0]) + 3),
                 (0, 5), (-1, 2)]:
        assert ss_cost_poisson(s, S, mu, K, h, p)[0] == pytest.approx(
            _markov_chain_cost(s, S, mu, K, h, p), rel=1e-9)
    # brute force over a wide grid: nothing cheaper than the ZF optimum
    ss, SS = np.meshgrid(np.arange(-5, int(3 * mu) + 10), np.arange(-4, int(6 * mu) + 40))
    keep = SS > ss
    costs = ss_cost_poisson(ss[keep], SS[keep], mu, K, h, p)
    assert costs.min() == pytest.approx(g_opt[0], rel=1e-12)
    assert g_opt[0] <= costs.min() + 1e-12


def test_renewal_density_is_expected_visits():
    # m(j) = E[number of periods with cumulative demand exactly j] (by Monte Carlo, can fail)
    rng = np.random.default_rng(7)
    mu = 1.3
    paths = rng.poisson(mu, size=(200_000, 40)).cumsum(1)
    pad = np.hstack([np.zeros((paths.shape[0], 1), int), paths])
    visits = np.array([(pad == j).sum(1).mean() for j in range(6)])
    m = renewal_m(stats.poisson.pmf(np.arange(10), mu)[None, :], 6)[0]
    np.testing.assert_allclose(m, visits, rtol=0.01)


def test_vectorised_equals_per_instance_and_stockpyl():
    rng = np.random.default_rng(3)
    n = 12
    mu = rng.uniform(0.5, 30, n)
    K = rng.uniform(0, 80, n)
    h = rng.uniform(0.2, 3, n)
    p = rng.uniform(1, 20, n)
    s, S, g = optimal_ss_poisson(mu, K, h, p)
    for i in range(n):
        si, Si, gi = optimal_ss_poisson(mu[i], K[i], h[i], p[i])
        assert (si[0], Si[0]) == (s[i], S[i]) and gi[0] == pytest.approx(g[i], rel=1e-12)
    ss = pytest.importorskip("stockpyl.ss")
    for i in range(0, n, 3):
        s_ref, S_ref, g_ref = ss.s_s_discrete_exact(h[i], p[i], K[i], True, mu[i])
        assert (s[i], S[i]) == (s_ref, S_ref)
        assert g[i] == pytest.approx(g_ref, rel=1e-9)


@pytest.mark.parametrize("args, match", [
    ((0.0, 5, 1, 4), r"mean must be finite and in \(0, inf\); received 0\.0"),
    ((6, -1, 1, 4), r"fixed_cost must be finite and in \[0, inf\); received -1\.0"),
    ((6, 5, 0, 4), r"holding_cost must be finite and in \(0, inf\)"),
    ((6, 5, 1, np.nan), r"stockout_cost must be finite"),
])
def test_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        optimal_ss_poisson(*args)


def test_zero_fixed_cost_gives_base_stock():
    s, S, g = optimal_ss_poisson(6, 0, 1, 4)
    assert (s[0], S[0]) == (7, 8)  # S = newsvendor quantile 8 (O-9), s = S-1
    assert g[0] == pytest.approx(3.570106945770946, rel=1e-12)
