"""Refinery spares: the company's own Min/Max against partsopt's policies on the same demand.

Run from the repository root::

    python -m benchmarks.real.refinery [--data-dir DIR] [--out benchmarks/results/real_refinery.md]

Protocol (no look-ahead):

* Data: ``refinery_spares_1b_wide.csv`` (7,024 materials, monthly consumption 1997-01..2001-08),
  prepared by :func:`benchmarks.real.common.load_refinery` (Nov 1997 left out, blanks = 0,
  negative cells = returns, lead time in whole months, criticality and installation counts).
* Training window: the 35 kept months 1997-01..1999-12; test window: 2000-01..2001-08 (20 months).
* partsopt's forecasts: the pipeline's steps on the training window (backtest selection, moments;
  :mod:`benchmarks.real.common`).  Three policy variants, all base stock (no order cost, so
  partsopt's (s, S) has S = s + 1), review every month, the material's lead time, the negative
  binomial with compound-Poisson line sizes, price as unit cost (0.01 where the price is 0):

  - ``item_hist``: per item, the smallest S with expected fill rate >= target (what
    :func:`policies.single.optimize_single` returns; tested), materials without demand in
    1997-99 get nothing (the pipeline plans from history) - the previous benchmark;
  - ``item_prior``: the same with the installed-base prior of :mod:`benchmarks.real.credibility`
    (Bühlmann–Straub credibility per criticality class, exposure = installations): every material
    has a forecast, those with history blend it in by their credibility weight;
  - ``system``: Sherbrooke's system approach on the prior's forecasts
    (:func:`benchmarks.real.system.system_levels`): per class, least stock value subject to the
    class's aggregate expected unit fill rate >= target, one shadow price over all materials;
  - ``system_post``: the same with the posterior predictive lead-time demand: each material's
    demand rate is uncertain with the Bühlmann–Straub / gamma posterior variance of
    :func:`benchmarks.real.credibility.rate_posterior_var` (large for a material with little
    history, small for one with a long one), mixed into the lead-time demand
    (``base_stock_options(rate_var=...)``: variance ``(L+1)·var + (L+1)²·Var(μ)``);
  - ``pooled_post``: ``system_post``'s tables with ONE shadow price over all classes and one
    overall target (the key ``"all"`` of a target set): the least stock value whose overall
    expected unit fill rate meets it.

* The company's (s, S) = (min_reorder_point, max_stock_level), read as "order up to Max when the
  inventory position is at or below Min" (the SAP reorder-point reading).  Caveat: the Min/Max
  values were extracted in 2001 (end of the data); they may embody knowledge of the test window.
* Every policy is replayed by :func:`benchmarks.real.replay.ss_replay` on the same monthly demand
  (returns go back to stock) from 1997-01 with on-hand = S, nothing on order; KPIs count the test
  window only (the training months warm up the state).
* Targets, chosen without the test window: (a) per class (and overall, for ``pooled_post``) the
  fill rate the company's Min/Max achieved on the training window; (b) targets chosen on an inner
  split of the training window (:func:`inner_targets`: fit 1997-98, replay 1999), per class for
  ``system`` and ``system_post``, one overall target for ``pooled_post``; (c) a curve over uniform
  targets; (d) partsopt's default service level (``service.level`` of the product's default
  configuration, :func:`default_targets`) for every class - what a plant that changes nothing
  runs with; (e) instead of a target, a budget: the company's own stock value on the training
  window (its Min/Max replayed on 1998-99), within which the posterior predictive variants buy the
  most expected fill (per class, or overall for ``pooled_post``).  The posterior rate variance has
  no knob: its structural parameters are the Bühlmann–Straub fit of the fitting window.
* Reported per criticality: achieved fill rate (units filled at once / units demanded, totals over
  the class), hit rate (months with demand filled in full / months with demand), average stock
  value (mean over the test months of max(on-hand before demand, 0) x price, summed over the
  class) and orders per year.
"""
from __future__ import annotations

import argparse
import sys
import datetime as _dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.real.common import (ROOT, BACKTEST_METHODS, choose_methods, default_data_dir, load_refinery, machine,
                                    md_table, moments, write_result)
from benchmarks.real.credibility import installed_base_prior, rate_posterior_var
from benchmarks.real.replay import ss_replay
from benchmarks.real.system import base_stock_options, system_levels
from benchmarks.real.tradeoff import inventory_at
from partsopt.config import default_config

N_TRAIN = 35
N_INNER = 23            # 1997-01..1998-12 without Nov 1997: the inner fitting window
INNER_GRID = (0.80, 0.85, 0.90, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995)
TARGETS = (0.80, 0.85, 0.90, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99)
CLASSES = ("high", "medium", "low", "none")


def default_targets() -> dict:
    """partsopt's default service level per class, read from the product's configuration defaults
    (``service.level``, ``service.by_criticality``; DESIGN.md section 8), not chosen on any data:
    the target a plant that installs partsopt and changes nothing would run with.  The refinery's
    classes are not the A/B/C of the parts table, so every class takes ``service.level``."""
    cfg = default_config()
    level = float(cfg["service"]["level"])
    if any(v is not None for v in cfg["service"]["by_criticality"].values()):
        raise ValueError("the default configuration now sets service.by_criticality: map the refinery's "
                         "classes onto A/B/C before using it here")
    return dict({c: level for c in CLASSES}, all=level)
FORECASTS = ("auto",) + tuple(BACKTEST_METHODS)


