"""``orders.xlsx`` for the parts manager (an edge module: it writes a file).

One summary sheet (lines, units and value by location and order type, with a
total row) and one sheet per location with its suggested order lines.  Every
sheet has a bold, frozen header row, an auto-filter, column widths fitted to
the content, number formats (units as whole numbers, money with two decimals,
dates as YYYY-MM-DD) and a totals row.  Written under a temporary name and
renamed, like every partsopt output.

How it is written fast
----------------------
XlsxWriter writes every sheet (header, column widths and formats, frozen
pane, auto-filter, the totals row with its formulas, the summary sheet), but
not the order lines of the location sheets: writing 2 million cells one by one
in Python is most of the time of a plan (36 s for 182,000 lines).  Those rows
are made as XML text column by column with Arrow compute kernels and put into
each sheet's ``<sheetData>`` between the header row and the totals row, in the
form XlsxWriter itself uses in its ``constant_memory`` mode: numbers as
``<c r="C2" s="1"><v>3.0</v></c>`` with the column's number format, text as
in-line strings ``<c r="B2" t="inlineStr"><is><t xml:space="preserve">P1</t></is></c>``.
The cell values are those of the per-cell writer (numbers are written with
the shortest round-trip digits where those read as the same number as
XlsxWriter's ``%.16G``, and ``%.16G`` itself where they need 17 digits).  Text
that needs XlsxWriter's own escaping (control characters, literal ``_xHHHH_``,
more than 32,767 characters), dates before 1900-03-01, and columns of an
unusual type are written by the per-cell writer (:func:`_write_cells`) instead.
"""
from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from partsopt.io import float_text, temp_path_for

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


class _Formats:
    def __init__(self, wb):
        self.header = wb.add_format({"bold": True, "bg_color": "#DDE6F0", "align": "center", "border": 1})
        self.units = wb.add_format({"num_format": "#,##0"})
        self.money = wb.add_format({"num_format": "#,##0.00"})
        self.date = wb.add_format({"num_format": "yyyy-mm-dd"})
        self.bold = wb.add_format({"bold": True})
        self.bold_units = wb.add_format({"bold": True, "num_format": "#,##0"})
        self.bold_money = wb.add_format({"bold": True, "num_format": "#,##0.00"})
        self.title = wb.add_format({"bold": True, "font_size": 13})

    def column(self, name: str):
        return self.units if name in UNIT_COLS else self.money if name in MONEY_COLS else \
            self.date if name in DATE_COLS else None


def _width(frame: pd.DataFrame, col: str) -> int:
    sample = frame[col].head(500)
    if pd.api.types.is_float_dtype(sample):
        lens = [len(f"{v:,.2f}") for v in sample]
    else:
        lens = [len(str(v)) for v in sample]
    return min(max([len(col)] + lens) + 2, 80)


def _write_frame(ws, frame: pd.DataFrame, fmt: _Formats, first_row: int = 0, cells: bool = True) -> None:
    """Header, column formats, rows (when ``cells``), totals row, frozen pane and auto-filter of one sheet."""
    cols = list(frame.columns)
    for j, c in enumerate(cols):
        ws.write_string(first_row, j, c, fmt.header)
        ws.set_column(j, j, max(_width(frame, c), 8), fmt.column(c))
    if cells:
        _write_cells(ws, frame, first_row)
    n = len(frame)
    last = first_row + n + 1
    if n:
        ws.write_string(last, 0, "Total", fmt.bold)
        for j, c in enumerate(cols):
            if c in SUM_COLS:
                letter = xl_col_to_name(j)
                cell_fmt = fmt.bold_money if c in MONEY_COLS else fmt.bold_units
                ws.write_formula(last, j, f"=SUM({letter}{first_row + 2}:{letter}{first_row + n + 1})", cell_fmt,
                                 float(frame[c].sum()))
    ws.freeze_panes(first_row + 1, 0)
    ws.autofilter(first_row, 0, first_row + max(n, 1), len(cols) - 1)


def _write_cells(ws, frame: pd.DataFrame, first_row: int) -> None:
    """The rows of ``frame`` cell by cell with XlsxWriter (the general path; NaN cells are left empty)."""
    cols = list(frame.columns)
    values = []
    for c in cols:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            values.append(s.astype(object).tolist())  # Timestamps are datetimes
        elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            values.append(np.where(np.isfinite(s.to_numpy(np.float64)), s.to_numpy(np.float64), np.nan).tolist())
        else:
            values.append(s.astype(object).where(s.notna(), "").astype(str).tolist())
    for i, row in enumerate(zip(*values), start=first_row + 1):
        for j, v in enumerate(row):
            if isinstance(v, float):
                if v == v:  # not NaN
                    ws.write_number(i, j, v)
            elif isinstance(v, str):
                ws.write_string(i, j, v)
            else:
                ws.write_datetime(i, j, v)


