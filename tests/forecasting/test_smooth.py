"""Holt / Holt-Winters kernels against statsmodels' ExponentialSmoothing (same init)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from statsmodels.tsa.holtwinters import ExponentialSmoothing

import forecasting as F
from forecasting.smooth import ALPHA_GRID, BETA_GRID


def _seasonal_panel(n=6, t=48, m=12, seed=0):
    rng = np.random.default_rng(seed)
    tt = np.arange(t)
    base = 20 + rng.uniform(-0.2, 0.3, (n, 1)) * tt
    season = rng.uniform(1, 5, (n, 1)) * np.sin(2 * np.pi * (tt + rng.integers(0, m, (n, 1))) / m)
    return np.maximum(base + season + rng.normal(0, 1, (n, t)), 0)


def _sm(y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kw.pop("fit")(ExponentialSmoothing(y, **kw))


def test_holt_winters_equals_statsmodels_with_same_initial_states():
    y = _seasonal_panel()
    m = 12
    params = dict(alpha=0.3, beta=0.1, gamma=0.2)
    ours = F.fit(y, "holt_winters", season_length=m, **params)
    pred = ours.predict(15)
    for r in range(y.shape[0]):
        l0 = y[r, :m].mean()
        res = _sm(y[r], trend="add", seasonal="add", seasonal_periods=m,
                  initialization_method="known", initial_level=l0,
                  initial_trend=(y[r, m:2 * m].mean() - l0) / m, initial_seasonal=y[r, :m] - l0,
                  fit=lambda mod: mod.fit(smoothing_level=0.3, smoothing_trend=0.1,
                                          smoothing_seasonal=0.2, optimized=False))
        sm = res.forecast(15)
        # statsmodels 0.15 uses s_{T-m} instead of s_T at exactly h = m (its forecast
        # indexing); FPP 3rd ed. eq. 8.3 gives s_T, which we follow: check it directly.
        steps = np.arange(1, 16)
        keep = steps % m != 0
        np.testing.assert_allclose(pred[r, keep], np.maximum(sm[keep], 0), rtol=1e-10)
        assert pred[r, m - 1] == pytest.approx(
            max(res.level[-1] + m * res.trend[-1] + res.season[-1], 0), rel=1e-12)
        np.testing.assert_allclose(ours.fitted[r, 1:], res.fittedvalues[1:], rtol=1e-10)


@pytest.mark.parametrize("phi", [1.0, 0.9])
def test_holt_equals_statsmodels_with_same_initial_states(phi):
    y = _seasonal_panel(seed=1)
    pred = F.forecast(y, 8, "holt", alpha=0.4, beta=0.15, phi=phi)
    for r in range(y.shape[0]):
        res = _sm(y[r], trend="add", damped_trend=phi < 1, initialization_method="known",
                  initial_level=y[r, 0], initial_trend=y[r, 1] - y[r, 0],
                  fit=lambda mod: mod.fit(smoothing_level=0.4, smoothing_trend=0.15,
                                          **({"damping_trend": phi} if phi < 1 else {}),
                                          optimized=False))
        np.testing.assert_allclose(pred[r], np.maximum(res.forecast(8), 0), rtol=1e-10)


def test_holt_grid_choice_is_the_per_series_argmin():
    y = _seasonal_panel(n=5, seed=2)
    res = F.fit(y, "holt")
    for r in range(y.shape[0]):
        best = None
        for a in ALPHA_GRID:
            for b in BETA_GRID:
                e = y[r] - F.fit(y[r], "holt", alpha=a, beta=b).fitted[0]
                e[0] = y[r, 0] - (y[r, 0] + (y[r, 1] - y[r, 0]))  # period 0 counts in the SSE
                sse = float(np.sum(e * e))
                if best is None or sse < best[0]:
                    best = (sse, a, b)
        assert (res.params["alpha"][r], res.params["beta"][r]) == (best[1], best[2])


def test_holt_winters_short_series_falls_back_to_holt():
    y = _seasonal_panel(n=3, t=20)
    np.testing.assert_array_equal(
        F.forecast(y, 4, "holt_winters", season_length=12, alpha=0.2, beta=0.1, gamma=0.1),
        F.forecast(y, 4, "holt", alpha=0.2, beta=0.1))


@pytest.mark.parametrize("fixed,free", [("alpha", "beta"), ("beta", "alpha")])
def test_holt_one_parameter_fixed_the_other_optimised(fixed, free):
    """Holt with one smoothing parameter given and the other left at "optimize" (the
    default) chooses the free one per series as the argmin over its grid with the given
    one held fixed (this combination raised TypeError before)."""
    y = _seasonal_panel(n=5, seed=4)
    grid = {"alpha": ALPHA_GRID, "beta": BETA_GRID}[free]
    res = F.fit(y, "holt", **{fixed: 0.3})
    assert res.params[fixed] == 0.3
    for r in range(y.shape[0]):
        sse = []
        for v in grid:
            e = y[r] - F.fit(y[r], "holt", **{fixed: 0.3, free: v}).fitted[0]
            e[0] = y[r, 0] - (y[r, 0] + (y[r, 1] - y[r, 0]))  # period 0 counts in the SSE
            sse.append(float(np.sum(e * e)))
        assert res.params[free][r] == grid[int(np.argmin(sse))]
        np.testing.assert_array_equal(
            res.predict(3)[r], F.forecast(y[r], 3, "holt", **{fixed: 0.3, free: grid[int(np.argmin(sse))]})[0])


def test_holt_winters_some_parameters_fixed():
    """Holt-Winters with gamma fixed and alpha, beta optimised equals the fit with the chosen
    alpha, beta given; the fixed value is kept."""
    y = _seasonal_panel(n=4, t=48, seed=5)
    res = F.fit(y, "holt_winters", gamma=0.2, season_length=12)
    assert res.params["gamma"] == 0.2
    again = F.forecast(y, 4, "holt_winters", gamma=0.2, season_length=12,
                       alpha=res.params["alpha"], beta=res.params["beta"])
    np.testing.assert_array_equal(res.predict(4), again)
    assert np.isin(res.params["alpha"], ALPHA_GRID).all() and np.isin(res.params["beta"], BETA_GRID).all()
