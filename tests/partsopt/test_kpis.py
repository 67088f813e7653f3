"""The KPI registry: every definition computed by hand on small frames, and common properties."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from partsopt.simulate import KPIS, components, kpi_table, misses_table, network_kpis, simulate

from sim_helpers import START, dataset

D = pd.Timestamp


def _frames():
    """Three lines, four orders, two part-locations over two months (31 + 29 days, 2024)."""
    lines = pd.DataFrame({
        "line_id": ["a", "b", "c"], "date": [D("2024-01-05"), D("2024-01-20"), D("2024-02-03")],
        "part": ["P", "P", "Q"], "location": ["X", "X", "Y"], "qty": [2.0, 3.0, 1.0],
        "filled_from": ["local", "parent", "backorder"], "filled_qty_at_once": [2.0, 1.0, 0.0],
        "parent_qty": [0.0, 2.0, 0.0], "lateral_qty": [0.0, 0.0, 0.0], "backorder_qty": [0.0, 0.0, 1.0],
        "delivered_date": [D("2024-01-05"), D("2024-01-21"), pd.NaT],
        "promised_date": [D("2024-01-05"), D("2024-01-21"), D("2024-02-03")],
        "hit": [True, False, False], "on_time": [True, True, False], "emergency": [False, True, False],
        "unit_cost": [10.0, 10.0, 4.0], "unit_price": [15.0, 15.0, np.nan],
        "criticality": ["A", "A", "C"], "demand_class": ["smooth", "smooth", "lumpy"],
        "month": ["2024-01", "2024-01", "2024-02"]})
    orders = pd.DataFrame({
        "date": [D("2024-01-08"), D("2024-01-20"), D("2024-02-05"), D("2024-02-05")],
        "part": ["P", "P", "Q", "Q"], "location": ["X", "X", "Y", "Y"], "qty": [5.0, 2.0, 1.0, 3.0],
        "order_type": ["normal", "emergency", "emergency", "normal"], "line_cost": [2.0, 20.0, 30.0, 2.0],
        "criticality": ["A", "A", "C", "C"], "demand_class": ["smooth", "smooth", "lumpy", "lumpy"],
        "month": ["2024-01", "2024-01", "2024-02", "2024-02"]})
    stock = pd.DataFrame({
        "part": ["P", "Q", "P", "Q"], "location": ["X", "Y", "X", "Y"],
        "month": ["2024-01", "2024-01", "2024-02", "2024-02"], "criticality": ["A", "C", "A", "C"],
        "demand_class": ["smooth", "lumpy", "smooth", "lumpy"], "days": [31.0, 31.0, 29.0, 29.0],
        "unit_days": [93.0, 31.0, 58.0, 0.0], "value_days": [930.0, 124.0, 580.0, 0.0],
        "holding_cost": [930 * 0.25 / 365, 124 * 0.25 / 365, 580 * 0.25 / 365, 0.0],
        "end_value": [20.0, 4.0, 20.0, 0.0], "end_obsolete_value": [0.0, 4.0, 20.0, 0.0]})
    return lines, orders, stock


def test_every_kpi_by_hand_at_network_level():
    lines, orders, stock = _frames()
    k = kpi_table(lines, orders, stock).iloc[0]
    assert k["hit_rate"] == pytest.approx(1 / 3)
    assert k["fill_rate"] == pytest.approx(3 / 6)
    assert k["otd_rate"] == pytest.approx(2 / 3)
    assert k["normal_order_rate"] == pytest.approx(2 / 4)
    # cost issued: delivered lines a and b, 5 units x 10; value-days 1634 over 60 days
    assert k["turnover"] == pytest.approx(50 * 365 / 1634)
    assert k["avg_inventory_value"] == pytest.approx(1634 / 60)
    assert k["holding_cost"] == pytest.approx(1634 * 0.25 / 365)
    assert k["emergency_cost"] == pytest.approx(50.0)
    assert k["gross_margin"] == pytest.approx((75 - 50) / 75)
    # at the end of the period (February): 20 of 20 obsolete
    assert k["obsolete_share"] == pytest.approx(1.0)
    assert k["lines"] == 3 and k["misses"] == 2 and k["order_lines"] == 4


def test_kpis_by_location_and_by_month_by_hand():
    lines, orders, stock = _frames()
    by = kpi_table(lines, orders, stock, by="location").set_index("location")
    assert by.loc["X", "hit_rate"] == pytest.approx(0.5) and by.loc["Y", "hit_rate"] == 0.0
    assert by.loc["X", "avg_inventory_value"] == pytest.approx(1510 / 60)
    assert by.loc["Y", "gross_margin"] != by.loc["Y", "gross_margin"]  # NaN: no price known
    assert by.loc["Y", "obsolete_share"] != by.loc["Y", "obsolete_share"]  # NaN: no stock at the end
    bm = kpi_table(lines, orders, stock, by="month").set_index("month")
    assert bm.loc["2024-01", "avg_inventory_value"] == pytest.approx(1054 / 31)
    assert bm.loc["2024-02", "avg_inventory_value"] == pytest.approx(580 / 29)
    assert bm.loc["2024-01", "obsolete_share"] == pytest.approx(4 / 24)
    assert bm.loc["2024-02", "normal_order_rate"] == pytest.approx(0.5)
    two = kpi_table(lines, orders, stock, by=["criticality", "month"])
    assert set(map(tuple, two[["criticality", "month"]].to_numpy())) == {
        ("A", "2024-01"), ("A", "2024-02"), ("C", "2024-01"), ("C", "2024-02")}


def test_registry_entries_are_complete_and_components_additive():
    lines, orders, stock = _frames()
    assert set(KPIS) >= {"hit_rate", "fill_rate", "otd_rate", "normal_order_rate", "turnover",
                         "avg_inventory_value", "holding_cost", "emergency_cost", "gross_margin", "obsolete_share"}
    for name, kpi in KPIS.items():
        assert kpi.description and kpi.formula, name
        assert kpi.higher_is_better in (True, False, None)
    net = components(lines, orders, stock)
    for by in ("location", "criticality", "demand_class", "month"):
        grouped = components(lines, orders, stock, by=by)
        additive = [c for c in grouped.columns if c not in ("days", "end_value", "end_obsolete_value")]
        np.testing.assert_allclose(grouped[additive].sum().to_numpy(), net[additive].iloc[0].to_numpy())


def test_row_order_does_not_matter():
    lines, orders, stock = _frames()
    a = kpi_table(lines, orders, stock, by="location")
    rng = np.random.default_rng(0)
    b = kpi_table(lines.sample(frac=1, random_state=1), orders.iloc[rng.permutation(len(orders))],
                  stock.iloc[::-1], by="location")
    pd.testing.assert_frame_equal(a, b)


def test_bad_grouping_key_raises():
    lines, orders, stock = _frames()
    with pytest.raises(ValueError, match="by must name columns"):
        kpi_table(lines, orders, stock, by="colour")


def test_network_kpis_json_keys_and_misses():
    lines, orders, stock = _frames()
    misses = misses_table(lines)
    assert misses["line_id"].tolist() == ["b", "c"]
    assert misses["delay_days"].iloc[0] == 0.0 and np.isnan(misses["delay_days"].iloc[1])
    misses.loc[0, "cause"] = "execution.late_supplier"
    k = network_kpis(lines, orders, stock, misses)
    for key in ("hit_rate", "fill_rate", "otd_rate", "normal_order_rate", "turnover", "avg_inventory_value",
                "holding_cost", "emergency_cost", "lines", "misses", "misses_by_cause"):
        assert key in k
    assert k["misses_by_cause"] == {"data": 0, "configuration": 0, "execution": 1}


def test_simulation_kpis_agree_with_the_registry_on_its_own_frames():
    """Perfect service: all lines hit, every KPI in range; grouping works on the replay's frames."""
    parts = {"part": ["P", "Q"], "unit_cost": [10.0, 2.0], "unit_price": [12.0, 3.0], "lead_time_days": [5.0, 5.0],
             "criticality": ["A", "C"]}
    locs = {"location": ["W"], "review_days": [1]}
    days = 60
    demand = pd.DataFrame({"date": START + pd.to_timedelta(np.arange(days) % 50, unit="D"),
                           "part": np.where(np.arange(days) % 2, "P", "Q"), "location": "W", "qty": 1})
    ds = dataset(parts, locs, demand)
    pol = pd.DataFrame({"part": ["P", "Q"], "location": "W", "reorder_point": [20, 20], "order_up_to": [25, 25],
                        "demand_class": ["smooth", "erratic"]})
    res = simulate(ds, pol, START, START + pd.Timedelta(days=days - 1))
    assert res.kpis["hit_rate"] == 1.0 and res.kpis["fill_rate"] == 1.0 and res.kpis["otd_rate"] == 1.0
    assert res.kpis["normal_order_rate"] == 1.0 and res.kpis["emergency_cost"] == 0.0
    assert res.kpis["gross_margin"] == pytest.approx((30 * 12 + 30 * 3 - 30 * 10 - 30 * 2) / (30 * 12 + 30 * 3))
    assert res.kpis["obsolete_share"] == 0.0
    by_dc = res.kpis_by("demand_class").set_index("demand_class")
    assert set(by_dc.index) == {"smooth", "erratic"}
    by_crit = res.kpis_by("criticality").set_index("criticality")
    assert by_crit.loc["A", "lines"] == 30
    # average inventory from the replay's daily record equals the registry's figure
    assert res.kpis["avg_inventory_value"] == pytest.approx(res.daily["inventory_value"].mean())


