"""forecasting - intermittent and lumpy demand forecasting on numpy panels.

A numeric leaf library (DESIGN.md §2): it imports numpy, scipy, pandas and
statsmodels only - never ``partsopt`` or ``policies``.

Data layout
-----------
A *panel* is a 2-D float array ``y`` of shape (series, periods), oldest period
first (a 1-D array is one series).  Values are demand per period, >= 0.  NaN or
infinite values and negative values raise ``ValueError`` naming the series index
(missing periods must be filled with 0 before forecasting; the table functions do
that).  Integer input is cast to float64 (statsforecast casts to float32 first, which is
exact for integers below 2**24).

Stable entry points
-------------------
``forecast(y, h, method, **params) -> ndarray (series, h)``
    Point forecasts.  ``method`` is one of :func:`available_methods`:
    ``"croston"``, ``"sba"``, ``"tsb"``, ``"adida"``, ``"imapa"``, ``"ses"``,
    ``"holt"``, ``"holt_winters"``.  With the defaults (alpha = 0.1 for Croston /
    SBA / SES; alpha_d = alpha_p = 0.1 for TSB) the forecasts equal statsforecast
    2.1.1's CrostonClassic, CrostonSBA, TSB(0.1, 0.1), ADIDA, IMAPA and
    SimpleExponentialSmoothing(0.1) (tested to 1e-9 on 1,000+ series).
    ``alpha="optimize"`` gives CrostonOptimized / SimpleExponentialSmoothingOptimized.

``fit(y, method, fitted=True, **params) -> FitResult``
    The fitted state; ``forecast(y, h, m) == fit(y, m).predict(h)``.  A
    :class:`FitResult` has

    * ``level`` (series,) - the one-step-ahead forecast after the last period;
    * ``fitted`` (series, periods) - in-sample one-step-ahead forecasts:
      ``fitted[:, t]`` is the forecast of period t from periods 0..t-1 with the
      final parameters; NaN where undefined (period 0 always; ADIDA/IMAPA until a
      complete aggregation block exists).  Croston/SBA/TSB give 0 before the first
      demand.  **One-step errors are** ``y - fitted`` (use ``np.nanvar`` or mask
      the NaN; mask periods before the first demand if they should not count);
    * ``params`` - smoothing parameters (floats, or per-series arrays when
      optimised; ADIDA/IMAPA also ``k``, the aggregation level per series);
    * ``predict(h)`` - (series, h) forecasts.

Estimators ``Croston``, ``SBA``, ``TSB``, ``ADIDA``, ``IMAPA``, ``SES``, ``Holt``,
``HoltWinters`` wrap the same kernels (``fit(y)`` / ``predict(h)`` /
``forecast(y, h)``).

Classification: :func:`classify` (SBC quadrants + new/dead).  Selection:
:func:`select_by_class`, :func:`select_by_backtest`, :func:`select_by_nested_backtest`.  Long tables:
:func:`panel_from_long`, :func:`forecast_table`.  Accuracy metrics
(:mod:`forecasting.metrics`), lead-time demand distributions
(:mod:`forecasting.leadtime`) and the Willemain bootstrap
(:mod:`forecasting.bootstrap`) are re-exported here too.
"""
from ._result import FitResult
from .classification import CLASSES, classify, demand_statistics, sbc_class
from .methods import (ADIDA, IMAPA, METHODS, SBA, SES, TSB, Croston, Forecaster, Holt,
                      HoltWinters, MethodSpec, available_methods, fit, forecast, forecast_many,
                      register)
from .selection import (DEFAULT_RULES, LOSSES, backtest_scores, nested_backtest_choice,
                        one_step_cube, select_by_backtest, select_by_class,
                        select_by_nested_backtest)
from .tables import forecast_table, panel_from_long
from .metrics import *  # noqa: F401,F403  (F2's accuracy metrics)
from .metrics import __all__ as _metrics_all
from .leadtime import *  # noqa: F401,F403  (F2's lead-time demand distributions)
from .leadtime import __all__ as _leadtime_all
from .bootstrap import *  # noqa: F401,F403  (F2's bootstrap)
from .bootstrap import __all__ as _bootstrap_all

__all__ = ["FitResult", "CLASSES", "classify", "demand_statistics", "sbc_class", "ADIDA",
           "IMAPA", "METHODS", "SBA", "SES", "TSB", "Croston", "Forecaster", "Holt",
           "HoltWinters", "MethodSpec", "available_methods", "fit", "forecast", "forecast_many",
           "register", "DEFAULT_RULES", "LOSSES", "backtest_scores", "select_by_backtest",
           "select_by_class", "select_by_nested_backtest", "one_step_cube", "nested_backtest_choice", "forecast_table", "panel_from_long"] + list(_metrics_all) \
    + list(_leadtime_all) + list(_bootstrap_all)
