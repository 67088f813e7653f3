"""service.scope = "network" and budget.total in the weekly plan (partsopt.network_step).

On a 24th of the small demo network (every location, ~350 part-locations): the network target
is reached with less investment and fewer stocked part-locations than the row plan at the same
level, the budget is kept and buys more hit rate as it grows, by-class targets are each met, the
price solution is within 1 % of the MILP optimum, and a replay comes close to the expected rate.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from partsopt.config import resolve_config
from partsopt.errors import ConfigError
from partsopt.io import load
from partsopt.pipeline import draft_plan, plan
from partsopt.plan_kpis import planned_network_kpis

FREE = {"service": {"scope": "network", "row_floors": False}}
#: row_floors = false with OTD and normal-order-rate targets that do not bind on the piece
#: (expected network OTD 0.95 > 0.5 without them, no normal-order constraint): only the hit target
HIT_ONLY = {"service": {"scope": "network", "row_floors": False, "otd_target": 0.5, "normal_order_rate": 0.0}}


@pytest.fixture(scope="module")
def piece(network_piece):
    return network_piece


@pytest.fixture(scope="module")
def plans(piece):
    data, as_of = piece
    out = {"row": plan(data, as_of), "free": plan(data, as_of, resolve_config(FREE)),
           "hit_only": plan(data, as_of, resolve_config(HIT_ONLY)),
           "floors": plan(data, as_of, resolve_config({"service": {"scope": "network"}}))}
    return out


def network_hit(result, by=None):
    """Line-weighted expected hit rate of the customer-facing rows, from the output tables only
    (:mod:`partsopt.plan_kpis`); with ``by`` one per value of that column."""
    k = planned_network_kpis(result.policies, result.forecasts, by=by)
    return k["hit"] if by is None else {g: v["hit"] for g, v in k.items()}


def investment(result):
    return float(result.policies["inventory_value"].sum())


def stocked(result):
    return int((result.policies["order_up_to"] > 0).sum())


def test_row_scope_has_no_allocation(plans):
    r = plans["row"]
    assert r.network is None
    assert not r.policies["reason"].str.contains("allocation").any()


def test_network_target_is_met_with_less_stock_than_the_row_plan(plans):
    row, net = plans["row"], plans["hit_only"]
    rec = net.network
    assert rec["mode"] == "target" and rec["reached"] == [True]
    h = network_hit(net)
    assert h >= 0.95 - 1e-9
    assert h == pytest.approx(rec["expected_network_hit_rate"], abs=1e-9)
    assert h < 0.95 + 0.005                       # least investment: not far above the target
    assert network_hit(row) >= 0.95               # the row plan meets it too, dearer
    assert investment(net) < 0.8 * investment(row)
    assert investment(net) == pytest.approx(rec["investment"], rel=1e-9)
    assert stocked(net) < stocked(row)
    pol = net.policies
    unstocked = pol["reason"].str.startswith("not stocked: served from")
    assert unstocked.any() and (pol.loc[unstocked, "order_up_to"] == 0).all()
    assert pol.loc[unstocked, "reason"].str.contains("network allocation, prices ").all()
    # every customer-facing row says what the price bought
    alloc = pol["reason"].str.contains("network allocation")
    assert alloc.sum() > 0.5 * len(pol)


def test_row_floors_keep_every_row_at_its_floors(plans, piece):
    row, net = plans["row"], plans["floors"]
    assert investment(net) <= investment(row) * (1 + 1e-9)
    assert network_hit(net) >= 0.95 - 1e-9
    # the floors per row: expected OTD >= otd_target and normal-order rate >= its floor
    pol = net.policies.merge(net.forecasts[["part", "location", "mean_per_day"]], on=["part", "location"])
    cust = (pol["mean_per_day"] > 0) & pol["reason"].str.contains("network allocation")
    assert cust.sum() > 100
    assert (pol.loc[cust, "expected_otd_rate"] >= 0.95 - 1e-9).all()
    assert (pol.loc[cust, "normal_order_rate"] >= 0.85 - 1e-9).all()
    # and the allocation used the room the network target leaves: some rows below the level
    assert (pol.loc[cust, "expected_hit_rate"] < 0.95).any()


def test_warehouses_without_customers_keep_their_row_policy(plans):
    row, net = plans["row"].policies, plans["free"].policies
    wh = ~net["reason"].str.contains("allocation")
    assert wh.sum() >= 3
    pd.testing.assert_frame_equal(row[wh].reset_index(drop=True), net[wh].reset_index(drop=True))


def test_a_customer_facing_supplier_keeps_at_least_its_row_level(tmp_path):
    """RW sells P1 itself and supplies D1, D2: it may only go up, never below its own level."""
    from tiny_dataset import TINY, write_dataset

    lines = "".join(f"2024-0{1 + d // 28}-{1 + d % 28:02d},P1,RW,1,R{d},2024-0{1 + d // 28}-{1 + d % 28:02d}\n"
                    for d in range(0, 56, 3))
    data = load(write_dataset(tmp_path / "t", demand=TINY["demand"] + lines))
    row = plan(data, "2024-03-04").policies
    net = plan(data, "2024-03-04", resolve_config(FREE)).policies
    r = net[(net["part"] == "P1") & (net["location"] == "RW")].iloc[0]
    r0 = row[(row["part"] == "P1") & (row["location"] == "RW")].iloc[0]
    assert "supplies other locations" in r["reason"]
    assert r["reorder_point"] >= r0["reorder_point"] and r["order_up_to"] > 0


def test_budget_is_kept_and_buys_more_with_more_money(piece, plans):
    data, as_of = piece
    target_cost = plans["hit_only"].network["investment"]
    d = draft_plan(data, as_of, resolve_config(HIT_ONLY))
    o = d.options.options
    cheapest = d.options.fixed_cost_b.sum() + np.where(o.valid, o.cost, np.inf).min(axis=1).sum()
    assert cheapest < target_cost
    out = []
    for frac in (0.5, 0.8):
        budget = cheapest + frac * (target_cost - cheapest)
        r = plan(data, as_of, resolve_config({**HIT_ONLY, "budget": {"total": budget}}))
        assert r.network["mode"] == "budget"
        assert investment(r) <= budget * (1 + 1e-9)
        assert investment(r) >= budget - 0.02 * (target_cost - cheapest)   # the money is spent
        assert "best network hit rate within the budget" in r.network["note"]
        out.append(network_hit(r))
    assert out[0] < out[1] < 0.95
    # a budget the target fits in changes nothing
    r = plan(data, as_of, resolve_config({**HIT_ONLY, "budget": {"total": 2 * target_cost}}))
    pd.testing.assert_frame_equal(r.policies, plans["hit_only"].policies)


def test_row_scope_budget_caps_the_row_plan(piece, plans):
    data, as_of = piece
    row_cost = investment(plans["row"])
    same = plan(data, as_of, resolve_config({"budget": {"total": 2 * row_cost}}))
    pd.testing.assert_frame_equal(same.policies, plans["row"].policies)
    assert same.network["mode"] == "row"
    capped = plan(data, as_of, resolve_config({"budget": {"total": 0.998 * row_cost}}))
    assert capped.network["mode"] == "budget"
    assert investment(capped) <= 0.998 * row_cost * (1 + 1e-9)
    assert capped.policies["reason"].str.contains("budget allocation").any()


def test_budget_below_the_cheapest_plan_is_a_config_error(piece):
    data, as_of = piece
    with pytest.raises(ConfigError) as err:
        plan(data, as_of, resolve_config({**FREE, "budget": {"total": 1000.0}}))
    msg = str(err.value)
    assert "budget.total" in msg and "1,000.00" in msg and "the cheapest plan costs" in msg
    assert err.value.exit_code == 2


def test_each_criticality_class_meets_its_own_target(piece):
    data, as_of = piece
    cfg = resolve_config({"service": {"scope": "network", "row_floors": False, "level": 0.93,
                                      "by_criticality": {"A": 0.97, "C": 0.85}}})
    r = plan(data, as_of, cfg)
    rec = r.network
    assert rec["pools"] == ["A", "C", "other"] and all(rec["reached"])
    got = network_hit(r, by="criticality")
    assert got["A"] >= 0.97 - 1e-9 and got["C"] >= 0.85 - 1e-9
    other = [k for k in got if k not in ("A", "C")]
    assert len(set(rec["price_per_1000"])) == 3          # one price per class
    assert rec["expected_hit_rate"][2] >= 0.93 - 1e-9
    assert other


def test_price_solution_is_within_one_percent_of_the_milp_optimum(piece):
    """The shadow-price allocation of a plan's option tables against PuLP/CBC's exact optimum
    of the same multiple-choice knapsack (min investment with the network hit target)."""
    from partsopt.network_step import partition_summary, respond, solve_allocation, choose
    from policies.milp import Constraint, solve_multiple_choice

    data, as_of = piece
    cfg = resolve_config(FREE)
    d = draft_plan(data, as_of, cfg)
    no = d.options
    # every option row of the piece (~280 rows; measured gap 0.23 %; on its first 120 rows 0.88 %)
    keep = np.arange(len(no.rows))
    from partsopt.network_step import NetworkOptions, _take
    sub = NetworkOptions(rows=no.rows[keep], options=_take(no.options, keep), value=no.value[keep],
                         weight=no.weight[keep], pool=no.pool[keep], bucket=no.bucket[keep],
                         col_row=no.col_row[keep], supplier=no.supplier[keep],
                         fixed_cost_b=no.fixed_cost_b * 0, row_cost_b=no.row_cost_b, n_pools=1)
    alloc = solve_allocation(partition_summary(sub), lambda p: respond(sub, p), cfg)
    k = choose(sub, alloc.prices)
    i = np.arange(keep.size)
    price_cost = float(sub.options.cost[i, k].sum())
    target = 0.95 * float(sub.weight.sum())
    assert float(sub.value[i, k].sum()) >= target - 1e-9
    milp = solve_multiple_choice(sub.options.cost, sub.value, valid=sub.options.valid, objective="min_cost",
                                 constraints=[Constraint("hit_target", sub.value, ">=", target)])
    milp_cost = float(sub.options.cost[i, milp.choice].sum())
    assert milp_cost <= price_cost + 1e-6
    assert price_cost <= 1.01 * milp_cost, (price_cost, milp_cost)


def test_milp_equals_brute_force_on_tiny_option_tables(piece):
    """The MILP the price solution is checked against, on 4 rows of real option tables, against
    enumeration of every allocation (min investment with the hit-lines target)."""
    import itertools

    from policies.milp import Constraint, solve_multiple_choice

    data, as_of = piece
    d = draft_plan(data, as_of, resolve_config(FREE))
    no = d.options
    rows = np.flatnonzero(no.options.valid.sum(axis=1) >= 3)[:4]
    cost, value, valid = no.options.cost[rows, :5], no.value[rows, :5], no.options.valid[rows, :5]
    target = 0.9 * float(value.max(axis=1, where=valid, initial=0.0).sum())
    best = np.inf
    for combo in itertools.product(*[np.flatnonzero(v) for v in valid]):
        c = sum(cost[g, k] for g, k in enumerate(combo))
        if sum(value[g, k] for g, k in enumerate(combo)) >= target - 1e-9 and c < best:
            best = c
    milp = solve_multiple_choice(cost, value, valid=valid, objective="min_cost",
                                 constraints=[Constraint("hit_target", value, ">=", target)])
    assert float(cost[np.arange(len(rows)), milp.choice].sum()) == pytest.approx(best, rel=1e-9, abs=1e-9)


def test_replay_hit_rate_is_close_to_the_expected_network_hit_rate(piece):
    """Plan at the start of the last year with the network target, replay the year: the
    simulated line hit rate is within 0.06 of the expected network hit rate.

    Measured (seed 0): expected 0.950, simulated 0.938 (on a twelfth of the network: 0.950 and
    0.910; the row plan there: expected 0.980, simulated 0.956).  The gap is forecast error (lines of part-locations with no forecast
    at the start are misses), larger where the allocation leaves slow movers unstocked: their
    forecasts are low, and the ones that sell more than forecast are selectively unstocked."""
    from partsopt.simulate import simulate
    from partsopt.whatif import replay_window

    data, _ = piece
    start, end = replay_window(data)
    cfg = resolve_config(FREE)
    r = plan(data, start, cfg)
    sim = simulate(data, r.policies, start, end, config=cfg, seed=0)
    expected = r.network["expected_network_hit_rate"]
    simulated = float(sim.kpis["hit_rate"])
    assert abs(simulated - expected) < 0.06


def test_cli_plan_records_and_prints_the_allocation(tiny_dir, tmp_path, capsys):
    import json

    from partsopt.cli import main

    cfg = tmp_path / "net.toml"
    cfg.write_text('[service]\nscope = "network"\nrow_floors = false\nlevel = 0.9\n', encoding="utf-8")
    assert main(["plan", str(tiny_dir), "--as-of", "2024-03-04", "--out", str(tmp_path / "o"),
                 "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "network target: expected network hit rate" in out and "shadow price" in out
    run = json.loads((tmp_path / "o" / "run.json").read_text(encoding="utf-8"))
    assert run["network"]["mode"] == "target" and run["network"]["expected_network_hit_rate"] >= 0.9 - 1e-9
    assert run["config"]["service"]["scope"] == "network"


def test_cli_budget_too_small_exits_2_naming_the_key_and_the_minimum(tiny_dir, tmp_path, capsys):
    from partsopt.cli import main

    cfg = tmp_path / "b.toml"
    cfg.write_text("[budget]\ntotal = 1.5\n", encoding="utf-8")
    assert main(["plan", str(tiny_dir), "--as-of", "2024-03-04", "--out", str(tmp_path / "o"),
                 "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "budget.total" in err and "budget.total = 1.50" in err and "the cheapest plan costs" in err
    assert "raise budget.total to at least" in err and "Traceback" not in err


def test_items_overrides_are_counted_in_the_network_target(tiny_dir):
    """items: P4 at D1 never stocked, P1 at D1 with min 1 / max 4: the allocation only takes
    levels the overrides leave alone, so the recorded expected network hit rate is the one of
    the final policies (after apply_overrides and re-evaluation)."""
    data = load(tiny_dir)
    r = plan(data, "2024-03-04", resolve_config({"service": {"scope": "network", "row_floors": False,
                                                             "level": 0.8}}))
    pol = r.policies
    assert (pol["override"] != "").any()
    assert network_hit(r) == pytest.approx(r.network["expected_network_hit_rate"], abs=1e-9)
    assert network_hit(r) >= 0.8 - 1e-9
    p1 = pol[(pol["part"] == "P1") & (pol["location"] == "D1")].iloc[0]
    assert 1 <= p1["reorder_point"] and p1["order_up_to"] <= 4
