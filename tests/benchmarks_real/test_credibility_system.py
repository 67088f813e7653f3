"""Installed-base prior (Bühlmann–Straub) and the system approach of the refinery benchmark."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.real.common import pipeline_policy
from benchmarks.real.credibility import buhlmann_straub, installed_base_prior
from benchmarks.real.system import base_stock_options, per_item_levels, system_levels
from policies.marginal import efficient_frontier
from policies.service import evaluate_policy


def _reference_bs(y, n):
    """Plain per-material Bühlmann–Straub for one collective (Bühlmann & Gisler 2005, §4.8)."""
    I, T = y.shape
    wi = [n[i] * T for i in range(I)]
    Xi = [y[i].sum() / wi[i] for i in range(I)]
    s2 = sum(sum(n[i] * (y[i, j] / n[i] - Xi[i]) ** 2 for j in range(T)) / (T - 1) for i in range(I)) / I
    w = sum(wi)
    Xbar = sum(wi[i] / w * Xi[i] for i in range(I))
    c = (I - 1) / I / sum(wi[i] / w * (1 - wi[i] / w) for i in range(I))
    t2 = max(0.0, c * (I / (I - 1) * sum(wi[i] / w * (Xi[i] - Xbar) ** 2 for i in range(I)) - I * s2 / w))
    a = [wi[i] / (wi[i] + s2 / t2) for i in range(I)]
    mu0 = sum(a[i] * Xi[i] for i in range(I)) / sum(a)
    return [mu0 + a[i] * (Xi[i] - mu0) for i in range(I)], a, mu0, s2, t2


def test_buhlmann_straub_matches_per_material_reference_in_each_group():
    rng = np.random.default_rng(3)
    y = rng.poisson(rng.gamma(0.8, 0.5, (30, 1)) * np.arange(1, 31)[:, None] / 10, (30, 12)).astype(float)
    n = rng.integers(1, 9, 30).astype(float)
    g = np.array(["a", "b"] * 15)
    fit = buhlmann_straub(y, n, g)
    for lab in ("a", "b"):
        rows = np.flatnonzero(g == lab)
        est, a, mu0, s2, t2 = _reference_bs(y[rows], n[rows])
        assert fit.estimate[rows] == pytest.approx(est, rel=1e-10)
        assert fit.alpha[rows] == pytest.approx(a, rel=1e-10)
        assert fit.mu0[lab] == pytest.approx(mu0, rel=1e-10)
        assert fit.sigma2[lab] == pytest.approx(s2, rel=1e-10)
        assert fit.tau2[lab] == pytest.approx(t2, rel=1e-10)


def test_buhlmann_straub_recovers_structural_parameters_by_monte_carlo():
    # gamma-Poisson collective: mu(theta) ~ Gamma(k, s) per installation, Y_ij ~ Poisson(n_i mu_i):
    # mu0 = k s, tau2 = k s^2, sigma2 = E[mu] = k s (Poisson: Var(X_ij | theta) = mu / n_i)
    rng = np.random.default_rng(11)
    k, s = 2.0, 0.05
    I, T = 4000, 24
    n = rng.integers(1, 20, I).astype(float)
    mu = rng.gamma(k, s, I)
    y = rng.poisson(n[:, None] * mu[:, None], (I, T)).astype(float)
    fit = buhlmann_straub(y, n, np.zeros(I, int))
    assert fit.mu0[0] == pytest.approx(k * s, rel=0.05)
    assert fit.sigma2[0] == pytest.approx(k * s, rel=0.05)
    assert fit.tau2[0] == pytest.approx(k * s * s, rel=0.15)
    # the credibility estimate beats the raw mean in mean squared error on the true rates
    assert np.mean((fit.estimate - mu) ** 2) < 0.9 * np.mean((fit.own_mean - mu) ** 2)


def test_prior_gives_materials_without_history_a_smaller_rate_than_the_class_mean():
    y = np.zeros((4, 10))
    y[0, ::2] = 2.0
    y[1, 1::3] = 1.0
    own = np.array([1.0, 0.3, 0.0, 0.0])
    mean, var, fit = installed_base_prior(y, np.array([4.0, 2.0, 3.0, np.nan]), np.array(["x"] * 4), own, own)
    assert (mean > 0).all() and (var >= mean - 1e-12).all()
    # no history: (1 - alpha) n mu0, below n mu0
    assert mean[2] == pytest.approx((1 - fit.alpha[2]) * 3.0 * fit.mu0["x"])
    assert mean[3] == pytest.approx((1 - fit.alpha[3]) * 1.0 * fit.mu0["x"])   # unknown installations: 1
    assert mean[2] < 3.0 * fit.mu0["x"]


@pytest.mark.parametrize("bad", [np.array([[1.0, -1.0]]), np.array([1.0, 2.0])])
def test_buhlmann_straub_rejects_bad_y(bad):
    with pytest.raises(ValueError, match="y must"):
        buhlmann_straub(bad, 1.0, ["a"])


def test_buhlmann_straub_rejects_bad_exposure():
    with pytest.raises(ValueError, match="exposure"):
        buhlmann_straub(np.ones((2, 3)), np.array([1.0, 0.0]), ["a", "a"])


def _panel(n=30, seed=1):
    rng = np.random.default_rng(seed)
    mean = rng.gamma(0.5, 2.0, n) + 0.01
    var = mean * rng.uniform(1.0, 4.0, n)
    L = rng.integers(0, 6, n)
    price = rng.lognormal(3.0, 1.0, n)
    return mean, var, L, price


def test_per_item_levels_equal_optimize_single_with_no_order_cost():
    mean, var, L, price = _panel()
    *_, exact = base_stock_options(mean, var, L, targets=[0.9, 0.97])
    for a, t in enumerate((0.9, 0.97)):
        p = pipeline_policy(mean, var, lead_time=L, unit_cost=price, target_level=t, periods_per_year=12.0)
        assert np.array_equal(p["order_up_to"].to_numpy(), exact[:, a])
        assert np.array_equal(p["reorder_point"].to_numpy(), exact[:, a] - 1)


def test_option_tables_are_the_policy_evaluation_at_each_level():
    mean, var, L, _ = _panel(12, seed=4)
    level, fill, oh, valid = base_stock_options(mean, var, L, max_options=8, tail=1e-9)  # evaluate_policy's tail
    for j in (1, 3, 7):
        ok = valid[:, j] & (level[:, j] >= 1)
        ev = evaluate_policy("nbinom", mean[ok], np.maximum(var, mean)[ok], L[ok], 1.0,
                             reorder_point=level[ok, j] - 1, order_up_to=level[ok, j], line_size_pmf="family")
        assert fill[ok, j] == pytest.approx(ev["fill_rate"].to_numpy(), abs=1e-9)
        assert oh[ok, j] == pytest.approx(ev["expected_on_hand"].to_numpy(), abs=1e-9)
    # wide rows: max_options levels spread over the support, increasing
    assert (np.diff(np.where(valid, level, level.max() + 1), axis=1) > 0).all()


def test_per_item_levels_smallest_level_meeting_the_target():
    level = np.array([[0, 1, 2, 3], [0, 2, 4, 6]])
    fill = np.array([[0.0, 0.5, 0.9, 0.99], [0.0, 0.8, 0.95, 0.97]])
    valid = np.ones_like(level, bool)
    assert per_item_levels(level, fill, valid, 0.9).tolist() == [2, 4]
    assert per_item_levels(level, fill, valid, 0.98).tolist() == [3, 6]   # none reaches: largest
    with pytest.raises(ValueError, match="target"):
        per_item_levels(level, fill, valid, 1.0)


def test_system_approach_meets_class_target_at_no_more_cost_than_per_item_and_matches_frontier():
    mean, var, L, price = _panel(40, seed=7)
    cls = np.where(np.arange(40) % 3 == 0, "high", "low")
    level, fill, oh, valid = base_stock_options(mean, var, L)
    targets = {"high": 0.95, "low": 0.85}
    S, info = system_levels(level, fill, oh, valid, mean, price, cls, targets)
    rows = np.arange(40)
    for c, t in targets.items():
        m = cls == c
        pos = np.array([np.flatnonzero(level[i] == S[i])[0] for i in rows[m]])
        f = fill[rows[m], pos]
        cost = (oh[rows[m], pos] * price[m]).sum()
        assert (f * mean[m]).sum() / mean[m].sum() >= t - 1e-9
        assert info[c]["feasible"]
        # per item (every item at the target) also meets the class target, at no lower cost
        Sp = per_item_levels(level[m], fill[m], valid[m], t)
        posp = np.array([np.flatnonzero(level[i] == s)[0] for i, s in zip(rows[m], Sp)])
        assert cost <= (oh[rows[m], posp] * price[m]).sum() + 1e-9
        # and no cheaper than the first point of the greedy frontier reaching the target minus one step
        fr = efficient_frontier(oh[m] * price[m, None], fill[m] * mean[m, None], valid[m])
        reach = fr[fr["value"] >= t * mean[m].sum() - 1e-9]
        assert cost <= float(reach["cost"].iloc[0]) + 1e-9
        prev = fr[fr["value"] < t * mean[m].sum() - 1e-9]
        assert cost >= float(prev["cost"].iloc[-1]) - 1e-9


def test_system_levels_validates_price_and_targets():
    mean, var, L, price = _panel(5)
    level, fill, oh, valid = base_stock_options(mean, var, L)
    with pytest.raises(ValueError, match="price"):
        system_levels(level, fill, oh, valid, mean, np.zeros(5), np.array(["a"] * 5), {"a": 0.9})
    with pytest.raises(ValueError, match="target for class"):
        system_levels(level, fill, oh, valid, mean, price, np.array(["a"] * 5), {"a": 1.2})


def _refinery_like(n=40, T=55, seed=2):
    rng = np.random.default_rng(seed)
    y = rng.poisson(rng.gamma(0.5, 0.6, n)[:, None], (n, T)).astype(float)
    y[:6, :35] = 0.0                                   # materials without history in the fitting window
    crit = np.array(["high", "medium", "low", "none"] * (n // 4))
    inst = np.where(crit == "none", 0.0, rng.integers(1, 10, n).astype(float))
    return y, crit, inst, rng.integers(0, 4, n), rng.lognormal(3.0, 1.0, n)


def test_refinery_forecast_choice_and_plan_use_the_training_window_only():
    from benchmarks.real.refinery import CLASSES, N_TRAIN, inner_forecast_choice, plan
    y, crit, inst, L, price = _refinery_like()
    f1, tab = inner_forecast_choice(y)
    y2 = y.copy()
    y2[:, N_TRAIN:] *= 3.0
    f2, _ = inner_forecast_choice(y2)
    assert f1 == f2 and f1 == tab.loc[tab["bias"].abs().idxmin(), "forecast"]
    tg = dict({c: 0.9 for c in CLASSES}, all=0.9)
    p = plan(y[:, :N_TRAIN], L, price, crit, inst, [("u", tg)], f1)
    lv = p["levels"]["u"]
    hist = p["hist"]
    assert (lv["item_hist"][~hist] == 0).all()           # history only: nothing without history
    assert (p["prior_mean"] > 0).all()                    # the prior gives every material a forecast
    assert (lv["item_prior"][~hist] >= 1).all()           # ... and, per item at 0.9, stock
    for c in CLASSES:                                     # the system approach meets each class target
        assert p["info"]["u"][c]["expected_fill"] >= 0.9 - 1e-9
        assert p["info"]["u"][c]["feasible"] and not p["info"]["u"][c]["capped"]
    # the posterior predictive variants: one shadow price over all classes meets the overall target
    assert p["info"]["u"]["pooled_post"]["expected_fill"] >= 0.9 - 1e-9
    assert (p["rate_sd"] > 0).all()
    for v in ("system_post", "pooled_post"):
        assert lv[v].shape == (y.shape[0],) and (lv[v] >= 0).all()


def test_refinery_inner_targets_and_report_use_the_training_window_only(tmp_path):
    from benchmarks.real.refinery import CLASSES, INNER_GRID, N_TRAIN, inner_targets, report, run_forecast, kpis
    from benchmarks.real.replay import ss_replay
    y, crit, inst, L, price = _refinery_like(n=48)
    s = np.floor(y[:, :N_TRAIN].mean(axis=1) * 2)
    S = s + 2.0
    a = inner_targets(y, L, price, crit, inst, s, S, forecast="ses")
    y2 = y.copy()
    y2[:, N_TRAIN:] = 7.0                                # the test window never enters
    b = inner_targets(y2, L, price, crit, inst, s, S, forecast="ses")
    assert a["targets"] == b["targets"]
    for v in ("system", "system_post"):
        assert set(a["targets"][v]) == set(CLASSES) | {"all"}
        assert all(t in INNER_GRID for t in a["targets"][v].values())
    # the pooled rule: the smallest grid target whose 1999 fill reaches the company's (or the largest)
    t = a["table"]
    r = t[(t["variant"] == "pooled_post") & (t["criticality"] == "all")]
    ok = r[r["fill 1999"] >= r["company fill 1999"] - 1e-12]
    assert a["targets"]["pooled_post"]["all"] == (ok["target"].min() if len(ok) else INNER_GRID[-1])
    # one forecast's full run and the report (smoke: every section renders)
    d = {"y": y, "lead_months": L, "price": price, "criticality": crit, "installations": inst, "s": s, "S": S}
    comp = ss_replay(y, s, S, L, start=0, measure_from=N_TRAIN)
    ktr = kpis(ss_replay(y[:, :N_TRAIN], s, S, L, start=0, measure_from=12), price, crit,
               n_periods=N_TRAIN - 12).set_index("criticality")
    res = run_forecast(d, "ses", comp, ktr)
    full = {"chosen": "ses", "bias": pd.DataFrame({"forecast": ["ses"], "bias": [0.0]}),
            "by_forecast": {"ses": res, "auto": res}, "company_train": ktr.reset_index(), "n": y.shape[0],
            "n_test": y.shape[1] - N_TRAIN, "lead": pd.Series(L).describe()}
    text = report(full, tmp_path, "")
    assert "## Headline" in text and "pooled_post" in text and "Materials with 1997-99 demand only" in text
    assert "### At partsopt's default service level" in text
    # the default target set is the product's default level for every class, and its levels are the
    # uniform curve's at that level (the same plan, not a separately tuned one)
    from benchmarks.real.refinery import default_points, default_targets, goal_window
    from partsopt.config import default_config
    level = float(default_config()["service"]["level"])
    assert default_targets() == dict({c: level for c in CLASSES}, all=level)
    for v in ("system", "system_post", "pooled_post"):
        pd.testing.assert_frame_equal(res["runs"][("default", v)].drop(columns="target"),
                                      res["runs"][(f"{level:g}", v)].drop(columns="target"))
    dp = default_points(full)
    comp = res["company"].set_index("criticality").loc["all"]
    for _, r in dp.iloc[1:].iterrows():      # the verdict is the goal's rule
        met = r["fill_rate"] >= comp["fill_rate"] - 1e-12 and r["stock_value"] < comp["stock_value"]
        assert r["vs company"].startswith("met" if met else "NOT met")
    assert len(goal_window(res)) == 4
    # the budget rule: each class's expected stock value within the company's 1998-99 value
    from benchmarks.real.refinery import budget_points
    assert "### Within the company's own stock value (budget)" in text
    for c in CLASSES:
        assert res["info"]["budget"][c]["expected_stock_value"] <= res["budgets"][c] + 1e-6
    assert res["info"]["budget"]["pooled_post"]["expected_stock_value"] <= res["budgets"]["all"] + 1e-6
    assert res["budgets"]["all"] == pytest.approx(float(ktr.loc["all", "stock_value"]))
    assert len(budget_points(full)) == 1 + 2 * len(full["by_forecast"])


def test_system_levels_budget_side_stays_within_budget_and_matches_enumeration():
    """The budget side: the class's expected stock value within its budget, and its expected fill
    within one greedy step of the best allocation by brute-force enumeration (tiny cases; the
    Lagrangian's bound, Everett 1963: at most one item's hull step below the LP optimum, so below
    the integer optimum by at most the largest value range of one item)."""
    import itertools
    for seed in (11, 12, 26):
        _budget_case(seed, itertools)


def _budget_case(seed, itertools):
    mean, var, L, price = _panel(4, seed=seed)
    level, fill, oh, valid = base_stock_options(mean, var, L, max_options=5)
    cls = np.array(["a"] * 4)
    cost = oh * price[:, None]
    value = fill * mean[:, None]
    opts = [np.flatnonzero(valid[i]) for i in range(4)]
    step = float(np.max(np.where(valid, value, -np.inf).max(axis=1) - np.where(valid, value, np.inf).min(axis=1)))
    for budget in (0.0, 0.1 * float(cost[valid].max()), 0.3 * float(cost[valid].max()), float(cost[valid].max()), 1e12):
        S, info = system_levels(level, fill, oh, valid, mean, price, cls, budgets={"a": budget})
        pos = np.array([np.flatnonzero(level[i] == S[i])[0] for i in range(4)])
        spent = float(cost[np.arange(4), pos].sum())
        got = float(value[np.arange(4), pos].sum())
        assert spent <= budget + 1e-9
        assert info["a"]["expected_stock_value"] == pytest.approx(spent, abs=1e-9)
        best = max(sum(value[i, j] for i, j in enumerate(c)) for c in itertools.product(*opts)
                   if sum(cost[i, j] for i, j in enumerate(c)) <= budget + 1e-9)
        assert got <= best + 1e-9
        assert got >= best - step - 1e-9
        if budget == 1e12:                   # nothing binds: every item at its best level
            assert got == pytest.approx(float(np.where(valid, value, -np.inf).max(axis=1).sum()), abs=1e-12)
    with pytest.raises(ValueError, match="exactly one of targets or budgets"):
        system_levels(level, fill, oh, valid, mean, price, cls, {"a": 0.9}, budgets={"a": 1.0})
    with pytest.raises(ValueError, match="budget for class"):
        system_levels(level, fill, oh, valid, mean, price, cls, budgets={"a": -1.0})


def test_refinery_rolling_plan_reads_only_the_past_and_equals_the_static_plan_at_each_origin(tmp_path):
    """The monthly re-plan: the levels in force from month k are :func:`refinery.plan` fitted on the
    withdrawals before k (default target set and company budget), the first plan covers the training
    months, and changing demand after a re-plan moves no earlier level; the report renders."""
    from benchmarks.real.refinery import CLASSES, N_TRAIN, default_targets, plan
    from benchmarks.real.refinery_rolling import report, rolling_plan_levels, stock_at_company_fill, verdicts
    y, crit, inst, L, price = _refinery_like(n=40, T=N_TRAIN + 6)
    d = {"y": y, "lead_months": L, "price": price, "criticality": crit, "installations": inst}
    budgets = dict({c: 500.0 for c in CLASSES}, all=2000.0)
    lv = rolling_plan_levels(d, "ses", budgets, every=3, curve=(0.9,))
    assert set(lv) == {(r, v) for r in ("default", "budget", "0.9") for v in ("system_post", "pooled_post")}
    for k in (N_TRAIN, N_TRAIN + 3):
        p = plan(np.maximum(y[:, :k], 0.0), L, np.where(price > 0, price, 0.01), crit, inst,
                 [("default", default_targets()), ("0.9", dict({c: 0.9 for c in CLASSES}, all=0.9))], "ses",
                 budgets=budgets)
        for (rule, v), a in lv.items():
            np.testing.assert_array_equal(a[:, k], p["levels"][rule][v])
            np.testing.assert_array_equal(a[:, k:k + 3], np.repeat(a[:, [k]], 3, 1))
    for a in lv.values():
        np.testing.assert_array_equal(a[:, :N_TRAIN], np.repeat(a[:, [N_TRAIN]], N_TRAIN, 1))
    y2 = y.copy()
    y2[:, N_TRAIN + 1:] = 9.0
    lv2 = rolling_plan_levels(dict(d, y=y2), "ses", budgets, every=3, curve=(0.9,))
    for key in lv:
        np.testing.assert_array_equal(lv[key][:, :N_TRAIN + 3], lv2[key][:, :N_TRAIN + 3])
    with pytest.raises(ValueError, match="every"):
        rolling_plan_levels(d, "ses", budgets, every=0)
    # the report's verdict is the goal's rule
    from benchmarks.real.refinery import kpis
    from benchmarks.real.replay import ss_replay
    comp = kpis(ss_replay(y, 1.0, 3.0, L, measure_from=N_TRAIN), price, crit, n_periods=6)
    runs = []
    for (rule, v), S in lv.items():
        k = kpis(ss_replay(y, S - 1.0, S, L, measure_from=N_TRAIN), price, crit, n_periods=6)
        runs.append(k.assign(forecast="ses", rule=rule, variant=v))
    res = {"runs": pd.concat(runs, ignore_index=True), "company": comp, "budgets": budgets, "chosen": "ses",
           "times": {"ses": 1.0}, "every": 3, "n": 40, "n_test": 6}
    vt = verdicts(res)
    c = comp.set_index("criticality").loc["all"]
    for _, r in vt.iloc[1:].iterrows():
        met = r["fill rate"] >= c["fill_rate"] - 1e-12 and r["stock value"] < c["stock_value"]
        assert r["goal"] == ("met" if met else "NOT met")
    text = report(res, tmp_path, "--every 3")
    assert "## Over all materials" in text and "## By criticality" in text and "budget, pooled_post" in text
    assert "## The stock value at the company's fill rate" in text
    # the interpolation on the curve (0.9 and the default level) at the company's fill rate
    st = stock_at_company_fill(res).set_index("variant")
    runs = res["runs"][res["runs"]["criticality"] == "all"].set_index(["rule", "variant"])
    for v in ("system_post", "pooled_post"):
        lo, hi = runs.loc[("0.9", v)], runs.loc[("default", v)]
        x = c["fill_rate"]
        if min(lo["fill_rate"], hi["fill_rate"]) <= x <= max(lo["fill_rate"], hi["fill_rate"]) and \
                lo["fill_rate"] != hi["fill_rate"]:
            w = (x - lo["fill_rate"]) / (hi["fill_rate"] - lo["fill_rate"])
            assert st.loc[v, "stock value at the company's fill rate"] == pytest.approx(
                lo["stock_value"] + w * (hi["stock_value"] - lo["stock_value"]))
        else:
            assert st.loc[v, "vs company"] == "not bracketed"