def orders_summary(orders: pd.DataFrame) -> pd.DataFrame:
    """Lines, units and value by location and order type."""
    if not len(orders):
        return pd.DataFrame({"location": [], "order_type": [], "lines": [], "units": [], "value": []})
    g = orders.groupby(["location", "order_type"], as_index=False).agg(
        lines=("part", "size"), units=("suggested_qty", "sum"), value=("value", "sum"))
    return g.sort_values(["location", "order_type"]).reset_index(drop=True)


# ------------------------------------------------------------ fast rows
_XML_TEXT_SPECIAL = r"[\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_"  # what XlsxWriter escapes as _xHHHH_
_MAX_TEXT = 32767  # Excel's limit of characters in a cell (XlsxWriter truncates longer text)
_EXCEL_EPOCH = np.datetime64("1899-12-30", "ns")  # serial 0 for dates from 1900-03-01 on
_FIRST_SAFE_DATE = np.datetime64("1900-03-01", "ns")


def _xml_escape(text: pa.Array) -> pa.Array:
    for ch, ent in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = pc.replace_substring(text, ch, ent)
    return text


def _column_xml(series: pd.Series, letter: str, rows: pa.Array, style: str) -> pa.Array | None:
    """The ``<c>`` elements of one column for rows numbered ``rows`` (text); None when the fast path does not apply.

    Mirrors :func:`_write_cells`: numbers (not booleans) as numbers, NaN and
    infinities left empty; dates as Excel serial numbers; everything else as the
    text ``str(value)`` (missing values as empty text).
    """
    ref = pc.binary_join_element_wise(f'<c r="{letter}', rows, f'"{style}', "")
    dtype = series.dtype
    if not isinstance(dtype, np.dtype):
        return None
    if dtype.kind == "M":
        vals = series.to_numpy().astype("datetime64[ns]")
        known = ~np.isnat(vals)
        if (vals[known] < _FIRST_SAFE_DATE).any():
            return None
        serial = (vals - _EXCEL_EPOCH).astype(np.int64) / 86_400e9
        serial[~known] = np.nan
        return _number_cells(ref, serial)
    if dtype.kind in "fiu":
        return _number_cells(ref, series.to_numpy(np.float64))
    if dtype.kind == "b":
        text = pc.if_else(pa.array(series.to_numpy()), "True", "False")
    elif dtype.kind == "O":
        try:
            text = pc.fill_null(pa.array(series.to_numpy(), pa.string(), from_pandas=True), "")
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
        if pc.any(pc.match_substring_regex(text, _XML_TEXT_SPECIAL)).as_py() or \
                pc.max(pc.utf8_length(text)).as_py() > _MAX_TEXT // 2:
            return None  # rare: the per-cell writer escapes / measures these exactly
    else:
        return None
    return pc.binary_join_element_wise(ref, ' t="inlineStr"><is><t xml:space="preserve">', _xml_escape(text),
                                       "</t></is></c>", "")


def _number_text(values: np.ndarray) -> pa.Array:
    """Finite floats as text that Excel reads as the value XlsxWriter writes (``%.16G``).

    The shortest round-trip text (:func:`partsopt.io.float_text`) reads as the
    same double as ``%.16G`` whenever it has at most 16 significant digits (the
    16-digit rounding is then at least as near to the value, and the values
    that round to a double form an interval centred on it, except at powers of
    two); values needing 17 digits (``234.35999999999999``, texts of 17+
    characters) and exact powers of two are formatted with ``%.16G`` (a Python
    loop over those few).
    """
    text = float_text(values)
    cand = pc.greater_equal(pc.utf8_length(text), 17)
    idx = np.flatnonzero(cand.to_numpy(zero_copy_only=False))
    if len(idx):
        sub = text.filter(cand)
        digits = pc.utf8_length(pc.utf8_ltrim(pc.replace_substring_regex(sub, r"e.*|[^0-9]", ""), "0"))
        idx = idx[pc.greater(digits, 16).to_numpy(zero_copy_only=False)]
    # at a power of two the interval of reals that round to the value is lopsided (the gap below is half
    # the gap above), so the argument above fails there: those take %.16G too
    power_of_two = (np.abs(np.frexp(values)[0]) == 0.5)
    idx = np.union1d(idx, np.flatnonzero(power_of_two))
    if len(idx):
        mask = np.zeros(len(values), bool)
        mask[idx] = True
        repl = pa.array([f"{x:.16G}" for x in values[idx].tolist()], pa.string())
        text = pc.replace_with_mask(text, pa.array(mask), repl)
    return text


def _number_cells(ref: pa.Array, values: np.ndarray) -> pa.Array:
    finite = np.isfinite(values)
    cells = pc.binary_join_element_wise(ref, "><v>", _number_text(np.where(finite, values, 0.0)), "</v></c>", "")
    return pc.if_else(pa.array(finite), cells, "")


