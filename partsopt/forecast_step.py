"""Pipeline step 1: demand per part-location per day, from history, installed base and children.

Input: the demand lines before the as-of date (supersession already applied)
and the part-locations to plan.  Output: the ``forecasts`` table of DESIGN.md
§5 without the lead-time columns (the policy step adds them).

1. **Panel.** Weekly (``forecast.freq``) demand per part-location over the last
   ``forecast.history_periods`` periods before as-of (:mod:`partsopt.panel`).
2. **Class.** :func:`forecasting.classify` - SBC quadrants (ADI 1.32, CV² 0.49),
   ``new`` (fewer than ``forecast.new_part_min_demands`` demand periods),
   ``dead`` (none in the last ``forecast.dead_after_periods``).
3. **Method.** ``forecast.method`` for every series, or with ``auto`` either the
   rule table :data:`forecasting.selection.DEFAULT_RULES` (``forecast.selection
   = "class"``: Syntetos, Boylan & Croston 2005 - SES where demand is smooth,
   SBA where it is erratic, intermittent or lumpy; TSB for new and dead series,
   because it decays towards zero when demand stops - Teunter, Syntetos &
   Babai 2011) or a rolling-origin backtest per series (``"backtest"``,
   :func:`backtest_methods`: :data:`BACKTEST_ORIGINS` = 8 cut-offs - 3 were too noisy on the real
   datasets, benchmarks/results/forecasting_accuracy.md - one-step RMSE,
   :func:`forecasting.select_by_backtest`; panels of at least 12 periods).  Each
   method runs once on all its series (a loop over methods, never over series).
4. **Moments.** mean = the one-step forecast [units/period].  Variance: the mean
   squared in-sample one-step error (:func:`forecasting.leadtime.one_step_error_variance`,
   counted after the first demand) measures the spread *at the historical level*
   of demand; it is carried to the forecast level through the variance-to-mean
   ratio, ``var = max(1, mse / mean_hist) · mean`` (a compound-Poisson reading:
   the ratio depends on the order sizes, not on the rate), so a part whose
   forecast decays (TSB on a dying part) does not keep the spread of its busy
   past, and the variance is never below the Poisson's.  Per day: both divided
   by the period length in days (independent days within a period).
5. **Installed base.** Where install_base × bom give a rate, it is blended with
   the history by credibility (:mod:`partsopt.installbase`); a part-location
   with no history takes the rate alone (variance = mean: Poisson).
6. **Flow.** A warehouse's replenishment demand is its own customer demand plus
   the flow of the locations it supplies (means and variances add: independent
   locations), accumulated from the leaves up the tree.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

import forecasting
from forecasting.leadtime import one_step_error_variance
from partsopt.installbase import blend_with_history, install_base_rates
from partsopt.panel import build_panel

#: Candidates of the rolling-origin selection (forecast.selection = "backtest").  ADIDA joined on
#: 2026-11-22: with it the selection is at least as accurate (MASE) as the best single method on all
#: six real data sets (benchmarks/results/real_accuracy.md); without it M5 missed by 0.5 %.
BACKTEST_METHODS = ("croston", "sba", "tsb", "ses", "adida")
#: Cut-offs of that backtest (one-step forecasts, RMSE): 8, not the 3 used before 2026-11-22 - with 3
#: the per-series choice follows noise (benchmarks/results/forecasting_accuracy.md).  The accuracy
#: benchmark (benchmarks/real/accuracy.py) imports this constant, so it scores what the pipeline runs.
BACKTEST_ORIGINS = 8
#: Fewest periods for the backtest selection (8 one-step cut-offs after the library's min_train of 4);
#: shorter panels are selected by class.
BACKTEST_MIN_PERIODS = 12
PERIOD_DAYS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12.0}


def backtest_methods(y: np.ndarray) -> np.ndarray:
    """Method name per series by the pipeline's backtest selection (``forecast.selection = "backtest"``).

    :func:`forecasting.select_by_backtest` over :data:`BACKTEST_METHODS`, one-step forecasts (h = 1),
    :data:`BACKTEST_ORIGINS` cut-offs, RMSE; ``y`` is the (series, periods) panel, at least
    :data:`BACKTEST_MIN_PERIODS` periods long.
    """
    return forecasting.select_by_backtest(y, BACKTEST_METHODS, h=1, n_origins=BACKTEST_ORIGINS,
                                          loss="rmse")["method"].to_numpy(dtype=object)


def history_window(as_of: pd.Timestamp, freq: str, periods: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the history used: ``periods`` whole periods ending the day before as-of."""
    end = as_of - pd.Timedelta(days=1)
    if periods <= 0:
        return None, end
    if freq == "M":
        start = (as_of - pd.DateOffset(months=periods)).normalize()
    else:
        start = as_of - pd.Timedelta(days=int(PERIOD_DAYS[freq] * periods))
    return start, end


