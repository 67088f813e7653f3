"""Network optimiser: greedy / Lagrangian within 1 % of the MILP, stock / no-stock,
min/max overrides, OTD coupling, bad input; vectorised greedy vs per-part reference."""
from __future__ import annotations

import numpy as np
import pytest

from policies.milp import InfeasibleError
from policies.network import (NetworkModel, build_options, evaluate_allocation,
                              optimise_network)


def _model(seed, parts, max_level=((6, 4, 4),), heavy_costs=False):
    rng = np.random.default_rng(seed)
    dr = np.c_[np.zeros(parts), rng.uniform(0.005, 0.1, (parts, 2))]
    # heavy_costs: log-normal unit costs spanning ~3 decades, like real spare parts
    cost = rng.lognormal(3.0, 1.5, parts) if heavy_costs else rng.uniform(5, 100, parts)
    return NetworkModel.from_arrays([-1, 0, 0], dr, [20.0, 3.0, 3.0], cost,
                                    max_level=np.array(max_level), emergency_days=[1, 1, 1],
                                    promise_days=[2, 2, 2])


@pytest.fixture(scope="module", params=[(1, 20, False), (2, 30, False), (3, 25, True)])
def small(request):
    seed, parts, heavy = request.param
    m = _model(seed, parts, heavy_costs=heavy)
    return m, build_options(m, "enumerate"), build_options(m, "greedy")


@pytest.mark.parametrize("target", [0.8, 0.9, 0.95])
def test_greedy_within_one_percent_of_milp_target(small, target):
    m, opts_exact, opts_greedy = small
    exact = optimise_network(m, hit_target=target, solver="milp", options=opts_exact)
    assert exact.status == "optimal" and exact.hit_rate >= target - 1e-9
    for opts in (opts_greedy, opts_exact):  # greedy paths, and Lagrangian on all options
        heur = optimise_network(m, hit_target=target, options=opts)
        assert heur.hit_rate >= target - 1e-9
        assert exact.investment - 1e-6 <= heur.investment <= 1.01 * exact.investment


@pytest.mark.parametrize("budget_frac", [0.4, 0.7])
def test_greedy_within_one_percent_of_milp_budget(small, budget_frac):
    m, opts_exact, opts_greedy = small
    top = optimise_network(m, hit_target=0.99, solver="milp", options=opts_exact).investment
    budget = budget_frac * top
    exact = optimise_network(m, budget=budget, solver="milp", options=opts_exact)
    heur = optimise_network(m, budget=budget, options=opts_greedy)
    assert heur.investment <= budget + 1e-9 and exact.investment <= budget + 1e-9
    assert exact.hit_rate + 1e-9 >= heur.hit_rate >= 0.99 * exact.hit_rate


def test_otd_target_couples_dealer_and_parent():
    m = _model(1, 15)
    opts_exact, opts_greedy = build_options(m, "enumerate"), build_options(m, "greedy")
    hit_only = optimise_network(m, hit_target=0.8, solver="milp", options=opts_exact)
    both = optimise_network(m, hit_target=0.8, otd_target=hit_only.otd_rate + 0.01, solver="milp",
                            options=opts_exact)
    assert both.otd_rate >= hit_only.otd_rate + 0.01 - 1e-9
    assert both.investment > hit_only.investment
    # the extra OTD is bought mostly at the central location (dealer misses served on time)
    assert both.levels[:, 0].sum() > hit_only.levels[:, 0].sum()
    heur = optimise_network(m, hit_target=0.8, otd_target=both.otd_rate, options=opts_greedy)
    assert heur.hit_rate >= 0.8 - 1e-9 and heur.otd_rate >= both.otd_rate - 1e-9


@pytest.mark.parametrize("hit, otd", [(None, 0.85), (None, 0.95), (0.9, 0.85), (0.9, 0.9)])
def test_greedy_within_one_percent_of_milp_with_an_otd_target(small, hit, otd):
    """An OTD target alone, or with a hit target where one of them binds: one shadow price
    on the binding quantity (hit lines or on-time lines).  Measured: at most +0.11 % above
    the MILP optimum on these networks (the walk along the hit-rate curve alone was +22-27 %
    with an OTD target alone)."""
    m, opts_exact, opts_greedy = small
    exact = optimise_network(m, hit_target=hit, otd_target=otd, solver="milp", options=opts_exact)
    assert exact.status == "optimal"
    for opts in (opts_greedy, opts_exact):
        heur = optimise_network(m, hit_target=hit, otd_target=otd, options=opts)
        assert heur.otd_rate >= otd - 1e-9 and (hit is None or heur.hit_rate >= hit - 1e-9)
        assert exact.investment - 1e-6 <= heur.investment <= 1.01 * exact.investment


