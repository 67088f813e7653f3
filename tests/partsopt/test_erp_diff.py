"""partsopt.erp.diff: new / changed / removed rows, exact equality, review flags."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from partsopt.erp.diff import DIFF_COLUMNS, diff_layout_frames
from partsopt.erp.formats import LAYOUTS, normalise_layout_frame

SAP = LAYOUTS["sap"]


def sap_frame(rows) -> pd.DataFrame:
    cols = list(SAP.columns)
    return normalise_layout_frame(pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols), SAP)


def test_hand_example_counts_rows_and_flags():
    old = sap_frame([
        ("A", "P1", "VB", "HB", 10, 1, 20, 1),   # MINBE 10 -> 16: +60 % flagged
        ("B", "P1", "VB", "HB", 0, 0, 2, 1),     # MINBE 0 -> 1: |1-0|/max(0,1) = 100 % flagged
        ("C", "P1", "VB", "HB", 4, 0, 8, 1),     # MINBE 4 -> 5: 25 %, BSTRF 1 -> 2 (never flagged)
        ("D", "P1", "VB", "HB", 1, 0, 3, 1),     # unchanged
        ("E", "P1", "VB", "HB", 1, 0, 3, 1),     # removed
    ])
    new = sap_frame([
        ("A", "P1", "VB", "HB", 16, 1, 20, 1),
        ("B", "P1", "VB", "HB", 1, 0, 2, 1),
        ("C", "P1", "VB", "HB", 5, 0, 8, 2),
        ("D", "P1", "VB", "HB", 1, 0, 3, 1),
        ("F", "P2", "VB", "HB", 2, 0, 4, 1),     # new
    ])
    d = diff_layout_frames(old, new, SAP, review_threshold=0.5)
    assert (d.new, d.changed, d.removed, d.unchanged) == (1, 3, 1, 1)
    assert tuple(d.rows.columns) == DIFF_COLUMNS
    got = [(r.part, r.status, r.column) for r in d.rows.itertuples()]
    assert got == [("F", "new", ""), ("A", "changed", "MINBE"), ("B", "changed", "MINBE"),
                   ("C", "changed", "MINBE"), ("C", "changed", "BSTRF"), ("E", "removed", "")]
    flagged = d.flagged
    assert list(flagged["part"]) == ["A", "B"]
    np.testing.assert_allclose(flagged["relative_change"], [0.6, 1.0])
    assert list(d.inserts["MATNR"]) == ["F"] and list(d.updates["MATNR"]) == ["A", "B", "C"]
    assert list(d.removed_keys["MATNR"]) == ["E"]
    # a higher threshold flags less; exactly at the threshold is not beyond it
    assert list(diff_layout_frames(old, new, SAP, review_threshold=0.6).flagged["part"]) == ["B"]


def test_nan_equals_nan_and_text_compares_as_text():
    generic = LAYOUTS["generic"]
    row = {c: (1.0 if k == "number" else "x") for c, k in generic.columns.items()}
    old = normalise_layout_frame(pd.DataFrame([{**row, "part": "A", "expected_hit_rate": np.nan}]), generic)
    same = old.copy()
    d = diff_layout_frames(old, same, generic)
    assert d.is_empty and d.unchanged == 1
    new = old.copy()
    new.loc[0, "reason"] = "y"
    d = diff_layout_frames(old, new, generic)
    assert d.changed == 1 and list(d.rows["column"]) == ["reason"]
    assert math.isnan(d.rows["relative_change"].iloc[0]) and not d.rows["flagged"].iloc[0]


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "high", None])
def test_bad_threshold_is_a_value_error_naming_it(bad):
    with pytest.raises(ValueError, match="review_threshold"):
        diff_layout_frames(sap_frame([]), sap_frame([]), SAP, review_threshold=bad)


def reference_diff(old: pd.DataFrame, new: pd.DataFrame, threshold: float):
    """Plain per-row reference: dicts keyed by (part, location)."""
    keys = list(SAP.keys)
    values = list(SAP.value_columns)
    o = {tuple(r[k] for k in keys): r for r in old.to_dict("records")}
    n = {tuple(r[k] for k in keys): r for r in new.to_dict("records")}
    rows = []
    counts = {"new": 0, "changed": 0, "removed": 0, "unchanged": 0}
    for key in sorted(set(o) | set(n)):
        if key not in o:
            counts["new"] += 1
            rows.append((key, "new", "", False))
        elif key not in n:
            counts["removed"] += 1
            rows.append((key, "removed", "", False))
        else:
            changed = False
            for col in values:
                a, b = o[key][col], n[key][col]
                same = (a == b) or (isinstance(a, float) and math.isnan(a) and math.isnan(b))
                if not same:
                    changed = True
                    flag = False
                    if col in SAP.flag_columns:
                        flag = abs(b - a) / max(abs(a), 1.0) > threshold
                    rows.append((key, "changed", col, flag))
            counts["changed" if changed else "unchanged"] += 1
    order = {"new": 0, "changed": 1, "removed": 2}
    rows.sort(key=lambda r: (order[r[1]], r[0], values.index(r[2]) if r[2] else -1))
    return counts, rows


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorised_diff_matches_a_per_row_reference(seed):
    rng = np.random.default_rng(seed)

    def frame(n_keys, drop):
        keep = rng.random(n_keys) > drop
        minbe = rng.integers(0, 8, n_keys).astype(float)
        eisbe = np.where(rng.random(n_keys) < 0.1, np.nan, rng.integers(0, 3, n_keys).astype(float))
        return sap_frame([(f"P{i:03d}", f"L{i % 4}", "VB", rng.choice(["HB", "EX"], p=[0.9, 0.1]),
                           minbe[i], eisbe[i], minbe[i] + rng.integers(1, 4), rng.choice([1.0, 2.0]))
                          for i in range(n_keys) if keep[i]])

    old, new = frame(300, 0.2), frame(300, 0.2)
    d = diff_layout_frames(old, new, SAP, review_threshold=0.3)
    counts, rows = reference_diff(old, new, 0.3)
    assert (d.new, d.changed, d.removed, d.unchanged) == tuple(counts.values())
    got = [((r.part, r.location), r.status, r.column, bool(r.flagged)) for r in d.rows.itertuples()]
    assert got == rows
    # inserts / updates = full new rows of new / changed keys; removed = keys only in old
    assert set(zip(d.inserts["MATNR"], d.inserts["WERKS"])) == {r[0] for r in rows if r[1] == "new"}
    assert set(zip(d.updates["MATNR"], d.updates["WERKS"])) == {r[0] for r in rows
                                                                 if r[1] == "changed"}
    assert set(zip(d.removed_keys["MATNR"], d.removed_keys["WERKS"])) == {r[0] for r in rows
                                                                           if r[1] == "removed"}
    merged = pd.concat([d.inserts, d.updates]).merge(new, on=list(SAP.keys), suffixes=("", "_n"))
    assert len(merged) == d.new + d.changed
    for col in SAP.value_columns:
        a, b = merged[col].to_numpy(), merged[col + "_n"].to_numpy()
        assert all((x == y) or (x != x and y != y) for x, y in zip(a, b))


def test_last_bit_differences_are_not_changes_but_real_ones_are():
    old = sap_frame([("A", "P1", "VB", "HB", 4, 0.1 + 0.2, 8, 1)])
    new = sap_frame([("A", "P1", "VB", "HB", 4, 0.3, 8, 1)])  # 0.1 + 0.2 != 0.3 in binary
    assert diff_layout_frames(old, new, SAP).is_empty
    new = sap_frame([("A", "P1", "VB", "HB", 4, 0.3 * (1 + 1e-9), 8, 1)])
    assert diff_layout_frames(old, new, SAP).changed == 1