def test_hit_rate_by_period_adds_up_to_the_network_hit_rate():
    parts = {"part": ["P"], "unit_cost": [1.0], "lead_time_days": [9.0]}
    rng = np.random.default_rng(5)
    q = rng.poisson(1.0, 70)
    d = np.flatnonzero(q)
    demand = pd.DataFrame({"date": START + pd.to_timedelta(d, unit="D"), "part": "P", "location": "W", "qty": q[d]})
    ds = dataset(parts, {"location": ["W"]}, demand)
    pol = pd.DataFrame({"part": ["P"], "location": ["W"], "reorder_point": [6], "order_up_to": [9]})
    res = simulate(ds, pol, START, START + pd.Timedelta(days=69))
    for freq in ("W", "M"):
        per = res.hit_rate_by_period(freq)
        assert per["lines"].sum() == res.kpis["lines"] == len(d)
        assert per["hit_lines"].sum() / per["lines"].sum() == pytest.approx(res.kpis["hit_rate"])
    assert len(res.hit_rate_by_period("W")) == 10 and 0 < res.kpis["hit_rate"] < 1
    with pytest.raises(ValueError, match="freq must be"):
        res.hit_rate_by_period("Q")


RATIOS = {"hit_rate", "fill_rate", "otd_rate", "normal_order_rate", "obsolete_share"}