def kpis(out: dict, price: np.ndarray, crit: np.ndarray, periods_per_year: float = 12.0,
         n_periods: int = 1, history=None) -> pd.DataFrame:
    """Fill rate, hit rate, stock value and orders/year per criticality class and in total.

    ``history``: optional mask of the materials with demand in the training window; adds the row
    ``all with history`` (the materials partsopt can plan from history).
    """
    rows = []
    groups = CLASSES + ("all",) + (("all with history",) if history is not None else ())
    for c in groups:
        m = (np.ones(crit.size, bool) if c == "all" else history if c == "all with history" else crit == c)
        dem = out["demand"][m].sum()
        rows.append({
            "criticality": c, "materials": int(m.sum()),
            "fill_rate": out["supplied"][m].sum() / dem if dem > 0 else np.nan,
            "hit_rate": out["lines_hit"][m].sum() / max(out["lines"][m].sum(), 1),
            "stock_value": float((out["mean_on_hand"][m] * price[m]).sum()),
            "stock_units": float(out["mean_on_hand"][m].sum()),
            "orders_per_year": float(out["orders"][m].sum() * periods_per_year / n_periods),
        })
    return pd.DataFrame(rows)


def inner_forecast_choice(y: np.ndarray, candidates=FORECASTS) -> tuple[str, pd.DataFrame]:
    """The forecast (``auto`` = the pipeline's per-series backtest selection, or one method for all)
    with the smallest absolute aggregate bias on the inner split of the training window.

    Fit on the first ``N_INNER`` kept months, forecast the rest of the training window (1999):
    bias = Σ_i mean_i x 12 / Σ_i demand_i(1999) - 1 over all materials.  A base-stock level is
    set on the lead-time demand, so a forecast biased low under-stocks every item at once; the
    pipeline's per-series selection (lowest one-step RMSE over 3 origins) picks, on series that are
    mostly zero at the origins, the method whose forecast was lowest (the selection bias of
    point-error measures on intermittent series: Teunter & Duncan 2009, JORS 60:321-329;
    Kourentzes 2014, IJPE 156:180-190).  Training data only.
    """
    tr = np.maximum(y[:, :N_INNER], 0.0)
    actual = float(np.maximum(y[:, N_INNER:N_TRAIN], 0.0).sum())
    rows = []
    for f in candidates:
        mean, _ = moments(tr, choose_methods(tr, f))
        fc = float(mean.sum()) * (N_TRAIN - N_INNER)
        rows.append({"forecast": f, "forecast 1999 (units)": fc, "demand 1999 (units)": actual,
                     "bias": fc / actual - 1.0})
    tab = pd.DataFrame(rows)
    return str(tab.loc[tab["bias"].abs().idxmin(), "forecast"]), tab


def plan(train: np.ndarray, L: np.ndarray, cost: np.ndarray, crit: np.ndarray, installations: np.ndarray,
         targets: list, forecast: str = "auto", budgets: dict | None = None) -> dict:
    """partsopt's base-stock levels from a fitting window ``train`` (withdrawals >= 0).

    ``targets``: list of (name, {class: target, "all": overall target}) pairs.  For each:
    ``item_hist`` (per item, history only: the pipeline as before), ``item_prior`` (per item, with
    the installed-base prior), ``system`` (Sherbrooke's system approach with the prior, one
    aggregate target per class), ``system_post`` (the same on the posterior predictive lead-time
    demand) and ``pooled_post`` (posterior predictive, one shadow price and the ``"all"`` target
    over every class) - arrays of order-up-to levels S (s = S - 1).  ``forecast``: ``auto`` (the pipeline's backtest
    selection per series) or one method name for every series.  ``budgets`` ({class: stock value,
    "all": stock value}, optional): also the posterior predictive variants with the highest expected
    fill rate within those stock values (per class for ``system_post``, overall for ``pooled_post``),
    under ``out["levels"]["budget"]``.
    """
    methods = choose_methods(train, forecast)
    mean, var = moments(train, methods)
    pm, pv, fit = installed_base_prior(train, installations, crit, mean, var)
    per_row = [np.array([t[c] for c in crit]) for _, t in targets]
    rv = rate_posterior_var(fit, pm, installations, crit)
    post = base_stock_options(pm, pv, L, rate_var=rv)
    everyone = np.full(crit.size, "all")
    hist = mean > 0
    out = {"methods": methods, "mean": mean, "prior_mean": pm, "fit": fit, "hist": hist, "levels": {}, "info": {}}
    ex_h = np.zeros((crit.size, len(targets)), dtype=np.int64)
    ex_h[hist] = base_stock_options(mean[hist], var[hist], L[hist], targets=[t[hist] for t in per_row])[4]
    level, fill, oh, valid, ex_p = base_stock_options(pm, pv, L, targets=per_row)
    for a, (name, tg) in enumerate(targets):
        sys_levels, info = system_levels(level, fill, oh, valid, pm, cost, crit, {c: tg[c] for c in CLASSES})
        sys_post, _ = system_levels(*post, pm, cost, crit, {c: tg[c] for c in CLASSES})
        pooled, info_p = system_levels(*post, pm, cost, everyone, {"all": tg["all"]})
        out["levels"][name] = {"item_hist": ex_h[:, a], "item_prior": ex_p[:, a], "system": sys_levels,
                               "system_post": sys_post, "pooled_post": pooled}
        out["info"][name] = dict(info, pooled_post=info_p["all"])
    if budgets is not None:
        sys_b, info_b = system_levels(*post, pm, cost, crit, budgets={c: budgets[c] for c in CLASSES})
        pooled_b, info_pb = system_levels(*post, pm, cost, everyone, budgets={"all": budgets["all"]})
        out["levels"]["budget"] = {"system_post": sys_b, "pooled_post": pooled_b}
        out["info"]["budget"] = dict(info_b, pooled_post=info_pb["all"])
    out["rate_sd"] = np.sqrt(rv)
    return out


