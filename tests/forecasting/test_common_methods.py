"""Common tests over every registered method (DESIGN §3.6) and bad-input errors."""
from __future__ import annotations

import numpy as np
import pytest

import forecasting as F

METHODS = F.available_methods()


def test_registry_has_the_required_methods():
    assert {"croston", "sba", "tsb", "adida", "imapa", "ses", "holt",
            "holt_winters"} <= set(METHODS)


@pytest.mark.parametrize("method", METHODS)
def test_all_zero_gives_zero(method):
    for t in (1, 2, 5, 30):
        out = F.forecast(np.zeros((3, t)), 4, method)
        np.testing.assert_array_equal(out, np.zeros((3, 4)))


@pytest.mark.parametrize("method", METHODS)
def test_nonnegative_finite_and_shape(method, panel):
    out = F.forecast(panel, 13, method)
    assert out.shape == (panel.shape[0], 13)
    assert np.isfinite(out).all() and (out >= 0).all()


@pytest.mark.parametrize("method", METHODS)
def test_row_order_does_not_matter(method, panel):
    perm = np.random.default_rng(11).permutation(panel.shape[0])
    a = F.forecast(panel, 3, method)
    b = F.forecast(panel[perm], 3, method)
    np.testing.assert_array_equal(a[perm], b)


@pytest.mark.parametrize("method", METHODS)
def test_fit_predict_equals_forecast(method, panel):
    res = F.fit(panel, method)
    np.testing.assert_array_equal(res.predict(6), F.forecast(panel, 6, method))
    assert res.fitted.shape == panel.shape
    est = F.Forecaster(method)
    np.testing.assert_array_equal(est.fit(panel).predict(6), est.forecast(panel, 6))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("series", [[0.0], [4.0], [0.0, 2.0], [3.0, 0.0], [0, 0, 0, 1.0],
                                    [5.0, 0, 0, 0, 0, 0, 0], [1.0, 1.0], [0, 7.0, 0]])
def test_short_and_single_demand_series_defined(method, series):
    out = F.forecast(np.asarray(series, dtype=float), 3, method)
    assert out.shape == (1, 3)
    assert np.isfinite(out).all() and (out >= 0).all()


def test_estimator_classes_match_names(panel):
    pairs = [(F.Croston, "croston"), (F.SBA, "sba"), (F.TSB, "tsb"), (F.ADIDA, "adida"),
             (F.IMAPA, "imapa"), (F.SES, "ses"), (F.Holt, "holt"),
             (F.HoltWinters, "holt_winters")]
    for cls, name in pairs:
        np.testing.assert_array_equal(cls().forecast(panel[:50], 2),
                                      F.forecast(panel[:50], 2, name))
    est = F.Croston(alpha=0.2).fit(panel[:5])
    assert est.level_.shape == (5,) and est.fitted_.shape == (5, panel.shape[1])


def test_integer_input_equals_float_input(panel):
    yi = panel[:40].round().astype(np.int64)
    np.testing.assert_array_equal(F.forecast(yi, 2, "croston"),
                                  F.forecast(yi.astype(float), 2, "croston"))


def test_horizon_steps_are_flat_for_intermittent_methods(panel):
    for m in ("croston", "sba", "tsb", "adida", "imapa", "ses"):
        out = F.forecast(panel, 13, m)
        np.testing.assert_array_equal(out[:, :4], F.forecast(panel, 4, m))
        assert (out == out[:, :1]).all()


# ---- bad input -----------------------------------------------------------------------

@pytest.mark.parametrize("bad,match", [
    (np.zeros((2, 3, 4)), "2-D array"),
    (np.zeros((3, 0)), "at least 1 period"),
    (np.array([[1.0, np.nan, 2.0], [1, 1, 1]]), r"series index 0 at period 1"),
    (np.array([[1.0, 2.0], [1, np.inf]]), r"series index 1"),
    (np.array([[1.0, 2.0], [0, 1], [3, -1]]), r"negative demand \(-1.0\) in series index 2"),
    (np.array([["a", "b"]]), "numeric"),
])
def test_bad_panels_raise_clear_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        F.forecast(bad, 1, "croston")


@pytest.mark.parametrize("h", [0, -1, 1.5, "3", None, True])
def test_bad_horizon(h):
    with pytest.raises(ValueError, match=r"h \(horizon\) must be an integer >= 1, received"):
        F.forecast(np.ones((1, 5)), h, "croston")


def test_unknown_method_and_parameter():
    with pytest.raises(ValueError, match=r"method must be one of .*'croston'.*received 'crost'"):
        F.forecast(np.ones((1, 5)), 1, "crost")
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['beta'\] for method 'croston'"):
        F.forecast(np.ones((1, 5)), 1, "croston", beta=0.1)


UNIT_PARAMS = [("croston", "alpha"), ("croston", "alpha_interval"), ("sba", "alpha"),
               ("ses", "alpha"), ("tsb", "alpha_d"), ("tsb", "alpha_p"), ("holt", "alpha"),
               ("holt", "beta"), ("holt", "phi"), ("holt_winters", "alpha"),
               ("holt_winters", "beta"), ("holt_winters", "gamma"), ("sba", "factor")]