@pytest.fixture(scope="module")
def replay():
    """A small two-level replay with misses, emergencies and stock-outs."""
    rng = np.random.default_rng(3)
    parts = {"part": ["P", "Q", "R"], "unit_cost": [4.0, 9.0, 1.5], "unit_price": [6.0, np.nan, 2.0],
             "lead_time_days": [10.0, 20.0, 5.0], "lead_time_sd_days": [2.0, 5.0, 0.0], "criticality": ["A", "B", "C"]}
    locs = {"location": ["C", "D1", "D2"], "parent": ["", "C", "C"], "transit_days": [0, 2, 3],
            "emergency_days": [3, 1, 1], "emergency_cost": [30, 10, 10], "order_cost": [2, 1, 1]}
    rows = [(START + pd.Timedelta(days=int(d)), p, loc, int(1 + rng.poisson(0.5)))
            for p in ("P", "Q", "R") for loc in ("D1", "D2") for d in np.flatnonzero(rng.random(120) < 0.3)]
    demand = pd.DataFrame(rows, columns=["date", "part", "location", "qty"])
    ds = dataset(parts, locs, demand)
    pol = pd.DataFrame({"part": np.repeat(["P", "Q", "R"], 3), "location": ["C", "D1", "D2"] * 3,
                        "reorder_point": [3, 1, 0] * 3, "order_up_to": [6, 2, 1] * 3,
                        "demand_class": np.repeat(["smooth", "lumpy", "intermittent"], 3)})
    return simulate(ds, pol, START, START + pd.Timedelta(days=119), seed=2)


@pytest.mark.parametrize("name", sorted(KPIS))
@pytest.mark.parametrize("by", [None, "location", "part", "criticality", "demand_class", "month"])
def test_every_kpi_common_properties(replay, name, by):
    """Every registered KPI: ratios in [0, 1], costs and stock measures >= 0, row order irrelevant."""
    r = replay
    table = kpi_table(r.lines, r.orders, r.stock, by=by)
    vals = table[name].to_numpy(np.float64)
    finite = vals[np.isfinite(vals)]
    assert len(finite) > 0
    if name in RATIOS:
        assert ((finite >= 0) & (finite <= 1)).all()
    elif name != "gross_margin":
        assert (finite >= 0).all()
    else:
        assert (finite <= 1).all()
    shuffled = kpi_table(r.lines.iloc[::-1], r.orders.sample(frac=1, random_state=0), r.stock.iloc[::-1], by=by)
    np.testing.assert_allclose(shuffled[name].to_numpy(np.float64), vals, equal_nan=True)


def test_replay_kpis_match_a_direct_computation_from_its_frames(replay):
    r = replay
    lines, orders, daily = r.lines, r.orders, r.daily
    assert r.kpis["hit_rate"] == pytest.approx(lines["hit"].mean())
    assert r.kpis["fill_rate"] == pytest.approx(lines["filled_qty_at_once"].sum() / lines["qty"].sum())
    assert r.kpis["otd_rate"] == pytest.approx(lines["on_time"].mean())
    assert r.kpis["normal_order_rate"] == pytest.approx((orders["order_type"] == "normal").mean())
    assert r.kpis["avg_inventory_value"] == pytest.approx(daily["inventory_value"].mean())
    delivered = lines["delivered_date"].notna()
    cost = (lines["qty"] * lines["unit_cost"])[delivered].sum()
    assert r.kpis["turnover"] == pytest.approx(cost * 365 / daily["inventory_value"].sum())
    assert r.kpis["emergency_cost"] == pytest.approx(orders.loc[orders["order_type"] == "emergency", "line_cost"].sum())
    assert 0 < r.kpis["hit_rate"] < 1 and r.kpis["emergency_cost"] > 0
    by_loc = r.kpis_by_location.set_index("location")
    assert by_loc.loc["D1", "lines"] + by_loc.loc["D2", "lines"] == len(lines)
