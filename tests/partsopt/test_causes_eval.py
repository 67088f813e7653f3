"""Scoring an attribution against planted defects: hand-made cases computed by hand, and the small demo."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from partsopt.causes_eval import defect_footprints, family_of, score_attribution


def _planted():
    return pd.DataFrame({
        "defect": ["master_lead_time_short", "supersession_not_linked", "dealer_late_deliveries",
                   "not_stocked_but_sells", "max_override_below_need"],
        "cause": ["data.lead_time_master", "data.supersession_not_linked", "execution.late_delivery",
                  "configuration.not_stocked", "configuration.override_below_need"],
        "part": ["A", "OLD", "", "C", "D"],
        "location": ["CW", "", "L1", "L2", "L3"],
        "detail": ["", "", "", "", ""],
    })


PARTS_TRUE = pd.DataFrame({"part": ["A", "OLD", "NEW", "C", "D"], "superseded_by": ["", "NEW", "", "", ""]})


def _misses(rows):
    return pd.DataFrame(rows, columns=["part", "location", "cause"])


def test_family_of_takes_the_text_before_the_first_dot():
    assert list(family_of(["data.master_data", "configuration.within_target", "execution.late_supply", ""])) == [
        "data", "configuration", "execution", ""]


def test_footprints_expand_an_unlinked_supersession_to_its_successor():
    fp = defect_footprints(_planted(), PARTS_TRUE)
    ss = fp[fp["defect"] == "supersession_not_linked"]
    assert sorted(ss["part"]) == ["NEW", "OLD"] and set(ss["defect_id"]) == {1}
    assert dict(zip(fp["defect"], fp["match"]))["dealer_late_deliveries"] == "location"
    with pytest.raises(ValueError, match="parts_true"):
        defect_footprints(_planted())
    with pytest.raises(ValueError, match="planted.defect"):
        defect_footprints(_planted().assign(defect="bogus"), PARTS_TRUE)


def test_precision_and_recall_by_hand():
    m = _misses([
        ("A", "L1", "data.master_data"),          # in A's footprint (data) and L1's (execution) -> data explained
        ("A", "L9", "data.master_data"),          # data, explained
        ("A", "L9", "configuration.service_level"),
        ("NEW", "L4", "data.master_data"),        # the successor of OLD: explained by data
        ("X", "L1", "execution.late_supply"),     # late dealer L1: explained
        ("X", "L1", "configuration.within_target"),
        ("Y", "L1", "configuration.service_level"),
        ("C", "L2", "configuration.not_stocked"),  # explained
        ("C", "L5", "configuration.service_level"),  # C elsewhere: not explained
        ("Z", "L9", "execution.late_supply"),     # no defect there
        ("Z", "L9", "configuration.within_target"),
    ])
    fam, dfc = score_attribution(m, _planted(), PARTS_TRUE)
    # precision: data 3/3; execution 1/2; configuration 1/6 (C@L2 only), without within_target 1/4
    assert fam.loc["data", "attributed"] == 3 and fam.loc["data", "precision"] == 1.0
    assert fam.loc["execution", "precision"] == 0.5
    assert fam.loc["configuration", "precision"] == pytest.approx(1 / 6)
    assert fam.loc["configuration", "precision_excl_within_target"] == pytest.approx(1 / 4)
    # defects: A has 3 misses, 2 data -> found; OLD/NEW 1 miss data -> found; L1 has 4 misses, 1 execution
    # -> not found; C@L2 1/1 found; D@L3 no misses -> inactive
    got = dfc.set_index("defect")
    assert got.loc["master_lead_time_short", "misses"] == 3 and got.loc["master_lead_time_short", "found"]
    assert got.loc["supersession_not_linked", "found"]
    assert got.loc["dealer_late_deliveries", "misses"] == 4 and not got.loc["dealer_late_deliveries", "found"]
    assert got.loc["dealer_late_deliveries", "share"] == 0.25
    assert got.loc["max_override_below_need", "misses"] == 0
    assert fam.loc["data", "recall"] == 1.0 and fam.loc["execution", "recall"] == 0.0
    assert fam.loc["configuration", "active"] == 1 and fam.loc["configuration", "recall"] == 1.0
    # lift: execution share outside L1's footprint = 1 (Z@L9) of 7 misses; L1's share 1/4 -> lift 1.75
    assert got.loc["dealer_late_deliveries", "lift"] == pytest.approx(0.25 / (1 / 7))
    assert not got.loc["dealer_late_deliveries", "found_by_lift"]
    fam_l, dfc_l = score_attribution(m, _planted(), PARTS_TRUE, lift=1.5)
    assert dfc_l.set_index("defect").loc["dealer_late_deliveries", "found_by_lift"]
    assert fam_l.loc["execution", "recall_by_lift"] == 1.0 and fam_l.loc["execution", "recall"] == 0.0
    # a stricter "found" threshold: A's 2/3 is no longer enough
    fam2, _ = score_attribution(m, _planted(), PARTS_TRUE, found_share=0.7)
    assert fam2.loc["data", "recall"] == 0.5


def test_a_data_defect_that_does_not_change_the_plan_is_not_active():
    m = _misses([("A", "L9", "configuration.service_level"), ("NEW", "L4", "data.master_data")])
    pol = pd.DataFrame({"part": ["A", "A", "NEW"], "location": ["CW", "L9", "L4"], "reorder_point": [1, 1, 0],
                        "order_up_to": [3, 2, 0]})
    same = pol.copy()
    same.loc[2, ["reorder_point", "order_up_to"]] = [1, 2]  # only NEW@L4 (the supersession's footprint) changes
    fam, dfc = score_attribution(m, _planted(), PARTS_TRUE, policies=pol, true_policies=same)
    got = dfc.set_index("defect")
    assert not got.loc["master_lead_time_short", "effective"] and got.loc["supersession_not_linked", "effective"]
    assert got.loc["not_stocked_but_sells", "effective"]  # only data defects are checked
    assert fam.loc["data", "active"] == 1 and fam.loc["data", "recall"] == 1.0
    fam2, _ = score_attribution(m, _planted(), PARTS_TRUE)  # without the plans every defect counts
    assert fam2.loc["data", "active"] == 2 and fam2.loc["data", "recall"] == 0.5
    with pytest.raises(ValueError, match="true_policies"):
        score_attribution(m, _planted(), PARTS_TRUE, policies=pol, true_policies=pol[["part"]])


def test_score_matches_a_plain_per_miss_reference():
    rng = np.random.default_rng(3)
    n = 400
    causes = np.array(["data.master_data", "configuration.service_level", "configuration.within_target",
                       "configuration.not_stocked", "execution.late_supply"], dtype=object)
    m = _misses({"part": rng.choice(["A", "OLD", "NEW", "C", "D", "X"], n),
                 "location": rng.choice(["CW", "L1", "L2", "L3", "L4"], n),
                 "cause": rng.choice(causes, n)})
    fam, dfc = score_attribution(m, _planted(), PARTS_TRUE)
    fp = defect_footprints(_planted(), PARTS_TRUE)

    def inside(row, d):
        if d.match == "part":
            return row.part == d.part
        if d.match == "location":
            return row.location == d.location
        return row.part == d.part and row.location == d.location

    for f in ("data", "configuration", "execution"):
        att = [r for r in m.itertuples() if r.cause.split(".")[0] == f]
        ok = [r for r in att if any(inside(r, d) for d in fp[fp.family == f].itertuples())]
        assert fam.loc[f, "precision"] == pytest.approx(len(ok) / len(att))
    for d in dfc.itertuples():
        rows = [r for r in m.itertuples() if any(inside(r, x) for x in fp[fp.defect_id == d.defect_id].itertuples())]
        assert d.misses == len(rows)
        assert d.own_family == sum(r.cause.split(".")[0] == d.family for r in rows)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="misses"):
        score_attribution(pd.DataFrame({"part": []}), _planted(), PARTS_TRUE)
    with pytest.raises(ValueError, match="found_share"):
        score_attribution(_misses([]), _planted(), PARTS_TRUE, found_share=0)
