"""Tests of policies.distributions against ORACLES O-14 and exact computations by other routes."""
import numpy as np
import pytest
from scipy import integrate, stats

from policies import distributions as d


# ---------------------------------------------------------------- O-14 loss functions
def test_standard_normal_loss_o14():
    L, Lbar = d.standard_normal_loss([-1.4, 0.3, 3.1])
    np.testing.assert_allclose(L, [1.436668142708465, 0.266761242117210, 2.672490952231408e-04],
                               rtol=1e-12)
    np.testing.assert_allclose(Lbar, [0.036668142708465, 0.566761242117210, 3.100267249095223],
                               rtol=1e-12)
    # textbook table: L(2.0) = 0.0085 -> N(1000, 300^2): E[(X-1600)^+] = 2.55
    assert round(float(d.normal_loss1(1600, 1000, 300)), 2) == 2.55


def test_normal_loss_o14():
    assert d.normal_loss1(11, 8, 3) == pytest.approx(0.249946411763059, rel=1e-12)
    assert d.normal_loss1_complement(11, 8, 3) == pytest.approx(3.249946411763059, rel=1e-12)
    assert d.normal_loss1(10.5, 15, 5) == pytest.approx(5.002155685433356, rel=1e-12)
    assert d.normal_loss1_complement(10.5, 15, 5) == pytest.approx(0.502155685433356, rel=1e-12)


def test_poisson_loss_o14_pmf_and_closed_form():
    x = np.array([220, 5, 50])
    mu = np.array([200.0, 7.0, 47.0])
    n_exp = [0.536005857158494, 2.292600125697305, 1.514546939496945]
    nbar_exp = [20.536005857158482, 0.292600125697305, 4.514546939496945]
    P = d.pmf_matrix("poisson", mu, tail=1e-15)
    np.testing.assert_allclose(d.take_at(d.loss1(P), x), n_exp, rtol=1e-9)
    np.testing.assert_allclose(d.take_at(d.loss1_complement(P), x), nbar_exp, rtol=1e-9)
    np.testing.assert_allclose(d.poisson_loss1(x, mu), n_exp, rtol=1e-9)


def test_nbinom_loss_o14():
    mu1, sd1 = 23.333333333333336, 8.819171036881968
    mu2, sd2 = 15.0, 6.123724356957944
    P = d.pmf_matrix("nbinom", [mu1, mu1, mu2], [sd1**2, sd1**2, sd2**2], tail=1e-15)
    x = np.array([14, 28, 10])
    n = d.take_at(d.loss1(P), x)
    nbar = d.take_at(d.loss1_complement(P), x)
    # ORACLES give n to 4 dp (stockpyl: 9.7400918) and n-bar to full precision
    np.testing.assert_allclose(n, [9.740089476453932, 1.805485505752903, 5.533809274622726],
                               atol=5e-5)
    np.testing.assert_allclose(nbar, [0.406758474515445, 6.472154141707762, 0.533809274627819],
                               rtol=1e-9)
    # and our n is consistent with n = nbar + mu - x to machine precision
    np.testing.assert_allclose(n, nbar + np.array([mu1, mu1, mu2]) - x, atol=1e-10)


def test_poisson_table_mu_1_25():
    P = d.pmf_matrix("poisson", 1.25, tail=1e-15)
    f = [0.286505, 0.358131, 0.223832, 0.093263, 0.029145, 0.007286, 0.001518]
    F = [0.286505, 0.644636, 0.868468, 0.961731, 0.990876, 0.998162, 0.999680]
    L = [1.25000, 0.53650, 0.18114, 0.04961, 0.01134, 0.00221, 0.00038]
    np.testing.assert_allclose(P[0, :7], f, atol=6e-7)
    np.testing.assert_allclose(d.cdf(P)[0, :7], F, atol=6e-7)
    np.testing.assert_allclose(d.loss1(P)[0, :7], L, atol=6e-6)


# ---------------------------------------------------------------- exact identities, other routes
def test_loss_functions_match_direct_enumeration():
    rng = np.random.default_rng(1)
    pmf = rng.random((5, 12))
    pmf /= pmf.sum(1, keepdims=True)
    k = np.arange(12)
    for i in range(5):
        for x in range(12):
            n = np.sum(np.maximum(k - x, 0) * pmf[i])
            nbar = np.sum(np.maximum(x - k, 0) * pmf[i])
            n2 = 0.5 * np.sum(np.maximum(k - x, 0) * np.maximum(k - x - 1, 0) * pmf[i])
            assert d.loss1(pmf)[i, x] == pytest.approx(n, abs=1e-13)
            assert d.loss1_complement(pmf)[i, x] == pytest.approx(nbar, abs=1e-13)
            assert d.loss2(pmf)[i, x] == pytest.approx(n2, abs=1e-13)
            assert d.cdf(pmf)[i, x] == pytest.approx(pmf[i, : x + 1].sum(), abs=1e-14)
    np.testing.assert_allclose(d.pmf_mean(pmf), pmf @ k)
    np.testing.assert_allclose(d.pmf_var(pmf), pmf @ k**2 - (pmf @ k) ** 2)
    # loss1_at outside the support
    np.testing.assert_allclose(d.loss1_at(pmf, np.full(5, -3)), pmf @ k + 3)
    np.testing.assert_allclose(d.loss1_at(pmf, np.full(5, 40)), 0.0)
    np.testing.assert_allclose(d.cdf_at(pmf, np.full(5, -1)), 0.0)
    np.testing.assert_allclose(d.cdf_at(pmf, np.full(5, 99)), 1.0)


