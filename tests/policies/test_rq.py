"""(r, Q) policies: ORACLES O-12 and O-13, quadrature and brute-force checks."""
import numpy as np
import pytest
from scipy import integrate, stats

from policies import rq

EX51 = dict(holding_cost=0.225, stockout_cost=7.5, fixed_cost=8, demand_mean=1300, demand_sd=150,
            lead_time=1 / 12)
P51 = dict(holding_cost=3.1, stockout_cost=45, fixed_cost=50, demand_mean=800, demand_sd=40,
           lead_time=4 / 365)


def test_o12_exact_cost_and_optimal_r():
    np.testing.assert_allclose(rq.rq_cost_normal([126.8, 100], [328.5, 250], **EX51),
                               [78.071162509282942, 87.346478028174985], rtol=1e-12)
    np.testing.assert_allclose(rq.rq_cost_normal([-1.9859, 100], [166.95, 250], **P51),
                               [484.2110418415538, 830.3219178082192], rtol=1e-12)
    args = {k: v for k, v in EX51.items() if k != "fixed_cost"}
    # stockpyl stops its bisection at |g(r) - g(r+Q)| <= 1e-6, hence ~1e-6 agreement
    np.testing.assert_allclose(rq.rq_optimal_r_for_q([318, 150, 750], **args),
                               [127.7880348669655, 147.1949581740714, 99.85377339616528],
                               atol=1e-5)


def test_o12_approximations():
    r, Q, c = rq.rq_eil_approximation(**EX51)
    np.testing.assert_allclose([r[0], Q[0], c[0]],
                               [213.9704421358024, 318.5901810768729, 95.451140222851961],
                               rtol=1e-8)
    r, Q, c = rq.rq_eil_approximation(**P51)
    np.testing.assert_allclose([r[0], Q[0], c[0]],
                               [17.972649360167715, 162.1231617283653, 531.1189321826714],
                               rtol=1e-8)
    r, Q = rq.rq_eoqb_approximation(**EX51)
    np.testing.assert_allclose([r[0], Q[0]], [128.637814424271, 308.5737801203754], rtol=1e-8)
    r, Q = rq.rq_eoqss_approximation(**EX51)
    np.testing.assert_allclose([r[0], Q[0]], [190.3369965715624, 304.0467800264368], rtol=1e-12)
    r, Q = rq.rq_loss_function_approximation(**EX51)
    np.testing.assert_allclose([r[0], Q[0]], [126.8670642878315, 328.4491413581765], atol=1e-5)


def test_closed_form_cost_equals_quadrature_and_optimal_r_is_stationary():
    rng = np.random.default_rng(2)
    for _ in range(5):
        h, p, K = rng.uniform(0.1, 3), rng.uniform(1, 40), rng.uniform(1, 100)
        lam, tau, L = rng.uniform(10, 2000), rng.uniform(5, 300), rng.uniform(0.01, 0.5)
        r, Q = rng.uniform(-20, 200), rng.uniform(1, 400)
        mu, sd = lam * L, tau * np.sqrt(L)

        def g(y):
            return (h * (y - mu) + (h + p) * sd
                    * (stats.norm.pdf((y - mu) / sd) - (y - mu) / sd * stats.norm.sf((y - mu) / sd)))
        ref = (K * lam + integrate.quad(g, r, r + Q, epsabs=1e-11, epsrel=1e-12)[0]) / Q
        assert rq.rq_cost_normal(r, Q, h, p, K, lam, tau, L)[0] == pytest.approx(ref, rel=1e-9)
        ropt = rq.rq_optimal_r_for_q(Q, h, p, lam, tau, L)[0]
        c0 = rq.rq_cost_normal(ropt, Q, h, p, K, lam, tau, L)[0]
        for d in (-0.5, 0.5):
            assert rq.rq_cost_normal(ropt + d, Q, h, p, K, lam, tau, L)[0] > c0


def test_o13_poisson_exact():
    r, Q, g = rq.rq_poisson_exact([20, 4], [150, 28], [100, 4], [1.5, 12], [2, 0.5])
    assert r.tolist() == [3, 6] and Q.tolist() == [5, 7]
    np.testing.assert_allclose(g, [107.9235806331498, 28.241312842169155], rtol=1e-12)
    np.testing.assert_allclose(rq.rq_cost_poisson([8, 3], [12, 9], [20, 4], [150, 28], [100, 4],
                                                   [1.5, 12], [2, 0.5]),
                               [242.5281637662021, 34.264154469469503], rtol=1e-12)