def subtree_lines(lines: pd.DataFrame, parent: pd.Series) -> pd.DataFrame:
    """Each demand line repeated at every ancestor of its location (the subtree demand of warehouses)."""
    frames = []
    cur = lines[["date", "part", "location", "qty"]]
    while len(cur):
        frames.append(cur)
        up = cur["location"].map(parent)
        keep = up.notna() & (up != "")
        cur = cur.loc[keep].assign(location=up[keep].to_numpy())
    return pd.concat(frames, ignore_index=True) if frames else cur.reset_index(drop=True)


def forecast_part_locations(lines: pd.DataFrame, keys: pd.DataFrame, as_of, config: dict,
                            install_base: pd.DataFrame | None = None, bom: pd.DataFrame | None = None,
                            parent: pd.Series | None = None, first_date=None) -> pd.DataFrame:
    """Direct customer demand per day for each (part, location) in ``keys``.

    ``parent`` (location → parent location) classes warehouse rows by their
    subtree's demand instead of their own direct demand.  ``first_date`` is the
    history start when ``forecast.history_periods`` = 0 (all history); default
    the first date of ``lines`` (pass the whole network's when ``lines`` is one
    partition of the parts, so every partition uses the same periods).
    """
    as_of = pd.Timestamp(as_of)
    fc = config["forecast"]
    freq = fc["freq"]
    start, end = history_window(as_of, freq, int(fc["history_periods"]))
    if start is None:
        start = first_date if first_date is not None else (lines["date"].min() if len(lines) else end)
    hist = lines[(lines["date"] >= start) & (lines["date"] <= end)]
    panel = build_panel(hist, freq=freq, keys=keys, start=start, end=end)
    y = panel.values
    n_periods = y.shape[1]

    cls = forecasting.classify(y, min_nonzero=int(fc["new_part_min_demands"]),
                               dead_periods=int(fc["dead_after_periods"]))
    if parent is not None:
        # a warehouse is classed by the demand of its whole subtree (what it replenishes)
        wh = keys["location"].isin(set(parent[parent != ""])).to_numpy()
        if wh.any():
            up = subtree_lines(hist, parent)
            sub_panel = build_panel(up, freq=freq, keys=keys.loc[wh], start=start, end=end)
            sub_cls = forecasting.classify(sub_panel.values, min_nonzero=int(fc["new_part_min_demands"]),
                                           dead_periods=int(fc["dead_after_periods"]))
            cls = cls.astype({"demand_class": object})
            for col in ("adi", "cv2", "n_nonzero", "periods_since_last", "demand_class"):
                vals = cls[col].to_numpy(dtype=object if col == "demand_class" else None).copy()
                vals[wh] = sub_cls[col].to_numpy(dtype=object if col == "demand_class" else None)
                cls[col] = vals
    classes = cls["demand_class"].astype(str).to_numpy()
    if fc["method"] == "auto" and fc["selection"] == "backtest" and n_periods >= BACKTEST_MIN_PERIODS:
        method = backtest_methods(y)
    elif fc["method"] == "auto":
        method = forecasting.select_by_class(classes)
    else:
        method = np.full(len(classes), fc["method"], dtype=object)

    mean_p = np.zeros(len(keys))
    var_p = np.zeros(len(keys))
    for m in pd.unique(method):
        rows = np.flatnonzero(method == m)
        sub = y[rows]
        if n_periods < 2 or not sub.any():
            mean_p[rows] = sub.mean(axis=1) if n_periods else 0.0
            var_p[rows] = sub.var(axis=1) if n_periods else 0.0
            continue
        res = forecasting.fit(sub, m)
        mean_p[rows] = np.maximum(res.level, 0.0)
        mse = one_step_error_variance(sub, res.fitted, after_first_demand=True)
        hist_mean = sub.mean(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            vmr = np.where(hist_mean > 0, mse / hist_mean, 1.0)
        var_p[rows] = np.maximum(vmr, 1.0) * mean_p[rows]

    days = PERIOD_DAYS[freq]
    mean_d = mean_p / days
    var_d = var_p / days
    n_hist = np.where(panel.first < n_periods, n_periods - panel.first, 0)
    source = np.where(n_hist > 0, "history", "none").astype(object)

    ib = install_base_rates(install_base if install_base is not None else pd.DataFrame(),
                            bom if bom is not None else pd.DataFrame())
    if len(ib):
        rate = keys[["part", "location"]].merge(ib, on=["part", "location"], how="left")["ib_rate_per_day"].to_numpy()
        has = ~np.isnan(rate)
        blended = blend_with_history(np.where(n_hist > 0, mean_d, np.nan), rate, n_hist,
                                     float(fc["full_credibility_periods"]))
        partial = has & (n_hist < fc["full_credibility_periods"])
        # Poisson variance for the installed-base share
        var_d = np.where(partial & (n_hist == 0), blended, np.where(partial, np.maximum(var_d, blended), var_d))
        mean_d = np.where(partial, blended, mean_d)
        source = np.where(partial & (n_hist == 0), "install_base", np.where(partial, "blend", source))
        method = np.where(partial & (n_hist == 0), "install_base", method)

    out = keys[["part", "location"]].reset_index(drop=True).copy()
    out["demand_class"] = classes
    out["method"] = method
    out["direct_demand"] = panel.first < n_periods
    out["source"] = source
    out["mean_per_day"] = mean_d
    out["var_per_day"] = var_d
    out["adi"] = cls["adi"].to_numpy()
    out["cv2"] = cls["cv2"].to_numpy()
    out["n_nonzero"] = cls["n_nonzero"].to_numpy()
    out["history_periods"] = n_hist
    return out


def add_flows(forecasts: pd.DataFrame, locations: pd.DataFrame) -> pd.DataFrame:
    """Add ``flow_mean_per_day`` / ``flow_var_per_day``: own demand plus all descendants' (per part).

    Vectorised over part-locations; the loop runs over tree levels (3–4 in a dealer network).
    """
    out = forecasts.copy()
    parent_of = locations.set_index("location")["parent"]
    depth = location_depth(locations)
    out["_depth"] = out["location"].map(depth).to_numpy()
    out["flow_mean_per_day"] = out["mean_per_day"].to_numpy(np.float64)
    out["flow_var_per_day"] = out["var_per_day"].to_numpy(np.float64)
    key = pd.MultiIndex.from_frame(out[["part", "location"]])
    for d in range(int(out["_depth"].max()) if len(out) else 0, 0, -1):
        child = out[out["_depth"] == d]
        if not len(child):
            continue
        par = child["location"].map(parent_of)
        agg = pd.DataFrame({"part": child["part"].to_numpy(), "location": par.to_numpy(),
                            "m": child["flow_mean_per_day"].to_numpy(), "v": child["flow_var_per_day"].to_numpy()})
        agg = agg.groupby(["part", "location"], as_index=False)[["m", "v"]].sum()
        agg = agg[(agg["m"] > 0) | (agg["v"] > 0)]  # rows with no flow need no parent row
        idx = key.get_indexer(pd.MultiIndex.from_frame(agg[["part", "location"]]))
        if (idx < 0).any():
            raise ValueError("add_flows: a parent part-location is missing from the plan; plan ancestors too")
        out.loc[out.index[idx], "flow_mean_per_day"] += agg["m"].to_numpy()
        out.loc[out.index[idx], "flow_var_per_day"] += agg["v"].to_numpy()
    return out.drop(columns="_depth")


def location_depth(locations: pd.DataFrame) -> pd.Series:
    """Depth of every location in the tree (0 = ordered from the supplier)."""
    idx = pd.Index(locations["location"])
    par = idx.get_indexer(locations["parent"].where(locations["parent"] != "", None))
    depth = np.zeros(len(idx), np.int64)
    cur = par.copy()
    while (cur >= 0).any():
        depth += cur >= 0
        cur = np.where(cur >= 0, par[np.maximum(cur, 0)], -1)
    return pd.Series(depth, index=idx)