def replay_levels(y: np.ndarray, S: np.ndarray, L: np.ndarray, measure_from: int) -> dict:
    """Base stock S (s = S - 1; S = 0: never order) replayed from period 0 with on-hand = S."""
    S = np.asarray(S, dtype=float)
    return ss_replay(y, S - 1.0, S, L, start=0, measure_from=measure_from)


INNER_VARIANTS = ("system", "system_post", "pooled_post")


def inner_targets(y: np.ndarray, L, cost, crit, installations, company_s, company_S, grid=INNER_GRID,
                  forecast: str = "auto") -> dict:
    """Targets chosen on the training window only (inner split), one set per system variant.

    Fit on the first ``N_INNER`` kept months (1997-01..1998-12), replay on the rest of the training
    window (1999).  ``system`` and ``system_post``: per class the smallest grid target whose
    policy reaches, in 1999, at least the company's 1999 fill rate for the class; ``pooled_post``:
    the smallest grid target (one for every class) whose policy reaches the company's overall 1999
    fill rate (the largest grid value where none does).  The same targets then applied to the full
    training window: knobs set without the test window.  Returns ``{"targets": {variant: {class or
    "all": target}}, "table": per grid target the 1999 fill rate and stock value}``.
    """
    inner = y[:, :N_TRAIN]
    tr = np.maximum(inner[:, :N_INNER], 0.0)
    p = plan(tr, L, cost, crit, installations, [(f"{t:g}", dict({c: t for c in CLASSES}, all=t)) for t in grid],
             forecast)
    comp = ss_replay(inner, company_s, company_S, L, start=0, measure_from=N_INNER)
    groups = {c: crit == c for c in CLASSES}
    groups["all"] = np.ones(crit.size, bool)

    def fill(o, m):
        return o["supplied"][m].sum() / max(o["demand"][m].sum(), 1e-12)

    fr_comp = {c: fill(comp, m) for c, m in groups.items()}
    val_comp = {c: float((comp["mean_on_hand"][m] * cost[m]).sum()) for c, m in groups.items()}
    rows = []
    for t in grid:
        for v in INNER_VARIANTS:
            o = replay_levels(inner, p["levels"][f"{t:g}"][v], L, N_INNER)
            for c in (("all",) if v == "pooled_post" else CLASSES + ("all",)):
                m = groups[c]
                rows.append({"variant": v, "criticality": c, "target": t, "fill 1999": fill(o, m),
                             "stock value 1999": float((o["mean_on_hand"][m] * cost[m]).sum()),
                             "company fill 1999": fr_comp[c], "company stock value 1999": val_comp[c]})
    tab = pd.DataFrame(rows)
    chosen = {}
    for v in INNER_VARIANTS:
        chosen[v] = {}
        for c in (("all",) if v == "pooled_post" else CLASSES):
            r = tab[(tab["variant"] == v) & (tab["criticality"] == c)]
            ok = r[r["fill 1999"] >= r["company fill 1999"] - 1e-12]
            chosen[v][c] = float(ok["target"].min() if len(ok) else grid[-1])
    for v in ("system", "system_post"):
        chosen[v]["all"] = chosen["pooled_post"]["all"]
    for c in CLASSES:
        chosen["pooled_post"][c] = chosen["pooled_post"]["all"]
    # budget reading of the same table: the largest pooled target whose 1999 stock value stays
    # within the company's 1999 stock value (reported, not used for the headline)
    r = tab[(tab["variant"] == "pooled_post") & (tab["criticality"] == "all")]
    within = r[r["stock value 1999"] <= r["company stock value 1999"]]
    budget = float(within["target"].max()) if len(within) else float("nan")
    nh = ~p["hist"]
    dormant = {"materials": int(nh.sum()), "prior (units/month)": float(p["prior_mean"][nh].sum()),
               "1999 demand (units/month)": float(np.maximum(inner[nh, N_INNER:], 0.0).sum() / (N_TRAIN - N_INNER))}
    return {"targets": chosen, "table": tab, "budget_target": budget, "dormant": dormant}


