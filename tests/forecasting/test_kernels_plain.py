"""Vectorised kernels against plain per-series Python implementations (DESIGN §3.2).

The plain versions below are written from the equations in the docstrings, one
series at a time with Python scalars, independently of the kernels.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import forecasting as F
from forecasting._ses import golden_section_alpha, optimal_alpha, pack_events, ses_sse


def plain_ses(x, alpha):
    lvl = x[0]
    for v in x[1:]:
        lvl = alpha * v + (1.0 - alpha) * lvl
    return lvl


def plain_sse(x, alpha):
    if len(x) < 2:
        return 0.0
    f, s = x[0], 0.0
    for i in range(1, len(x)):
        f = alpha * x[i - 1] + (1.0 - alpha) * f
        s += (x[i] - f) * (x[i] - f)
    return s


def plain_golden(x, lo, hi):
    gr = (math.sqrt(5.0) + 1.0) / 2.0
    a, b = lo, hi
    c, d = b - (b - a) / gr, a + (b - a) / gr
    fc, fd = plain_sse(x, c), plain_sse(x, d)
    while abs(b - a) >= 1e-12:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - (b - a) / gr
            fc = plain_sse(x, c)
        elif fd < fc:
            a, c, fc = c, d, fd
            d = a + (b - a) / gr
            fd = plain_sse(x, d)
        else:
            break
    return (a + b) / 2.0


def plain_derivative(x, alpha):
    """dSSE/dalpha by differentiating the one-step recursion term by term:
    f_i' = x_{i-1} - f_{i-1} + (1 - alpha) f_{i-1}',  SSE' = -2 sum (x_i - f_i) f_i'."""
    f, g, d = x[0], 0.0, 0.0
    for i in range(1, len(x)):
        f, g = alpha * x[i - 1] + (1.0 - alpha) * f, (x[i - 1] - f) + (1.0 - alpha) * g
        d += -2.0 * (x[i] - f) * g
    return d


def plain_argmin(x, lo, hi, grid=201):
    """Global minimiser of plain_sse on [lo, hi] by another route than the kernel's:
    the best of a dense grid, then bisection on the sign of plain_derivative between
    its neighbours (an end is kept when the derivative points out of the interval)."""
    pts = [lo + (hi - lo) * i / (grid - 1) for i in range(grid)]
    sse = [plain_sse(x, a) for a in pts]
    g = min(range(grid), key=lambda i: (sse[i], i))
    if len(x) < 3 or max(sse) == min(sse):
        return (lo + hi) / 2.0
    if g == 0 and plain_derivative(x, lo) >= 0:
        return lo
    if g == grid - 1 and plain_derivative(x, hi) <= 0:
        return hi
    a, b = pts[max(g - 1, 0)], pts[min(g + 1, grid - 1)]
    for _ in range(60):
        m = (a + b) / 2.0
        if plain_derivative(x, m) < 0:
            a = m
        else:
            b = m
    return (a + b) / 2.0


def plain_events(y):
    sizes = [v for v in y if v > 0]
    idx = [i for i, v in enumerate(y) if v != 0]
    intervals = [i - j for i, j in zip(idx, [-1] + idx[:-1])]
    return sizes, intervals


def plain_croston(y, alpha):
    z, p = plain_events(y)
    if not z:
        return 0.0
    return plain_ses(z, alpha) / plain_ses(p, alpha)


def plain_tsb(y, ad, ap):
    z, _ = plain_events(y)
    if not z:
        return 0.0
    occ = [1.0 if v != 0 else 0.0 for v in y]
    return plain_ses(occ, ap) * plain_ses(z, ad)


def plain_agg(y, k, adida, argmin=plain_golden):
    n = len(y)
    lost = n % k
    if n - lost < k:
        return y[-1]
    sums = [sum(y[lost + i * k: lost + (i + 1) * k]) for i in range((n - lost) // k)]
    if adida and len(sums) == 1:
        return sums[0]
    return plain_ses(sums, argmin(sums, 0.1, 0.3))


def plain_k(y):
    _, p = plain_events(y)
    return round(sum(p) / len(p)) if p else 0


def plain_adida(y, argmin=plain_golden):
    k = plain_k(y)
    return 0.0 if k == 0 else plain_agg(y, k, True, argmin) / k


def plain_imapa(y, argmin=plain_golden):
    kmax = plain_k(y)
    if kmax == 0:
        return 0.0
    return sum(plain_agg(y, k, False, argmin) / k for k in range(1, kmax + 1)) / kmax


@pytest.fixture(scope="module")
def small(make_panel):
    return make_panel(n=150, t=37, seed=3)


def test_pack_events_matches_plain(small):
    sizes, intervals, counts = pack_events(small)
    for r, row in enumerate(small):
        z, p = plain_events(list(row))
        assert counts[r] == len(z)
        np.testing.assert_array_equal(sizes[r, :len(z)], z)
        np.testing.assert_array_equal(intervals[r, :len(p)], p)


def test_golden_and_sse_match_plain(small):
    alphas = golden_section_alpha(small, None, 0.1, 0.3)
    np.testing.assert_array_equal(optimal_alpha(small, None, 0.1, 0.3, optimizer="golden"),
                                  alphas)
    for r, row in enumerate(small):
        assert alphas[r] == plain_golden(list(row), 0.1, 0.3)
    sse = ses_sse(small, 0.23)
    np.testing.assert_allclose(sse, [plain_sse(list(r), 0.23) for r in small], rtol=1e-13)


@pytest.mark.parametrize("method,plain,params", [
    ("croston", lambda y: plain_croston(y, 0.1), {}),
    ("sba", lambda y: 0.95 * plain_croston(y, 0.1), {}),
    ("tsb", lambda y: plain_tsb(y, 0.1, 0.1), {}),
    ("ses", lambda y: plain_ses(y, 0.1), {}),
    ("adida", plain_adida, {"optimizer": "golden"}),
    ("imapa", plain_imapa, {"optimizer": "golden"}),
])
def test_methods_match_plain(small, method, plain, params):
    got = F.forecast(small, 2, method, **params)
    want = np.array([plain(list(row)) for row in small])
    np.testing.assert_allclose(got[:, 0], want, rtol=1e-12, atol=1e-300)
    np.testing.assert_array_equal(got[:, 0], got[:, 1])


@pytest.mark.parametrize("method,plain", [
    ("adida", lambda y: plain_adida(y, plain_argmin)),
    ("imapa", lambda y: plain_imapa(y, plain_argmin)),
])
def test_default_optimizer_matches_plain_global_minimiser(small, method, plain):
    """The default (fast exact) optimiser against a plain global minimiser (dense grid
    then bisection on the derivative): both solve SSE' = 0 to ~1e-13, so the
    forecasts agree to rounding, not to the ~1e-8 of the golden section."""
    got = F.forecast(small, 1, method)[:, 0]
    want = np.array([plain(list(row)) for row in small])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-300)


def test_per_series_alpha_array_matches_scalar_runs(small):
    alphas = np.linspace(0.05, 1.0, small.shape[0])
    got = F.forecast(small, 1, "croston", alpha=alphas)[:, 0]
    want = [plain_croston(list(row), a) for row, a in zip(small, alphas)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("method", ["croston", "sba", "tsb", "ses"])
def test_fitted_is_forecast_from_prefix(small, method):
    """fitted[:, t] == forecast from periods 0..t-1 (fixed-parameter methods)."""
    res = F.fit(small, method)
    assert np.isnan(res.fitted[:, 0]).all()
    for t in (1, 2, 5, 17, small.shape[1] - 1):
        np.testing.assert_allclose(res.fitted[:, t], F.forecast(small[:, :t], 1, method)[:, 0],
                                   rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("method", ["adida", "imapa"])
def test_aggregation_fitted_matches_fixed_parameter_blocks(small, method):
    """ADIDA/IMAPA fitted: SES level over complete blocks before t with the final
    alpha and k, divided by k (documented convention), checked per series (with the
    golden-section optimiser, whose alphas the plain version reproduces exactly)."""
    res = F.fit(small, method, optimizer="golden")
    t = small.shape[1]
    for r in range(0, small.shape[0], 7):
        row = list(small[r])
        kmax = plain_k(row)
        for tt in (1, 9, 20, t - 1):
            if kmax == 0:
                assert res.fitted[r, tt] == 0.0
                continue
            ks = [kmax] if method == "adida" else list(range(1, kmax + 1))
            vals = []
            for k in ks:
                lost = t % k
                done = (tt - lost) // k
                if done < 1:
                    vals.append(np.nan)
                    continue
                sums = [sum(row[lost + i * k: lost + (i + 1) * k]) for i in range((t - lost) // k)]
                if len(sums) == 1:
                    a = 0.5
                else:
                    a = plain_golden(sums, 0.1, 0.3)
                vals.append(plain_ses(sums[:done], a) / k)
            want = sum(vals) / len(vals)
            if np.isnan(want):
                assert np.isnan(res.fitted[r, tt])
            else:
                assert res.fitted[r, tt] == pytest.approx(want, rel=1e-12)