@pytest.mark.parametrize("hit, otd", [(0.8, 0.9), (0.8, 0.95), (0.9, 0.95)])
def test_greedy_meets_two_binding_targets(small, hit, otd):
    """Both targets binding: the cheapest of two multipliers (lagrangian_multi; local search
    from its final prices and from the best other points of its dual search, repaired when
    the options are not a chain) and the walk along the hit-rate curve, each improved by
    single-part changes and by moves of two parts at once that keep both targets.  Measured
    0.00-0.17 % above the MILP optimum on these networks with the greedy options, at most
    0.34 % with all options (0.1-4.1 % with single-part changes only, 16.3 % before the
    repair and the improvement step); the MILP is exact."""
    m, opts_exact, opts_greedy = small
    exact = optimise_network(m, hit_target=hit, otd_target=otd, solver="milp", options=opts_exact)
    for opts in (opts_greedy, opts_exact):
        heur = optimise_network(m, hit_target=hit, otd_target=otd, options=opts)
        assert heur.otd_rate >= otd - 1e-9 and heur.hit_rate >= hit - 1e-9
        assert exact.investment - 1e-6 <= heur.investment <= 1.005 * exact.investment


def test_level_zero_at_a_dealer_is_served_from_the_parent():
    m = _model(5, 1, max_level=((6, 0, 4),))  # dealer 1 may not stock the part
    sol = optimise_network(m, hit_target=0.4, solver="milp", options=build_options(m, "enumerate"))
    assert sol.levels[0, 1] == 0
    ev = evaluate_allocation(m, sol.levels)
    # no stock: every line misses; on time iff the parent has stock (emergency 1 d <= promise 2 d)
    assert ev.loc[1, "ready"] == 0.0
    assert ev.loc[1, "otd"] == pytest.approx(ev.loc[0, "ready"])


def test_min_max_overrides_respected():
    m0 = _model(6, 15)
    mn = np.zeros(m0.shape, int)
    mn[:, 2] = 2
    m = NetworkModel.from_arrays(m0.parent, m0.demand_rate, m0.lead_time, m0.unit_cost,
                                 min_level=mn, max_level=np.array([[5, 3, 4]]),
                                 emergency_days=1, promise_days=2)
    for opts in (build_options(m, "greedy"), build_options(m, "enumerate")):
        sol = optimise_network(m, hit_target=0.85, options=opts)
        assert np.all(sol.levels >= mn) and np.all(sol.levels <= [5, 3, 4])


def _greedy_reference(m, **kw):
    """Plain per-part loop: one single-part model at a time."""
    out = []
    for p in range(m.shape[0]):
        sub = NetworkModel(m.parent, m.demand_rate[p:p + 1], m.line_rate[p:p + 1], m.lead_time[p:p + 1],
                           m.unit_cost[p:p + 1], m.emergency_days, m.promise_days,
                           m.min_level[p:p + 1], m.max_level[p:p + 1], m.method)
        out.append(build_options(sub, "greedy", **kw))
    return out


def test_vectorised_greedy_equals_per_part_reference():
    rng = np.random.default_rng(8)
    P = 6
    parent = np.array([-1, 0, 0, 1, 1, 2, 2])  # central -> 2 regional -> 4 dealers
    dr = np.c_[np.zeros((P, 3)), rng.uniform(0.01, 0.5, (P, 4))]
    m = NetworkModel.from_arrays(parent, dr, [30.0, 5, 5, 2, 2, 2, 2], rng.uniform(1, 50, P),
                                 max_level=8)
    vec = build_options(m, "greedy", max_steps=15)
    ref = _greedy_reference(m, max_steps=15)
    for p in range(P):
        np.testing.assert_array_equal(vec.valid[p], ref[p].valid[0])
        v = vec.valid[p]
        np.testing.assert_array_equal(vec.levels[p][v], ref[p].levels[0][v])
        np.testing.assert_allclose(vec.hits[p][v], ref[p].hits[0][v], rtol=1e-12)
        np.testing.assert_allclose(vec.otd[p][v], ref[p].otd[0][v], rtol=1e-12)