def run_forecast(d: dict, forecast: str, company_test: dict, company_train_kpis: pd.DataFrame) -> dict:
    """Targets, plans and test-window KPIs of every variant for one forecast (``auto`` or a method)."""
    y, L, price, crit = d["y"], d["lead_months"], d["price"], d["criticality"]
    n_test = y.shape[1] - N_TRAIN
    train = np.maximum(y[:, :N_TRAIN], 0.0)
    cost = np.where(price > 0, price, 0.01)
    k_train = company_train_kpis
    tgt_by_class = {c: float(np.clip(np.nan_to_num(k_train.loc[c, "fill_rate"], nan=0.95), 0.50, 0.995))
                    for c in CLASSES + ("all",)}
    t0 = time.perf_counter()
    inner = inner_targets(y, L, cost, crit, d["installations"], d["s"], d["S"], forecast=forecast)
    t_inner = time.perf_counter() - t0
    targets = [("company", tgt_by_class), ("inner", inner["targets"]["system"]),
               ("inner_post", inner["targets"]["system_post"]), ("inner_pooled", inner["targets"]["pooled_post"]),
               ("default", default_targets())] + \
        [(f"{t:g}", dict({c: t for c in CLASSES}, all=t)) for t in TARGETS]
    t0 = time.perf_counter()
    budgets = {c: float(k_train.loc[c, "stock_value"]) for c in CLASSES + ("all",)}
    p = plan(train, L, cost, crit, d["installations"], targets, forecast, budgets=budgets)
    t_plan = time.perf_counter() - t0
    hist = p["hist"]
    runs = {}
    for name in [t for t, _ in targets] + ["budget"]:
        for variant, S in p["levels"][name].items():
            o = replay_levels(y, S, L, N_TRAIN)
            k = kpis(o, price, crit, n_periods=n_test, history=hist)
            k.insert(0, "variant", variant)
            k.insert(0, "target", name)
            runs[(name, variant)] = k
    curve = pd.concat([runs[(f"{t:g}", v)] for t in TARGETS for v in CURVE_VARIANTS], ignore_index=True)
    test_units = np.maximum(y[:, N_TRAIN:], 0.0).sum(axis=1) / n_test
    fc = pd.DataFrame([{"criticality": c, "group": g, "materials": int(m.sum()),
                        "forecast (units/month)": float(p["prior_mean"][m].sum()),
                        "history-only forecast": float(p["mean"][m].sum()),
                        "test-window demand (units/month)": float(test_units[m].sum()),
                        "1997-99 demand (units/month)": float(train[m].sum() / N_TRAIN)}
                       for c in CLASSES for g, m in (("with history", (crit == c) & hist),
                                                     ("no history", (crit == c) & ~hist))])
    fit = p["fit"]
    struct = pd.DataFrame([{"criticality": c, "mu0 (units/installation/month)": fit.mu0[c],
                            "sigma2": fit.sigma2[c], "tau2": fit.tau2[c],
                            "median alpha, no history": float(np.median(fit.alpha[(crit == c) & ~hist]))
                            if ((crit == c) & ~hist).any() else np.nan} for c in CLASSES])
    return {"forecast": forecast, "company": kpis(company_test, price, crit, n_periods=n_test, history=hist),
            "runs": runs, "targets": tgt_by_class, "budgets": budgets, "inner": inner, "curve": curve, "forecast_check": fc,
            "struct": struct, "info": p["info"], "rate_sd": p["rate_sd"], "prior_mean": p["prior_mean"], "methods": pd.Series(p["methods"]).value_counts(normalize=True),
            "times": {"inner": t_inner, "plan": t_plan}, "n_hist": int(hist.sum()),
            "units_nohist": float(np.maximum(y[~hist, N_TRAIN:], 0).sum())}


def run(data_dir: Path) -> dict:
    """Every variant and target set of the protocol (module docstring), for the forecast chosen on
    the inner split and for the pipeline's selection (``auto``); a dict for :func:`report`."""
    d = load_refinery(data_dir)
    y, L, price, crit = d["y"], d["lead_months"], d["price"], d["criticality"]
    company = ss_replay(y, d["s"], d["S"], L, start=0, measure_from=N_TRAIN)
    company_train = ss_replay(y[:, :N_TRAIN], d["s"], d["S"], L, start=0, measure_from=12)
    k_train = kpis(company_train, price, crit, n_periods=N_TRAIN - 12).set_index("criticality")
    chosen, bias = inner_forecast_choice(y)
    res = {f: run_forecast(d, f, company, k_train) for f in dict.fromkeys((chosen, "auto"))}
    return {"chosen": chosen, "bias": bias, "by_forecast": res, "company_train": k_train.reset_index(),
            "n": y.shape[0], "n_test": y.shape[1] - N_TRAIN, "units_test": float(np.maximum(y[:, N_TRAIN:], 0).sum()),
            "lead": pd.Series(L).describe()}


VARIANTS = (("item_hist", "partsopt per item, history only"), ("item_prior", "partsopt per item + installed-base prior"),
            ("system", "partsopt system approach + prior"),
            ("system_post", "system approach on the posterior predictive lead-time demand (rate uncertainty)"),
            ("pooled_post", "the same with one shadow price and one target over all classes"))
CURVE_VARIANTS = ("item_prior", "system", "system_post", "pooled_post")


def _verdict(comp: pd.Series, ours: pd.Series) -> str:
    ok = ours["fill_rate"] >= comp["fill_rate"] - 1e-12 and ours["stock_value"] < comp["stock_value"]
    return "met" if ok else "NOT met"


def headline_table(res: dict, target: str) -> pd.DataFrame:
    """Company vs the three partsopt variants by criticality for one target set."""
    comp = res["company"].set_index("criticality")
    rows = []
    for c in CLASSES + ("all",):
        r = {"criticality": c, "materials": int(comp.loc[c, "materials"]),
             "company fill": comp.loc[c, "fill_rate"], "company stock value": comp.loc[c, "stock_value"]}
        for v, _ in VARIANTS:
            k = res["runs"][(target, v)].set_index("criticality")
            r[f"{v} fill"] = k.loc[c, "fill_rate"]
            r[f"{v} stock value"] = k.loc[c, "stock_value"]
        r["system vs company"] = _verdict(comp.loc[c], res["runs"][(target, "system")].set_index("criticality").loc[c])
        rows.append(r)
    return pd.DataFrame(rows)


INNER_SET = {"system": "inner", "system_post": "inner_post", "pooled_post": "inner_pooled"}


