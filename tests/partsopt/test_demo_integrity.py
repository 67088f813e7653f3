"""The written demo dataset passes strict structural checks (DESIGN.md §4).

The checks read the CSV files back as strings, as a strict loader would.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from partsopt.demo import write_demo

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="module", params=[0, 1])
def ds(request, tmp_path_factory):
    out = write_demo(tmp_path_factory.mktemp(f"ds{request.param}"), "small", seed=request.param)
    names = ["parts", "locations", "demand", "inventory", "receipts", "items", "install_base", "bom"]
    return {n: pd.read_csv(out / f"{n}.csv", dtype=str, keep_default_na=False) for n in names}


def _int(s: pd.Series) -> np.ndarray:
    assert s.str.fullmatch(r"-?\d+").all(), f"{s.name}: not all integers"
    return s.astype(np.int64).to_numpy()


def _num(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="raise").to_numpy(dtype=float)


@pytest.mark.parametrize("table,key", [("parts", ["part"]), ("locations", ["location"]),
                                       ("demand", ["line_id"]), ("inventory", ["part", "location"]),
                                       ("items", ["part", "location"]), ("install_base", ["location", "model"]),
                                       ("bom", ["model", "part"])])
def test_keys_are_unique_and_non_empty(ds, table, key):
    df = ds[table]
    assert len(df) > 0
    assert not df.duplicated(key).any(), f"{table}: duplicate {key}"
    for k in key:
        assert (df[k] != "").all()


def test_location_tree(ds):
    loc = ds["locations"]
    kind = dict(zip(loc.location, loc.kind))
    parent = dict(zip(loc.location, loc.parent))
    central = [l for l, k in kind.items() if k == "central"]
    assert central == ["CW"] and parent["CW"] == ""
    regionals = [l for l, k in kind.items() if k == "regional"]
    assert 2 <= len(regionals) <= 3 and all(parent[r] == "CW" for r in regionals)
    dealers = [l for l, k in kind.items() if k == "dealer"]
    assert all(re.fullmatch(r"D\d{3}", d) for d in dealers)
    assert all(kind[parent[d]] == "regional" for d in dealers)
    assert set(regionals) == {parent[d] for d in dealers}, "a regional without dealers"
    assert set(loc["size"][loc.kind == "dealer"]) <= {"small", "medium", "large"}
    for col in ("transit_days", "review_days", "emergency_days"):
        assert (_int(loc[col]) >= 0).all()
    assert (_int(loc.transit_days[loc.kind != "central"]) > 0).all()


def test_part_master_values_and_supersession(ds):
    parts = ds["parts"]
    assert parts.part.str.fullmatch(r"P\d{6}").all()
    assert (_num(parts.unit_cost) > 0).all() and (_num(parts.unit_price) >= 0).all()
    assert (_int(parts.lead_time_days) > 0).all() and (_num(parts.lead_time_sd_days) >= 0).all()
    assert (_int(parts.pack_size) >= 1).all() and (_int(parts.moq) >= 1).all()
    assert set(parts.criticality) <= {"A", "B", "C"}
    succ = dict(zip(parts.part, parts.superseded_by))
    linked = {p: s for p, s in succ.items() if s}
    assert linked, "no supersession in the part master"
    assert set(linked.values()) <= set(parts.part)
    for start in linked:  # follow every chain: it must end (no cycle)
        seen, p = set(), start
        while p:
            assert p not in seen, f"supersession cycle through {p}"
            seen.add(p)
            p = succ[p]


def test_references_exist(ds):
    parts, locs = set(ds["parts"].part), set(ds["locations"].location)
    dealers = set(ds["locations"].location[ds["locations"].kind == "dealer"])
    for t in ("demand", "inventory", "receipts", "items"):
        assert set(ds[t].part) <= parts, t
        assert set(ds[t].location) <= locs, t
    assert set(ds["demand"].location) <= dealers
    assert set(ds["install_base"].location) <= dealers
    assert set(ds["bom"].part) <= parts
    assert set(ds["bom"].model) <= set(ds["install_base"].model)


def test_quantities_and_dates(ds):
    d, r, inv = ds["demand"], ds["receipts"], ds["inventory"]
    assert (_int(d.qty) > 0).all() and (_int(r.qty) > 0).all()
    assert (_int(inv.on_hand) >= 0).all() and (_int(inv.on_order) >= 0).all()
    assert (_int(inv.backorders) >= 0).all() and (_int(inv.backorders) <= _int(inv.on_order)).all()
    assert (_int(ds["install_base"].units) > 0).all()
    assert (_int(ds["bom"].qty_per_unit) > 0).all() and (_num(ds["bom"].failure_rate) > 0).all()
    for df, cols in ((d, ["date", "promised_date"]), (r, ["order_date", "received_date", "promised_date"])):
        for c in cols:
            assert df[c].map(lambda s: bool(ISO.match(s))).all(), c
    assert (d.promised_date >= d.date).all()
    assert (r.received_date > r.order_date).all() and (r.promised_date > r.order_date).all()
    assert set(r.order_type) == {"normal", "emergency"}
    span = pd.to_datetime(d.date).agg(["min", "max"])
    assert (span["max"] - span["min"]).days >= 2 * 365, "less than 2 years of repair history"
    assert pd.to_datetime(r.received_date).max() < pd.Timestamp("2026-11-16")
    items = ds["items"]
    assert set(items.stocked) <= {"true", "false"}
    capped = items[items.max_qty != ""]
    assert (_int(capped.min_qty) <= _int(capped.max_qty)).all()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_project_loader_accepts_the_demo_without_issues(tmp_path, fmt):
    from partsopt.io import load

    out = write_demo(tmp_path / fmt, "small", seed=4, fmt=fmt)
    data = load(out, strict=True)
    assert data.issues.empty, data.issues.head(10).to_string()
    assert len(data.demand) > 10_000 and set(data.locations.kind) == {"central", "regional", "dealer"}
