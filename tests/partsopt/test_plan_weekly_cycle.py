"""The weekly cycle's promises that tests/partsopt/test_pipeline.py does not pin down yet.

* a new part with no history is forecast from installed base x BOM, and the rate is blended with
  the history by credibility as it grows (checked against a plan without installed base);
* a superseded part's stock is used up first: it counts in its successor's inventory position;
* ``partsopt plan`` prints the order summary (lines, value, by location, normal vs emergency),
  shows its progress on stderr (never on stdout), and writes nothing on bad input;
* ``orders.xlsx``: every location sheet has a frozen header and a totals row.
"""
from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from partsopt.cli import main
from partsopt.io import load
from partsopt.ordering import order_rule
from partsopt.pipeline import plan
from partsopt.progress import StderrProgress

from tiny_dataset import TINY, write_dataset

AS_OF = "2024-02-12"


def test_new_part_forecast_from_install_base_and_blend_with_history(tmp_path):
    with_ib = plan(load(write_dataset(tmp_path / "ib")), AS_OF).forecasts.set_index(["part", "location"])
    without = plan(load(write_dataset(tmp_path / "no_ib", install_base=None, bom=None)),
                   AS_OF).forecasts.set_index(["part", "location"])
    # P4 at D2: no history; 30 units of model M-200 x 1 per unit x 0.01 failures per unit-year
    p4 = with_ib.loc[("P4", "D2")]
    assert p4["method"] == "install_base" and p4["source"] == "install_base"
    assert p4["mean_per_day"] == pytest.approx(30 * 1 * 0.01 / 365, rel=1e-12)
    assert p4["var_per_day"] == pytest.approx(p4["mean_per_day"], rel=1e-12)  # Poisson
    assert ("P4", "D2") not in without.index  # without installed base nothing plans it there
    # P1 at D1 and D2: some history, blended with weight n/26 on it (full credibility after 26 weeks)
    for loc, units in (("D1", 120), ("D2", 80)):
        row = with_ib.loc[("P1", loc)]
        rate = units * 4 * 0.05 / 365
        w = row["history_periods"] / 26.0
        assert 0 < w < 1 and row["source"] == "blend"
        hist = without.loc[("P1", loc), "mean_per_day"]
        assert row["mean_per_day"] == pytest.approx(w * hist + (1 - w) * rate, rel=1e-12)
        assert row["var_per_day"] >= row["mean_per_day"] - 1e-15


def test_superseded_stock_is_used_up_first_by_the_successor(tmp_path):
    """P2 -> P3: 4 units of the old P2 at D2 are the successor's stock; without them P3 orders at D2."""
    alone = plan(load(write_dataset(tmp_path / "alone")), AS_OF)
    old = plan(load(write_dataset(tmp_path / "old", inventory=TINY["inventory"] + "P2,D2,4,0,0\n")), AS_OF)
    pa, po = (r.policies.set_index(["part", "location"]) for r in (alone, old))
    s, S = po.loc[("P3", "D2"), ["reorder_point", "order_up_to"]]
    assert (pa.loc[("P3", "D2"), ["reorder_point", "order_up_to"]].tolist() == [s, S])  # same policy
    assert po.loc[("P2", "D2"), "order_up_to"] == 0  # the old part gets no new stock
    oa = alone.orders.set_index(["part", "location", "order_type"])
    oo = old.orders.set_index(["part", "location", "order_type"])
    # without the old stock the successor's position is 0 and it orders (the test needs that)
    assert oa.loc[("P3", "D2", "normal"), "inventory_position"] == 0
    assert oa.loc[("P3", "D2", "normal"), "suggested_qty"] > 0
    # with it, the position is 4 and the order is exactly what the order rule gives for IP = 4
    want = order_rule(4, 0, 0, s, S, pack_size=5, moq=10, review_day=True,
                      order_quantity=po.loc[("P3", "D2"), "order_quantity"]).normal[()]
    got = oo.loc[("P3", "D2", "normal"), "suggested_qty"] if ("P3", "D2", "normal") in oo.index else 0.0
    assert got == want
    if got:
        assert oo.loc[("P3", "D2", "normal"), "on_hand"] == 4
    assert not (old.orders["part"] == "P2").any()  # nothing is ordered for the old part


