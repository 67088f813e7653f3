"""PuLP/CBC multiple-choice knapsack: equals brute-force enumeration on tiny cases,
status mapping, infeasibility diagnosis, side constraints."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from policies.milp import Constraint, InfeasibleError, solve_multiple_choice, solution_status
from policies.network import NetworkModel, build_options, evaluate_allocation, optimise_network


def _brute(cost, value, objective, constraints):
    G, K = cost.shape
    best, arg = None, None
    rows = np.arange(G)
    for combo in itertools.product(range(K), repeat=G):
        combo = np.array(combo)
        ok = True
        for c in constraints:
            lhs = c.coef[rows, combo].sum()
            ok &= lhs <= c.rhs + 1e-9 if c.sense == "<=" else lhs >= c.rhs - 1e-9
        if not ok:
            continue
        obj = (cost if objective == "min_cost" else value)[rows, combo].sum()
        if best is None or (obj < best - 1e-12 if objective == "min_cost" else obj > best + 1e-12):
            best, arg = obj, combo
    return best, arg


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_milp_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    G, K = 3, 5
    cost = np.sort(rng.uniform(0, 10, (G, K)), axis=1)
    value = np.sort(rng.uniform(0, 10, (G, K)), axis=1)
    other = rng.uniform(0, 3, (G, K))
    cons_b = [Constraint("budget", cost, "<=", 14.0), Constraint("cap", other, "<=", 5.0)]
    best, _ = _brute(cost, value, "max_value", cons_b)
    sol = solve_multiple_choice(cost, value, objective="max_value", constraints=cons_b)
    assert sol.status == "optimal" and sol.objective == pytest.approx(best, abs=1e-6)
    cons_t = [Constraint("target", value, ">=", 18.0), Constraint("cap", other, "<=", 6.0)]
    best, _ = _brute(cost, value, "min_cost", cons_t)
    sol = solve_multiple_choice(cost, value, objective="min_cost", constraints=cons_t)
    assert sol.objective == pytest.approx(best, abs=1e-6)


def _tiny_network(seed, parts=2):
    rng = np.random.default_rng(seed)
    dr = np.c_[np.zeros(parts), rng.uniform(0.02, 0.3, (parts, 2))]
    return NetworkModel.from_arrays([-1, 0, 0], dr, [4.0, 1.0, 1.0], rng.uniform(5, 50, parts),
                                    max_level=2, emergency_days=[1, 1, 3], promise_days=[2, 2, 2])


@pytest.mark.parametrize("seed, hit, otd", [(0, 0.8, None), (1, 0.6, 0.85), (2, None, 0.9)])
def test_network_milp_equals_brute_force_over_allocations(seed, hit, otd):
    """Every stock array of a 2-part, 3-location network (levels 0..2: 3^6 allocations),
    evaluated independently with evaluate_allocation; the MILP over enumerated options
    must find the cheapest one that meets the targets."""
    model = _tiny_network(seed)
    lines = model.line_rate.sum()
    allocs = np.array(list(itertools.product(range(3), repeat=6))).reshape(-1, 2, 3)
    n = len(allocs)
    # all 729 allocations evaluated in one call: the 2 parts repeated n times
    big = NetworkModel.from_arrays([-1, 0, 0], np.tile(model.demand_rate, (n, 1)), [4.0, 1.0, 1.0],
                                   np.tile(model.unit_cost, (n, 1)), max_level=2,
                                   emergency_days=[1, 1, 3], promise_days=[2, 2, 2])
    ev = evaluate_allocation(big, allocs.reshape(-1, 3))
    h = (ev["lines"] * ev["ready"]).to_numpy().reshape(n, 6).sum(axis=1) / lines
    o = (ev["lines"] * ev["otd"]).to_numpy().reshape(n, 6).sum(axis=1) / lines
    inv = ev["investment"].to_numpy().reshape(n, 6).sum(axis=1)
    ok = np.ones(n, bool)
    if hit is not None:
        ok &= h >= hit
    if otd is not None:
        ok &= o >= otd
    best = inv[ok].min()
    sol = optimise_network(model, hit_target=hit, otd_target=otd, solver="milp",
                           options=build_options(model, "enumerate"))
    assert sol.status == "optimal"
    assert sol.investment == pytest.approx(best, abs=1e-6)
    assert hit is None or sol.hit_rate >= hit - 1e-9
    assert otd is None or sol.otd_rate >= otd - 1e-9


def test_status_mapping():
    assert solution_status("Optimal", "Optimal Solution Found") == "optimal"
    # CBC at its time limit with an integer solution: not optimal
    assert solution_status("Optimal", "Solution Found") == "feasible"
    assert solution_status("Infeasible", "No Solution Exists") == "infeasible"
    assert solution_status("Not Solved", "No Solution Found") == "no_solution"


def test_infeasible_reports_binding_constraint():
    model = _tiny_network(3, parts=3)
    opts = build_options(model, "enumerate")
    # no stock allowed at location 1: a 0.8 hit rate is out of reach; dropping either the
    # target or the capacity restores feasibility, so both are reported as binding
    with pytest.raises(InfeasibleError, match=r"binding: hit_target, location_capacity\[1\]") as exc:
        optimise_network(model, hit_target=0.8, solver="milp", options=opts,
                         location_capacity=[np.nan, 0.0, np.nan])
    assert exc.value.binding == ["hit_target", "location_capacity[1]"]
    assert isinstance(exc.value, ValueError)


def test_location_budget_and_capacity_are_respected():
    model = _tiny_network(4, parts=3)
    opts = build_options(model, "enumerate")
    free = optimise_network(model, hit_target=0.7, solver="milp", options=opts)
    units = free.levels[:, 1].sum()
    cap = np.array([np.nan, units - 1.0, np.nan])  # one unit less than the free optimum uses
    capped = optimise_network(model, hit_target=0.7, solver="milp", options=opts, location_capacity=cap)
    assert capped.levels[:, 1].sum() <= units - 1
    assert capped.investment >= free.investment
    lb = np.array([np.nan, np.nan, 20.0])
    sol = optimise_network(model, budget=200.0, solver="milp", options=opts, location_budget=lb)
    assert (sol.levels[:, 2] * model.unit_cost[:, 2]).sum() <= 20.0 + 1e-9


def test_bad_input():
    c = np.ones((2, 3))
    with pytest.raises(ValueError, match="objective must be"):
        solve_multiple_choice(c, c, objective="min")
    with pytest.raises(ValueError, match="time_limit must be > 0"):
        solve_multiple_choice(c, c, objective="min_cost", time_limit=0)
    with pytest.raises(ValueError, match="sense must be one of"):
        solve_multiple_choice(c, c, objective="min_cost", constraints=[Constraint("x", c, "==", 1.0)])
