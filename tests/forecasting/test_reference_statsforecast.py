"""Point forecasts equal statsforecast 2.1.1 (ORACLES.md F) to 1e-9 on a seeded panel.

statsforecast is a test extra; the module is skipped with a visible reason without it.
"""
from __future__ import annotations

import numpy as np
import pytest

import forecasting as F

sf_models = pytest.importorskip("statsforecast.models",
                                reason="statsforecast (test extra) is not installed")

H = 4


def _reference(model, y: np.ndarray, h: int = H) -> np.ndarray:
    return np.vstack([model.forecast(y=row.copy(), h=h)["mean"] for row in y])


CASES = [
    ("croston", {}, lambda: sf_models.CrostonClassic()),
    ("sba", {}, lambda: sf_models.CrostonSBA()),
    ("tsb", {}, lambda: sf_models.TSB(alpha_d=0.1, alpha_p=0.1)),
    ("adida", {}, lambda: sf_models.ADIDA()),
    ("imapa", {}, lambda: sf_models.IMAPA()),
    ("ses", {}, lambda: sf_models.SimpleExponentialSmoothing(alpha=0.1)),
    ("croston", {"alpha": "optimize"}, lambda: sf_models.CrostonOptimized()),
    ("ses", {"alpha": "optimize"}, lambda: sf_models.SimpleExponentialSmoothingOptimized()),
    ("tsb", {"alpha_d": 0.3, "alpha_p": 0.05}, lambda: sf_models.TSB(alpha_d=0.3, alpha_p=0.05)),
    ("ses", {"alpha": 0.35}, lambda: sf_models.SimpleExponentialSmoothing(alpha=0.35)),
    ("sba", {"factor": 0.95, "alpha": 0.1}, lambda: sf_models.CrostonSBA()),
]


@pytest.fixture(scope="module")
def big_panel(make_panel):
    # >= 1,000 mixed series; two lengths so the aggregation drop (T mod k) varies
    return make_panel(n=1200, t=60, seed=7), make_panel(n=300, t=104, seed=8)


@pytest.mark.parametrize("method,params,make", CASES,
                         ids=[f"{m}-{p}" for m, p, _ in CASES])
def test_equals_statsforecast(big_panel, method, params, make):
    for y in big_panel:
        ours = F.forecast(y, H, method, **params)
        ref = _reference(make(), y)
        assert ours.shape == ref.shape == (y.shape[0], H)
        np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-12)


def test_croston_sba_rule_matches_reference_factor_at_default_alpha(big_panel):
    """Our SBA default factor 1 - alpha/2 equals statsforecast's 0.95 at alpha = 0.1."""
    y = big_panel[0]
    np.testing.assert_array_equal(F.forecast(y, 1, "sba"), F.forecast(y, 1, "sba", factor=0.95))


# Edge rows of ORACLES.md F (step-1 values printed to 6 significant digits; T = 104).
def _edge(kind):
    y = np.zeros(104)
    if kind == "single_first":
        y[0] = 3.0
    elif kind == "single_last":
        y[-1] = 5.0
    elif kind == "constant":
        y[:] = 1.0
    return y


EDGE = {
    "all_zero": dict(croston=0, sba=0, tsb=0, adida=0, imapa=0),
    "constant": dict(croston=1, sba=0.95, tsb=1, adida=1, imapa=1),
    "single_first": dict(croston=3, sba=2.85, tsb=5.80898e-05, adida=3.32828e-16,
                         imapa=3.32828e-16),
    "single_last": dict(croston=0.0480769, sba=0.0456731, tsb=0.5, adida=0.0480769,
                        imapa=0.0767294),
}


@pytest.mark.parametrize("kind", sorted(EDGE))
def test_published_edge_rows(kind):
    y = _edge(kind)
    for method, expected in EDGE[kind].items():
        got = F.forecast(y, 1, method)[0, 0]
        assert got == pytest.approx(expected, rel=5e-6, abs=1e-15), (kind, method)
