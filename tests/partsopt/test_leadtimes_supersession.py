"""Lead times from master data and receipts; supersession chains."""
from __future__ import annotations

import numpy as np
import pandas as pd

from partsopt.io import load
from partsopt.leadtimes import lead_time_table
from partsopt.supersession import final_successor, map_to_successor

from tiny_dataset import TINY, write_dataset


def test_final_successor_follows_whole_chains():
    parts = pd.DataFrame({"part": ["A", "B", "C", "D", "E", "F"],
                          "superseded_by": ["B", "C", "", "", "F", ""]})
    final = final_successor(parts)
    assert final.to_dict() == {"A": "C", "B": "C", "C": "C", "D": "D", "E": "F", "F": "F"}


def test_long_chain_vectorised_equals_walk():
    n = 1000
    rng = np.random.default_rng(3)
    order = rng.permutation(n)
    names = np.array([f"P{i}" for i in range(n)])
    succ = np.array([""] * n, dtype=object)
    # one long chain through a random half, the rest single
    chain = order[: n // 2]
    succ[chain[:-1]] = names[chain[1:]]
    parts = pd.DataFrame({"part": names, "superseded_by": succ})
    final = final_successor(parts)
    lookup = dict(zip(names, succ))

    def walk(p):
        while lookup[p]:
            p = lookup[p]
        return p
    assert all(final[p] == walk(p) for p in names)


def test_map_demand_to_successor(tiny_dir):
    ds = load(tiny_dir)
    mapped = map_to_successor(ds.demand, ds.parts)
    assert set(mapped.loc[mapped["original_part"] == "P2", "part"]) == {"P3"}
    assert mapped["qty"].sum() == ds.demand["qty"].sum()


def test_lead_times_master_transit_receipts(tmp_path):
    receipts = TINY["receipts"] + "".join(
        f"P1,D1,2024-0{m}-01,1,2024-0{m}-0{d},,normal\n" for m, d in ((3, 4), (4, 6), (5, 8)))
    ds = load(write_dataset(tmp_path / "lt", receipts=receipts))
    keys = pd.DataFrame({"part": ["P1", "P1", "P3", "P4"], "location": ["CW", "D1", "D2", "D1"]})
    lt = lead_time_table(keys, ds.parts, ds.locations, ds.receipts, ds.items)
    assert lt["lt_source"].tolist() == ["master", "receipts", "transit", "transit"]
    assert lt.loc[0, "lt_mean_days"] == 21 and lt.loc[0, "lt_sd_days"] == 3
    # P1 at D1: 4 received normal orders: 4, 3, 5, 7 days
    np.testing.assert_allclose(lt.loc[1, "lt_mean_days"], np.mean([4, 3, 5, 7]))
    np.testing.assert_allclose(lt.loc[1, "lt_sd_days"], np.std([4, 3, 5, 7], ddof=1))
    assert lt.loc[1, "lt_master_days"] == 2  # D1 transit
    # no look-ahead: receipts after as_of are ignored
    lt2 = lead_time_table(keys, ds.parts, ds.locations, ds.receipts, ds.items, as_of="2024-04-01")
    assert lt2.loc[1, "lt_source"] == "transit"
    # master only
    lt3 = lead_time_table(keys, ds.parts, ds.locations, ds.receipts, ds.items, use_receipts=False)
    assert lt3.loc[1, "lt_mean_days"] == 2


def test_item_override(tmp_path):
    items = TINY["items"].replace("P1,D1,true,1,4", "P1,D1,true,1,4").replace(
        "part,location,stocked,min_qty,max_qty", "part,location,stocked,min_qty,max_qty,lead_time_days")
    items = items.replace("P4,D1,false,,", "P4,D1,false,,,").replace("P1,D1,true,1,4", "P1,D1,true,1,4,9")
    ds = load(write_dataset(tmp_path / "ov", items=items))
    keys = pd.DataFrame({"part": ["P1"], "location": ["D1"]})
    lt = lead_time_table(keys, ds.parts, ds.locations, None, ds.items)
    assert lt.loc[0, "lt_source"] == "override" and lt.loc[0, "lt_mean_days"] == 9