@pytest.mark.parametrize("method,param", UNIT_PARAMS)
@pytest.mark.parametrize("value", [0.0, -0.2, 1.5, float("nan"), "fast"])
def test_parameters_outside_unit_interval(method, param, value):
    with pytest.raises(ValueError, match=rf"{param} must be .*\(0, 1\].*received"):
        F.forecast(np.ones((2, 30)), 1, method, **{param: value})


@pytest.mark.parametrize("method,param", UNIT_PARAMS)
def test_unit_interval_ends_are_valid(method, param):
    """(0, 1] is open at 0 and closed at 1: the value 1 and a small positive value run."""
    y = make_small_panel()
    for value in (1.0, 1e-3):
        out = F.forecast(y, 2, method, **{param: value})
        assert out.shape == (y.shape[0], 2) and np.isfinite(out).all() and (out >= 0).all()


def make_small_panel():
    rng = np.random.default_rng(3)
    return (rng.random((4, 30)) < 0.5) * rng.integers(1, 6, (4, 30)).astype(float)


@pytest.mark.parametrize("method", [m for m in METHODS
                                    if "optimizer" in F.METHODS[m].defaults])
def test_unknown_optimizer_is_refused_even_with_fixed_parameters(method):
    """Every method with an ``optimizer`` parameter validates it, also when its smoothing
    parameters are fixed and no search runs (``ses`` used to accept any value then)."""
    with pytest.raises(ValueError, match=r"optimizer must be one of \['newton', 'golden'\].*"
                                         r"received 'fast'"):
        F.forecast(np.ones((2, 8)), 1, method, optimizer="fast")
    with pytest.raises(ValueError, match=r"bounds must satisfy 0 < lower < upper <= 1, received"):
        if "bounds" not in F.METHODS[method].defaults:
            raise ValueError("bounds must satisfy 0 < lower < upper <= 1, received (no bounds)")
        F.forecast(np.ones((2, 8)), 1, method, bounds=(0.3, 0.1))


def test_ragged_rows_are_refused_with_a_clear_error():
    with pytest.raises(ValueError, match=r"y must be a rectangular array .*unequal-length rows"):
        F.forecast([[1.0, 2.0, 0.0], [3.0]], 1, "croston")


def test_parameter_array_wrong_length():
    with pytest.raises(ValueError, match=r"alpha must be a scalar in \(0, 1\] or an array"):
        F.forecast(np.ones((3, 6)), 1, "croston", alpha=[0.1, 0.2])
    with pytest.raises(ValueError, match=r"series index 1"):
        F.forecast(np.ones((3, 6)), 1, "croston", alpha=[0.1, 2.0, 0.2])


def test_bad_bounds_and_season_length():
    with pytest.raises(ValueError, match="bounds"):
        F.forecast(np.ones((1, 6)), 1, "ses", alpha="optimize", bounds=(0.5, 0.1))
    with pytest.raises(ValueError, match="season_length must be an integer >= 2"):
        F.forecast(np.ones((1, 30)), 1, "holt_winters", season_length=1)


def test_predict_before_fit():
    with pytest.raises(ValueError, match="before fit"):
        F.Croston().predict(3)


def test_forecast_many_equals_single_calls(panel):
    many = F.forecast_many(panel, 5)
    assert list(many) == ["croston", "sba", "tsb", "adida", "imapa", "ses"]
    for m, v in many.items():
        np.testing.assert_array_equal(v, F.forecast(panel, 5, m))


@pytest.mark.parametrize("optimizer", ["newton", "golden"])
def test_forecast_many_threads_and_optimizer(panel, optimizer):
    """n_jobs=2 (a second thread for the fixed-parameter methods, threaded searches)
    gives the same arrays as n_jobs=1 and as separate calls, for both optimisers."""
    one = F.forecast_many(panel, 3, optimizer=optimizer)
    two = F.forecast_many(panel, 3, n_jobs=2, optimizer=optimizer)
    sub = F.forecast_many(panel, 3, methods=("ses", "imapa"), n_jobs=2, optimizer=optimizer)
    assert list(sub) == ["ses", "imapa"]
    for m in one:
        np.testing.assert_array_equal(one[m], two[m])
        np.testing.assert_array_equal(one[m], F.forecast(panel, 3, m, optimizer=optimizer))
    for m in sub:
        np.testing.assert_array_equal(sub[m], one[m])
    smooth = F.forecast_many(panel[:50], 2, methods=("holt", "ses"), optimizer=optimizer)
    np.testing.assert_array_equal(smooth["holt"], F.forecast(panel[:50], 2, "holt"))


@pytest.mark.parametrize("method,params", [("adida", {}), ("imapa", {}),
                                           ("croston", {"alpha": "optimize"}),
                                           ("ses", {"alpha": "optimize"}),
                                           ("tsb", {"alpha_d": "optimize", "alpha_p": "optimize"})])
def test_threads_do_not_change_results(method, params, make_panel):
    from forecasting import _ses
    y = make_panel(n=3 * 700, t=40, seed=5)
    old = _ses.BLOCK
    _ses.BLOCK = 512           # several blocks so the threads really split the work
    try:
        one = F.forecast(y, 2, method, n_jobs=1, **params)
        two = F.forecast(y, 2, method, n_jobs=2, **params)
    finally:
        _ses.BLOCK = old
    np.testing.assert_array_equal(one, two)
