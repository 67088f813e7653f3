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
           "select_by_backtest", "one_step_cube", "nested_backtest_choice",
           "select_by_nested_backtest"]

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
                       h: int = 1, n_origins: int = 8, step: int | None = None,
                       loss: str = "rmse", min_train: int = 4, params: dict | None = None,
                       index=None, n_jobs: int = 1) -> pd.DataFrame:
    """Best method per series by rolling-origin backtest.

    Returns a DataFrame (one row per series, ``index`` if given) with ``method``
    (the winner), ``score`` (its mean loss) and ``score_<method>`` for every
    candidate.

    Default ``n_origins = 8`` (3 until 2026-11-22; partsopt's pipeline uses 8,
    ``partsopt.forecast_step.BACKTEST_ORIGINS``): with 3 one-step cut-offs the
    mean loss is too noisy to tell the candidates apart - on the real sets
    (benchmarks/results/forecasting_accuracy.md, real_accuracy.md) the selection
    over the default candidates was less accurate (MASE) than IMAPA on M5 with 3
    (1.376 against 1.375) and more accurate than each of its candidates on all six
    sets with 8 (M5 1.363; better than with 3 on auto, carparts, manufacturing and
    M5, worse on RAF and the refinery).  It needs ``T >= min_train + h + step * (n_origins - 1)`` periods
    (12 with the defaults).
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


def one_step_cube(y, methods, n_last: int, params: dict | None = None, n_jobs: int = 1) -> dict:
    """One-step forecasts at each of the last ``n_last`` cut-offs: {method: (N, n_last) array}.

    Column ``c`` is the forecast of period ``T - n_last + c`` made by re-fitting the
    method on periods ``0 .. T - n_last + c - 1`` only (no look-ahead); the input of
    :func:`nested_backtest_choice`.
    """
    panel = as_panel(y)
    n_last = check_positive_int(n_last, "n_last", 1)
    if n_last >= panel.shape[1]:
        raise ValueError(f"n_last must leave at least one training period: received {n_last} "
                         f"for {panel.shape[1]} periods")
    params = params or {}
    t = panel.shape[1]
    out = {m: np.empty((panel.shape[0], n_last)) for m in methods}
    for c, o in enumerate(range(t - n_last, t)):
        for m in methods:
            out[m][:, c] = forecast(panel[:, :o], 1, m, n_jobs=n_jobs, **params.get(m, {}))[:, 0]
    return out


def _origin_losses(panel, cube, methods, loss):
    """Loss of each method's one-step forecast at each cached cut-off: (M, N, K)."""
    t = panel.shape[1]
    k = next(iter(cube.values())).shape[1]
    fn = LOSSES[loss]
    out = np.empty((len(methods), panel.shape[0], k))
    for c in range(k):
        o = t - k + c
        kw = {"y_train": panel[:, :o]} if loss in _NEEDS_TRAIN else {}
        for i, m in enumerate(methods):
            with np.errstate(invalid="ignore", divide="ignore"):
                out[i, :, c] = fn(panel[:, o:o + 1], cube[m][:, c:c + 1], **kw)
    return out


def _pick_best(mean_loss):
    """Index of the lowest mean loss per series (M, N) -> (N,): NaN never wins, all NaN -> 0, ties -> first."""
    best = np.argmin(np.where(np.isnan(mean_loss), np.inf, mean_loss), axis=0)
    best[np.isnan(mean_loss).all(axis=0)] = 0
    return best