def test_pmf_families_match_scipy_and_sum_to_one():
    mu = np.array([0.0, 0.3, 4.0, 60.0, 900.0])
    P = d.pmf_matrix("poisson", mu, tail=1e-12)
    np.testing.assert_allclose(P.sum(1), 1.0, atol=1e-12)
    k = np.arange(P.shape[1] - 1)
    np.testing.assert_allclose(P[:, :-1], stats.poisson.pmf(k[None, :], mu[:, None]),
                               atol=1e-13, rtol=1e-10)
    mean = np.array([2.0, 10.0])
    var = np.array([5.0, 30.0])
    Q = d.pmf_matrix("nbinom", mean, var, tail=1e-12)
    r, p = mean**2 / (var - mean), mean / var
    k = np.arange(Q.shape[1] - 1)
    np.testing.assert_allclose(Q[:, :-1], stats.nbinom.pmf(k[None, :], r[:, None], p[:, None]),
                               atol=1e-13, rtol=1e-10)
    np.testing.assert_allclose(d.pmf_mean(Q), mean, rtol=1e-9)
    np.testing.assert_allclose(d.pmf_var(Q), var, rtol=1e-7)
    assert (d.support_size("nbinom", mean, var, tail=1e-12) <= Q.shape[1]).all()


def test_discretised_normal_and_gamma():
    N = d.pmf_matrix("normal", [20.0], [16.0], tail=1e-12)
    k = np.arange(N.shape[1])
    np.testing.assert_allclose(N[0, 5], stats.norm.cdf(5.5, 20, 4) - stats.norm.cdf(4.5, 20, 4))
    assert N[0] @ k == pytest.approx(20.0, abs=1e-6)
    # negative mass is piled on 0
    N0 = d.pmf_matrix("normal", [1.0], [4.0], tail=1e-12)
    assert N0[0, 0] == pytest.approx(stats.norm.cdf(0.5, 1, 2))
    G = d.pmf_matrix("gamma", [3.0, 0.0], [6.0, 1.0], tail=1e-12)
    assert G[0, 2] == pytest.approx(stats.gamma.cdf(2.5, 1.5, scale=2) - stats.gamma.cdf(1.5, 1.5, scale=2))
    assert G[1, 0] == 1.0  # zero mean: point mass at 0
    np.testing.assert_allclose(G.sum(1), 1.0)


def test_gamma_and_normal_second_order_loss_by_quadrature():
    for x, m, v in [(3.0, 2.0, 4.0), (0.5, 2.0, 1.0), (10.0, 4.0, 20.0)]:
        a, th = m * m / v, v / m
        ref, _ = integrate.quad(lambda t: (t - x) * stats.gamma.pdf(t, a, scale=th), x, np.inf)
        assert d.gamma_loss1(x, m, v) == pytest.approx(ref, rel=1e-8)
    assert d.gamma_loss1(-1.0, 2.0, 4.0) == pytest.approx(3.0)
    for x, m, v in [(3.0, 2.0, 4.0), (0.5, 2.0, 1.0), (10.0, 4.0, 20.0), (-1.0, 2.0, 4.0)]:
        a, th = m * m / v, v / m
        ref, _ = integrate.quad(lambda t: 0.5 * (t - x) ** 2 * stats.gamma.pdf(t, a, scale=th),
                                max(x, 0.0), np.inf)
        assert d.gamma_loss2(x, m, v) == pytest.approx(ref, rel=1e-8)
    for x, m, s in [(11, 8, 3), (10.5, 15, 5)]:
        ref, _ = integrate.quad(lambda t: float(d.normal_loss1(t, m, s)), x, np.inf)
        assert d.normal_loss2(x, m, s) == pytest.approx(ref, rel=1e-8)
        ref2, _ = integrate.quad(lambda t: 0.5 * (t - x) ** 2 * stats.norm.pdf(t, m, s), x, np.inf)
        assert d.normal_loss2(x, m, s) == pytest.approx(ref2, rel=1e-8)


def test_convolve_rows_is_exact_for_poisson_sums():
    a = d.pmf_matrix("poisson", [1.0, 3.0], kmax=30)
    b = d.pmf_matrix("poisson", [2.0, 0.5], kmax=30)
    c = d.convolve_rows(a, b, kmax=40)
    ref = d.pmf_matrix("poisson", [3.0, 3.5], kmax=40)
    np.testing.assert_allclose(c, ref, atol=1e-12)


