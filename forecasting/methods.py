"""Registry of forecasting methods, the stable array entry point and estimators.

``forecast(y, h, method, **params) -> ndarray (series, h)`` is the entry point
scripts rely on; ``fit(y, method, **params) -> FitResult`` exposes the fitted
state (one-step level, in-sample fitted values, parameters).  Every method is a
kernel on arrays (modules :mod:`forecasting.intermittent`,
:mod:`forecasting.aggregation`, :mod:`forecasting.smooth`) registered here by
name with its parameters and defaults; the estimator classes are thin wrappers.

Defaults reproduce statsforecast 2.1.1 (ORACLES.md F): alpha = 0.1 for Croston,
SBA and SES; alpha_d = alpha_p = 0.1 for TSB.  Any smoothing parameter may be
given as a scalar in (0, 1], as an array with one value per series, or as the
string ``"optimize"`` (per series, the value in ``bounds`` minimising the in-sample
one-step squared error of the smoothed component; this is statsforecast's
CrostonOptimized / SimpleExponentialSmoothingOptimized rule).  ``optimizer``
chooses how that minimum is found, for ``"optimize"`` and for ADIDA and IMAPA:
``"newton"`` (default, a fast exact minimiser) or ``"golden"`` (statsforecast's
golden-section search, bit-identical to it, about 5x slower); see
:mod:`forecasting._ses`.
Squared error is used because it is minimised by the mean, which is what the
stock-policy layer consumes, and because it is the reference's rule (so the
optimised variants reproduce it); absolute error would favour zero forecasts on
intermittent series (Kourentzes 2014, IJF 30:201-208).

Deliberate differences from the references (each covered by a test):

* Optimised alphas (ADIDA, IMAPA, ``"optimize"``) are exact minimisers of the
  reference's SSE on the reference's interval, found by a faster search than its
  golden section (``optimizer="golden"`` restores it).  The golden alpha is only
  determined to ~1e-8 (the SSE is flat to rounding near its minimum), so
  forecasts differ by ~1e-9 to 1e-7 relative; on series whose SSE has several
  local minima (about 0.1-0.3 %) ours is the lowest and can differ by more
  (details and measurements in :mod:`forecasting._ses`).
* Integer input is cast to float64; statsforecast casts it to float32 first
  (exact for integers below 2**24, so the forecasts still agree).
* SBA's default factor is ``1 - alpha_interval / 2`` (Syntetos & Boylan 2005;
  R/sktime, ORACLES O-1), which equals statsforecast's hard-coded 0.95 at the
  default alpha = 0.1; ``factor=0.95`` reproduces statsforecast at any alpha.
* In-sample ``fitted`` values are one-step forecasts with the final parameters
  (see :class:`FitResult`); statsforecast's fitted values for ADIDA, IMAPA and
  CrostonOptimized re-optimise every prefix and are not reproduced.
* TSB starts its probability at the first period's occurrence (statsforecast);
  the sktime/R-test variant with p0 = 0.5 (ORACLES O-3) is
  :func:`forecasting.intermittent.tsb_sktime_kernel`.
* Holt-Winters forecasts use s_T at step h = m (Hyndman & Athanasopoulos eq.
  8.3); statsmodels 0.15 uses s_{T-m} at exactly that step.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._checks import as_panel, check_horizon, check_positive_int, check_unit_interval
from ._result import FitResult
from .aggregation import (adida_from_levels, adida_kernel, imapa_from_levels, imapa_kernel,
                          level_forecasts)
from .intermittent import croston_alphas, croston_kernel, ses_kernel, tsb_kernel
from ._ses import DEFAULT_OPTIMIZER, check_optimizer, optimal_alpha
from .smooth import holt_kernel, holt_winters_kernel

__all__ = ["METHODS", "MethodSpec", "register", "available_methods", "fit", "forecast", "forecast_many",
           "Forecaster", "Croston", "SBA", "TSB", "ADIDA", "IMAPA", "SES", "Holt",
           "HoltWinters"]

OPTIMIZE = "optimize"


@dataclass(frozen=True)
class MethodSpec:
    """A registered method: ``run(y, params, fitted) -> FitResult`` plus its defaults."""

    name: str
    run: Callable[[np.ndarray, dict, bool], FitResult]
    defaults: dict = field(default_factory=dict)
    description: str = ""


METHODS: dict[str, MethodSpec] = {}


def register(spec: MethodSpec) -> MethodSpec:
    """Add a method to the registry (the common tests run over every entry)."""
    METHODS[spec.name] = spec
    return spec


def available_methods() -> list[str]:
    return sorted(METHODS)


def _bounds(params):
    b = params.get("bounds")
    if b is None:
        return None
    try:
        lo, hi = (float(v) for v in b)
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be a pair (lower, upper) with 0 < lower < upper <= 1, "
                         f"received {b!r}") from None
    if not (0.0 < lo < hi <= 1.0):
        raise ValueError(f"bounds must satisfy 0 < lower < upper <= 1, received {b!r}")
    return lo, hi


def _optimizer(params) -> str:
    return check_optimizer(params.get("optimizer", DEFAULT_OPTIMIZER))


def _alpha(value, name, n, optimizable=True):
    """Validate a smoothing parameter; returns a float, an (n,) array or OPTIMIZE."""
    if isinstance(value, str):
        if optimizable and value == OPTIMIZE:
            return OPTIMIZE
        raise ValueError(f"{name} must be a number in (0, 1], an array of one value per "
                         f"series, or 'optimize'; received {value!r}")
    return check_unit_interval(value, name, n)


# --- method runners: validate params, call the kernel -------------------------------

def _run_croston(y, p, fitted, sba=False, name="croston"):
    n = y.shape[0]
    a = _alpha(p["alpha"], "alpha", n)
    ai = a if p.get("alpha_interval") is None else _alpha(p["alpha_interval"], "alpha_interval", n)
    bounds = _bounds(p) or (0.1, 0.3)
    optimize = isinstance(a, str) or isinstance(ai, str)
    if optimize and not (isinstance(a, str) and isinstance(ai, str)):
        raise ValueError("alpha and alpha_interval must both be 'optimize' or both numbers, "
                         f"received alpha={p['alpha']!r}, alpha_interval={p.get('alpha_interval')!r}")
    factor = 1.0
    if sba:
        factor = p.get("factor")
        if factor is None:
            factor = None  # resolved after the fit (depends on the interval alpha)
        else:
            factor = check_unit_interval(factor, "factor", n)
    res = croston_kernel(y, a if not optimize else 0.1, ai if not optimize else None,
                         factor=1.0, optimize=optimize, bounds=bounds, fitted=fitted, method=name,
                         n_jobs=p.get("n_jobs", 1), optimizer=_optimizer(p))
    if sba:
        if factor is None:
            factor = 1.0 - np.asarray(res.params["alpha_interval"]) / 2.0
            factor = float(factor) if np.ndim(factor) == 0 else factor
        res.level = factor * res.level
        if res.fitted is not None:
            res.fitted = (factor * res.fitted.T).T if np.ndim(factor) else factor * res.fitted
        res.params["factor"] = factor
    return res


def _run_tsb(y, p, fitted):
    n = y.shape[0]
    ad = _alpha(p["alpha_d"], "alpha_d", n)
    ap = _alpha(p["alpha_p"], "alpha_p", n)
    bounds = _bounds(p) or (0.1, 0.3)
    optimizer = _optimizer(p)
    if isinstance(ap, str):
        ap = optimal_alpha((y != 0).astype(np.float64), None, *bounds, optimizer=optimizer,
                           n_jobs=p.get("n_jobs", 1))
    if isinstance(ad, str):
        ad = croston_alphas(y, bounds, p.get("n_jobs", 1), optimizer)[0]
    return tsb_kernel(y, ad, ap, fitted=fitted)


def _run_ses(y, p, fitted):
    a = _alpha(p["alpha"], "alpha", y.shape[0])
    bounds = _bounds(p) or (0.01, 0.99)
    optimizer = _optimizer(p)      # validated even when alpha is fixed (as for the others)
    if isinstance(a, str):
        return ses_kernel(y, optimize=True, bounds=bounds, fitted=fitted,
                          n_jobs=p.get("n_jobs", 1), optimizer=optimizer)
    return ses_kernel(y, a, fitted=fitted)


def _run_holt(y, p, fitted):
    n = y.shape[0]
    a = _alpha(p["alpha"], "alpha", n)
    b = _alpha(p["beta"], "beta", n)
    phi = check_unit_interval(p["phi"], "phi")
    return holt_kernel(y, a, b, phi, fitted=fitted)


def _run_hw(y, p, fitted):
    n = y.shape[0]
    m = check_positive_int(p["season_length"], "season_length", 2)
    a = _alpha(p["alpha"], "alpha", n)
    b = _alpha(p["beta"], "beta", n)
    g = _alpha(p["gamma"], "gamma", n)
    return holt_winters_kernel(y, m, a, b, g, fitted=fitted)


register(MethodSpec("croston", _run_croston, {"alpha": 0.1, "alpha_interval": None,
                                              "bounds": None, "optimizer": DEFAULT_OPTIMIZER},
                    "Croston (1972): SES of sizes / SES of intervals; R croston and "
                    "statsforecast CrostonClassic (alpha='optimize' = CrostonOptimized)"))
register(MethodSpec("sba", lambda y, p, f: _run_croston(y, p, f, sba=True, name="sba"),
                    {"alpha": 0.1, "alpha_interval": None, "factor": None, "bounds": None,
                     "optimizer": DEFAULT_OPTIMIZER},
                    "Syntetos-Boylan approximation: Croston x (1 - alpha_interval/2); "
                    "factor=0.95 reproduces statsforecast CrostonSBA at any alpha"))
register(MethodSpec("tsb", _run_tsb, {"alpha_d": 0.1, "alpha_p": 0.1, "bounds": None,
                                      "optimizer": DEFAULT_OPTIMIZER},
                    "Teunter-Syntetos-Babai (2011): occurrence probability x size"))
register(MethodSpec("adida", lambda y, p, f: adida_kernel(y, fitted=f, n_jobs=p.get("n_jobs", 1),
                                                          optimizer=_optimizer(p)),
                    {"optimizer": DEFAULT_OPTIMIZER},
                    "ADIDA (Nikolopoulos et al. 2011): aggregate at k = round(mean "
                    "interval), optimised SES, disaggregate"))
register(MethodSpec("imapa", lambda y, p, f: imapa_kernel(y, fitted=f, n_jobs=p.get("n_jobs", 1),
                                                          optimizer=_optimizer(p)),
                    {"optimizer": DEFAULT_OPTIMIZER},
                    "IMAPA (Petropoulos & Kourentzes 2015): mean of ADIDA-style "
                    "forecasts over k = 1..K"))
register(MethodSpec("ses", _run_ses, {"alpha": 0.1, "bounds": None,
                                      "optimizer": DEFAULT_OPTIMIZER},
                    "simple exponential smoothing of the demand"))
register(MethodSpec("holt", _run_holt, {"alpha": OPTIMIZE, "beta": OPTIMIZE, "phi": 1.0},
                    "Holt's linear trend (optionally damped), additive; for smooth "
                    "trending series"))
register(MethodSpec("holt_winters", _run_hw, {"alpha": OPTIMIZE, "beta": OPTIMIZE,
                                              "gamma": OPTIMIZE, "season_length": 12},
                    "additive Holt-Winters; for smooth seasonal series"))


def _spec(method) -> MethodSpec:
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {available_methods()}, received {method!r}")
    return METHODS[method]


def _params(spec: MethodSpec, params: dict) -> dict:
    unknown = set(params) - set(spec.defaults)
    if unknown:
        raise ValueError(f"unknown parameter(s) {sorted(unknown)} for method {spec.name!r}; "
                         f"valid parameters: {sorted(spec.defaults) or 'none'}")
    merged = dict(spec.defaults)
    merged.update(params)
    return merged


def _n_jobs(n_jobs) -> int:
    return check_positive_int(n_jobs, "n_jobs", 1)


def fit(y, method: str, fitted: bool = True, n_jobs: int = 1, **params) -> FitResult:
    """Fit ``method`` on every series of ``y`` (series x periods, oldest first).

    Returns a :class:`FitResult` (``.level``, ``.fitted``, ``.params``,
    ``.predict(h)``).  ``fitted=False`` skips the in-sample fitted values (faster).
    ``n_jobs`` threads share the alpha searches (results do not depend on it).
    """
    spec = _spec(method)
    merged = _params(spec, params)
    merged["n_jobs"] = _n_jobs(n_jobs)
    panel = as_panel(y)
    return spec.run(panel, merged, fitted)


def forecast(y, h: int, method: str, n_jobs: int = 1, **params) -> np.ndarray:
    """Point forecasts of shape (series, h) [demand units per period].

    ``y`` is a 2-D float array (series x periods, oldest first; a 1-D array is one
    series), ``h`` the horizon (int >= 1), ``method`` a registered name (see
    :func:`available_methods`), ``params`` the method's smoothing parameters.
    Equal to ``fit(y, method, **params).predict(h)``.  ``n_jobs`` threads share the
    alpha searches (ADIDA, IMAPA, optimised alphas); same results.
    """
    h = check_horizon(h)
    spec = _spec(method)
    merged = _params(spec, params)
    merged["n_jobs"] = _n_jobs(n_jobs)
    panel = as_panel(y)
    return spec.run(panel, merged, False).predict(h)


def _forecast_panel(panel, h, method, n_jobs, optimizer):
    """:func:`forecast` on an already validated panel, default parameters."""
    spec = METHODS[method]
    merged = _params(spec, {"optimizer": optimizer} if "optimizer" in spec.defaults else {})
    merged["n_jobs"] = n_jobs
    return spec.run(panel, merged, False).predict(h)


def forecast_many(y, h: int, methods=("croston", "sba", "tsb", "adida", "imapa", "ses"),
                  n_jobs: int = 1, optimizer: str = DEFAULT_OPTIMIZER) -> dict:
    """Default-parameter forecasts of several methods on one panel: {name: (N, h)}.

    Equal to ``{m: forecast(y, h, m, optimizer=optimizer) for m in methods}`` (the
    optimiser matters for ADIDA and IMAPA, whose alphas are optimised); when both
    ADIDA and IMAPA are asked for, their shared aggregate forecasts (ADIDA's
    level-K forecast is IMAPA's level-K term, except for the summation order of
    blocks of k >= 8 periods of non-integer data, which are recomputed) are
    computed once, and Croston/SBA share one fit.  With ``n_jobs > 1`` the
    fixed-parameter methods run in a second thread beside ADIDA/IMAPA, whose alpha
    searches also use ``n_jobs`` threads; the results do not depend on it.
    """
    h = check_horizon(h)
    for m in methods:
        _spec(m)
    panel = as_panel(y)
    n_jobs = _n_jobs(n_jobs)
    check_optimizer(optimizer)
    out = {}
    n = panel.shape[0]

    def flat(level):
        return np.repeat(level[:, None], h, axis=1)

    def fixed_parameter_methods():
        res = {}
        if "croston" in methods and "sba" in methods:
            cr = _forecast_panel(panel, h, "croston", 1, optimizer)
            res["croston"] = cr
            res["sba"] = 0.95 * cr
        for m in methods:
            if m not in res and m not in ("adida", "imapa"):
                res[m] = _forecast_panel(panel, h, m, n_jobs, optimizer)
        return res

    # with n_jobs > 1 the fixed-parameter recursions (Croston, TSB, SES, ...) run in a
    # second thread while this one runs ADIDA/IMAPA: both spend their time in numpy
    # loops that release the GIL
    pool = ThreadPoolExecutor(max_workers=1) if n_jobs > 1 else None
    side = pool.submit(fixed_parameter_methods) if pool is not None else None
    try:
        if "adida" in methods and "imapa" in methods:
            order, ks, fcs, _ = level_forecasts(panel, False, n_jobs, optimizer)
            out["imapa"] = flat(imapa_from_levels(n, order, ks, fcs))
            adida = adida_from_levels(n, order, ks, fcs)
            # IMAPA sums blocks of k >= 8 pairwise (numpy), ADIDA left to right (C++):
            # the shared value is exact only for k < 8 or integer-valued series
            k = np.empty_like(ks)
            k[order] = ks
            redo = (k >= 8) & (panel != np.round(panel)).any(axis=1)
            if redo.any():
                adida[redo] = adida_kernel(panel[redo], fitted=False, n_jobs=n_jobs,
                                           optimizer=optimizer).level
            out["adida"] = flat(adida)
        for m in ("adida", "imapa"):
            if m in methods and m not in out:
                out[m] = _forecast_panel(panel, h, m, n_jobs, optimizer)
        out.update(side.result() if side is not None else fixed_parameter_methods())
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    return {m: out[m] for m in methods}


class Forecaster:
    """Estimator wrapper: ``fit(y)`` -> self, ``predict(h)``, ``forecast(y, h)``.

    ``forecast(y, h) == fit(y).predict(h)``.  After ``fit``, ``result_`` holds the
    :class:`FitResult` (``level_`` and ``fitted_`` are shortcuts).
    """

    method: str = ""

    def __init__(self, method: str | None = None, **params):
        if method is not None:
            self.method = method
        spec = _spec(self.method)
        _params(spec, params)
        self.params = params
        self.result_: FitResult | None = None

    def fit(self, y, fitted: bool = True):
        self.result_ = fit(y, self.method, fitted=fitted, **self.params)
        return self

    def predict(self, h: int) -> np.ndarray:
        if self.result_ is None:
            raise ValueError(f"{type(self).__name__}.predict called before fit")
        return self.result_.predict(h)

    def forecast(self, y, h: int) -> np.ndarray:
        return forecast(y, h, self.method, **self.params)

    @property
    def level_(self):
        return None if self.result_ is None else self.result_.level

    @property
    def fitted_(self):
        return None if self.result_ is None else self.result_.fitted

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"


def _estimator(name, method):
    def __init__(self, **params):
        Forecaster.__init__(self, None, **params)
    cls = type(name, (Forecaster,), {"method": method, "__init__": __init__,
                                      "__doc__": f"{METHODS[method].description}.\n\n"
                                                 f"Parameters (defaults): "
                                                 f"{METHODS[method].defaults}"})
    return cls


Croston = _estimator("Croston", "croston")
SBA = _estimator("SBA", "sba")
TSB = _estimator("TSB", "tsb")
ADIDA = _estimator("ADIDA", "adida")
IMAPA = _estimator("IMAPA", "imapa")
SES = _estimator("SES", "ses")
Holt = _estimator("Holt", "holt")
HoltWinters = _estimator("HoltWinters", "holt_winters")
