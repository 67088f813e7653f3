"""Greedy marginal analysis: hulls, frontier optimality at its breakpoints
(checked by brute-force enumeration), Lagrangian bisection = frontier."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from policies.marginal import (convex_hull_steps, efficient_frontier, lagrangian_solve,
                               respond_at_price)


def _random_problem(G, K, seed, sorted_cost=True):
    rng = np.random.default_rng(seed)
    if sorted_cost:
        unit = rng.uniform(1, 20, G)
        cost = unit[:, None] * np.arange(K)[None, :]
        # S-shaped (non-concave) values like a Poisson cdf
        mu = rng.uniform(0.3, 3.0, G)
        from scipy import stats
        value = rng.uniform(1, 10, G)[:, None] * stats.poisson.cdf(np.arange(K)[None, :] - 1, mu[:, None])
    else:
        cost = rng.uniform(0, 30, (G, K))
        value = rng.uniform(0, 10, (G, K))
    return cost, value


def _brute_best_value(cost, value, budget):
    best = -np.inf
    G, K = cost.shape
    for combo in itertools.product(range(K), repeat=G):
        c = cost[np.arange(G), combo].sum()
        if c <= budget + 1e-9:
            best = max(best, value[np.arange(G), combo].sum())
    return best


def _reference_hull(c, v):
    """Plain per-group upper hull (monotone chain on points sorted by cost)."""
    start = min(range(len(c)), key=lambda k: (c[k], -v[k]))
    verts = [start]
    while True:
        k = verts[-1]
        best, nxt = 0.0, None
        for j in range(len(c)):
            if c[j] > c[k]:
                r = (v[j] - v[k]) / (c[j] - c[k])
                if r > best + 1e-12 or (nxt is not None and abs(r - best) <= 1e-12 and c[j] > c[nxt]):
                    best, nxt = r, j
        if nxt is None:
            return verts
        verts.append(nxt)


@pytest.mark.parametrize("sorted_cost", [True, False])
def test_hull_matches_per_group_reference(sorted_cost):
    cost, value = _random_problem(40, 7, seed=1, sorted_cost=sorted_cost)
    hull = convex_hull_steps(cost, value)
    for g in range(40):
        ref = _reference_hull(cost[g], value[g])
        st = hull.steps[hull.steps["group"] == g]
        assert [hull.base[g]] + st["to_option"].tolist() == ref
        assert np.all(np.diff(st["ratio"].to_numpy()) < 0)


@pytest.mark.parametrize("seed, sorted_cost", [(2, True), (3, False), (4, True)])
def test_frontier_points_are_optimal_for_their_budget(seed, sorted_cost):
    cost, value = _random_problem(4, 5, seed, sorted_cost)
    fr = efficient_frontier(cost, value)
    assert np.all(np.diff(fr["cost"]) > 0) and np.all(np.diff(fr["value"]) > 0)
    for c, v in zip(fr["cost"], fr["value"]):
        assert v == pytest.approx(_brute_best_value(cost, value, c), abs=1e-9)


def test_respond_at_price_is_the_argmax_and_a_hull_point():
    cost, value = _random_problem(30, 6, seed=5)
    fr = efficient_frontier(cost, value)
    for price in [0.0, 0.01, 0.05, 0.1, 0.3, 1.0, 100.0]:
        choice, c, v = respond_at_price(cost, value, price)
        score = value - price * cost
        np.testing.assert_allclose(score[np.arange(30), choice], score.max(axis=1))
        # total (c, v) is a breakpoint of the frontier
        i = np.argmin(np.abs(fr["cost"].to_numpy() - c))
        assert fr["cost"].iloc[i] == pytest.approx(c) and fr["value"].iloc[i] == pytest.approx(v)


def test_lagrangian_bisection_equals_frontier_prefix():
    cost, value = _random_problem(200, 8, seed=6)
    fr = efficient_frontier(cost, value)
    vmax = fr["value"].iloc[-1]
    for frac in [0.3, 0.7, 0.9, 0.99]:
        tgt = frac * vmax
        sol = lagrangian_solve(cost, value, target_value=tgt)
        first = fr[fr["value"] >= tgt - 1e-12].iloc[0]
        # same as the frontier up to the crossing step, which may be replaced by a cheaper one
        assert sol.feasible and sol.value >= tgt - 1e-9
        assert fr[fr["value"] < tgt]["cost"].max() <= sol.cost <= first["cost"] + 1e-9
        assert sol.iterations > 0
    for budget in [100.0, 1000.0, 5000.0]:
        sol = lagrangian_solve(cost, value, budget=budget)
        last = fr[fr["cost"] <= budget + 1e-9].iloc[-1]
        assert sol.cost <= budget and sol.value == pytest.approx(last["value"])


def test_extras_carried_along_and_valid_mask():
    cost = np.array([[0.0, 1.0, 2.0, 3.0]])
    value = np.array([[0.0, 5.0, 8.0, 9.0]])
    valid = np.array([[False, True, True, True]])  # min override: at least level 1
    fr = efficient_frontier(cost, value, valid, extras={"otd": 2 * value})
    assert fr["cost"].tolist() == [1.0, 2.0, 3.0]
    np.testing.assert_allclose(fr["otd"], 2 * fr["value"])


@pytest.mark.parametrize("kwargs, match", [
    (dict(target_value=1e9), "target_value must be <="),
    (dict(budget=-1.0), "budget must be >="),
    (dict(), "exactly one of"),
])
def test_bad_input(kwargs, match):
    cost, value = _random_problem(5, 4, seed=0)
    with pytest.raises(ValueError, match=match):
        lagrangian_solve(cost, value, **kwargs)


def test_group_without_options_rejected():
    with pytest.raises(ValueError, match="at least one valid option"):
        convex_hull_steps(np.ones((2, 2)), np.ones((2, 2)), valid=np.array([[1, 1], [0, 0]], bool))
