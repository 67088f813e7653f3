"""Diagnostic mode on actual history: every rule fires on a hand-made dataset, the stock
reconstruction matches a plain per-line loop, and the demo's planted defects are found."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from partsopt.diagnose import DETAIL, diagnose, missed_lines
from partsopt.validate import validate_tables

H = pd.Timestamp("2001-01-01")                  # history starts
START = H + pd.Timedelta(days=400)
END = START + pd.Timedelta(days=60)
SNAP = END + pd.Timedelta(days=1)
D = pd.Timedelta(days=1)


def _build():
    """One part per rule; each has exactly one line dated in START..END that is missed (except WT: 1 of 10)."""
    parts = ["EX", "NP", "SH", "LA", "LT", "NEWP", "OLDS", "NEWS", "NS", "OV", "SL", "WT"]
    desc = {p: f"desc {p}" for p in parts}
    desc["OLDS"] = desc["NEWS"] = "Brake pad"
    lt = {p: 5.0 for p in parts}
    lines, rec, inv = [], [], []
    t = {p: START + (10 + 3 * i) * D for i, p in enumerate(parts)}   # the window line of each part

    def line(p, day, qty=1, loc="D"):
        lines.append((day, p, loc, qty))

    for p in ("EX", "NP", "SH", "LA", "LT", "NS", "SL"):
        line(p, H + 5 * D)                       # old history: not a new part
        line(p, t[p])
    for p in ("NP", "NS", "SL", "OV", "NEWP", "NEWS"):
        inv.append((p, "D", 0, 0, 1))            # the window line is still owed at the snapshot: missed
    inv.append(("LT", "D", 0, 0, 1))
    # EX: a receipt promised before the line, received after it
    rec.append(("EX", "D", t["EX"] - 10 * D, 1, t["EX"] + 3 * D, t["EX"] - D, "normal"))
    # plan adherence: suggestions 7 days before the line; SH placed 1 of 3, LA placed 4 days after the as-of
    rec.append(("SH", "D", t["SH"] - 6 * D, 1, t["SH"] + 5 * D, t["SH"] + 4 * D, "normal"))
    rec.append(("LA", "D", t["LA"] - 3 * D, 3, t["LA"] + 5 * D, t["LA"] + 4 * D, "normal"))
    # LT: the top location W receives with 20 days against a master of 5
    for k in range(4):
        od = H + (30 + 40 * k) * D
        rec.append(("LT", "W", od, 2, od + 20 * D, od + 20 * D, "normal"))
    inv.append(("LT", "W", 8, 0, 0))              # W keeps its receipts: the balance at W stays >= 0
    line("NEWP", t["NEWP"] - 10 * D)              # first sale 10 days before: new part
    line("NEWP", t["NEWP"])
    for k in range(0, 420, 20):                   # OLDS sells until 16 days before NEWS's first sale
        if H + k * D < t["NEWS"] - 20 * D:
            line("OLDS", H + k * D)
    line("NEWS", t["NEWS"] - 15 * D)
    line("NEWS", t["NEWS"])
    # OV: sells 1 a day for the year before START; max_qty 1 is far below 1/day x (2 + 7) days
    for k in range(365):
        line("OV", START - (k + 1) * D)
    line("OV", t["OV"])
    # WT: 10 lines, the last missed (snapshot owes one unit)
    for k in range(10):
        line("WT", START + (2 + 5 * k) * D)
    line("WT", H + 5 * D)
    inv.append(("WT", "D", 0, 0, 1))
    demand = pd.DataFrame(lines, columns=["date", "part", "location", "qty"]).sort_values("date", kind="stable")
    demand["promised_date"] = demand["date"]
    demand["line_id"] = [f"L{i:05d}" for i in range(len(demand))]
    tables = {
        "parts": pd.DataFrame({"part": parts, "unit_cost": 5.0, "lead_time_days": [lt[p] for p in parts],
                               "description": [desc[p] for p in parts]}),
        "locations": pd.DataFrame({"location": ["W", "D"], "parent": ["", "W"], "transit_days": [0, 2],
                                   "review_days": [7, 7], "emergency_days": [1, 1]}),
        "demand": demand,
        "receipts": pd.DataFrame(rec, columns=["part", "location", "order_date", "qty", "received_date",
                                               "promised_date", "order_type"]),
        "inventory": pd.DataFrame(inv, columns=["part", "location", "on_hand", "on_order", "backorders"]),
        "items": pd.DataFrame({"part": ["NS", "OV"], "location": ["D", "D"], "stocked": [False, True],
                               "min_qty": [pd.NA, 0], "max_qty": [pd.NA, 1]}),
    }
    plans = pd.DataFrame({"as_of": [t[p] - 7 * D for p in ("NP", "SH", "LA")], "part": ["NP", "SH", "LA"],
                          "location": "D", "suggested_qty": 3})
    return validate_tables(tables), plans, t


EXPECT = {"EX": "execution.late_supply", "NP": "execution.order_not_placed", "SH": "execution.order_short",
          "LA": "execution.order_late", "LT": "data.lead_time_master", "NEWP": "data.no_history",
          "NEWS": "data.supersession_not_linked", "NS": "configuration.not_stocked",
          "OV": "configuration.override_below_need", "SL": "configuration.service_level",
          "WT": "configuration.within_target"}


def test_every_rule_fires_on_its_part():
    ds, plans, t = _build()
    pol = pd.DataFrame({"part": ["WT", "SL"], "location": "D", "target_level": [0.5, 0.99]})
    out = diagnose(ds, start=START, end=END, plans=plans, policies=pol, snapshot_date=SNAP)
    got = out.groupby("part")["cause"].agg(lambda c: sorted(set(c)))
    for part, cause in EXPECT.items():
        assert got.get(part) == [cause], (part, got.get(part))
    assert set(DETAIL) == set(EXPECT.values())
    assert (out["date"] >= START).all() and (out["date"] <= END).all()
    assert out["cause_detail"].ne("").all()
    # one missed line per rule part (WT: 1 of its 10 window lines)
    assert (out.groupby("part").size() == 1).all()


def test_rules_fall_through_in_order_without_plans_and_targets():
    ds, plans, t = _build()
    out = diagnose(ds, start=START, end=END, snapshot_date=SNAP).set_index("part")["cause"]
    # no plans: the adherence parts fall to the configuration default; no policies: WT likewise
    assert out["NP"] == out["SH"] == out["LA"] == "configuration.service_level"
    assert out["WT"] == "configuration.service_level"
    assert out["EX"] == "execution.late_supply" and out["LT"] == "data.lead_time_master"


def test_plans_may_be_a_list_of_plan_results():
    from types import SimpleNamespace

    ds, plans, _ = _build()
    weekly = [SimpleNamespace(orders=plans.iloc[[i]]) for i in range(len(plans))]  # one PlanResult-like per week
    a = diagnose(ds, start=START, end=END, snapshot_date=SNAP, plans=weekly)
    b = diagnose(ds, start=START, end=END, snapshot_date=SNAP, plans=plans)
    pd.testing.assert_frame_equal(a, b)
    assert {"execution.order_not_placed", "execution.order_short", "execution.order_late"} <= set(a["cause"])


def _plain_available(ds, snap):
    """Per-line loop reference of the reconstruction (module docstring of partsopt.diagnose)."""
    loc = ds.locations.set_index("location")
    events = []
    for r in ds.receipts.itertuples():
        if r.received_date < snap:
            events.append((r.part, r.location, r.received_date, 0, "", r.qty))
            par = loc.loc[r.location, "parent"]
            if par:
                days = loc.loc[r.location, "emergency_days" if r.order_type == "emergency" else "transit_days"]
                left = max(r.received_date - pd.Timedelta(days=int(round(days))), r.order_date)
                if left < snap:
                    events.append((r.part, par, left, 0, "", -r.qty))
    for r in ds.demand.itertuples():
        if r.date < snap:
            events.append((r.part, r.location, r.date, 1, r.line_id, -r.qty))
    snap_net = {(r.part, r.location): r.on_hand - r.backorders for r in ds.inventory.itertuples()}
    out = {}
    events.sort(key=lambda e: (e[0], e[1], e[2], e[3], e[4]))
    for key in {(e[0], e[1]) for e in events}:
        ev = [e for e in events if (e[0], e[1]) == key]
        level = snap_net.get(key, 0)
        for e in reversed(ev):                    # walk back from the snapshot
            level -= e[5]
            if e[3] == 1:
                out[e[4]] = level
    return out


def test_reconstruction_matches_a_plain_loop():
    ds, _, _ = _build()
    got = missed_lines(ds, SNAP).set_index("line_id")
    ref = _plain_available(ds, SNAP)
    assert len(got) == len(ref)
    for lid, avail in ref.items():
        assert got.loc[lid, "available"] == pytest.approx(avail), lid
    assert (got["missed"] == (got["available"] < got["qty"])).all()


def test_bad_input_is_named():
    ds, plans, _ = _build()
    with pytest.raises(ValueError, match="end must be on or after start"):
        diagnose(ds, start=END, end=START)
    with pytest.raises(ValueError, match="snapshot"):
        diagnose(ds, start=START, end=SNAP, snapshot_date=SNAP)
    with pytest.raises(ValueError, match=r"plans\[0\]"):
        diagnose(ds, start=START, end=END, snapshot_date=SNAP, plans=plans[["part"]])
    with pytest.raises(ValueError, match="target_level"):
        diagnose(ds, start=START, end=END, snapshot_date=SNAP, policies=pd.DataFrame({"part": [], "location": []}))