def test_plan_prints_the_order_summary_and_progress_on_stderr(tiny_dir, tmp_path, capsys):
    inv = TINY["inventory"] + "P3,D2,0,0,3\n"  # a backorder: one emergency line
    folder = write_dataset(tmp_path / "bo", inventory=inv)
    out = tmp_path / "plan"
    assert main(["plan", str(folder), "--as-of", AS_OF, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    orders = pd.read_csv(out / "orders.csv")
    n_em = int((orders["order_type"] == "emergency").sum())
    assert n_em >= 1
    assert (f"{len(orders):,} order lines to place ({len(orders) - n_em:,} normal, {n_em:,} emergency), "
            f"value {orders['value'].sum():,.0f}") in captured.out
    table = [line.split() for line in captured.out.splitlines()]
    by_loc = orders.groupby(["location", "order_type"]).agg(lines=("part", "size"), value=("value", "sum"))
    for (loc, kind), row in by_loc.iterrows():
        assert [loc, kind, str(int(row["lines"]))] in [t[:3] for t in table], (loc, kind)
    assert "orders.xlsx" in captured.out
    # progress goes to stderr, one line per stage when it is not a terminal; none of it on stdout
    progress_line = re.compile(r"^[a-z]+: [a-z.,\- ]+: \d+/\d+ \(\d+\.\ds\)$", re.M)
    stages = {line.split(": ")[1] for line in progress_line.findall(captured.err)}
    assert {"forecasts", "policies", "orders", "orders.xlsx"} <= stages
    assert not progress_line.search(captured.out)


def test_progress_bar_on_a_terminal_and_lines_in_a_log():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty = Tty()
    bar = StderrProgress(tty, width=10)
    bar(0, 4, "plan: policies")
    bar(2, 4, "plan: policies")
    bar(4, 4, "plan: done")
    text = tty.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and text.count("\n") == 1
    assert "[#####.....] 2/4" in text and "[##########] 4/4" in text
    log = io.StringIO()
    lines = StderrProgress(log)
    for step in range(3):
        lines(step, 2, "plan: policies")  # one line when a stage starts and one when it ends
    assert [line.split(" (")[0] for line in log.getvalue().splitlines()] == ["plan: policies: 0/2",
                                                                           "plan: policies: 2/2"]


def test_inventory_of_unknown_parts_is_exit_2_and_nothing_written(tmp_path, capsys):
    folder = write_dataset(tmp_path / "inv", inventory=TINY["inventory"] + "PX,D1,1,0,0\n")
    out = tmp_path / "o"
    assert main(["plan", str(folder), "--as-of", AS_OF, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "inventory refers to parts that are not in the parts table" in err and "'PX'" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_every_location_sheet_has_a_frozen_header_and_totals(tiny_dir, tmp_path):
    out = tmp_path / "plan"
    assert main(["plan", str(tiny_dir), "--as-of", AS_OF, "--out", str(out)]) == 0
    orders = pd.read_parquet(out / "orders.parquet")
    wb = load_workbook(out / "orders.xlsx")
    assert wb.sheetnames == ["Summary"] + sorted(orders["location"].unique())
    for loc, rows in orders.groupby("location"):
        ws = wb[loc]
        assert ws.freeze_panes == "A2", loc
        header = [c.value for c in ws[1]]
        assert ws.max_row == len(rows) + 2  # header, lines, totals
        qty = header.index("suggested_qty") + 1
        col = ws.cell(row=1, column=qty).column_letter
        total = ws.cell(row=len(rows) + 2, column=qty).value
        assert total == f"=SUM({col}2:{col}{len(rows) + 1})"
        got = [ws.cell(row=r, column=qty).value for r in range(2, len(rows) + 2)]
        np.testing.assert_allclose(sorted(got), sorted(rows["suggested_qty"]))


def _flows_by_walking_up(fc: pd.DataFrame, locations: pd.DataFrame) -> pd.DataFrame:
    """Reference for add_flows: every row's own demand added at each ancestor, one row at a time."""
    parent = dict(zip(locations["location"], locations["parent"]))
    mean = {k: 0.0 for k in zip(fc["part"], fc["location"])}
    var = dict(mean)
    for part, loc, m, v in zip(fc["part"], fc["location"], fc["mean_per_day"], fc["var_per_day"]):
        while loc:
            mean[(part, loc)] += m
            var[(part, loc)] += v
            loc = parent[loc]
    keys = list(zip(fc["part"], fc["location"]))
    return pd.DataFrame({"flow_mean_per_day": [mean[k] for k in keys], "flow_var_per_day": [var[k] for k in keys]})


def test_a_location_that_does_not_stock_a_part_is_served_from_its_parent(tmp_path):
    """items.stocked = false at D1 for P4, which sells there: s = S = 0 at D1, and the regional and
    central warehouses above it carry D1's demand in their replenishment flow (and stock for it)."""
    demand = TINY["demand"] + "".join(f"2024-0{m}-0{d},P4,D1,1,LX{m}{d},2024-0{m}-0{d}\n"
                                      for m, d in ((1, 2), (1, 8), (1, 9), (2, 1), (2, 2)))
    ds = load(write_dataset(tmp_path / "ns", demand=demand))
    r = plan(ds, AS_OF)
    pol = r.policies.set_index(["part", "location"])
    assert pol.loc[("P4", "D1"), ["reorder_point", "order_up_to"]].tolist() == [0.0, 0.0]
    assert pol.loc[("P4", "D1"), "override"] == "not_stocked"
    fc = r.forecasts.reset_index(drop=True)
    assert fc.set_index(["part", "location"]).loc[("P4", "D1"), "mean_per_day"] > 0  # it sells there
    ref = _flows_by_walking_up(fc, ds.locations)
    np.testing.assert_allclose(fc["flow_mean_per_day"], ref["flow_mean_per_day"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(fc["flow_var_per_day"], ref["flow_var_per_day"], rtol=1e-12, atol=0)
    flows = fc.set_index(["part", "location"])
    d1 = flows.loc[("P4", "D1"), "mean_per_day"]
    assert flows.loc[("P4", "RW"), "flow_mean_per_day"] >= d1 and flows.loc[("P4", "CW"), "flow_mean_per_day"] >= d1
    assert pol.loc[("P4", "RW"), "order_up_to"] > 0  # the parent stocks the part for D1


@pytest.mark.parametrize("where", ["file", "under_file"])
def test_out_that_cannot_be_a_folder_is_exit_2_before_any_work(tiny_dir, tmp_path, capsys, where):
    blocker = tmp_path / "orders_2024.csv"
    blocker.write_text("someone's file\n")
    out = blocker if where == "file" else blocker / "plan"
    assert main(["plan", str(tiny_dir), "--as-of", AS_OF, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "partsopt: error: The output folder" in err and "--out" in err and str(out) in err
    assert "internal error" not in err and "plan: policies" not in err  # refused before planning
    assert blocker.read_text() == "someone's file\n"


def test_output_set_refuses_a_file_with_a_config_error(tmp_path):
    from partsopt.errors import ConfigError
    from partsopt.io import OutputSet

    f = tmp_path / "x"
    f.write_text("keep")
    with pytest.raises(ConfigError, match="The output folder is a file") as err:
        with OutputSet(f, option="--out"):
            pass
    assert err.value.where == "--out" and f.read_text() == "keep"


@pytest.mark.parametrize("command", ["simulate", "whatif", "diagnose", "import-lines"])
def test_every_writing_command_refuses_a_file_as_out_before_any_work(tiny_dir, tmp_path, capsys, command):
    """simulate, whatif, diagnose and import-lines check --out up front, as plan does: exit 2,
    the file untouched, and nothing read (a missing data folder is not even reached)."""
    blocker = tmp_path / "report.txt"
    blocker.write_text("someone's file\n")
    missing = tmp_path / "no-such-data"
    argv = {"simulate": ["simulate", str(missing), "--start", "2024-01-01", "--end", "2024-01-31"],
            "whatif": ["whatif", str(missing), "--scenario", str(tmp_path / "no-such.toml")],
            "diagnose": ["diagnose", str(missing), "--start", "2024-01-01", "--end", "2024-01-31"],
            "import-lines": ["import-lines", str(tmp_path / "no-such.csv")]}[command]
    assert main(argv + ["--out", str(blocker)]) == 2
    err = capsys.readouterr().err
    assert "The output folder is a file" in err and "--out" in err
    assert "no-such" not in err                 # refused before reading any input
    assert blocker.read_text() == "someone's file\n"
