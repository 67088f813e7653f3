"""The vectorised replay against a plain per-part-location loop (DESIGN.md §3.2).

The reference below simulates one part-location at a time with scalar Python
and a FIFO queue of backordered lines, written from the rules in the engine's
docstring and the order rule's docstring (not by calling them): receive, fill
backorders oldest first, serve the day's lines in order, then on review days
(days since Monday 1970-01-05 divisible by the cycle) order up to S when the
inventory position is at or below s, rounded up to the pack size and at least
the MOQ; emergency orders for backorders not covered by what is on order.
Supplier locations only (no parent), fixed lead times, several locations and
parts, pack sizes and MOQs, several lines per day.
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np
import pandas as pd

from partsopt.simulate import simulate

from sim_helpers import START, dataset

MONDAY = pd.Timestamp("1970-01-05")


def _ceil_pack(x, pack):
    return 0 if x <= 0 else math.ceil(x / pack) * pack


def reference(lines, s, S, pack, moq, lead, review, em_days, days):
    """One part-location: lines = list of (day, qty) in line order."""
    oh, oo, bo = float(S), 0.0, 0.0
    arrivals = {}
    queue = deque()  # [line index, units still owed]
    filled = [0.0] * len(lines)
    delivered = [None] * len(lines)
    orders = []
    by_day = {}
    for i, (d, q) in enumerate(lines):
        by_day.setdefault(d, []).append(i)
    for t in range(days):
        got = arrivals.pop(t, 0.0)
        oh += got
        oo -= got
        while queue and oh > 0:
            i, owed = queue[0]
            f = min(owed, oh)
            oh -= f
            bo -= f
            if f == owed:
                queue.popleft()
                delivered[i] = t
            else:
                queue[0][1] = owed - f
        for i in by_day.get(t, []):
            q = lines[i][1]
            f = min(q, oh)
            oh -= f
            filled[i] = f
            if f < q:
                queue.append([i, q - f])
                bo += q - f
            else:
                delivered[i] = t
        ip = oh + oo - bo
        e = _ceil_pack(bo - oo, pack)
        ip2 = ip + e
        date = START + pd.Timedelta(days=t)
        is_review = (date - MONDAY).days % review == 0
        n = 0
        if is_review and ip2 <= s and S - ip2 > 0:
            n = max(_ceil_pack(S - ip2, pack), _ceil_pack(moq, pack))
        for kind, qty, lt in (("emergency", e, em_days), ("normal", n, lead)):
            if qty > 0:
                oo += qty
                arr = t + max(lt, 1)
                arrivals[arr] = arrivals.get(arr, 0.0) + qty
                orders.append((t, kind, float(qty), arr))
    return filled, delivered, orders


def test_vectorised_replay_equals_the_per_row_loop():
    rng = np.random.default_rng(42)
    n_parts, days = 12, 150
    parts = pd.DataFrame({"part": [f"Q{i:02d}" for i in range(n_parts)], "unit_cost": 1.0,
                          "lead_time_days": rng.integers(1, 15, n_parts).astype(float),
                          "pack_size": rng.choice([1, 1, 2, 5], n_parts), "moq": rng.choice([1, 1, 3, 10], n_parts)})
    locs = pd.DataFrame({"location": ["W1", "W2", "W3"], "review_days": [1, 7, 14], "emergency_days": [0, 2, 4]})
    rows = []
    for p in parts["part"]:
        for loc in locs["location"]:
            for d in range(days):
                for _ in range(rng.poisson(0.35)):
                    rows.append((START + pd.Timedelta(days=d), p, loc, int(1 + rng.poisson(1.0))))
    demand = pd.DataFrame(rows, columns=["date", "part", "location", "qty"])
    items = pd.DataFrame({"part": ["Q00"], "location": ["W2"], "lead_time_days": [20.0]})
    ds = dataset(parts, locs, demand, items=items)
    pol = []
    for p in parts["part"]:
        for loc in locs["location"]:
            S = int(rng.integers(0, 12))
            pol.append((p, loc, int(rng.integers(-1, S)) if S > 0 else 0, S))
    pol = pd.DataFrame(pol, columns=["part", "location", "reorder_point", "order_up_to"])
    pol["reorder_point"] = pol["reorder_point"].clip(lower=0)
    res = simulate(ds, pol, START, START + pd.Timedelta(days=days - 1))

    lines = res.lines.assign(day=(res.lines["date"] - START).dt.days,
                             done=(res.lines["delivered_date"] - START).dt.days)
    orders = res.orders.assign(day=(res.orders["date"] - START).dt.days, arr=(res.orders["arrival"] - START).dt.days)
    checked_orders = 0
    for _, pr in pol.iterrows():
        p, loc = pr["part"], pr["location"]
        part = parts.set_index("part").loc[p]
        lc = locs.set_index("location").loc[loc]
        lead = 20 if (p, loc) == ("Q00", "W2") else int(part["lead_time_days"])
        mine = lines[(lines["part"] == p) & (lines["location"] == loc)]
        ref_lines = list(zip(mine["day"], mine["qty"]))
        filled, delivered, ref_orders = reference(ref_lines, pr["reorder_point"], pr["order_up_to"],
                                                  part["pack_size"], part["moq"], lead, int(lc["review_days"]),
                                                  int(lc["emergency_days"]), days)
        np.testing.assert_array_equal(mine["filled_qty_at_once"].to_numpy(), np.array(filled, float))
        got_done = mine["done"].to_numpy()
        exp_done = np.array([np.nan if x is None else x for x in delivered], float)
        np.testing.assert_array_equal(got_done, exp_done)
        o = orders[(orders["part"] == p) & (orders["location"] == loc)]
        got = sorted(zip(o["day"], o["order_type"], o["qty"], o["arr"]))
        assert got == sorted(ref_orders), (p, loc)
        checked_orders += len(ref_orders)
    assert checked_orders > 100 and (lines["backorder_qty"] > 0).sum() > 20  # the comparison covers real work