def test_three_level_network_target_met():
    rng = np.random.default_rng(9)
    P = 50
    parent = np.array([-1, 0, 0, 1, 1, 2, 2])
    dr = np.c_[np.zeros((P, 3)), rng.gamma(0.5, 0.1, (P, 4))]
    m = NetworkModel.from_arrays(parent, dr, [30.0, 5, 5, 2, 2, 2, 2], rng.uniform(1, 50, P),
                                 max_level=10, emergency_days=[1, 1, 1, 1, 1, 1, 1],
                                 promise_days=[2, 2, 2, 2, 2, 2, 2])
    sol = optimise_network(m, hit_target=0.9)
    ev = evaluate_allocation(m, sol.levels)
    assert (ev["lines"] * ev["ready"]).sum() / ev["lines"].sum() == pytest.approx(sol.hit_rate)
    assert sol.hit_rate >= 0.9 and sol.status == "heuristic" and sol.price > 0


@pytest.mark.parametrize("kwargs, match", [
    (dict(hit_target=0.99999), r"hit_target must be <= 0\.\d+ .* received 0\.99999"),
    (dict(hit_target=1.5), r"hit_target must be in \(0, 1\).*received 1\.5"),
    (dict(hit_target=1.0), r"hit_target must be in \(0, 1\).*received 1\.0"),
    (dict(otd_target=0.0), r"otd_target must be in \(0, 1\).*received 0\.0"),
    (dict(otd_target=float("nan")), r"otd_target must be in \(0, 1\).*received nan"),
    (dict(budget=1.0, otd_target=0.95), r"otd_target must be <= 0\.\d+ .*within budget=1\.0"),
    (dict(budget=100.0, hit_target=0.9), r"hit_target must be <= 0\.\d+ .*within budget=100\.0\), "
                                          r"received hit_target=0\.9"),
    (dict(budget=-5.0), "budget must be finite and >= 0"),
    (dict(hit_target=0.9, location_capacity=[1, 1, 1]), "need solver='milp'"),
    (dict(hit_target=0.9, solver="cplex"), "solver must be"),
])
def test_bad_input(kwargs, match):
    m = _model(3, 5, max_level=((3, 2, 2),))
    with pytest.raises(ValueError, match=match):
        optimise_network(m, **kwargs)


def test_target_under_budget_milp_names_binding_and_best():
    m = _model(3, 5, max_level=((3, 2, 2),))
    with pytest.raises(InfeasibleError, match=r"hit_target must be <= 0\.\d+ \(the best the MILP reaches "
                                              r"within budget=100\.0\).*binding: hit_target, budget") as exc:
        optimise_network(m, hit_target=0.9, budget=100.0, solver="milp",
                         options=build_options(m, "enumerate"))
    assert exc.value.binding == ["hit_target", "budget"]
    ok = optimise_network(m, hit_target=0.5, budget=1e6, solver="milp", options=build_options(m, "enumerate"))
    assert ok.status == "optimal" and ok.hit_rate >= 0.5


def test_model_validation_messages():
    with pytest.raises(ValueError, match=r"unit_cost must be finite and > 0; received 0\.0"):
        NetworkModel.from_arrays([-1, 0], [[0.0, 1.0]], [5.0, 1.0], [0.0])
    with pytest.raises(ValueError, match="max_level must be >= min_level"):
        NetworkModel.from_arrays([-1, 0], [[0.0, 1.0]], [5.0, 1.0], [1.0], min_level=3, max_level=2)
    with pytest.raises(ValueError, match=r"demand_rate must have shape \(parts, 2\)"):
        NetworkModel.from_arrays([-1, 0], [[0.0, 1.0, 2.0]], [5.0, 1.0], [1.0])
    with pytest.raises(ValueError, match=r"lead_time must be finite and >= 0; received -1\.0 at "
                                         r"\(part, location\) \(0, 1\)"):
        NetworkModel.from_arrays([-1, 0], [[0.0, 1.0]], [5.0, -1.0], [1.0])
    with pytest.raises(ValueError, match=r"demand_rate must be finite and >= 0; received -0\.5"):
        NetworkModel.from_arrays([-1, 0], [[0.0, -0.5]], [5.0, 1.0], [1.0])
    with pytest.raises(ValueError, match=r"unit_cost must be finite and > 0; received -3\.0"):
        NetworkModel.from_arrays([-1, 0], [[0.0, 1.0]], [5.0, 1.0], [-3.0])
    with pytest.raises(ValueError, match=r"min_level must be finite and >= 0, integer; received -1\.0"):
        NetworkModel.from_arrays([-1, 0], [[0.0, 1.0]], [5.0, 1.0], [1.0], min_level=-1)