def _rows_xml(frame: pd.DataFrame, styles: dict[int, int], row_numbers: np.ndarray) -> pa.Array | None:
    """One ``<row>`` element per row of ``frame`` (sheet row numbers ``row_numbers``); None: use the slow path."""
    m = frame.shape[1]
    rows = pc.cast(pa.array(row_numbers.astype(np.int64)), pa.string())
    cells = []
    for j in range(m):
        style = f' s="{styles[j + 1]}"' if j + 1 in styles else ""
        col = _column_xml(frame.iloc[:, j], xl_col_to_name(j), rows, style)
        if col is None:
            return None
        cells.append(col)
    xml = pc.binary_join_element_wise('<row r="', rows, f'" spans="1:{m}">', *cells, "</row>", "")
    return xml.cast(pa.large_string())  # 64-bit offsets: the text of all rows may exceed 2 GB


_COL_RE = re.compile(rb"<col [^>]*>")
_ATTR_RE = re.compile(rb'(\w+)="([^"]*)"')


def _column_styles(sheet_xml: bytes) -> dict[int, int]:
    """1-based column -> style index of the column's default format, from a sheet's ``<cols>``."""
    out = {}
    for element in _COL_RE.findall(sheet_xml.split(b"<sheetData>", 1)[0]):
        attrs = dict(_ATTR_RE.findall(element))
        if b"style" in attrs:
            for c in range(int(attrs[b"min"]), int(attrs[b"max"]) + 1):
                out[c] = int(attrs[b"style"])
    return out


def _insert_rows(skeleton: bytes, rows: bytes) -> bytes:
    """The sheet XML ``skeleton`` (header row, totals row) with the ``rows`` XML between them."""
    head, sep, tail = skeleton.partition(b"</row>")  # the end of the header row (row 1)
    if not sep or b'<row r="1"' not in head:
        raise AssertionError("unexpected sheet XML from XlsxWriter")  # pragma: no cover
    return head + sep + rows + tail


# ------------------------------------------------------------------ entry
def _sheets(orders: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    used = {"summary"}
    return [(_sheet_name(location, used), sub.drop(columns=["location"]).reset_index(drop=True))
            for location, sub in orders.groupby("location", sort=True)]


def _workbook(target, orders: pd.DataFrame, sheets, title: str, cells: bool) -> None:
    wb = xlsxwriter.Workbook(target, {"constant_memory": False, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False,
                                      "in_memory": not isinstance(target, str)})
    fmt = _Formats(wb)
    ws = wb.add_worksheet("Summary")
    first = 0
    if title:
        ws.write_string(0, 0, title, fmt.title)
        first = 2
    _write_frame(ws, orders_summary(orders), fmt, first_row=first)
    for name, sub in sheets:
        _write_frame(wb.add_worksheet(name), sub, fmt, cells=cells)
    wb.close()


def _write_fast(orders: pd.DataFrame, sheets, tmp: Path, title: str) -> bool:
    """Skeleton workbook by XlsxWriter, order rows inserted as XML; False (nothing written) when not applicable.

    The rows of all location sheets are made in one pass over the order lines
    sorted by location (stable, like ``groupby``), each numbered from 2 within
    its location; each sheet then takes its slice of the text.
    """
    skeleton = io.BytesIO()
    _workbook(skeleton, orders, sheets, title, cells=False)
    src = zipfile.ZipFile(skeleton)
    names = [f"xl/worksheets/sheet{k}.xml" for k in range(2, len(sheets) + 2)]  # sheet1.xml is the summary
    parts = {}
    if sheets:
        codes, _ = pd.factorize(orders["location"], sort=True)
        order = np.argsort(codes, kind="stable")
        order = order[codes[order] >= 0]  # groupby drops missing locations
        sizes = np.bincount(codes[order], minlength=len(sheets))
        starts = np.concatenate([[0], np.cumsum(sizes)])
        frame = orders.drop(columns=["location"]).iloc[order].reset_index(drop=True)
        row_numbers = np.arange(len(frame)) - np.repeat(starts[:-1], sizes) + 2
        skeletons = [src.read(name) for name in names]
        styles = _column_styles(skeletons[0])
        if any(_column_styles(x) != styles for x in skeletons[1:]):
            return False  # pragma: no cover - every location sheet shares the same column formats
        xml = _rows_xml(frame, styles, row_numbers)
        if xml is None:
            return False
        _, offsets, data = xml.buffers()
        off = np.frombuffer(offsets, np.int64)[xml.offset: xml.offset + len(xml) + 1]
        view = memoryview(data)
        for k, name in enumerate(names):
            rows = view[off[starts[k]]: off[starts[k + 1]]].tobytes()
            parts[name] = _insert_rows(skeletons[k], rows)
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as dst:
        for info in src.infolist():
            data = parts.pop(info.filename, None)
            dst.writestr(info.filename, src.read(info) if data is None else data)
    return True


#: zlib level of the workbook's parts (1: fastest; the XML of 182,000 order lines compresses to ~15 MB)
ZIP_LEVEL = 1


def write_orders_xlsx(orders: pd.DataFrame, path: str | os.PathLike, *, title: str = "") -> Path:
    """Write the order suggestions workbook atomically; returns its path."""
    path = Path(path)
    tmp = temp_path_for(path)
    try:
        sheets = _sheets(orders)
        if not _write_fast(orders, sheets, tmp, title):
            _workbook(str(tmp), orders, sheets, title, cells=True)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
