"""orders.xlsx: one sheet per location, a summary, formats, frozen header, totals."""
from __future__ import annotations

import pandas as pd
from openpyxl import load_workbook

from partsopt.excel import write_orders_xlsx


def _orders():
    return pd.DataFrame({
        "as_of": pd.Timestamp("2026-11-16"), "part": ["A", "B", "C"], "location": ["D1", "D1", "D2/x"],
        "on_hand": [0.0, 1.0, 0.0], "on_order": [0.0, 0.0, 0.0], "backorders": [0.0, 0.0, 2.0],
        "inventory_position": [0.0, 1.0, -2.0], "reorder_point": [1.0, 2.0, 0.0], "order_up_to": [3.0, 4.0, 0.0],
        "suggested_qty": [3.0, 3.0, 2.0], "order_type": ["normal", "normal", "emergency"],
        "unit_cost": [10.0, 2.5, 7.0], "value": [30.0, 7.5, 14.0], "reason": ["r1", "r2", "r3"]})


def test_workbook_layout(tmp_path):
    path = write_orders_xlsx(_orders(), tmp_path / "orders.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Summary", "D1", "D2_x"]
    s = wb["Summary"]
    assert [c.value for c in s[1]] == ["location", "order_type", "lines", "units", "value"]
    assert s.freeze_panes == "A2"
    assert s["A4"].value == "Total" and s["C4"].value == "=SUM(C2:C3)"
    assert s["C2"].value == 2 and s["E2"].value == 37.5  # D1 normal: 2 lines worth 30 + 7.5
    d1 = wb["D1"]
    header = [c.value for c in d1[1]]
    assert "location" not in header and header[0] == "as_of"
    assert d1.max_row == 4  # header, 2 lines, total
    qty_col = header.index("suggested_qty") + 1
    assert d1.cell(row=2, column=qty_col).number_format == "#,##0"
    assert d1.cell(row=2, column=header.index("value") + 1).number_format == "#,##0.00"
    assert d1.cell(row=2, column=1).number_format == "yyyy-mm-dd"
    assert d1.cell(row=2, column=header.index("reason") + 1).value == "r1"
    assert d1.auto_filter.ref is not None
    assert d1.column_dimensions["A"].width >= 10
    assert not list(tmp_path.glob("*.partsopt-tmp"))


def test_no_orders_still_writes_a_summary(tmp_path):
    path = write_orders_xlsx(_orders().iloc[0:0], tmp_path / "o.xlsx")
    assert load_workbook(path).sheetnames == ["Summary"]