def operating_points(res: dict, group: str = "all") -> pd.DataFrame:
    """Company vs each system variant at the targets chosen for it on the inner split, for the
    materials of ``group`` (``all`` or ``all with history``), with the verdict of the goal."""
    comp = res["company"].set_index("criticality").loc[group]
    rows = [{"policy": "company Min/Max", "targets (inner split)": "", "fill_rate": comp["fill_rate"],
             "hit_rate": comp["hit_rate"], "stock_value": comp["stock_value"], "vs company": ""}]
    for v, name in INNER_SET.items():
        k = res["runs"][(name, v)].set_index("criticality").loc[group]
        tg = res["inner"]["targets"][v]
        rows.append({"policy": v, "targets (inner split)": ("all " + f"{tg['all']:g}") if v == "pooled_post" else
                     ", ".join(f"{c} {tg[c]:g}" for c in CLASSES), "fill_rate": k["fill_rate"],
                     "hit_rate": k["hit_rate"], "stock_value": k["stock_value"],
                     "vs company": f"{_verdict(comp, k)} (value {k['stock_value'] / comp['stock_value'] - 1:+.0%})"})
    return pd.DataFrame(rows)


def default_points(full: dict) -> pd.DataFrame:
    """Company vs every variant at partsopt's default service level (:func:`default_targets`), for
    each forecast of the run (all materials), with the verdict of the goal."""
    rows = []
    for f, r in full["by_forecast"].items():
        comp = r["company"].set_index("criticality").loc["all"]
        if not rows:
            rows.append({"forecast": "", "policy": "company Min/Max", "fill_rate": comp["fill_rate"],
                         "hit_rate": comp["hit_rate"], "stock_value": comp["stock_value"], "vs company": ""})
        for v, _ in VARIANTS:
            k = r["runs"][("default", v)].set_index("criticality").loc["all"]
            rows.append({"forecast": f, "policy": v, "fill_rate": k["fill_rate"], "hit_rate": k["hit_rate"],
                         "stock_value": k["stock_value"],
                         "vs company": f"{_verdict(comp, k)} (value {k['stock_value'] / comp['stock_value'] - 1:+.0%})"})
    return pd.DataFrame(rows)


def budget_points(full: dict) -> pd.DataFrame:
    """Company vs the posterior predictive variants given the company's own 1998-99 stock value as
    their budget (per class for ``system_post``, in total for ``pooled_post``), for each forecast."""
    rows = []
    for f, r in full["by_forecast"].items():
        comp = r["company"].set_index("criticality").loc["all"]
        if not rows:
            rows.append({"forecast": "", "policy": "company Min/Max", "budget (1998-99 company stock value)": "",
                         "expected fill (model)": np.nan, "fill_rate": comp["fill_rate"], "hit_rate": comp["hit_rate"],
                         "stock_value": comp["stock_value"], "vs company": ""})
        for v in ("system_post", "pooled_post"):
            k = r["runs"][("budget", v)].set_index("criticality").loc["all"]
            info = r["info"]["budget"]
            exp_fill = (info["pooled_post"]["expected_fill"] if v == "pooled_post" else np.nan)
            rows.append({"forecast": f, "policy": v,
                         "budget (1998-99 company stock value)": ("per class" if v == "system_post" else
                                                                  f"{r['budgets']['all']:,.0f}"),
                         "expected fill (model)": exp_fill, "fill_rate": k["fill_rate"], "hit_rate": k["hit_rate"],
                         "stock_value": k["stock_value"],
                         "vs company": f"{_verdict(comp, k)} (value {k['stock_value'] / comp['stock_value'] - 1:+.0%})"})
    return pd.DataFrame(rows)


def goal_window(res: dict) -> pd.DataFrame:
    """Per variant, the uniform targets of the curve's grid at which the goal holds (fill rate >= the
    company's and less stock value, all materials): how wide the band of good operating points is."""
    comp = res["company"].set_index("criticality").loc["all"]
    curve = res["curve"]
    rows = []
    for v in CURVE_VARIANTS:
        c = curve[(curve["variant"] == v) & (curve["criticality"] == "all")]
        ok = [f"{float(t):g}" for t, f, val in zip(c["target"], c["fill_rate"], c["stock_value"])
              if f >= comp["fill_rate"] - 1e-12 and val < comp["stock_value"]]
        rows.append({"variant": v, "targets meeting the goal (grid " + ", ".join(f"{t:g}" for t in TARGETS) + ")":
                     ", ".join(ok) if ok else "none"})
    return pd.DataFrame(rows)


def before_after(res: dict) -> pd.DataFrame:
    """The previous method (``system``) against the posterior predictive variants: achieved fill at a
    uniform target of 0.95 (all materials and those with history: the out-of-sample calibration),
    stock value needed at the company's fill rate, and the inner-split operating point."""
    curve, cross = res["curve"], curve_crossings(res).set_index("variant")
    rows = []
    for v, name in INNER_SET.items():
        at = curve[(curve["variant"] == v) & (curve["target"] == "0.95")].set_index("criticality")
        k = res["runs"][(name, v)].set_index("criticality").loc["all"]
        rows.append({"variant": v, "fill at target 0.95": at.loc["all", "fill_rate"],
                     "with history, fill at 0.95": at.loc["all with history", "fill_rate"],
                     "stock value at company fill": cross.loc[v, "all: value at company fill"],
                     "vs company": cross.loc[v, "all: vs company"], "inner-split fill": k["fill_rate"],
                     "inner-split stock value": k["stock_value"]})
    return pd.DataFrame(rows)


