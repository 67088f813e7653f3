"""The vectorised multi-echelon replay against a plain per-location loop for one part.

The reference keeps, per location, scalar stock, a FIFO queue of backordered
lines and FIFO queues of its own orders waiting at its parent, and applies the
day-loop rules of the engine's docstring with Python loops over locations,
lines and queue entries (fixed lead times; CW → RW → D1, D2 and CW → D3).
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np
import pandas as pd

from partsopt.simulate import simulate

from sim_helpers import START, dataset

MONDAY = pd.Timestamp("1970-01-05")
LOCS = ["CW", "D1", "D2", "D3", "RW"]                   # row order of the engine: sorted names
PARENT = {"CW": None, "RW": "CW", "D1": "RW", "D2": "RW", "D3": "CW"}
DEPTH = {"CW": 0, "RW": 1, "D3": 1, "D1": 2, "D2": 2}
TRANSIT = {"CW": 0, "RW": 3, "D1": 1, "D2": 2, "D3": 4}
EMERG = {"CW": 2, "RW": 1, "D1": 1, "D2": 0, "D3": 2}
REVIEW = {"CW": 7, "RW": 7, "D1": 7, "D2": 14, "D3": 1}
LEAD = 9


def _pack(x, pack):
    return 0 if x <= 0 else math.ceil(x / pack) * pack


def reference(lines, pol, pack, moq, days):
    """lines: list of (day, loc, qty) in the engine's line order (day, location row, file order)."""
    oh = {loc: float(pol[loc][1]) for loc in LOCS}
    oo = dict.fromkeys(LOCS, 0.0)
    bo_q = {loc: deque() for loc in LOCS}              # [line, owed]
    wait = {(loc, k): deque() for loc in LOCS for k in ("emergency", "normal")}  # [order id, remaining]
    arrivals = {}
    orders = []                                        # [day, loc, kind, qty, arrival]
    res = {i: {"local": 0.0, "parent": 0.0, "bo": 0.0, "em": -1, "filled": None} for i in range(len(lines))}
    children = {p: [c for c in LOCS if PARENT[c] == p] for p in LOCS}

    def owed(p, k):
        return sum(r for c in children[p] for _, r in wait[(c, k)])

    def ship(t, parent, only=None):
        for k in ("emergency", "normal"):
            for c in children[parent]:
                if only is not None and c not in only:
                    continue
                q = wait[(c, k)]
                while q and oh[parent] > 0:
                    oid, rem = q[0]
                    x = min(rem, oh[parent])
                    oh[parent] -= x
                    lead = EMERG[c] if k == "emergency" else TRANSIT[c]
                    arr = t + max(lead, 1)
                    arrivals.setdefault(arr, []).append((c, x))
                    if x == rem:
                        q.popleft()
                        orders[oid][4] = arr
                    else:
                        q[0][1] = rem - x

    for t in range(days):
        for loc, x in arrivals.pop(t, []):
            oh[loc] += x
            oo[loc] -= x
        for loc in LOCS:
            q = bo_q[loc]
            while q and oh[loc] > 0:
                i, rem = q[0]
                f = min(rem, oh[loc])
                oh[loc] -= f
                if f == rem:
                    q.popleft()
                    res[i]["filled"] = t
                else:
                    q[0][1] = rem - f
        for p in LOCS:
            ship(t, p)
        today = [i for i, ln in enumerate(lines) if ln[0] == t]
        short = {}
        for i in today:
            _, loc, q = lines[i]
            f = min(q, oh[loc])
            oh[loc] -= f
            res[i]["local"] = f
            short[i] = q - f
        # emergency from the parent: short lines grouped by parent (stable), in line order
        for i in sorted([i for i in today if short[i] > 0 and PARENT[lines[i][1]]],
                        key=lambda i: LOCS.index(PARENT[lines[i][1]])):
            loc = lines[i][1]
            p = PARENT[loc]
            g = min(short[i], oh[p])
            if g > 0:
                oh[p] -= g
                short[i] -= g
                res[i]["parent"] = g
                arr = t + EMERG[loc]
                res[i]["em"] = arr
                orders.append([t, loc, "emergency", g, arr])
        for i in today:
            if short[i] > 0:
                res[i]["bo"] = short[i]
                bo_q[lines[i][1]].append([i, short[i]])
        date = START + pd.Timedelta(days=t)
        for depth in (2, 1, 0):
            new = []
            for loc in [x for x in LOCS if DEPTH[x] == depth]:
                s, S = pol[loc]
                bo = sum(r for _, r in bo_q[loc])
                on_hand = oh[loc] - owed(loc, "normal")
                backorders = bo + owed(loc, "emergency")
                ip = on_hand + oo[loc] - backorders
                e = _pack(backorders - oo[loc], pack)
                ip2 = ip + e
                n = 0
                if (date - MONDAY).days % REVIEW[loc] == 0 and ip2 <= s and S - ip2 > 0:
                    n = max(_pack(S - ip2, pack), _pack(moq, pack))
                for kind, qty in (("emergency", e), ("normal", n)):
                    if qty <= 0:
                        continue
                    oo[loc] += qty
                    if PARENT[loc] is None:
                        lead = EMERG[loc] if kind == "emergency" else LEAD
                        arr = t + max(lead, 1)
                        arrivals.setdefault(arr, []).append((loc, qty))
                        orders.append([t, loc, kind, float(qty), arr])
                    else:
                        orders.append([t, loc, kind, float(qty), None])
                        wait[(loc, kind)].append([len(orders) - 1, float(qty)])
                        new.append(loc)
            for p in {PARENT[c] for c in new}:
                ship(t, p, only=set(new))
    for i, r in res.items():  # delivered: the latest of the day, the emergency arrival, the backorder fill
        r["done"] = None if (r["bo"] > 0 and r["filled"] is None) else max(lines[i][0], r["em"], r["filled"] or 0)
    return res, orders


