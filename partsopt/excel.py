"""``orders.xlsx`` for the parts manager (an edge module: it writes a file).

One summary sheet (lines, units and value by location and order type, with a
total row) and one sheet per location with its suggested order lines.  Every
sheet has a bold, frozen header row, an auto-filter, column widths fitted to
the content, number formats (units as whole numbers, money with two decimals,
dates as YYYY-MM-DD) and a totals row.  Written under a temporary name and
renamed, like every partsopt output.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from partsopt.io import temp_path_for

HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
BOLD = Font(bold=True)
UNIT_COLS = {"on_hand", "on_order", "backorders", "inventory_position", "reorder_point", "order_up_to",
             "suggested_qty", "lines", "units"}
MONEY_COLS = {"unit_cost", "value"}
DATE_COLS = {"as_of"}
SUM_COLS = {"suggested_qty", "value", "lines", "units"}
_BAD_SHEET_CHARS = re.compile(r"[\[\]\*\?/\\:]")


def _sheet_name(name: str, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", str(name))[:31] or "location"
    out, i = base, 1
    while out.lower() in used:
        suffix = f"~{i}"
        out = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(out.lower())
    return out


def _write_frame(ws, frame: pd.DataFrame, total_label: str = "Total") -> None:
    cols = list(frame.columns)
    ws.append(cols)
    for cell in ws[1]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
    for row in frame.itertuples(index=False, name=None):
        ws.append([v.to_pydatetime().date() if isinstance(v, pd.Timestamp) else v for v in row])
    n = len(frame)
    if n:
        total = [None] * len(cols)
        total[0] = total_label
        for j, c in enumerate(cols):
            if c in SUM_COLS:
                letter = get_column_letter(j + 1)
                total[j] = f"=SUM({letter}2:{letter}{n + 1})"
        ws.append(total)
        for cell in ws[n + 2]:
            cell.font = BOLD
    for j, c in enumerate(cols, start=1):
        letter = get_column_letter(j)
        fmt = "#,##0" if c in UNIT_COLS else "#,##0.00" if c in MONEY_COLS else "yyyy-mm-dd" if c in DATE_COLS else None
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, max_row=n + 2, min_col=j, max_col=j):
                cell.number_format = fmt
        width = max([len(str(c))] + [len(f"{v:,.2f}" if isinstance(v, float) else str(v)) for v in frame[c].head(500)])
        ws.column_dimensions[letter].width = min(max(width + 2, 8), 80)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{n + 1}"


def orders_summary(orders: pd.DataFrame) -> pd.DataFrame:
    """Lines, units and value by location and order type."""
    if not len(orders):
        return pd.DataFrame({"location": [], "order_type": [], "lines": [], "units": [], "value": []})
    g = orders.groupby(["location", "order_type"], as_index=False).agg(
        lines=("part", "size"), units=("suggested_qty", "sum"), value=("value", "sum"))
    return g.sort_values(["location", "order_type"]).reset_index(drop=True)


def write_orders_xlsx(orders: pd.DataFrame, path: str | os.PathLike, *, title: str = "") -> Path:
    """Write the order suggestions workbook atomically; returns its path."""
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    if title:
        ws.append([title])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append([])
        summary_ws = wb.create_sheet("Summary by location", 1)
    else:
        summary_ws = ws
    _write_frame(summary_ws, orders_summary(orders))
    used = {s.lower() for s in wb.sheetnames}
    for location, sub in orders.groupby("location", sort=True):
        sheet = wb.create_sheet(_sheet_name(location, used))
        _write_frame(sheet, sub.drop(columns=["location"]).reset_index(drop=True))
    tmp = temp_path_for(path)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