def curve_crossings(res: dict) -> pd.DataFrame:
    """Per variant, the stock value its uniform-target curve needs at the company's fill rate
    (linear interpolation between the curve's points; all materials and those with history)."""
    comp = res["company"].set_index("criticality")
    curve = res["curve"]
    rows = []
    for v in CURVE_VARIANTS:
        r = {"variant": v}
        for g in ("all", "all with history"):
            c = curve[(curve["variant"] == v) & (curve["criticality"] == g)]
            at = inventory_at(c["fill_rate"].to_numpy(), c["stock_value"].to_numpy(), comp.loc[g, "fill_rate"])
            r[f"{g}: value at company fill"] = at
            r[f"{g}: vs company"] = (f"{at / comp.loc[g, 'stock_value'] - 1:+.0%}" if np.isfinite(at)
                                     else "out of range")
        rows.append(r)
    return pd.DataFrame(rows)


def inner_table(res: dict) -> pd.DataFrame:
    """Company vs the system variants by criticality, each at its own inner-split target set."""
    comp = res["company"].set_index("criticality")
    rows = []
    for c in CLASSES + ("all",):
        r = {"criticality": c, "materials": int(comp.loc[c, "materials"]),
             "company fill": comp.loc[c, "fill_rate"], "company stock value": comp.loc[c, "stock_value"]}
        for v, name in INNER_SET.items():
            k = res["runs"][(name, v)].set_index("criticality")
            r[f"{v} fill"] = k.loc[c, "fill_rate"]
            r[f"{v} stock value"] = k.loc[c, "stock_value"]
        rows.append(r)
    return pd.DataFrame(rows)


def forecast_comparison(res: dict) -> pd.DataFrame:
    """Overall fill rate and stock value per forecast, target set and variant."""
    rows = []
    for f, r in res["by_forecast"].items():
        for t in ("company", "inner", "inner_post", "inner_pooled"):
            for v, _ in VARIANTS:
                k = r["runs"][(t, v)].set_index("criticality").loc["all"]
                rows.append({"forecast": f, "targets": t, "variant": v, "fill_rate": k["fill_rate"],
                             "hit_rate": k["hit_rate"], "stock_value": k["stock_value"]})
    return pd.DataFrame(rows)