def test_truncation_puts_tail_in_last_column():
    P = d.pmf_matrix("poisson", [5.0], kmax=6)
    assert P.shape == (1, 7)
    assert P[0, 6] == pytest.approx(stats.poisson.sf(5, 5.0))
    assert P.sum() == pytest.approx(1.0)


# ---------------------------------------------------------------- negative binomial fallback
def test_nbinom_underdispersed_falls_back_to_poisson_or_raises():
    mean = np.array([4.0, 4.0, 4.0])
    var = np.array([2.0, 4.0, 9.0])
    mask = d.nbinom_fallback_mask(mean, var)
    assert mask.tolist() == [True, True, False]
    P = d.pmf_matrix("nbinom", mean, var, tail=1e-12)
    Pp = d.pmf_matrix("poisson", [4.0], kmax=P.shape[1] - 1)
    np.testing.assert_allclose(P[0], Pp[0], atol=1e-15)
    np.testing.assert_allclose(P[1], Pp[0], atol=1e-15)
    assert d.pmf_var(P[2:])[0] == pytest.approx(9.0, rel=1e-6)
    with pytest.raises(ValueError, match=r"var must be > mean.*var=2\.0.*row 0"):
        d.pmf_matrix("nbinom", mean, var, on_underdispersed="raise")
    # var == mean is the Poisson limit, never an error
    d.pmf_matrix("nbinom", [4.0], [4.0], on_underdispersed="raise")


@pytest.mark.parametrize("kwargs, match", [
    (dict(family="weibull", mean=1.0), "family must be one of"),
    (dict(family="poisson", mean=-1.0), r"mean must be finite and >= 0; received -1\.0"),
    (dict(family="poisson", mean=np.nan), "mean must be finite"),
    (dict(family="nbinom", mean=1.0), "var is required"),
    (dict(family="normal", mean=1.0, var=-2.0), r"var must be finite and >= 0; received -2\.0"),
    (dict(family="poisson", mean=1.0, tail=0.0), r"tail must be in \(0, 1\)"),
    (dict(family="poisson", mean=1.0, kmax=-1), "kmax must be an integer >= 0"),
    (dict(family="poisson", mean=[1.0, 2.0], var=[1.0, 2.0, 3.0]), None),
])
def test_bad_input(kwargs, match):
    if match is None:  # var ignored for poisson
        d.pmf_matrix(**kwargs)
        return
    with pytest.raises(ValueError, match=match):
        d.pmf_matrix(**kwargs)


def test_bad_sd_for_normal_loss():
    with pytest.raises(ValueError, match="sd must be > 0"):
        d.normal_loss1(1.0, 0.0, 0.0)


def test_nbinom_with_mean_zero_is_the_point_mass_at_zero():
    # mean 0 with var > 0 (e.g. no lead time but a lead-time sd): the only count law with mean 0
    P = d.pmf_matrix("nbinom", [0.0, 2.0], [1.5, 4.0], kmax=30)
    assert np.array_equal(P[0], np.eye(31)[0])
    np.testing.assert_allclose(d.pmf_mean(P[1:]), 2.0, rtol=1e-7)   # tail beyond 30 cut


def test_prob_positive_against_scipy_and_tiny_means():
    mean = np.array([0.0, 1e-12, 0.3, 4.0])
    var = np.array([0.0, 3e-12, 0.9, 10.0])
    got = d.prob_positive("nbinom", mean, var)
    r, p = mean[2:] ** 2 / (var[2:] - mean[2:]), mean[2:] / var[2:]
    np.testing.assert_allclose(got[2:], stats.nbinom.sf(0, r, p), rtol=1e-12)
    assert got[0] == 0.0
    # tiny mean: P(X > 0) = 1 - p^r = -r ln p (1 + O(r)), no cancellation
    r1, p1 = 1e-24 / 2e-12, 1.0 / 3.0
    np.testing.assert_allclose(got[1], -r1 * np.log(p1), rtol=1e-9)
    np.testing.assert_allclose(d.prob_positive("poisson", [1e-15, 2.0]),
                               [1e-15, stats.poisson.sf(0, 2.0)], rtol=1e-12)


def test_conditional_support_size_is_the_first_level_with_a_small_conditional_tail():
    mean = np.array([1e-9, 0.05, 3.0, 40.0])
    var = mean * np.array([2.5, 3.0, 1.5, 4.0])
    tail = 1e-9
    K = d.conditional_support_size("nbinom", mean, var, tail)
    r, p = mean ** 2 / (var - mean), mean / var
    pos = stats.nbinom.sf(0, r, p)
    for i in range(mean.size):
        assert stats.nbinom.sf(K[i] - 1, r[i], p[i]) <= tail * pos[i] * (1 + 1e-6)
        assert stats.nbinom.sf(K[i] - 2, r[i], p[i]) > tail * pos[i] * (1 - 1e-6)
    # the tiny-mean row needs the levels of its (log-series) demand sizes, not K = 1
    assert K[0] > 10