def test_chunked_build_equals_one_batch():
    m0 = _model(10, 11)
    mx = m0.max_level.copy()
    mx[:4, 0] = 2  # chunks with fewer central levels -> fewer options, padded as invalid
    m = NetworkModel.from_arrays(m0.parent, m0.demand_rate, m0.lead_time, m0.unit_cost, max_level=mx,
                                 emergency_days=1, promise_days=2)
    one = build_options(m, "greedy", max_steps=20)
    chunked = build_options(m, "greedy", max_steps=20, chunk_parts=4)
    for p in range(m.shape[0]):  # same valid options per part (layouts may differ)
        a = {tuple(lv) + (round(h, 12),) for lv, h in zip(one.levels[p][one.valid[p]], one.hits[p][one.valid[p]])}
        b = {tuple(lv) + (round(h, 12),) for lv, h in zip(chunked.levels[p][chunked.valid[p]],
                                                          chunked.hits[p][chunked.valid[p]])}
        assert a == b


def test_top_levels_subsample_keeps_ends():
    m = _model(11, 4, max_level=((12, 4, 4),))
    opts = build_options(m, "greedy", max_steps=10, top_levels=4)
    tops = {int(x) for x in opts.levels[0][opts.valid[0]][:, 0]}
    assert tops == {0, 4, 8, 12}


def test_frames_round_trip():
    import pandas as pd

    from policies.network import model_from_frames, solution_frame

    locations = pd.DataFrame({"location": ["CW", "D1", "D2"], "parent": ["", "CW", "CW"],
                              "transit_days": [0.0, 2.0, 3.0], "emergency_days": [1, 1, 1],
                              "promise_days": [2, 2, 2]})
    rows = pd.DataFrame({"part": ["b", "b", "a", "a"], "location": ["D1", "CW", "D2", "CW"],
                         "demand_rate": [0.2, 0.0, 0.05, 0.0], "unit_cost": [10.0, 10.0, 4.0, 4.0],
                         "lead_time_days": [np.nan, 20.0, np.nan, 15.0], "max_level": [np.nan, 6, 3, np.nan]})
    model, parts, locs = model_from_frames(locations, rows)
    assert parts.tolist() == ["a", "b"] and locs.tolist() == ["CW", "D1", "D2"]
    np.testing.assert_allclose(model.demand_rate, [[0, 0, 0.05], [0, 0.2, 0]])
    np.testing.assert_allclose(model.lead_time, [[15, 2, 3], [20, 2, 3]])
    assert model.max_level[0, 2] == 3 and model.max_level[1, 0] == 6
    sol = optimise_network(model, hit_target=0.8, solver="milp", options=build_options(model, "enumerate"))
    tab = solution_frame(model, sol, parts, locs)
    assert set(tab["part"]) == {"a", "b"} and tab["stocked"].dtype == bool
    assert (tab["lines"] * tab["ready"]).sum() / tab["lines"].sum() == pytest.approx(sol.hit_rate)
    with pytest.raises(ValueError, match=r"lead_time_days .* required at the top location"):
        model_from_frames(locations, rows.assign(lead_time_days=np.nan))
    with pytest.raises(ValueError, match="must name a location"):
        model_from_frames(locations.assign(parent=["", "XX", "CW"]), rows)


def _moves_reference(cost, gains, T, valid, choice):
    """Plain loops: the least total cost change over every move of one or two parts (other
    options) that ends with every target met; (inf, None) if none."""
    G, K = cost.shape
    tot = np.array([sum(g[p, choice[p]] for p in range(G)) for g in gains])
    tol = 1e-9 * np.maximum(np.abs(T), 1.0)
    moves = [(p, k) for p in range(G) for k in range(K) if valid[p, k] and k != choice[p]]
    delta = {(p, k): (cost[p, k] - cost[p, choice[p]], gains[:, p, k] - gains[:, p, choice[p]])
             for p, k in moves}
    best = (np.inf, None)
    for i, (p, k) in enumerate(moves):
        dc, da = delta[p, k]
        if np.all(tot + da >= T - tol) and dc < best[0]:
            best = (dc, ((p, k),))
        for q, k2 in moves[i + 1:]:
            if q == p:
                continue
            dc2, da2 = delta[q, k2]
            if np.all(tot + da + da2 >= T - tol) and dc + dc2 < best[0]:
                best = (dc + dc2, ((p, k), (q, k2)))
    return best


def _small_two_target_problem(seed, parts=6):
    from policies.network import _price_cap
    from policies.marginal import lagrangian_multi, respond_multi
    m = _model(seed, parts, max_level=((4, 3, 3),), heavy_costs=True)
    o = build_options(m, "enumerate")
    lines = m.line_rate.sum()
    gains = np.stack([o.hits, o.otd])
    T = np.array([0.8, 0.88]) * lines
    cap = np.array([_price_cap(o, g) for g in gains])
    multi = lagrangian_multi(lambda mu: respond_multi(o.cost, gains, mu, o.valid)[1:], T, cap)
    return o, gains, T, multi.prices


