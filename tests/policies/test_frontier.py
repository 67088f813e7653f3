"""Network cost–availability frontier: monotone, endpoints, every breakpoint optimal
for its own budget (checked against the MILP over all joint allocations)."""
from __future__ import annotations

import numpy as np
import pytest

from policies.network import NetworkModel, build_options, network_frontier, optimise_network


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(21)
    P = 12
    dr = np.c_[np.zeros(P), rng.uniform(0.01, 0.15, (P, 2))]
    return NetworkModel.from_arrays([-1, 0, 0], dr, [15.0, 2.0, 2.0], rng.uniform(5, 80, P),
                                    max_level=np.array([[5, 3, 3]]), emergency_days=1, promise_days=2)


def test_frontier_shape_and_endpoints(model):
    opts = build_options(model, "enumerate")
    fr = network_frontier(model, opts)
    assert np.all(np.diff(fr["investment"]) > 0) and np.all(np.diff(fr["hit_rate"]) > 0)
    assert np.all(np.diff(fr["ratio"].to_numpy()[1:]) <= 1e-15)  # decreasing marginal value
    assert np.all(fr["otd_rate"] >= fr["hit_rate"] - 1e-12)  # OTD counts every hit
    lines = model.line_rate.sum()
    assert fr["investment"].iloc[0] == 0.0 and fr["hit_rate"].iloc[0] == 0.0
    assert fr["hit_rate"].iloc[-1] == pytest.approx(opts.hits.max(axis=1).sum() / lines)


def test_frontier_breakpoints_are_milp_optimal(model):
    opts = build_options(model, "enumerate")
    fr = network_frontier(model, opts)
    for i in np.linspace(3, len(fr) - 2, 5).astype(int):
        budget = float(fr["investment"].iloc[i])
        exact = optimise_network(model, budget=budget, solver="milp", options=opts)
        assert exact.status == "optimal"
        assert fr["hit_rate"].iloc[i] == pytest.approx(exact.hit_rate, abs=1e-9)


def test_greedy_frontier_close_to_exact_frontier(model):
    exact = network_frontier(model, build_options(model, "enumerate"))
    greedy = network_frontier(model)
    # at every greedy breakpoint, the exact frontier at that investment is at most 1 point higher
    ex_at = np.interp(greedy["investment"], exact["investment"], exact["hit_rate"])
    assert np.all(greedy["hit_rate"] <= ex_at + 1e-9)
    assert np.all(ex_at - greedy["hit_rate"] < 0.01)