def nested_backtest_choice(y, cube: dict, methods, extra=(), n_origins: int = 8, n_outer: int = 8,
                           loss: str = "rmse", min_train: int = 4):
    """Kernel of :func:`select_by_nested_backtest` on cached one-step forecasts.

    ``y`` is the (N, T) panel, ``cube[m]`` the one-step forecasts of method ``m`` at
    the last K cut-offs (column ``c`` = forecast of period ``T - K + c`` from the
    periods before it, as :func:`one_step_cube`), for every name in ``methods`` and
    ``extra``.  K must cover every cut-off used: ``min(T - min_train, n_outer + n_origins)``.

    Returns ``(method per series, strategy, panel scores)``.  Strategies: ``"base"``
    (per-series backtest over ``methods``), ``"wide"`` (per-series backtest over
    ``methods + extra``; only when ``extra`` is not empty) and every single method.
    Each is scored at the outer cut-offs ``e = T - n_outer .. T - 1`` that leave
    ``n_origins`` inner cut-offs of at least ``min_train`` periods; at ``e`` the
    per-series choice uses only the inner cut-offs ``e - n_origins .. e - 1``
    (the rule of :func:`select_by_backtest` on ``y[:, :e]``), so no forecast scored
    at ``e`` has seen period ``e``.  The panel score is the mean over series and outer
    cut-offs of ``|y_e - max(f_e, 0)| / s``, ``s`` = the in-sample one-step naive MAE of
    ``y`` (series with ``s = 0`` left out): the mean MASE.  The lowest score wins;
    ties go to ``"base"``, then ``"wide"``, then the singles in order.  Without an
    outer cut-off the strategy is ``"base"``.  The winning strategy is then applied
    at ``T``: its per-series choice from the last ``n_origins`` cut-offs, or its
    method for every series.
    """
    panel = as_panel(y)
    methods, extra = list(methods), [m for m in extra if m not in methods]
    wide = methods + extra
    t = panel.shape[1]
    k = next(iter(cube.values())).shape[1]
    need = min(t - min_train, n_outer + n_origins)
    if t - n_origins < min_train:
        raise ValueError(f"not enough history for {n_origins} cut-offs with h=1 and min_train="
                         f"{min_train}: the first cut-off would be at period {t - n_origins} of {t}")
    if k < need:
        raise ValueError(f"cube covers the last {k} cut-offs; need {need}")
    losses = _origin_losses(panel, cube, wide, loss)                # (M, N, K)
    fc = np.stack([cube[m] for m in wide])                          # (M, N, K)
    col = lambda o: o - (t - k)                                     # noqa: E731  column of cut-off o
    strategies = {"base": np.arange(len(methods))}
    if extra:
        strategies["wide"] = np.arange(len(wide))

    def choose(idx, o):                                             # per-series choice at cut-off o
        total = np.zeros((len(idx), panel.shape[0]))
        for c in range(col(o - n_origins), col(o)):                 # summed in order, as backtest_scores
            total = total + losses[idx][:, :, c]
        return idx[_pick_best(total / n_origins)]

    outer = [e for e in range(t - n_outer, t) if e - n_origins >= min_train]
    scores = {}
    if outer:
        d = np.abs(np.diff(panel, axis=1))
        scale = d.mean(axis=1) if d.shape[1] else np.zeros(panel.shape[0])
        ok = scale > 0
        rows = np.arange(panel.shape[0])
        act = panel[:, outer]
        preds = {name: np.stack([fc[choose(idx, e), rows, col(e)] for e in outer], axis=1)
                 for name, idx in strategies.items()}
        for i, m in enumerate(wide):
            preds[m] = fc[i][:, [col(e) for e in outer]]
        for name, p in preds.items():
            err = np.abs(act - np.maximum(p, 0.0))[ok] / scale[ok, None]
            scores[name] = float(np.mean(err)) if err.size else np.nan
    order = list(strategies) + wide
    finite = [s for s in order if s in scores and np.isfinite(scores[s])]
    win = min(finite, key=lambda s: (scores[s], order.index(s))) if finite else "base"
    if win in strategies:
        chosen = np.asarray(wide, dtype=object)[choose(strategies[win], t)]
    else:
        chosen = np.full(panel.shape[0], win, dtype=object)
    return chosen, win, scores


def select_by_nested_backtest(y, methods=("croston", "sba", "tsb", "adida", "imapa", "ses"),
                              extra=("holt",), n_origins: int = 8, n_outer: int = 8,
                              loss: str = "rmse", min_train: int = 4, params: dict | None = None,
                              index=None, n_jobs: int = 1) -> pd.DataFrame:
    """Method per series by a nested backtest that also weighs one method for the whole panel.

    Per-series selection by backtest (:func:`select_by_backtest`) is not always the
    best strategy: when the candidates differ by less than their backtest noise, or
    one method suits the whole panel (Holt on the M5 weekly sales), a single method
    can beat it (Fildes & Petropoulos 2015, IJF 31(3):530-546, "Simple versus complex
    selection rules for forecasting many time series": selection pays where the
    candidates are diverse and the series long enough to tell them apart; Kourentzes,
    Barrow & Petropoulos 2019, IJPE 209:226-235, "Another look at forecast selection
    and combination: evidence from forecast pooling").  A candidate such as Holt can
    also help some series and, chosen on noise, hurt many more (auto: 24 months).
    So the *strategy* is chosen for the whole panel by a second, outer backtest
    (:func:`nested_backtest_choice`): per-series selection over ``methods``, over
    ``methods + extra``, or one single method of either, each scored on the one-step
    forecasts of the last ``n_outer`` periods with its choice made only on the
    ``n_origins`` cut-offs before each (one-step horizon, ``loss`` inside; mean MASE
    across the panel outside).  Every method is re-fitted once per cut-off of the
    last ``min(T - min_train, n_outer + n_origins)`` periods.

    Returns a DataFrame (one row per series, ``index`` if given) with ``method`` and
    ``strategy`` (the same on every row: ``"base"``, ``"wide"`` or the single method);
    ``DataFrame.attrs["panel_scores"]`` holds each strategy's outer score (the mean
    MASE of its one-step forecasts).
    """
    panel = as_panel(y)
    methods = list(methods)
    extra = [m for m in extra if m not in methods]
    if not methods:
        raise ValueError("methods must name at least one registered method, received none")
    for m in methods + extra:
        _spec(m)
    n_origins = check_positive_int(n_origins, "n_origins", 1)
    n_outer = check_positive_int(n_outer, "n_outer", 1)
    min_train = check_positive_int(min_train, "min_train", 1)
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, received {loss!r}")
    t = panel.shape[1]
    if t - n_origins < min_train:
        raise ValueError(f"not enough history for {n_origins} cut-offs with h=1 and min_train="
                         f"{min_train}: the first cut-off would be at period {t - n_origins} of {t}; "
                         f"use fewer cut-offs")
    cube = one_step_cube(panel, methods + extra, min(t - min_train, n_outer + n_origins), params, n_jobs)
    chosen, win, scores = nested_backtest_choice(panel, cube, methods, extra, n_origins, n_outer,
                                                 loss, min_train)
    out = pd.DataFrame({"method": chosen, "strategy": np.full(len(chosen), win, dtype=object)},
                       index=index)
    out.attrs["panel_scores"] = scores
    return out
