"""Choosing a forecasting method per series: by demand class, or by backtest.

* :func:`select_by_class` -- a rule table from demand class to method.  The
  default follows Syntetos, Boylan & Croston (2005, JORS 56:495-503): SBA for the
  erratic, intermittent and lumpy quadrants, SES for smooth demand; TSB for
  ``new`` and ``dead`` series because its occurrence probability decays when
  demand stops (Teunter, Syntetos & Babai 2011), which is the behaviour wanted for
  obsolescence and for series with too little history to trust a size estimate.
* :func:`select_by_backtest` -- rolling-origin evaluation (Tashman 2000, IJF
  16:437-450): for each cut-off ``o`` the methods are fitted on periods
  ``0..o-1`` only and score the next ``h`` periods ``o..o+h-1``; nothing after a
  cut-off is used for the forecast made at it (no look-ahead).  The score of a
  method is the mean of the loss over the cut-offs; the method with the lowest
  score wins (ties: the first in ``methods``).

Losses (from :mod:`forecasting.metrics`, computed per series over the h periods):
``"rmse"`` (default; squared error is minimised by the mean, which is what the
stock-policy layer consumes; absolute error would reward forecasting zero on
intermittent series, Kourentzes 2014, IJPE 156:180-190), ``"mae"``, ``"rmsse"``
and ``"mase"`` (scaled by the in-sample naive error of the training window;
NaN when that scale is 0), and ``"abs_spis"`` (absolute scaled periods-in-stock,
a bias-aware loss for intermittent demand, Wallström & Segerstedt 2010,
Kourentzes 2014).  A series whose score is NaN for every method gets the first
method and a NaN score.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import metrics
from ._checks import as_panel, check_horizon, check_positive_int
from .classification import CLASSES
from .methods import _spec, forecast

__all__ = ["DEFAULT_RULES", "LOSSES", "select_by_class", "backtest_scores",
           "select_by_backtest"]

DEFAULT_RULES = {"smooth": "ses", "erratic": "sba", "intermittent": "sba", "lumpy": "sba",
                 "new": "tsb", "dead": "tsb"}


def _abs_spis(y_true, y_pred, *, y_train=None, axis=-1):
    return np.abs(metrics.spis(y_true, y_pred, y_train=y_train, axis=axis))


LOSSES = {"rmse": metrics.rmse, "mae": metrics.mae, "rmsse": metrics.rmsse,
          "mase": metrics.mase, "abs_spis": _abs_spis}
_NEEDS_TRAIN = {"rmsse", "mase", "abs_spis"}


def select_by_class(demand_class, rules: dict | None = None) -> np.ndarray:
    """Method name per series from its demand class through a rule table.

    ``demand_class`` is an array/Series of class names (see
    :data:`forecasting.CLASSES`); ``rules`` overrides entries of
    :data:`DEFAULT_RULES`.  Every method named must be registered.
    """
    table = dict(DEFAULT_RULES)
    if rules is not None:
        unknown = set(rules) - set(CLASSES)
        if unknown:
            raise ValueError(f"rules has unknown demand classes {sorted(unknown)}; "
                             f"valid classes: {list(CLASSES)}")
        table.update(rules)
    for m in table.values():
        _spec(m)
    cls = np.asarray(pd.Series(demand_class).astype(str), dtype=object)
    bad = ~np.isin(cls, list(CLASSES))
    if bad.any():
        raise ValueError(f"demand_class must contain only {list(CLASSES)}, received "
                         f"{cls[bad][0]!r} at position {int(np.argmax(bad))}")
    out = np.empty(cls.shape, dtype=object)
    for c, m in table.items():
        out[cls == c] = m
    return out


def _origins(t: int, h: int, n_origins: int, step: int, min_train: int):
    last = t - h
    origins = [last - step * (n_origins - 1 - i) for i in range(n_origins)]
    if origins[0] < min_train:
        raise ValueError(
            f"not enough history for {n_origins} cut-offs with h={h}, step={step} and "
            f"min_train={min_train}: the first cut-off would be at period {origins[0]} of "
            f"{t}; use fewer cut-offs, a smaller step or horizon")
    return origins


def backtest_scores(y, methods, h: int, n_origins: int = 3, step: int | None = None,
                    loss: str = "rmse", min_train: int = 4, params: dict | None = None,
                    n_jobs: int = 1) -> dict:
    """Rolling-origin score of each method per series: {method: (N,) array}.

    Cut-offs are ``T - h - step*(n_origins-1), ..., T - h`` (default ``step = h``,
    non-overlapping test windows ending at the last period).  ``params`` maps a
    method name to its keyword parameters.
    """
    panel = as_panel(y)
    h = check_horizon(h)
    n_origins = check_positive_int(n_origins, "n_origins", 1)
    step = h if step is None else check_positive_int(step, "step", 1)
    min_train = check_positive_int(min_train, "min_train", 1)
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, received {loss!r}")
    methods = list(methods)
    if not methods:
        raise ValueError("methods must name at least one registered method, received none")
    for m in methods:
        _spec(m)
    params = params or {}
    fn = LOSSES[loss]
    origins = _origins(panel.shape[1], h, n_origins, step, min_train)
    scores = {m: np.zeros(panel.shape[0]) for m in methods}
    for o in origins:
        train, test = panel[:, :o], panel[:, o:o + h]
        for m in methods:
            pred = forecast(train, h, m, n_jobs=n_jobs, **params.get(m, {}))
            kw = {"y_train": train} if loss in _NEEDS_TRAIN else {}
            with np.errstate(invalid="ignore", divide="ignore"):
                scores[m] += fn(test, pred, **kw)
    return {m: s / len(origins) for m, s in scores.items()}


def select_by_backtest(y, methods=("croston", "sba", "tsb", "adida", "imapa", "ses"),
                       h: int = 1, n_origins: int = 3, step: int | None = None,
                       loss: str = "rmse", min_train: int = 4, params: dict | None = None,
                       index=None, n_jobs: int = 1) -> pd.DataFrame:
    """Best method per series by rolling-origin backtest.

    Returns a DataFrame (one row per series, ``index`` if given) with ``method``
    (the winner), ``score`` (its mean loss) and ``score_<method>`` for every
    candidate.
    """
    methods = list(methods)
    sc = backtest_scores(y, methods, h, n_origins, step, loss, min_train, params, n_jobs)
    mat = np.column_stack([sc[m] for m in methods])
    all_nan = np.isnan(mat).all(axis=1)
    filled = np.where(np.isnan(mat), np.inf, mat)
    best = np.argmin(filled, axis=1)
    best[all_nan] = 0
    score = mat[np.arange(mat.shape[0]), best]
    out = pd.DataFrame({"method": np.asarray(methods, dtype=object)[best], "score": score},
                       index=index)
    for j, m in enumerate(methods):
        out[f"score_{m}"] = mat[:, j]
    return out
