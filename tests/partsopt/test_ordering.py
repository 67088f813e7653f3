"""The one order rule, checked against a plain scalar implementation and by properties."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from partsopt.ordering import is_review_day, order_rule, order_suggestions


def _scalar_rule(oh, oo, bo, s, S, pack, moq, review):
    """Plain per-row statement of the rule (docs of partsopt.ordering)."""
    pack = max(pack, 1)
    e = 0
    if bo > oo:
        e = math.ceil((bo - oo) / pack) * pack
    ip = oh + oo - bo + e
    q = 0
    if review and ip <= s and S - ip > 0:
        q = max(math.ceil((S - ip) / pack) * pack, math.ceil(max(moq, 1) / pack) * pack)
    return q, e


rows = st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 10), st.integers(-1, 20),
                 st.integers(0, 40), st.integers(1, 12), st.integers(1, 25), st.booleans())


@settings(max_examples=300, deadline=None)
@given(st.lists(rows, min_size=1, max_size=40))
def test_vectorised_rule_equals_scalar_rule(batch):
    a = np.array(batch, dtype=float)
    oh, oo, bo, s, S, pack, moq, review = a.T
    S = np.maximum(S, s)  # a policy has S >= s
    got = order_rule(oh, oo, bo, s, S, pack_size=pack, moq=moq, review_day=review.astype(bool))
    for i in range(len(a)):
        q, e = _scalar_rule(oh[i], oo[i], bo[i], s[i], S[i], int(pack[i]), int(moq[i]), bool(review[i]))
        assert got.normal[i] == q and got.emergency[i] == e


@settings(max_examples=200, deadline=None)
@given(rows)
def test_after_a_normal_order_position_reaches_S(row):
    oh, oo, bo, s, S, pack, moq, _ = row
    S = max(S, s)
    o = order_rule(oh, oo, bo, s, S, pack_size=pack, moq=moq, review_day=True)
    q = float(o.normal)
    if q > 0:
        ip = oh + oo - bo + float(o.emergency) + q
        assert ip >= S
        assert q % pack == 0 and q >= moq
        # the smallest pack multiple that reaches S (unless the MOQ binds)
        assert ip - pack < S or q == math.ceil(moq / pack) * pack


def _scalar_nq(oh, oo, bo, s, Q, review, pack):
    e = math.ceil(max(bo - oo, 0) / pack) * pack
    ip = oh + oo - bo + e
    q = 0
    if review and ip <= s:
        q = Q * math.ceil((s + 1 - ip) / Q)
    return q, e


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 10), st.integers(-1, 20),
                          st.integers(1, 6), st.integers(1, 5), st.booleans()), min_size=1, max_size=30))
def test_snq_rows_follow_the_nq_rule(batch):
    a = np.array(batch, dtype=float)
    oh, oo, bo, s, packs, mult, review = a.T
    Q = packs * mult  # a multiple of the pack
    o = order_rule(oh, oo, bo, s, s + Q, pack_size=packs, moq=1, review_day=review.astype(bool), order_quantity=Q)
    for i in range(len(a)):
        q, e = _scalar_nq(oh[i], oo[i], bo[i], s[i], Q[i], bool(review[i]), packs[i])
        assert o.normal[i] == q and o.emergency[i] == e
        if q:
            after = oh[i] + oo[i] - bo[i] + e + q
            assert s[i] < after <= s[i] + Q[i]


def test_mixed_ss_and_snq_rows():
    o = order_rule([0, 0], [0, 0], [0, 0], [2, 2], [12, 12], pack_size=[5, 5], moq=[10, 10],
                   review_day=True, order_quantity=[0, 10])
    assert o.normal.tolist() == [15.0, 10.0]  # (s,S) rounds S - IP = 12 up to 15; (s,nQ) orders one Q


def test_not_stocked_only_covers_backorders():
    o = order_rule([0, 0], [0, 1], [0, 3], 0, 0, review_day=True)
    assert o.normal.tolist() == [0, 0] and o.emergency.tolist() == [0, 2]


def test_review_days_fall_on_mondays():
    assert is_review_day("2026-11-16", [7, 1, 14]).tolist() == [True, True, False]  # Monday
    assert is_review_day("2026-11-17", [7, 1, 14]).tolist() == [False, True, False]
    assert is_review_day("2026-11-23", [7, 14]).tolist() == [True, True]


def test_order_suggestions_table():
    policies = pd.DataFrame({"part": ["A", "B", "C"], "location": ["D1", "D1", "D1"],
                             "reorder_point": [2.0, 5.0, 0.0], "order_up_to": [6.0, 9.0, 0.0]})
    inventory = pd.DataFrame({"part": ["A", "B", "C"], "location": ["D1"] * 3, "on_hand": [1.0, 10.0, 0.0],
                              "on_order": [0.0, 0.0, 0.0], "backorders": [0.0, 0.0, 2.0]})
    parts = pd.DataFrame({"part": ["A", "B", "C"], "pack_size": [4, 1, 1], "moq": [1, 1, 1],
                          "unit_cost": [10.0, 1.0, 3.0]})
    locations = pd.DataFrame({"location": ["D1"], "review_days": [7.0]})
    out = order_suggestions(policies, inventory, parts, locations, "2026-11-16")
    assert out[["part", "order_type", "suggested_qty"]].values.tolist() == [["C", "emergency", 2.0],
                                                                           ["A", "normal", 8.0]]
    a = out[out["part"] == "A"].iloc[0]
    assert a["value"] == 80.0 and a["inventory_position"] == 1.0
    assert a["reason"] == "inventory position 1 ≤ reorder point 2: order up to 6 → 8 (pack 4, MOQ 1)"
    # not a review day: only the emergency line
    out2 = order_suggestions(policies, inventory, parts, locations, "2026-11-18")
    assert out2["order_type"].tolist() == ["emergency"]