def report(full: dict, data_dir: Path, argv: str) -> str:
    res = dict(full["by_forecast"][full["chosen"]], **{k: full[k] for k in ("company_train", "n", "n_test", "lead")})
    comp_all = res["company"].set_index("criticality").loc["all"]
    curve = res["curve"]
    inner = res["inner"]
    sys_comp = res["runs"][("company", "system")].set_index("criticality").loc["all"]
    fc = res["forecast_check"]
    ctab = curve[curve["criticality"].isin(["all", "all with history"])][
        ["variant", "criticality", "target", "fill_rate", "hit_rate", "stock_value"]]
    legend = "; ".join(f"`{v}` = {t}" for v, t in VARIANTS)
    ops = operating_points(res).iloc[1:].reset_index(drop=True)
    reach = ops["fill_rate"].to_numpy() >= comp_all["fill_rate"] - 1e-12
    # closest to the goal: the cheapest point reaching the company's fill rate, else the highest fill
    bi = (int(np.flatnonzero(reach)[np.argmin(ops["stock_value"].to_numpy()[reach])]) if reach.any()
          else int(np.argmax(ops["fill_rate"].to_numpy())))
    met = [(r["fill_rate"] >= comp_all["fill_rate"] - 1e-12) and (r["stock_value"] < comp_all["stock_value"])
           for _, r in ops.iterrows()]
    goal_met = any(met)
    if goal_met:
        bi = int(np.flatnonzero(met)[np.argmin(ops["stock_value"].to_numpy()[met])])
    best_v = ops.loc[bi, "policy"]
    best = res["runs"][(INNER_SET[best_v], best_v)].set_index("criticality").loc["all"]
    cross = curve_crossings(res)
    dflt_level = default_targets()["all"]
    dp = default_points(full)
    dp = dp[dp["forecast"] == full["chosen"]].set_index("policy")
    dflt_met = [v for v in dp.index if dp.loc[v, "vs company"].startswith("met")]
    dflt_best = min(dflt_met, key=lambda v: dp.loc[v, "stock_value"]) if dflt_met else None
    dflt_row = dp.loc[dflt_best] if dflt_met else None
    bp = budget_points(full)
    bp = bp[bp["forecast"] == full["chosen"]].set_index("policy")
    bud_met = [v for v in bp.index if bp.loc[v, "vs company"].startswith("met")]
    bud_best = min(bud_met, key=lambda v: bp.loc[v, "stock_value"]) if bud_met else None
    bud_row = bp.loc[bud_best] if bud_met else None
    itab = inner["table"]
    inner_comp = float(itab.loc[itab["criticality"] == "all", "company fill 1999"].iloc[0])
    ia = itab[itab["criticality"] == "all"]
    dormant = inner["dormant"]
    bt = inner["budget_target"]
    bt_row = curve[(curve["variant"] == "pooled_post") & (curve["criticality"] == "all") & (curve["target"] == f"{bt:g}")]
    budget_text = (f"A budget reading of the same inner split (the largest pooled target whose 1999 stock value stays "
                   f"within the company's) gives {bt:g}: in the test window `pooled_post` at {bt:g} fills "
                   f"{float(bt_row['fill_rate'].iloc[0]):.4f} with {float(bt_row['stock_value'].iloc[0]):,.0f} "
                   "(less fill and less stock value than the company: not the goal either)."
                   if len(bt_row) else "No pooled target of the grid stays within the company's 1999 stock value "
                   "on the inner split (or it is off the curve's grid).")
    inner_beats = [f"`{r['variant']}` {r['target']:g}" for _, r in ia.iterrows()
                   if r["fill 1999"] >= r["company fill 1999"] - 1e-12 and r["stock value 1999"] < r["company stock value 1999"]]
    lines = [
        "# Refinery spares: company Min/Max vs partsopt, same demand, same lead times",
        "",
        f"- Date: {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        f"- Data: `{data_dir}/refinery_spares_1b_wide.csv` (read in place), {res['n']} materials",
        f"- Command: `python -m benchmarks.real.refinery{(' ' + argv) if argv else ''}`",
        "- Protocol: module docstring of `benchmarks/real/refinery.py` (fit on 1997-01..1999-12 without Nov 1997, "
        f"test 2000-01..2001-08 = {res['n_test']} months; every policy replayed from 1997-01 with on-hand = S; "
        "returns go back to stock; KPIs over the test window only; partsopt never sees it).",
        f"- Lead time [months]: median {res['lead']['50%']:.0f}, max {res['lead']['max']:.0f}; no order cost, so "
        "partsopt's policies are base stock (s = S - 1).",
        f"- Forecast: `{full['chosen']}` for every material, chosen on the inner split of the training window "
        "(smallest aggregate bias, section below); the pipeline's per-series backtest selection (`auto`) is "
        "reported next to it.",
        f"- Times: inner-split target choice {res['times']['inner']:.0f} s; forecasts, prior, option tables and "
        f"all {5 + len(TARGETS)} target sets {res['times']['plan']:.0f} s.",
        f"- Variants: {legend}.",
        "- **Caveat: the company's Min/Max values were extracted at the END of the data (README: \"stock at data "
        "extraction\", 2001)**: they may have been revised during or after the test window with knowledge of it. "
        "partsopt's policies use 1997-99 only.",
        "",
        "## Headline",
        "",
        "Goal (recorded): the same or higher fill rate than the company's Min/Max with less stock value, all "
        "materials. Three look-ahead-free ways of choosing partsopt's operating point, and the verdict of each:",
        "",
        f"1. **partsopt's default service level** ({dflt_level:g} for every class: `service.level` of the "
        "product's default configuration, DESIGN.md section 8, the same for every dataset and set before this "
        "benchmark existed): **" + (("met by " + ", ".join(f"`{v}`" for v in dflt_met)) if dflt_met else "NOT met")
        + f"** with the chosen forecast `{full['chosen']}`"
        + (f" (`{dflt_best}`: fill rate {dflt_row['fill_rate']:.4f} vs {comp_all['fill_rate']:.4f}, stock value "
           f"{dflt_row['stock_value']:,.0f} vs {comp_all['stock_value']:,.0f}, "
           f"{dflt_row['stock_value'] / comp_all['stock_value'] - 1:+.0%})" if dflt_met else "") + ".",
        "2. **The company's own stock value as the budget** (its Min/Max replayed on 1998-99, known when "
        "planning for 2000; partsopt then buys the most expected fill within it: the budget side of the same "
        "Lagrangian, as `[budget]` does for the network hit rate in `partsopt plan`): **" + (("met by " + ", ".join(f"`{v}`" for v in bud_met)) if bud_met else "NOT met")
        + f"** with `{full['chosen']}`"
        + (f" (`{bud_best}`: fill rate {bud_row['fill_rate']:.4f}, stock value {bud_row['stock_value']:,.0f}, "
           f"{bud_row['stock_value'] / comp_all['stock_value'] - 1:+.0%})" if bud_met else "") + ".",
        f"3. **Targets chosen on an inner split of the training window** (fit 1997-98, replay 1999): "
        f"**{'met' if goal_met else 'NOT met'}**. Closest inner-split operating point: `{best_v}` at fill rate "
        f"{best['fill_rate']:.4f} vs the company's {comp_all['fill_rate']:.4f} with {best['stock_value']:,.0f} vs "
        f"{comp_all['stock_value']:,.0f} of stock value ({best['stock_value'] / comp_all['stock_value'] - 1:+.0%}).",
        "",
        "How robust the first is: the band of uniform targets at which the goal holds is narrow (table "
        "below): the curves cross the company's fill rate where they are steep. On the uniform-target "
        "trade-off curves the stock value needed at the company's fill rate is "
        + ", ".join(f"`{r['variant']}` " + (f"{r['all: value at company fill']:,.0f} ({r['all: vs company']})"
                                            if np.isfinite(r['all: value at company fill']) else "out of range")
                    for _, r in cross.iterrows())
        + ". The posterior predictive lead-time demand (rate uncertainty, `system_post`/`pooled_post`) moves "
        "the curve below the company's point; the operating point chosen on the inner split does not land "
        "there (section below).",
        "",
        "### At partsopt's default service level",
        "",
        *md_table(default_points(full)),
        "",
        *md_table(goal_window(res)),
        "",
        "### Within the company's own stock value (budget)",
        "",
        "The budget is the company's Min/Max stock value replayed on 1998-01..1999-12 (after a 12-month "
        f"warm-up): {res['budgets']['all']:,.0f} in total. The realised stock value differs from the "
        "model's expected one (the test-window demand is not the fitted one).",
        "",
        *md_table(budget_points(full)),
        "",
        "### At the targets chosen on the inner split",
        "",
        *md_table(operating_points(res)),
        "",
        "### Before / after (same run: `system` is the previous round's method, unchanged)",
        "",
        *md_table(before_after(res)),
        "",
        "### Materials with 1997-99 demand only (same policies, same runs; NOT the goal's measure)",
        "",
        f"{res['n_hist']} of {res['n']} materials had demand in 1997-99. For the others no forecast can know the "
        f"test-window demand ({res['units_nohist'] / res['n_test']:,.0f} units/month in the test window against "
        f"a prior of {fc.loc[fc['group'] == 'no history', 'forecast (units/month)'].sum():,.0f}). The company's "
        "fill rate and stock value on the same subset:",
        "",
        *md_table(operating_points(res, "all with history")),
        "",
        "Curve crossings (stock value each variant's uniform-target curve needs at the company's fill rate, "
        "all materials and the subset with history):",
        "",
        *md_table(cross),
        "",
        "### Why the inner split chooses high targets",
        "",
        "The inner split fits on 23 months (1997-01..1998-12) and asks each variant to reach, in 1999, the "
        "company's 1999 fill rate; the company's Min/Max (extracted in 2001) fills "
        f"{inner_comp:.4f} in 1999 but {comp_all['fill_rate']:.4f} in the test window, and a 23-month fit is less "
        "informed than the 35-month fit used for the test. In 1999 "
        + ("no target of the grid lets a partsopt variant match the company's overall fill rate with less stock "
           "value" if not inner_beats else "some targets match the company's overall fill rate with less stock value ("
           + ", ".join(inner_beats) + ")")
        + " (inner split detail); the rule takes the smallest target reaching the company's 1999 fill rate. "
        + budget_text,
        "",
        "Materials without demand in the fitting window: on the inner split the "
        f"{dormant['materials']} materials without 1997-98 demand had a prior of {dormant['prior (units/month)']:,.0f} "
        f"units/month and asked for {dormant['1999 demand (units/month)']:,.0f} in 1999 (the stationary prior was "
        f"right there); in the test window the {res['n'] - res['n_hist']} without 1997-99 demand asked for "
        f"{res['units_nohist'] / res['n_test']:,.0f} against {fc.loc[fc['group'] == 'no history', 'forecast (units/month)'].sum():,.0f}"
        ": a change the training window does not show, so no knob set on it can anticipate it.",
        "",
        "### At the company's own 1997-99 fill rate as the target, by criticality",
        "",
        "Targets: " + ", ".join(f"{c} {t:.4f}" for c, t in res["targets"].items())
        + " (the company's Min/Max replayed on 1998-01..1999-12; `all` is the pooled variant's). The system "
        "approach meets each class's target in expectation (model); achieved below.",
        "",
        *md_table(headline_table(res, "company")),
        "",
        f"Overall the system approach reaches {sys_comp['fill_rate']:.4f} at {sys_comp['stock_value']:,.0f}: "
        "a per-class target met in the model falls short out of sample by the demand shift (forecast level "
        "table below).",
        "",
        "### With targets chosen on the training window (inner split), by criticality",
        "",
        "Per class (`system`, `system_post`) or overall (`pooled_post`) the smallest target (grid "
        + ", ".join(f"{t:g}" for t in INNER_GRID) + ") whose policy, fitted on 1997-01..1998-12, reaches in 1999 "
        "the company's 1999 fill rate; chosen: "
        + "; ".join(f"`{v}` " + ", ".join(f"{c} {t:g}" for c, t in tg.items()) for v, tg in inner["targets"].items())
        + ". The largest grid value means none did. Each table row below uses the target set named in the "
        "column's variant (`system`: `inner`, `system_post`: `inner_post`, `pooled_post`: `inner_pooled`).",
        "",
        *md_table(inner_table(res)),
        "",
        "## Trade-off curves (one target for every class; all materials and those with 1997-99 demand)",
        "",
        f"Company Min/Max on the same window: fill rate {comp_all['fill_rate']:.4f}, stock value "
        f"{comp_all['stock_value']:,.0f}, hit rate {comp_all['hit_rate']:.4f}.",
        "",
        *md_table(ctab),
        "",
        "## Forecast chosen on the inner split (fit 1997-01..1998-12, forecast 1999; training data only)",
        "",
        "`auto` is the pipeline's per-series backtest selection (lowest one-step RMSE over 3 origins): on series "
        "that are mostly zero at the origins it picks the method whose forecast happened to be lowest, so its "
        "aggregate is biased low (`inner_forecast_choice` docstring).",
        "",
        *md_table(full["bias"]),
        "",
        "### Overall result per forecast",
        "",
        *md_table(forecast_comparison(full)),
        "",
        "## Forecast level vs demand (units per month, sums over materials)",
        "",
        *md_table(fc),
        "",
        "## Installed-base prior: Bühlmann–Straub structural parameters per class (1997-99)",
        "",
        "`benchmarks/real/credibility.py`: exposure = installations (high + medium + low counts; 1 when none); "
        "a material without demand gets (1 - alpha) x installations x mu0 per month.",
        "",
        *md_table(res["struct"]),
        "",
        "## Inner split detail (fit 1997-01..1998-12, replay 1999; training data only)",
        "",
        *md_table(inner["table"]),
        "",
        "## Company Min/Max on the training window (1998-01..1999-12, after a 12-month warm-up)",
        "",
        *md_table(res["company_train"][["criticality", "materials", "fill_rate", "hit_rate", "stock_value"]]),
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "real_refinery.md"))
    args = ap.parse_args(argv)
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    res = run(data_dir)
    text = report(res, data_dir, " ".join(sys.argv[1:] if argv is None else argv))
    out = write_result(args.out, text)
    best = res["by_forecast"][res["chosen"]]
    best["curve"].to_csv(out.with_suffix(".curve.csv"), index=False)
    best["company"].to_csv(out.with_suffix(".company.csv"), index=False)
    pd.concat([k.assign(forecast=f) for f, r in res["by_forecast"].items() for k in r["runs"].values()],
              ignore_index=True).to_csv(out.with_suffix(".partsopt.csv"), index=False)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
