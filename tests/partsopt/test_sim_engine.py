"""Simulator behaviour: conservation, determinism, no look-ahead, multi-echelon waits, emergencies."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from partsopt.simulate import MISS_COLUMNS, simulate

from sim_helpers import START, dataset, network as _network

DAY = pd.Timedelta(days=1)


# ----------------------------------------------------------------------------- conservation
def test_conservation_units_received_equal_units_issued_plus_change_in_stock():
    ds, pol, end = _network(days=150, tail=150)
    res = simulate(ds, pol, START, end, seed=7)
    fs = res.final_state.set_index(["part", "location"])
    # the tail without demand lets every order, backorder and waiting order complete
    assert (fs["on_order"] == 0).all() and (fs["backorders"] == 0).all() and (fs["owed_to_children"] == 0).all()
    lines, orders = res.lines, res.orders
    assert lines["delivered_date"].notna().all() and orders["arrival"].notna().all()
    assert (orders["arrival"] <= end).all()
    key = ["part", "location"]
    received = orders[~orders["for_line"]].groupby(key, observed=True)["qty"].sum()
    to_customers = (lines["filled_qty_at_once"] + lines["backorder_qty"]).groupby([lines["part"], lines["location"]],
                                                                                         observed=True).sum()
    shipped = orders[orders["from_location"] != ""].groupby(["part", "from_location"], observed=True)["qty"].sum()
    shipped.index = shipped.index.set_names(key)
    idx = fs.index
    issued = to_customers.reindex(idx, fill_value=0) + shipped.reindex(idx, fill_value=0)
    change = fs["on_hand"] - pol.set_index(key)["order_up_to"].reindex(idx, fill_value=0)
    np.testing.assert_allclose(received.reindex(idx, fill_value=0).to_numpy(), (issued + change).to_numpy())
    # and the customers got every unit they asked for
    np.testing.assert_allclose(lines["filled_qty_at_once"] + lines["parent_qty"] + lines["lateral_qty"]
                               + lines["backorder_qty"], lines["qty"])
    assert res.orders["qty"].gt(0).all()


# ----------------------------------------------------------------------------- determinism
def test_same_seed_same_outputs_and_the_seed_matters():
    ds, pol, end = _network(days=120)
    a = simulate(ds, pol, START, end, seed=3)
    b = simulate(ds, pol, START, end, seed=3)
    for name in ("lines", "orders", "daily", "stock", "misses", "kpis_by_location", "final_state"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.kpis == b.kpis
    c = simulate(ds, pol, START, end, seed=4)
    sup = lambda r: r.orders[r.orders["source"] == "supplier"]["arrival"].to_numpy()  # noqa: E731
    assert not np.array_equal(sup(a), sup(c))


def test_draws_are_per_part_location_not_per_call_order():
    """Adding another part to the data changes no draw of the existing parts."""
    ds3, pol3, end = _network(days=120, n_parts=3)
    ds2, _, _ = _network(days=120, n_parts=2)
    # same demand for P0 and P1 in both (the generator draws P0, P1 first)
    a = simulate(ds3, pol3, START, end, seed=5)
    b = simulate(ds2, pol3[pol3["part"] != "P2"], START, end, seed=5)
    keep = a.orders["part"] != "P2"
    pd.testing.assert_frame_equal(a.orders[keep].reset_index(drop=True), b.orders.reset_index(drop=True),
                                  check_categorical=False)


def test_vectorised_across_parts_equals_one_part_at_a_time():
    ds, pol, end = _network(days=150, seed=11)
    full = simulate(ds, pol, START, end, seed=2)
    for p in ("P0", "P1", "P2"):
        sub = dataset(ds.parts, ds.locations.assign(kind=""), ds.demand[ds.demand["part"] == p],
                      receipts=ds.receipts[ds.receipts["part"] == p] if p == "P0" else ds.receipts.iloc[:0])
        one = simulate(sub, pol[pol["part"] == p], START, end, seed=2)
        for name in ("lines", "orders"):
            f = getattr(full, name)
            f = f[f["part"] == p].reset_index(drop=True)
            g = getattr(one, name).reset_index(drop=True)
            pd.testing.assert_frame_equal(f, g, check_dtype=False, check_categorical=False)


# ----------------------------------------------------------------------------- no look-ahead
def _decisions_before(res, cut):
    lines = res.lines[res.lines["date"] < cut][["line_id", "filled_from", "filled_qty_at_once", "parent_qty",
                                                "lateral_qty", "backorder_qty", "hit"]].reset_index(drop=True)
    orders = res.orders[res.orders["date"] < cut].drop(columns=["arrival"]).reset_index(drop=True)
    daily = res.daily[res.daily["date"] < cut].reset_index(drop=True)
    return lines, orders, daily


@pytest.mark.parametrize("replan", [False, True])
def test_changing_demand_after_a_day_changes_nothing_before_it(replan):
    ds, pol, end = _network(days=160, seed=5)
    cut = START + 75 * DAY
    d = ds.demand.copy()
    later = d["date"] >= cut
    d.loc[later, "qty"] = d.loc[later, "qty"] * 3
    extra = d[later].head(20).assign(line_id=lambda x: "X" + x["line_id"].astype(str), location="D2")
    ds2 = dataset(ds.parts, ds.locations.assign(kind=""), pd.concat([d, extra], ignore_index=True),
                  receipts=ds.receipts)
    seen = []

    def planner(cut_ds, as_of):
        """S = 2 + twice the mean daily demand over 28 days before as_of (rounded up)."""
        assert cut_ds.demand["date"].max() < as_of if len(cut_ds.demand) else True
        seen.append((as_of, cut_ds.demand["qty"].sum()))
        dem = cut_ds.demand[cut_ds.demand["date"] >= as_of - pd.Timedelta(days=28)]
        rate = dem.groupby(["part", "location"])["qty"].sum() / 28.0
        out = pol.copy()
        r = rate.reindex(pd.MultiIndex.from_frame(out[["part", "location"]]), fill_value=0).to_numpy()
        out["order_up_to"] = np.ceil(2 + 2 * 7 * r)
        out["reorder_point"] = np.ceil(1 + 7 * r).clip(max=out["order_up_to"])
        return out

    kw = dict(planner=planner, replan_weeks=2) if replan else {}
    a = simulate(ds, pol, START, end, seed=1, **kw)
    n_calls = len(seen)
    b = simulate(ds2, pol, START, end, seed=1, **kw)
    for x, y in zip(_decisions_before(a, cut), _decisions_before(b, cut)):
        pd.testing.assert_frame_equal(x, y)
    # ... and the change does matter afterwards
    assert not a.lines[a.lines["date"] >= cut]["qty"].equals(b.lines[b.lines["date"] >= cut]["qty"])
    if replan:
        assert n_calls == len(range(14, 160, 14))
        # the planner saw the same demand at every cut-off before the change
        first, second = seen[:n_calls], seen[n_calls:]
        assert [s for s in first if s[0] <= cut] == [s for s in second if s[0] <= cut]
        assert a.orders["date"].nunique() > 1


# ----------------------------------------------------------------------------- multi-echelon
def _two_level(demand, cw=(0, 0), d=(1, 3), lead=10, transit=2, emergency_days=1, promise=None, **kw):
    parts = {"part": ["P"], "unit_cost": [10.0], "unit_price": [20.0], "lead_time_days": [float(lead)]}
    locs = {"location": ["CW", "D"], "parent": ["", "CW"], "transit_days": [0, transit],
            "review_days": [7, 7], "emergency_days": [3, emergency_days], "emergency_cost": [40, 15]}
    dem = pd.DataFrame([(START + day * DAY, "P", loc, q, START + (day + (promise or 0)) * DAY)
                        for day, loc, q in demand], columns=["date", "part", "location", "qty", "promised_date"])
    ds = dataset(parts, locs, dem)
    pol = pd.DataFrame({"part": ["P", "P"], "location": ["CW", "D"], "reorder_point": [cw[0], d[0]],
                        "order_up_to": [cw[1], d[1]]})
    return simulate(ds, pol, START, START + 40 * DAY, **kw)


def test_dealer_order_waits_at_an_empty_parent_and_ships_when_stock_arrives():
    # day 0 (a Monday, review day): D sells its 3 units and orders 3; CW holds nothing (s = S = 0)
    # so the order waits there and CW orders 3 from the supplier (10 days); on day 10 CW receives
    # and ships; D receives on day 12.  A line on day 5 is backordered at D until then.
    res = _two_level([(0, "D", 3), (5, "D", 1)])
    o = res.orders.set_index("location")
    assert o.loc["D", "order_type"] == "normal" and o.loc["D", "qty"] == 3
    assert o.loc["D", "planned_arrival"] == START + 2 * DAY
    assert o.loc["D", "arrival"] == START + 12 * DAY
    assert o.loc["CW", "source"] == "supplier" and o.loc["CW", "arrival"] == START + 10 * DAY
    line = res.lines.set_index("line_id").iloc[1]
    assert line["filled_from"] == "backorder" and not line["hit"] and not line["on_time"]
    assert line["delivered_date"] == START + 12 * DAY
    # the dealer's order stayed on order while it waited: no emergency order was needed for the backorder
    assert (res.orders["order_type"] == "normal").all()
    oh = res.daily.set_index("date")["on_hand_units"]
    assert oh[START + 11 * DAY] == 0 and oh[START + 12 * DAY] == 2  # 3 arrived, 1 went to the backorder


def test_emergency_from_the_parent_is_a_miss_even_when_on_time():
    res = _two_level([(3, "D", 2)], cw=(3, 5), d=(0, 0), emergency_days=1, promise=1)
    line = res.lines.iloc[0]
    assert line["filled_from"] == "parent" and line["parent_qty"] == 2
    assert not line["hit"] and line["on_time"] and line["emergency"]
    assert line["delivered_date"] == START + 4 * DAY
    assert res.kpis["hit_rate"] == 0.0 and res.kpis["otd_rate"] == 1.0
    assert res.kpis["misses"] == 1 and res.kpis["emergency_cost"] == 15.0
    assert list(res.misses.columns) == MISS_COLUMNS and res.misses["delay_days"].tolist() == [0.0]
    em = res.orders[res.orders["order_type"] == "emergency"]
    assert len(em) == 1 and em["for_line"].all() and em["from_location"].tolist() == ["CW"]
    # CW's stock went down by 2 on day 3: it reorders at its next review (day 7) up to S
    cw = res.orders[(res.orders["location"] == "CW")]
    assert cw["date"].tolist() == [START + 7 * DAY] and cw["qty"].tolist() == [2.0]


def test_parent_out_of_stock_line_is_backordered_and_an_emergency_order_placed():
    # CW keeps nothing, D keeps nothing: the line is backordered at D; D's order rule places an
    # emergency order (backorders not covered by on order) that waits at CW, and CW passes it on
    # to the supplier by emergency (3 days) the same day.
    res = _two_level([(2, "D", 1)], cw=(0, 0), d=(0, 0))
    em = res.orders[res.orders["order_type"] == "emergency"].set_index("location")
    assert em.loc["D", "date"] == START + 2 * DAY and em.loc["CW", "date"] == START + 2 * DAY
    assert em.loc["CW", "arrival"] == START + 5 * DAY          # supplier emergency: 3 days
    assert em.loc["D", "arrival"] == START + 6 * DAY           # then 1 emergency day to D
    line = res.lines.iloc[0]
    assert line["filled_from"] == "backorder" and line["delivered_date"] == START + 6 * DAY
    assert res.kpis["normal_order_rate"] == 0.0


def test_lateral_supply_from_a_sibling():
    parts = {"part": ["P"], "unit_cost": [10.0], "lead_time_days": [30.0]}
    locs = {"location": ["RW", "D1", "D2", "D3"], "parent": ["", "RW", "RW", "RW"],
            "review_days": [7] * 4, "emergency_days": [2, 1, 1, 1]}
    dem = pd.DataFrame({"date": [START + DAY, START + DAY], "part": "P", "location": ["D1", "D1"],
                        "qty": [1, 2]})
    ds = dataset(parts, locs, dem)
    pol = pd.DataFrame({"part": "P", "location": ["RW", "D1", "D2", "D3"], "reorder_point": [0, 0, 0, 0],
                        "order_up_to": [0, 0, 1, 4]})
    end = START + 10 * DAY
    no = simulate(ds, pol, START, end)
    assert no.lines["filled_from"].tolist() == ["backorder", "backorder"]
    yes = simulate(ds, pol, START, end, lateral=True)
    assert yes.lines["filled_from"].tolist() == ["lateral", "lateral"]
    assert yes.lines["lateral_qty"].tolist() == [1.0, 2.0]
    lat = yes.orders[yes.orders["source"] == "lateral"]
    assert lat["from_location"].tolist() == ["D3", "D3"]  # the sibling with the most stock
    d3 = yes.final_state.set_index("location").loc["D3"]
    assert d3["on_hand"] == 1 and d3["on_order"] == 0  # IP 1 > s = 0: no reorder


def test_planned_lead_times_counterfactual_makes_every_order_arrive_as_planned():
    ds, pol, end = _network(days=120, sd=6.0)
    real = simulate(ds, pol, START, end, seed=1)
    sup = real.orders[(real.orders["source"] == "supplier") & (real.orders["order_type"] == "normal")]
    assert (sup["arrival"] != sup["planned_arrival"]).any()
    cf = simulate(ds, pol, START, end, seed=1, counterfactual="planned_lead_times")
    sup = cf.orders[(cf.orders["source"] == "supplier") & (cf.orders["order_type"] == "normal")]
    assert (sup["arrival"] == sup["planned_arrival"]).all()


# ----------------------------------------------------------------------------- inputs
@pytest.mark.parametrize("kw, match", [
    ({"start": "2001-02-01", "end": "2001-01-01"}, "end must be on or after start"),
    ({"counterfactual": "magic"}, "counterfactual must be one of"),
    ({"seed": -1}, "seed must be"),
    ({"initial": "full"}, "initial must be one of"),
    ({"replan_weeks": 2}, "needs a planner"),
])
def test_bad_arguments_raise_clear_errors(kw, match):
    ds, pol, end = _network(days=20)
    args = {"start": START, "end": end, **kw}
    with pytest.raises(ValueError, match=match):
        simulate(ds, pol, args.pop("start"), args.pop("end"), **args)


def test_bad_policies_raise_clear_errors():
    ds, pol, end = _network(days=20)
    with pytest.raises(ValueError, match="reorder_point <= order_up_to"):
        simulate(ds, pol.assign(reorder_point=pol["order_up_to"] + 1), START, end)
    with pytest.raises(ValueError, match="lacks the column"):
        simulate(ds, pol.drop(columns="order_up_to"), START, end)
    with pytest.raises(ValueError, match="more than one row"):
        simulate(ds, pd.concat([pol, pol.head(1)]), START, end)
    with pytest.raises(ValueError, match="no planner"):
        simulate(ds, None, START, end)
    with pytest.raises(ValueError, match="part\\(s\\) not in the dataset"):
        simulate(ds, pd.concat([pol, pol.head(1).assign(part="NOPE")]), START, end)
    with pytest.raises(ValueError, match="location\\(s\\) not in the dataset"):
        simulate(ds, pd.concat([pol, pol.head(1).assign(location="X9")]), START, end)


def test_the_default_scenario_configuration_changes_nothing():
    from partsopt.config import default_config

    ds, pol, end = _network(days=60)
    a = simulate(ds, pol, START, end)
    b = simulate(ds, pol, START, end, config=default_config())
    pd.testing.assert_frame_equal(a.orders, b.orders)
    assert a.kpis == b.kpis


# ----------------------------------------------------------------------------- options
def test_initial_stock_from_the_inventory_snapshot_and_progress_and_config():
    parts = {"part": ["P"], "unit_cost": [10.0], "lead_time_days": [6.0]}
    locs = {"location": ["W"], "review_days": [7], "holding_rate": [0.25]}
    dem = pd.DataFrame({"date": [START + 2 * DAY], "part": ["P"], "location": ["W"], "qty": [3]})
    inv = {"part": ["P"], "location": ["W"], "on_hand": [2.0], "on_order": [4.0], "backorders": [0.0]}
    ds = dataset(parts, locs, dem, inventory=inv)
    pol = pd.DataFrame({"part": ["P"], "location": ["W"], "reorder_point": [0], "order_up_to": [1]})
    calls = []
    cfg = {"simulation": {"seed": 9, "replan_weeks": 0}, "costs": {"holding_rate": 0.5}}
    res = simulate(ds, pol, START, START + 20 * DAY, initial="inventory", config=cfg,
                   progress=lambda step, total, label: calls.append((step, total, label)))
    oh = res.daily.set_index("date")["on_hand_units"]
    assert oh[START] == 2 and oh[START + 2 * DAY] == 0         # 2 on hand, 1 unit backordered on day 2
    assert oh[START + 6 * DAY] == 3                             # the 4 on order arrive on day 6, 1 fills the backorder
    assert res.lines["delivered_date"].iloc[0] == START + 6 * DAY
    assert calls[-1] == (21, 21, "simulate")
    assert res.info["seed"] == 9
    assert res.kpis["holding_cost"] == pytest.approx((res.daily["inventory_value"] * 0.5 / 365).sum())


def test_review_days_of_the_policy_replace_the_locations():
    from partsopt.ordering import is_review_day

    ds, pol, end = _network(days=60, n_parts=1)
    base = simulate(ds, pol, START, end)
    d2 = base.orders[(base.orders["location"] == "D2") & (base.orders["order_type"] == "normal")]
    assert len(d2) > 1 and all(is_review_day(d, 14) for d in d2["date"])   # the location reviews every 14 days
    res = simulate(ds, pol.assign(review_days=[7, 7, 7, 3]), START, end)   # rows: CW, RW, D1, D2
    d2 = res.orders[(res.orders["location"] == "D2") & (res.orders["order_type"] == "normal")]
    assert len(d2) > 1 and all(is_review_day(d, 3) for d in d2["date"])
    assert not all(is_review_day(d, 14) for d in d2["date"])


def test_s_nQ_rows_order_multiples_of_Q_through_the_order_rule():
    parts = {"part": ["P", "R"], "unit_cost": [1.0, 1.0], "lead_time_days": [4.0, 4.0], "pack_size": [3, 1]}
    locs = {"location": ["W"], "review_days": [1]}
    rng = np.random.default_rng(1)
    rows = [(START + int(d) * DAY, p, "W", int(1 + rng.poisson(4.0)))
            for p in ("P", "R") for d in np.flatnonzero(rng.random(200) < 0.6)]
    ds = dataset(parts, locs, pd.DataFrame(rows, columns=["date", "part", "location", "qty"]))
    pol = pd.DataFrame({"part": ["P", "R"], "location": ["W", "W"], "reorder_point": [5, 5],
                        "order_up_to": [8, 11], "order_quantity": [3, 0]})
    res = simulate(ds, pol, START, START + 199 * DAY)
    normal = res.orders[res.orders["order_type"] == "normal"]
    p = normal[normal["part"] == "P"]["qty"]
    assert len(p) > 10 and (p % 3 == 0).all() and (p > 3).any()       # n x Q, sometimes n > 1
    r = normal[normal["part"] == "R"]["qty"]
    assert len(r) > 10 and (r % 3 != 0).any()                           # (s, S): up to S, not batches
