"""The weekly planning pipeline and `partsopt plan`."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from partsopt.cli import main
from partsopt.config import default_config
from partsopt.io import load
from partsopt.ordering import order_rule
from partsopt.pipeline import plan

from tiny_dataset import TINY, write_dataset

AS_OF = "2024-02-12"


def _demand_after(text: str, extra: str) -> str:
    return text + extra


def test_plan_tables_have_the_design_columns(tiny_dir):
    r = plan(load(tiny_dir), AS_OF)
    for col in ("part", "location", "demand_class", "method", "mean_per_day", "var_per_day", "ltd_family",
                "ltd_mean", "ltd_var"):
        assert col in r.forecasts.columns
    for col in ("part", "location", "policy", "reorder_point", "order_up_to", "safety_stock", "lead_time_days",
                "review_days", "target_name", "target_level", "expected_hit_rate", "expected_fill_rate",
                "expected_on_hand", "inventory_value", "annual_holding_cost", "reason"):
        assert col in r.policies.columns
    assert (r.policies["order_up_to"] >= r.policies["reorder_point"]).all()
    assert r.policies["reason"].str.len().gt(10).all()
    # warehouses above every planned dealer row are planned too
    assert {"CW", "RW"} <= set(r.policies.loc[r.policies["part"] == "P1", "location"])


def test_no_look_ahead(tiny_dir, tmp_path):
    """Demand after as-of changes nothing in the plan."""
    base = plan(load(tiny_dir), AS_OF)
    later = TINY["demand"] + "2024-02-20,P1,D1,9,L90,2024-02-20\n2024-03-01,P4,D2,3,L91,2024-03-01\n"
    other = plan(load(write_dataset(tmp_path / "later", demand=later)), AS_OF)
    pd.testing.assert_frame_equal(base.policies, other.policies)
    pd.testing.assert_frame_equal(base.forecasts, other.forecasts)


def test_supersession_old_part_gets_no_stock_and_history_moves(tiny_dir):
    r = plan(load(tiny_dir), AS_OF)
    pol = r.policies.set_index(["part", "location"])
    assert "P2" not in set(r.forecasts["part"])  # P2 → P3: its demand counts for P3
    d2 = r.forecasts.set_index(["part", "location"]).loc[("P3", "D2")]
    assert d2["n_nonzero"] >= 1  # the P2 line at D2 is P3 history now
    assert "P2" not in set(pol.index.get_level_values(0)) or (pol.loc["P2", "order_up_to"] == 0).all()


def test_superseded_part_with_stock_gets_zero_and_stock_counts_for_successor(tmp_path):
    inv = TINY["inventory"] + "P2,D2,4,0,0\n"
    r = plan(load(write_dataset(tmp_path / "sup", inventory=inv)), AS_OF)
    pol = r.policies.set_index(["part", "location"])
    assert pol.loc[("P2", "D2"), "order_up_to"] == 0
    assert pol.loc[("P2", "D2"), "reason"].startswith("superseded by P3")
    # its stock counts for P3 at D2 (used up first): checked, with and without it, by
    # test_plan_weekly_cycle.py::test_superseded_stock_is_used_up_first_by_the_successor
    assert not (r.orders["part"] == "P2").any()


def test_not_stocked_override(tiny_dir):
    r = plan(load(tiny_dir), AS_OF)
    row = r.policies.set_index(["part", "location"]).loc[("P4", "D1")]
    assert row["reorder_point"] == 0 and row["order_up_to"] == 0 and "not stocked" in row["reason"]


def test_orders_follow_the_one_order_rule(tiny_dir):
    ds = load(tiny_dir)
    r = plan(ds, AS_OF)
    pol = r.policies.merge(ds.inventory, on=["part", "location"], how="left").fillna(
        {"on_hand": 0, "on_order": 0, "backorders": 0})
    pol = pol[pol["override"] != "superseded"]
    o = order_rule(pol["on_hand"], pol["on_order"], pol["backorders"], pol["reorder_point"], pol["order_up_to"],
                   pack_size=pol["pack_size"], moq=pol["moq"], review_day=True, order_quantity=pol["order_quantity"])
    expected = pol.assign(q=o.normal)[lambda f: f["q"] > 0][["part", "location", "q"]]
    got = r.orders[r.orders["order_type"] == "normal"][["part", "location", "suggested_qty"]]
    m = expected.merge(got, on=["part", "location"], how="outer")
    assert (m["q"] == m["suggested_qty"]).all()


def test_higher_target_never_lowers_stock(tiny_dir):
    ds = load(tiny_dir)
    lo = default_config()
    lo["service"]["level"] = 0.80
    lo["service"]["otd_target"] = 0.80
    hi = default_config()
    hi["service"]["level"] = 0.99
    hi["service"]["otd_target"] = 0.99
    a = plan(ds, AS_OF, lo).policies
    b = plan(ds, AS_OF, hi).policies
    assert (b["reorder_point"].to_numpy() >= a["reorder_point"].to_numpy()).all()
    assert b["inventory_value"].sum() > a["inventory_value"].sum()


def test_plan_cli_writes_everything(tiny_dir, tmp_path, capsys):
    out = tmp_path / "plan"
    assert main(["plan", str(tiny_dir), "--as-of", AS_OF, "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "Weekly plan as of 2024-02-12" in stdout and "order lines to place" in stdout
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["forecasts.csv", "forecasts.parquet", "policies.csv", "policies.parquet", "orders.csv",
                            "orders.parquet", "orders.xlsx", "issues.csv", "run.json"])
    run = json.loads((out / "run.json").read_text())
    assert run["as_of"] == AS_OF and run["config"]["service"]["level"] == 0.95
    pd.testing.assert_frame_equal(pd.read_parquet(out / "policies.parquet").reset_index(drop=True),
                                  plan(load(tiny_dir), AS_OF).policies.reset_index(drop=True))


@pytest.mark.parametrize("args,text", [
    (["--as-of", "2019-01-01"], "--as-of is outside the demand history"),
    (["--as-of", "2031-01-01"], "--as-of is outside the demand history"),
    (["--as-of", "yesterday"], "--as-of is not a date"),
])
def test_plan_bad_as_of(tiny_dir, tmp_path, capsys, args, text):
    out = tmp_path / "o"
    assert main(["plan", str(tiny_dir), "--out", str(out)] + args) == 2
    assert text in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())


def test_plan_bad_config_and_nothing_written(tiny_dir, tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[service]\nlevel = 1.2\n")
    out = tmp_path / "o"
    assert main(["plan", str(tiny_dir), "--as-of", AS_OF, "--out", str(out), "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "service.level" in err and "1.2" in err and "(0, 1)" in err
    assert not out.exists()
    cfg.write_text("[servce]\nlevel = 0.9\n")
    assert main(["plan", str(tiny_dir), "--as-of", AS_OF, "--out", str(out), "--config", str(cfg)]) == 2
    assert "Unknown configuration key 'servce'" in capsys.readouterr().err


def test_failed_plan_keeps_previous_outputs(tiny_dir, tmp_path, monkeypatch):
    out = tmp_path / "plan"
    assert main(["plan", str(tiny_dir), "--as-of", AS_OF, "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.name != "run.json"}
    import partsopt.excel

    def boom(*a, **k):
        raise RuntimeError("disk full")
    monkeypatch.setattr(partsopt.excel, "write_orders_xlsx", boom)
    assert main(["plan", str(tiny_dir), "--as-of", "2024-02-05", "--out", str(out)]) == 1
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.name != "run.json"}
    assert after == before
    assert not list(out.glob("*.partsopt-tmp"))


def test_inventory_for_unknown_part_is_exit_2(tmp_path, capsys):
    folder = write_dataset(tmp_path / "inv", inventory=TINY["inventory"] + "PX,D1,1,0,0\n")
    assert main(["plan", str(folder), "--as-of", AS_OF, "--out", str(tmp_path / "o")]) == 2
    assert "inventory.csv" in capsys.readouterr().err


def test_deterministic_outputs(tiny_dir, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["plan", str(tiny_dir), "--as-of", AS_OF, "--out", str(a)]) == 0
    assert main(["plan", str(tiny_dir), "--as-of", AS_OF, "--out", str(b)]) == 0
    for name in ("forecasts.csv", "policies.csv", "orders.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    ra, rb = json.loads((a / "run.json").read_text()), json.loads((b / "run.json").read_text())
    assert ra["run_id"] == rb["run_id"]


@pytest.mark.parametrize("selection,method", [("class", "auto"), ("backtest", "auto"), ("class", "tsb")])
def test_forecast_method_choices(tiny_dir, selection, method):
    cfg = default_config()
    cfg["forecast"]["selection"] = selection
    cfg["forecast"]["method"] = method
    fc = plan(load(tiny_dir), AS_OF, cfg).forecasts
    history = fc[fc["source"] == "history"]
    if method == "tsb":
        assert set(history["method"]) == {"tsb"}
    else:
        assert set(history["method"]) <= {"croston", "sba", "tsb", "ses"}
    assert (fc["mean_per_day"] >= 0).all() and (fc["var_per_day"] >= fc["mean_per_day"] - 1e-12).all()


def test_optimiser_threads_from_the_environment(monkeypatch):
    from partsopt.policy_step import THREADS_ENV, optimiser_threads

    monkeypatch.setenv(THREADS_ENV, "1")
    assert optimiser_threads() == 1
    monkeypatch.setenv(THREADS_ENV, "3")
    assert optimiser_threads() == 3
    monkeypatch.delenv(THREADS_ENV)
    assert 1 <= optimiser_threads() <= 2
    for bad in ("0", "two"):
        monkeypatch.setenv(THREADS_ENV, bad)
        with pytest.raises(ValueError, match=THREADS_ENV):
            optimiser_threads()
