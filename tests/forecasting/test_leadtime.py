"""Lead-time demand distributions: oracles (O-14), exact enumeration, identities, Monte Carlo."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from forecasting import leadtime as LT


def _loss_from_pmf(pmf: np.ndarray, x: float) -> float:
    """E[(X - x)^+] computed directly from a 1-D pmf on 0..K-1 (the test's own route)."""
    k = np.arange(pmf.size)
    return float(np.sum(np.maximum(k - x, 0.0) * pmf))


# ---------------------------------------------------------------------------
# moments
# ---------------------------------------------------------------------------
def test_lead_time_moments_formula():
    m, v = LT.lead_time_moments([2.0, 0.5], [3.0, 0.4], [4.0, 2.5], [1.0, 0.0], [1.0, 0.5])
    # tau = 5, 3; mean = d tau; var = tau s2 + d^2 sL^2
    np.testing.assert_allclose(m, [10.0, 1.5])
    np.testing.assert_allclose(v, [5 * 3.0 + 4.0 * 1.0, 3 * 0.4])


def test_random_lead_time_variance_equals_exact_mixture():
    """Var = E[tau] lam + lam^2 Var(L) checked against the exact pmf of a Poisson random sum."""
    lam = 1.7
    l_pmf = np.array([0.0, 0.0, 0.2, 0.5, 0.3])  # L in {2, 3, 4} periods
    review = 1
    ls = np.arange(l_pmf.size)
    mu_l = float(l_pmf @ ls)
    sd_l = math.sqrt(float(l_pmf @ ls**2) - mu_l**2)
    tau_pmf = np.concatenate([[0.0] * review, l_pmf])  # tau = L + R
    unit = np.array([[0.0, 1.0]])  # every occurrence is one unit: compound Poisson = Poisson
    exact = LT.compound_poisson_ltd(lam, unit, periods_pmf=tau_pmf).pmf(tail=1e-14)
    m, v = LT.lead_time_moments(lam, lam, mu_l, sd_l, review)
    assert exact.mean[0] == pytest.approx(m[0], rel=1e-10)
    assert exact.var[0] == pytest.approx(v[0], rel=1e-9)
    # and the pmf is the Poisson mixture, computed here directly
    k = np.arange(exact.pmf.shape[1])
    direct = sum(w * stats.poisson.pmf(k, lam * t) for t, w in enumerate(tau_pmf) if w > 0)
    np.testing.assert_allclose(exact.pmf[0], direct, atol=1e-13)


def test_one_step_error_variance_hand_example_and_fallback():
    y = np.array([[0.0, 2.0, 0.0, 1.0], [1.0, 3.0, 1.0, 3.0], [0.0, 0.0, 0.0, 0.0]])
    f = np.array([[np.nan, np.nan, 1.0, 0.5], [np.nan, np.nan, np.nan, 2.0], [np.nan] * 4])
    got = LT.one_step_error_variance(y, f, min_errors=2)
    # row 0: errors -1, 0.5 -> (1 + 0.25)/2; row 1: one error < 2 -> var([1,3,1,3]) = 1; row 2: 0
    np.testing.assert_allclose(got, [0.625, 1.0, 0.0])
    assert LT.one_step_error_variance(y, f, min_errors=1)[1] == pytest.approx(1.0)  # (3-2)^2
    assert LT.one_step_error_variance(y[0], f[0]) == pytest.approx(0.625)
    # after the first demand only: row 0 keeps t = 2, 3 (first demand at t = 1); row 1 keeps t = 3
    got = LT.one_step_error_variance(y, f, min_errors=1, after_first_demand=True)
    np.testing.assert_allclose(got, [0.625, 1.0, 0.0])
    f2 = np.array([[0.0, 0.0, 1.0, 0.5]])
    assert LT.one_step_error_variance(y[:1], f2, after_first_demand=True)[0] == pytest.approx(0.625)
    assert LT.one_step_error_variance(y[:1], f2)[0] == pytest.approx((4 + 1 + 0.25) / 4)


# ---------------------------------------------------------------------------
# Poisson / negative binomial
# ---------------------------------------------------------------------------
NB_CASES = [  # ORACLES O-14: (mu, sigma, r, p, x, n(x), nbar(x))
    (23.333333333333336, 8.819171036881968, 10, 0.3, 14, 9.740089476453932, 0.406758474515445),
    (23.333333333333336, 8.819171036881968, 10, 0.3, 28, 1.805485505752903, 6.472154141707762),
    (15.0, 6.123724356957944, 10, 0.4, 10, 5.533809274622726, 0.533809274627819),
]


@pytest.mark.parametrize("mu, sigma, r, p, x, n_x, nbar_x", NB_CASES)
def test_negative_binomial_reproduces_o14_loss(mu, sigma, r, p, x, n_x, nbar_x):
    d = LT.fit_ltd(mu, sigma**2)
    assert d.family[0] == "nbinom"
    assert d.r[0] == pytest.approx(r, rel=1e-12) and d.p[0] == pytest.approx(p, rel=1e-12)
    pm = d.pmf(tail=1e-12)
    assert pm.tail_mass[0] <= 1e-12
    n_local = _loss_from_pmf(pm.pmf[0], x)
    # O-14 states its NB values to 4 dp: its n and nbar for mu = 23.33 are mutually
    # inconsistent at ~3e-6 (n - nbar must equal mu - x exactly).  Our nbar agrees with
    # O-14 to 1e-8 and our n with stockpyl's 9.7400918, so n is checked to 1e-5.
    assert n_local == pytest.approx(n_x, abs=1e-5)
    # complementary loss: nbar(x) = E[(x - X)^+] = x - mu + n(x)
    assert x - mu + n_local == pytest.approx(nbar_x, abs=1e-8)
    assert pm.loss()[0, x] == pytest.approx(n_local, abs=1e-12)


def test_poisson_reproduces_o14_table_and_loss():
    d = LT.fit_ltd(1.25, 1.25)
    assert d.family[0] == "poisson"
    pm = d.pmf(tail=1e-14)
    table = {0: (0.286505, 0.286505, 1.25000), 1: (0.358131, 0.644636, 0.53650),
             2: (0.223832, 0.868468, 0.18114), 3: (0.093263, 0.961731, 0.04961),
             4: (0.029145, 0.990876, 0.01134), 5: (0.007286, 0.998162, 0.00221),
             6: (0.001518, 0.999680, 0.00038)}
    cdf, loss = pm.cdf()[0], pm.loss()[0]
    for q, (f, F, L) in table.items():
        assert pm.pmf[0, q] == pytest.approx(f, abs=5e-7)
        assert cdf[q] == pytest.approx(F, abs=5e-7)
        assert loss[q] == pytest.approx(L, abs=5e-6)
    for mu, x, n_x in [(7.0, 5, 2.292600125697305), (200.0, 220, 0.536005857158494), (47.0, 50, 1.514546939496945)]:
        pmf = LT.fit_ltd(mu, mu).pmf(tail=1e-13).pmf[0]
        assert _loss_from_pmf(pmf, x) == pytest.approx(n_x, abs=1e-9)


def test_family_choice_and_underdispersion_fallback():
    d = LT.fit_ltd([2.0, 2.0, 2.0, 0.0, 0.0], [5.0, 2.0, 1.0, 0.0, 3.0])
    assert d.family.tolist() == ["nbinom", "poisson", "poisson", "poisson", "poisson"]
    np.testing.assert_allclose(d.var, [5.0, 2.0, 2.0, 0.0, 0.0])  # under-dispersed target -> Poisson var
    np.testing.assert_allclose(d.target_var, [5.0, 2.0, 1.0, 0.0, 3.0])
    pm = d.pmf()
    assert pm.pmf[3, 0] == 1.0 and pm.pmf[4, 0] == 1.0  # mean 0: point mass at zero
    forced = LT.fit_ltd([2.0, 3.0], [5.0, 1.0], family="poisson")
    assert forced.family.tolist() == ["poisson", "poisson"]
    with pytest.raises(ValueError, match="var > mean"):
        LT.fit_ltd([2.0, 3.0], [5.0, 1.0], family="nbinom")


def test_parametric_pmf_rows_sum_to_one_within_tail_and_match_moments():
    rng = np.random.default_rng(3)
    mean = rng.gamma(1.0, 5.0, 200)
    var = mean * rng.uniform(0.5, 6.0, 200)
    d = LT.lead_time_demand(mean, var, 1.0)  # tau = 1: mean/var pass through
    pm = d.pmf(tail=1e-9)
    assert pm.pmf.shape[0] == 200
    assert np.all(pm.tail_mass <= 1e-9 + 1e-15)
    np.testing.assert_allclose(pm.pmf.sum(axis=1) + pm.tail_mass, 1.0, atol=1e-12)
    np.testing.assert_allclose(pm.mean, d.mean, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(pm.var, d.var, rtol=1e-5, atol=1e-6)
    # common K is the largest row's 1 - tail quantile + 1
    assert pm.pmf.shape[1] == int(d.quantile(1 - 1e-9).max()) + 1
    np.testing.assert_array_equal(pm.quantile(0.95), d.quantile(0.95))
    # per-series reference: each row equals the scipy distribution of that row
    for i in range(0, 200, 37):
        dist = stats.nbinom(d.r[i], d.p[i]) if d.family[i] == "nbinom" else stats.poisson(d.mean[i])
        np.testing.assert_allclose(pm.pmf[i], dist.pmf(np.arange(pm.pmf.shape[1])), rtol=1e-12, atol=1e-300)
    with pytest.raises(ValueError, match="max_k"):
        d.pmf(tail=1e-9, max_k=3)


# ---------------------------------------------------------------------------
# size distributions
# ---------------------------------------------------------------------------
def test_size_pmfs_have_the_requested_means():
    s = lambda g: np.arange(g.shape[1])  # noqa: E731
    g = LT.geometric_size_pmf([1.0, 2.0, 6.0])
    np.testing.assert_allclose(g @ s(g), [1.0, 2.0, 6.0], rtol=1e-10)
    np.testing.assert_allclose(g @ s(g) ** 2 - (g @ s(g)) ** 2, [0.0, 2.0, 30.0], rtol=1e-9, atol=1e-9)
    lg = LT.logarithmic_size_pmf([1.0, 1.5, 4.0])
    np.testing.assert_allclose(lg @ s(lg), [1.0, 1.5, 4.0], rtol=1e-9)
    assert np.all(g[:, 0] == 0) and np.all(lg[:, 0] == 0)


def test_empirical_size_pmf_hand_example():
    y = np.array([[0, 2, 0, 2, 5], [0, 0, 0, 0, 0]], dtype=float)
    g = LT.empirical_size_pmf(y)
    assert g.shape == (2, 6)
    np.testing.assert_allclose(g[0], [0, 0, 2 / 3, 0, 0, 1 / 3])
    np.testing.assert_allclose(g[1], [0, 1, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="integer"):
        LT.empirical_size_pmf([[0.5, 1.0]])


# ---------------------------------------------------------------------------
# compound distributions: exact enumeration, identities, Monte Carlo
# ---------------------------------------------------------------------------
def _brute_compound_bernoulli(p, sizes, n):
    """Enumerate every occurrence pattern and every size combination (per-series reference)."""
    out = {}
    for occ in itertools.product([0, 1], repeat=n):
        k = sum(occ)
        p_occ = p**k * (1 - p) ** (n - k)
        for combo in itertools.product(sizes.items(), repeat=k):
            tot = sum(s for s, _ in combo)
            pr = p_occ * math.prod(w for _, w in combo)
            out[tot] = out.get(tot, 0.0) + pr
    return out


def test_compound_bernoulli_equals_enumeration():
    sizes_a = {1: 0.5, 2: 0.3, 3: 0.2}
    sizes_b = {2: 0.6, 5: 0.4}
    g = np.zeros((2, 6))
    for s, w in sizes_a.items():
        g[0, s] = w
    for s, w in sizes_b.items():
        g[1, s] = w
    d = LT.compound_bernoulli_ltd([0.4, 0.15], g, periods=[3, 4])
    pm = d.pmf(tail=1e-15)
    for row, (p, sizes, n) in enumerate([(0.4, sizes_a, 3), (0.15, sizes_b, 4)]):
        ref = _brute_compound_bernoulli(p, sizes, n)
        ref_arr = np.zeros(pm.pmf.shape[1])
        for k, v in ref.items():
            ref_arr[k] = v
        np.testing.assert_allclose(pm.pmf[row], ref_arr, atol=1e-14)
    # moments: per period mu1 = p m1, var1 = p m2 - (p m1)^2, times n
    np.testing.assert_allclose(pm.mean, d.mean, rtol=1e-12)
    np.testing.assert_allclose(pm.var, d.var, rtol=1e-10)


def test_compound_bernoulli_fractional_and_random_periods():
    g = np.array([[0.0, 0.7, 0.3]])
    frac = LT.compound_bernoulli_ltd(0.3, g, periods=2.25).pmf(tail=1e-15).pmf[0]
    two = LT.compound_bernoulli_ltd(0.3, g, periods=2).pmf(tail=1e-15).pmf[0]
    three = LT.compound_bernoulli_ltd(0.3, g, periods=3).pmf(tail=1e-15).pmf[0]
    k = max(frac.size, three.size)
    pad = lambda a: np.pad(a, (0, k - a.size))  # noqa: E731
    np.testing.assert_allclose(pad(frac), 0.75 * pad(two) + 0.25 * pad(three), atol=1e-15)
    d = LT.compound_bernoulli_ltd(0.3, g, periods=2.25)
    assert d.mean[0] == pytest.approx(2.25 * 0.3 * 1.3)


def test_compound_bernoulli_random_lead_time_monte_carlo():
    """Random periods: the exact pmf against 200k seeded simulations (5-sigma bands, can fail)."""
    rng = np.random.default_rng(20260101)
    p, g = 0.35, np.array([0.0, 0.5, 0.25, 0.25])
    tau_pmf = np.array([0.0, 0.3, 0.4, 0.3])  # 1, 2 or 3 periods
    exact = LT.compound_bernoulli_ltd(p, g, periods_pmf=tau_pmf).pmf(tail=1e-14)
    n = 200_000
    tau = rng.choice(4, size=n, p=tau_pmf)
    occ = rng.random((n, 3)) < p
    size = rng.choice(4, size=(n, 3), p=g)
    x = np.sum(np.where((np.arange(3) < tau[:, None]) & occ, size, 0), axis=1)
    freq = np.bincount(x, minlength=exact.pmf.shape[1])[: exact.pmf.shape[1]] / n
    se = np.sqrt(exact.pmf[0] * (1 - exact.pmf[0]) / n)
    assert np.all(np.abs(freq - exact.pmf[0]) <= 5 * se + 1e-12)
    assert x.mean() == pytest.approx(exact.mean[0], abs=5 * math.sqrt(exact.var[0] / n))


def test_compound_poisson_fft_equals_panjer_and_direct_sum():
    g = LT.geometric_size_pmf([1.0, 1.8, 3.0])
    d = LT.compound_poisson_ltd([0.2, 1.5, 0.7], g, periods=[3.0, 2.5, 6.0])
    a = d.pmf(tail=1e-12, method="fft")
    b = d.pmf(tail=1e-12, method="panjer")
    k = min(a.pmf.shape[1], b.pmf.shape[1])
    np.testing.assert_allclose(a.pmf[:, :k], b.pmf[:, :k], atol=1e-14)
    # direct: sum_n Poisson(n; lam tau) g^{*n}, per series
    for i, (lam, tau) in enumerate([(0.2, 3.0), (1.5, 2.5), (0.7, 6.0)]):
        conv = np.zeros(k)
        conv[0] = 1.0
        direct = np.zeros(k)
        for nocc in range(80):
            direct += stats.poisson.pmf(nocc, lam * tau) * conv
            conv = np.convolve(conv, g[i])[:k]
        np.testing.assert_allclose(b.pmf[i, :k], direct, atol=1e-13)
    np.testing.assert_allclose(b.mean, d.mean, rtol=1e-9)
    np.testing.assert_allclose(b.var, d.var, rtol=1e-7)


def test_compound_poisson_with_logarithmic_sizes_is_negative_binomial():
    """Quenouille's identity: CP(lam, Log(theta)) = NB(r = lam / -ln(1-theta), p = 1 - theta)."""
    lam, tau = np.array([0.4, 2.0]), np.array([3.0, 1.5])
    g = LT.logarithmic_size_pmf([1.6, 3.0], tail=1e-15)
    d = LT.compound_poisson_ltd(lam, g, periods=tau)
    pm = d.pmf(tail=1e-10)
    for i in range(2):
        s = np.arange(g.shape[1])
        # recover theta from the pmf: g(2)/g(1) = theta/2
        theta = 2 * g[i, 2] / g[i, 1]
        r = lam[i] * tau[i] / -math.log1p(-theta)
        ref = stats.nbinom.pmf(np.arange(pm.pmf.shape[1]), r, 1 - theta)
        np.testing.assert_allclose(pm.pmf[i], ref, atol=1e-12)
        assert g[i] @ s == pytest.approx([1.6, 3.0][i], rel=1e-9)


def test_compound_pmf_rows_sum_to_one_within_tail():
    rng = np.random.default_rng(5)
    n = 300
    g = LT.geometric_size_pmf(rng.uniform(1.0, 4.0, n))
    d = LT.compound_bernoulli_ltd(rng.uniform(0.0, 1.0, n), g, periods=rng.uniform(0.0, 12.0, n))
    pm = d.pmf(tail=1e-6)
    assert np.all(pm.tail_mass <= 1e-6)
    assert np.all(pm.pmf >= 0)
    np.testing.assert_allclose(pm.pmf.sum(axis=1) + pm.tail_mass, 1.0, atol=1e-12)
    np.testing.assert_allclose(pm.mean, d.mean, rtol=1e-4, atol=1e-4)
    # vectorised rows equal one-row calls (the per-series route)
    for i in range(0, n, 61):
        one = LT.compound_bernoulli_ltd(d.occurrence[i], g[i:i + 1], periods=d.periods[i, 0] + d.periods_weight[i, 1]).pmf(tail=1e-6)
        k = min(one.pmf.shape[1], pm.pmf.shape[1])
        np.testing.assert_allclose(pm.pmf[i, :k], one.pmf[0, :k], atol=1e-13)


def test_compound_from_history_and_from_fit():
    y = np.array([[0, 2, 0, 0, 3, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 0]], dtype=float)
    d = LT.compound_from_history(y, periods=4)
    np.testing.assert_allclose(d.occurrence, [3 / 8, 0.0])
    np.testing.assert_allclose(d.mean, [4 * (3 / 8) * 2.0, 0.0])
    pm = d.pmf(tail=1e-12)
    assert pm.pmf[1, 0] == pytest.approx(1.0)
    geo = LT.compound_from_history(y, periods=4, occurrence="poisson", sizes="geometric")
    np.testing.assert_allclose(geo.mean, [4 * (3 / 8) * 2.0, 0.0], rtol=1e-9)
    # from a fit: level d, errors y - fitted
    fitted = np.array([[np.nan, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]] * 2)
    res = LT.lead_time_demand_from_fit(y, fitted, [0.75, 0.0], 3.0, 1.0, 1.0)
    s2 = LT.one_step_error_variance(y, fitted)
    m, v = LT.lead_time_moments([0.75, 0.0], s2, 3.0, 1.0, 1.0)
    np.testing.assert_allclose(res.mean, m)
    np.testing.assert_allclose(res.target_var, v)
    frame = res.to_frame()
    assert list(frame.columns) == ["family", "mean", "var", "target_var", "r", "p"]
    assert frame["family"].tolist() == ["nbinom", "poisson"]


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: LT.lead_time_moments(-1.0, 1.0, 1.0), "demand_mean must be >= 0"),
        (lambda: LT.lead_time_moments(1.0, np.nan, 1.0), "error_var must be finite"),
        (lambda: LT.lead_time_moments([1.0, 2.0], [1.0, 2.0, 3.0], 1.0), "common length"),
        (lambda: LT.fit_ltd(1.0, 2.0, family="gamma"), "family must be"),
        (lambda: LT.fit_ltd(1.0, 2.0).pmf(tail=0.0), "tail must be"),
        (lambda: LT.geometric_size_pmf(0.5), "mean_size must be >= 1"),
        (lambda: LT.compound_bernoulli_ltd(1.2, [[0, 1.0]], periods=1), "p_occurrence must be a probability"),
        (lambda: LT.compound_bernoulli_ltd(0.2, [[0.1, 0.9]], periods=1), "size 0 probability 0"),
        (lambda: LT.compound_bernoulli_ltd(0.2, [[0, 0.5]], periods=1), "sum to 1"),
        (lambda: LT.compound_bernoulli_ltd(0.2, [[0, 1.0]]), "exactly one of periods"),
        (lambda: LT.compound_poisson_ltd(0.2, [[0, 1.0]], periods=1).pmf(method="x"), "method must be"),
        (lambda: LT.compound_bernoulli_ltd(0.2, [[0, 1.0]], periods=1).pmf(method="panjer"), "compound_poisson"),
        (lambda: LT.one_step_error_variance([[1.0]], [[1.0, 2.0]]), "same shape"),
        (lambda: LT.one_step_error_variance([[1.0, 0.0], [np.nan, 1.0]], np.ones((2, 2))),
         r"y must be finite .*received nan in series index 1 at period 0"),
        (lambda: LT.compound_from_history([[1.0, 0.0], [0.0, np.nan]], periods=2),
         r"y must hold finite demand .*received nan in series index 1 at period 1"),
        (lambda: LT.compound_from_history([[1.0, -2.0]], periods=2),
         r"y must hold non-negative demand \(>= 0\); received -2.0 in series index 0 at period 1"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