def test_poisson_exact_equals_brute_force():
    rng = np.random.default_rng(9)
    n = 6
    h, p, K = rng.uniform(0.5, 5, n), rng.uniform(5, 60, n), rng.uniform(1, 80, n)
    lam, L = rng.uniform(0.5, 20, n), rng.uniform(0.1, 2, n)
    r, Q, g = rq.rq_poisson_exact(h, p, K, lam, L)
    for i in range(n):
        rr, QQ = np.meshgrid(np.arange(-5, 60), np.arange(1, 60))
        c = rq.rq_cost_poisson(rr.ravel(), QQ.ravel(), h[i], p[i], K[i], lam[i], L[i])
        assert g[i] == pytest.approx(c.min(), rel=1e-12)
        assert rq.rq_cost_poisson(r[i], Q[i], h[i], p[i], K[i], lam[i], L[i])[0] == \
            pytest.approx(g[i], rel=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: rq.rq_cost_normal(1, 0, **EX51), r"Q must be finite and in \(0, inf\); received 0\.0"),
    (lambda: rq.rq_cost_normal(1, 5, **{**EX51, "holding_cost": -1}), r"holding_cost must be finite and in \(0, inf\)"),
    (lambda: rq.rq_eil_approximation(**{**EX51, "lead_time": -1}), r"lead_time must be finite and in \[0, inf\)"),
    (lambda: rq.rq_eil_approximation(**{**EX51, "demand_sd": 0}), "must be > 0 for normal"),
    (lambda: rq.rq_cost_poisson(1.5, 3, 1, 2, 3, 4, 1), "must be an integer"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_fill_rate_formulas():
    # O-14 standard normal loss values: sigma_L = 1, z_r = 0.3, z_{r+Q} = 3.1 (Q = 2.8)
    beta = rq.rq_fill_rate_normal(0.3, 2.8, 0.0, 1.0, 1.0)[0]
    assert beta == pytest.approx(1 - (0.266761242117210 - 2.672490952231408e-04) / 2.8, rel=1e-12)
    # N(1000, 300^2): r = 1000 + 2*300 = 1600 has n = 300 x 0.0085 = 2.55 (table, 2 digits)
    b = rq.rq_fill_rate_normal(1600, 100, 1000, 300, 1)[0]
    # the table prints L(2.0) = 0.0085 (2 digits: +-0.00005 -> n +-0.015 -> beta +-1.5e-4)
    assert 1 - b == pytest.approx((2.55 - float(rq.normal_loss1(1700, 1000, 300))) / 100, abs=1.5e-4)
    # Poisson continuous (r, Q) = the service module's continuous-review (s, nQ) fill rate
    from policies.service import evaluate_policy
    for r, Q, lam, L in [(3, 4, 1.5, 2.0), (0, 1, 0.4, 3.0), (10, 6, 5.0, 1.5)]:
        ev = evaluate_policy("poisson", lam, None, L, 0.0, reorder_point=r, order_quantity=Q,
                             policy="snQ")
        assert rq.rq_fill_rate_poisson(r, Q, lam, L)[0] == pytest.approx(ev.fill_rate[0], abs=1e-9)


def test_normal_fill_rate_equals_quadrature_of_units_short():
    """Another route for ``rq_fill_rate_normal``: with the inventory position uniform on
    [r, r + Q] and independent of the lead-time demand D ~ N(λL, τ²L), the units short per
    cycle are E[(D − r)^+] − E[(D − r − Q)^+] = ∫_r^{r+Q} P(D > y) dy (Axsäter 2015 §5.3),
    integrated numerically here; and by Monte Carlo: a unit of (fluid) demand is short iff the
    net stock IP − D it meets is <= 0, so 1 − β = P(D >= IP) over independent draws of
    IP ~ U[r, r + Q] and D (tolerance 4.5 standard errors)."""
    rng = np.random.default_rng(12)
    for r, Q, lam, tau, L in [(126.8, 328.5, 1300, 150, 1 / 12), (95.0, 40.0, 1300, 150, 1 / 12),
                              (-3.0, 12.0, 50.0, 20.0, 0.2)]:
        mu, sd = lam * L, tau * np.sqrt(L)
        short = integrate.quad(lambda y: stats.norm.sf(y, mu, sd), r, r + Q, epsabs=1e-12)[0]
        beta = rq.rq_fill_rate_normal(r, Q, lam, tau, L)[0]
        assert beta == pytest.approx(1.0 - short / Q, abs=1e-10)
        ip = rng.uniform(r, r + Q, 400_000)
        d = rng.normal(mu, sd, ip.size)
        est = (d < ip).astype(float)             # the unit is filled from stock
        assert abs(est.mean() - beta) <= 4.5 * est.std(ddof=1) / np.sqrt(est.size)