@pytest.mark.parametrize("seed", [21, 22])
def test_pair_moves_equal_plain_loop_reference(seed):
    """The vectorised search of moves of one or two parts (reduced-cost pool, all pairs scored
    at once) finds the same least cost change as a loop over every pair, from a feasible
    allocation (the screen is exact there) and from one missing the targets (pool = every move)."""
    from policies.marginal import respond_multi
    from policies.network import _pair_moves, _repair_multi

    o, gains, T, mu = _small_two_target_problem(seed)
    rows = np.arange(o.cost.shape[0])
    lean = respond_multi(o.cost, gains, mu * 0.7, o.valid)[0]       # misses the targets
    assert np.any(gains[:, rows, lean].sum(axis=1) < T)
    feas = _repair_multi(o.cost, gains, T, o.valid, respond_multi(o.cost, gains, mu * 1.3, o.valid)[0])
    assert np.all(gains[:, rows, feas].sum(axis=1) >= T - 1e-9)
    for start in (lean, feas):
        ref_dc, ref_moves = _moves_reference(o.cost, gains, T, o.valid, start)
        new, dc = _pair_moves(o.cost, gains, T, o.valid, start, mu, max_pool=10**6)
        assert ref_moves is not None and new is not None
        assert dc == pytest.approx(ref_dc, abs=1e-9)
        assert float(o.cost[rows, new].sum() - o.cost[rows, start].sum()) == pytest.approx(dc, abs=1e-9)
        assert np.all(gains[:, rows, new].sum(axis=1) >= T - 1e-9)
        assert 1 <= np.count_nonzero(new != start) <= 2


@pytest.mark.parametrize("seed", [21, 23])
def test_exchange_ends_where_no_pair_move_saves(seed):
    """The local search ends at an allocation meeting both targets where no move of one or two
    parts keeping them saves money (checked by the plain loop), never dearer than its start."""
    from policies.marginal import respond_multi
    from policies.network import _exchange_multi

    o, gains, T, mu = _small_two_target_problem(seed)
    rows = np.arange(o.cost.shape[0])
    start = respond_multi(o.cost, gains, mu * 0.8, o.valid)[0]
    out = _exchange_multi(o.cost, gains, T, o.valid, start, mu, max_pool=10**6)
    assert np.all(gains[:, rows, out].sum(axis=1) >= T - 1e-9)
    ref_dc, _ = _moves_reference(o.cost, gains, T, o.valid, out)
    assert ref_dc >= -1e-9
    high = respond_multi(o.cost, gains, mu * 1.5, o.valid)[0]        # feasible: never dearer
    assert np.all(gains[:, rows, high].sum(axis=1) >= T - 1e-9)
    out2 = _exchange_multi(o.cost, gains, T, o.valid, high, mu, max_pool=10**6)
    assert o.cost[rows, out2].sum() < o.cost[rows, high].sum()


@pytest.mark.parametrize("seed, parts, heavy, hit, otd", [
    (513, 16, True, 0.7642, 0.8246), (521, 17, False, 0.7646, 0.844), (505, 24, False, 0.8649, 0.935)])
def test_two_binding_targets_random_networks_within_one_percent(seed, parts, heavy, hit, otd):
    """Random small networks where both targets bind (neither single-target MILP optimum meets
    the other target), greedy vs the MILP on the same options.  On 90 such cases (12-40 parts,
    random targets) measured: median +0.03 %, worst +0.70 % (before the moves of two parts and
    the several starts: median +0.21 %, worst +5.7 %, 20 cases above 1 %; these three were
    +5.7 %, +3.1 % and +3.6 %)."""
    m = _model(seed, parts, heavy_costs=heavy)
    opts = build_options(m, "greedy")
    exact = optimise_network(m, hit_target=hit, otd_target=otd, solver="milp", options=opts)
    assert optimise_network(m, hit_target=hit, solver="milp", options=opts).otd_rate < otd
    assert optimise_network(m, otd_target=otd, solver="milp", options=opts).hit_rate < hit
    heur = optimise_network(m, hit_target=hit, otd_target=otd, options=opts)
    assert heur.otd_rate >= otd - 1e-9 and heur.hit_rate >= hit - 1e-9
    assert exact.investment - 1e-6 <= heur.investment <= 1.01 * exact.investment