def test_multi_echelon_replay_equals_the_per_location_loop():
    rng = np.random.default_rng(8)
    days = 120
    rates = {"CW": 0.1, "RW": 0.2, "D1": 0.5, "D2": 0.4, "D3": 0.6}
    rows = []
    for d in range(days):
        for loc in LOCS:
            for _ in range(rng.poisson(rates[loc])):
                rows.append((d, loc, int(1 + rng.poisson(0.8))))
    rng.shuffle(rows)  # file order is not day order; the engine sorts by (day, location), stably
    demand = pd.DataFrame({"date": [START + pd.Timedelta(days=d) for d, _, _ in rows], "part": "P",
                           "location": [loc for _, loc, _ in rows], "qty": [q for _, _, q in rows]})
    parts = {"part": ["P"], "unit_cost": [3.0], "lead_time_days": [float(LEAD)], "pack_size": [2], "moq": [4]}
    locs = {"location": LOCS, "parent": [PARENT[x] or "" for x in LOCS],
            "transit_days": [TRANSIT[x] for x in LOCS], "emergency_days": [EMERG[x] for x in LOCS],
            "review_days": [REVIEW[x] for x in LOCS]}
    ds = dataset(parts, locs, demand)
    pol = {"CW": (6, 14), "RW": (2, 6), "D1": (1, 3), "D2": (0, 2), "D3": (2, 4)}
    pol_df = pd.DataFrame([("P", loc, s, S) for loc, (s, S) in pol.items()],
                          columns=["part", "location", "reorder_point", "order_up_to"])
    res = simulate(ds, pol_df, START, START + pd.Timedelta(days=days - 1))

    order = sorted(range(len(rows)), key=lambda i: (rows[i][0], LOCS.index(rows[i][1])))
    lines = [rows[i] for i in order]
    ref, ref_orders = reference(lines, pol, 2, 4, days)
    got = res.lines  # in (day, row, file order): the same order as `lines`
    assert got["qty"].tolist() == [q for _, _, q in lines]
    np.testing.assert_array_equal(got["filled_qty_at_once"], [ref[i]["local"] for i in range(len(lines))])
    np.testing.assert_array_equal(got["parent_qty"], [ref[i]["parent"] for i in range(len(lines))])
    np.testing.assert_array_equal(got["backorder_qty"], [ref[i]["bo"] for i in range(len(lines))])
    done = [None if pd.isna(x) else (x - START).days for x in got["delivered_date"]]
    assert done == [ref[i]["done"] for i in range(len(lines))]
    o = res.orders
    mine = sorted(zip((o["date"] - START).dt.days, o["location"].astype(str), o["order_type"].astype(str),
                      o["qty"], [None if pd.isna(a) else (a - START).days for a in o["arrival"]]),
                  key=lambda r: (r[0], r[1], r[2], r[3], -1 if r[4] is None else r[4]))
    theirs = sorted(map(tuple, ref_orders), key=lambda r: (r[0], r[1], r[2], r[3], -1 if r[4] is None else r[4]))
    assert mine == theirs
    # the run exercised every mechanism
    assert (got["parent_qty"] > 0).sum() > 3 and (got["backorder_qty"] > 0).sum() > 3
    assert ((o["source"] == "parent") & (o["arrival"] > o["planned_arrival"])).sum() > 3   # waited at the parent
    assert (o["order_type"] == "emergency").sum() > 3
