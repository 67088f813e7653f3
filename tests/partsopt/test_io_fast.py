"""The fast output writers against the reference writers they replace.

* ``partsopt.io.write_csv`` must give the bytes of ``DataFrame.to_csv(index=False,
  lineterminator="\\n", date_format="%Y-%m-%d")`` (the previous writer).
* ``partsopt.io.float_text`` must give ``repr`` of every float.
* ``partsopt.excel.write_orders_xlsx`` (rows inserted as XML) must give the cell
  values, number formats, widths, frozen panes and filters of the per-cell
  XlsxWriter path (``_workbook(..., cells=True)``), which stays the reference.
"""
from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from partsopt import excel
from partsopt import io as pio


def _pandas_csv(frame: pd.DataFrame, path) -> bytes:
    frame.to_csv(path, index=False, lineterminator="\n", date_format="%Y-%m-%d")
    return path.read_bytes()


def _every_magnitude(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([
        rng.random(n) * 10.0 ** rng.integers(-330, 309, n),        # every decade, subnormals included
        -rng.random(n) * 10.0 ** rng.integers(-12, 20, n),         # where the notations switch
        np.round(rng.random(n) * 1000, 2),                         # money
        rng.integers(-10 ** 6, 10 ** 6, n).astype(np.float64),     # whole numbers
        np.frombuffer(rng.bytes(8 * n), np.float64),               # any bit pattern (NaN, inf included)
        [0.0, -0.0, 1e-4, 1e-5, 9.99e-5, 1e-7, 1e14, 1e15, 1e16, 1e17, 999999999999999.9, 0.1 + 0.2,
         5e-324, 1.7976931348623157e308, np.inf, -np.inf, np.nan],
    ])


def test_float_text_is_repr_at_every_magnitude():
    v = _every_magnitude(20_000, 3)
    got = pio.float_text(v).to_pylist()
    want = [repr(x) if x == x else "" for x in v.tolist()]
    bad = [(g, w) for g, w in zip(got, want) if g != w]
    assert not bad, bad[:5]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=50))
def test_float_text_property(values):
    v = np.array(values, dtype=np.float64)
    assert pio.float_text(v).to_pylist() == [repr(x) if x == x else "" for x in v.tolist()]


def _tricky_frame() -> pd.DataFrame:
    text = ["plain", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "", None, " spaced ", "é → ≤", "x" * 300]
    n = len(text)
    return pd.DataFrame({
        "part": text,
        "mean": [1.0, np.nan, np.inf, -np.inf, -0.0, 1e-5, 1e16, 123456789.123, 0.1 + 0.2, 4.2e-7],
        "qty": np.arange(n, dtype=np.int64) * 10 ** 15,
        "flag": [True, False] * (n // 2),
        "date": pd.to_datetime(["2026-01-05", None] * (n // 2)),
        "stamp": pd.to_datetime(["2026-01-05 13:45:10"] * n),
        "kind": pd.Categorical(["a", "b,c"] * (n // 2)),
        "small": np.array([1, 2] * (n // 2), dtype=np.uint8),
    })


def test_write_csv_same_bytes_as_pandas(tmp_path):
    frame = _tricky_frame()
    assert pio._csv_rows(frame) is not None  # the Arrow path, not the pandas fallback
    pio.write_csv(frame, tmp_path / "fast.csv")
    assert (tmp_path / "fast.csv").read_bytes() == _pandas_csv(frame, tmp_path / "ref.csv")


def test_write_csv_chunks_and_index(tmp_path, monkeypatch):
    monkeypatch.setattr(pio, "CSV_CHUNK_ROWS", 3)
    frame = pd.concat([_tricky_frame()] * 3).set_index(np.arange(30)[::-1])  # index ignored, 10 chunks
    pio.write_csv(frame, tmp_path / "fast.csv")
    assert (tmp_path / "fast.csv").read_bytes() == _pandas_csv(frame, tmp_path / "ref.csv")


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"x": ["", "a", None]}),                                   # one column: "" is quoted
    pd.DataFrame({"a,b": [1.5], 'q"': ["v"]}),                              # header quoting
    pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": [1.0, 2.0]}),  # nullable: pandas path
    pd.DataFrame({"a": np.array([0.1, 2.5], np.float32)}),                   # float32: pandas path
    pd.DataFrame({"a": [1, "x"], "b": [1.0, 2.0]}),                          # mixed objects: pandas path
    pd.DataFrame({"a": pd.to_datetime(["2026-01-01"]).tz_localize("UTC")}),  # tz-aware: pandas path
    pd.DataFrame({"a": [], "b": []}),
    pd.DataFrame(index=range(3)),
])
def test_write_csv_edge_frames(tmp_path, frame):
    pio.write_csv(frame, tmp_path / "fast.csv")
    assert (tmp_path / "fast.csv").read_bytes() == _pandas_csv(frame, tmp_path / "ref.csv")


def test_output_set_and_write_table_use_the_same_bytes(tmp_path):
    frame = _tricky_frame()
    pio.write_table(frame, tmp_path / "a.csv")
    with pio.OutputSet(tmp_path / "out") as out:
        out.write_table(frame, "b.csv")
    ref = _pandas_csv(frame, tmp_path / "ref.csv")
    assert (tmp_path / "a.csv").read_bytes() == ref == (tmp_path / "out" / "b.csv").read_bytes()


# ------------------------------------------------------------------ orders.xlsx
def _orders(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    qty = rng.integers(1, 50, n).astype(np.float64)
    cost = np.round(rng.lognormal(2.0, 1.0, n), 2)
    return pd.DataFrame({
        "as_of": pd.Timestamp("2026-11-16"),
        "part": [f"P{i:06d}" for i in rng.integers(0, 999, n)],
        "location": rng.choice(["CW", "R1", "D001", "D/02", "D:03" * 10], n),
        "on_hand": rng.integers(0, 5, n).astype(np.float64),
        "on_order": np.where(rng.random(n) < 0.1, np.nan, 1.0),
        "inventory_position": rng.normal(size=n) * 1e-5,
        "suggested_qty": qty,
        "order_type": rng.choice(["normal", "emergency"], n),
        "unit_cost": cost,
        "value": qty * cost,  # many need 17 digits: 234.35999999999999
        "reason": [f"position {i} <= s & 'x' > \"y\" → order" for i in range(n)],
        "stocked": rng.random(n) < 0.5,
    })


def _cells(path):
    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "cells": [[(c.value if c.value != "" else None, c.number_format, bool(c.font.b)) for c in row]
                      for row in ws.iter_rows()],
            "freeze": ws.freeze_panes, "filter": ws.auto_filter.ref,
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
        }
    return wb.sheetnames, out


def _reference_xlsx(orders, path, title):
    excel._workbook(str(path), orders, excel._sheets(orders), title, cells=True)
    return path


@pytest.mark.parametrize("n", [0, 1, 400])
def test_xlsx_fast_rows_equal_the_per_cell_writer(tmp_path, n):
    orders = _orders(n, n)
    fast = excel.write_orders_xlsx(orders, tmp_path / "fast.xlsx", title="plan as of 2026-11-16")
    ref = _reference_xlsx(orders, tmp_path / "ref.xlsx", "plan as of 2026-11-16")
    assert _cells(fast) == _cells(ref)
    if n:
        with zipfile.ZipFile(fast) as z:  # really the fast path: rows as in-line strings
            assert b'inlineStr' in z.read("xl/worksheets/sheet2.xml")


def test_xlsx_falls_back_for_text_that_needs_escaping(tmp_path):
    orders = _orders(20, 1)
    orders.loc[3, "reason"] = "bell\x07 and _x0041_ literal"
    fast = excel.write_orders_xlsx(orders, tmp_path / "fast.xlsx")
    ref = _reference_xlsx(orders, tmp_path / "ref.xlsx", "")
    assert _cells(fast) == _cells(ref)
    with zipfile.ZipFile(fast) as z:
        assert b'inlineStr' not in z.read("xl/worksheets/sheet2.xml")


def test_column_styles_read_from_cols():
    xml = (b'<cols><col min="1" max="1" width="9" style="8" customWidth="1"/><col min="2" max="2" width="8"/>'
           b'<col min="3" max="4" width="9" style="1" customWidth="1"/></cols><sheetData>')
    assert excel._column_styles(xml) == {1: 8, 3: 1, 4: 1}


def test_xlsx_failure_leaves_no_file(tmp_path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("disk full")
    monkeypatch.setattr(excel, "_rows_xml", boom)
    with pytest.raises(RuntimeError):
        excel.write_orders_xlsx(_orders(5, 0), tmp_path / "o.xlsx")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ CSV reading
_CSV_CASES = [
    b"part,location,qty\nP1,D1,3\nP2,D2,4\n",
    b"\xef\xbb\xbfpart,location,qty\r\nP1,D1,3\r\nP2,D2,\r\n",                # BOM, CRLF, empty field
    b'part,reason\nP1,"a, b"\nP2,"say ""hi"""\nP3,"two\nlines"\n',            # quoting
    b"part,location\nP1,D1\n\nP2,D2\n",                                      # blank line
    b"part,location\nP1, D1\n",                                              # space after comma: pandas
    b"part,part\nP1,P2\n",                                                   # duplicate names: pandas
    b"part,location\nP1,D1,extra\n",                                         # ragged: pandas (its error)
    b"part,location\nP1\n",                                                  # short row
    b"part ,location\nP1 ,D1\n",                                             # trailing spaces kept
    b"part,location\n007,NA\nnan,null\n",                                    # no NA conversion
    b'part,note\nP1,ab"c\n',                                                 # quote inside a field
    b"part,location\r\nP1,D1\rP2,D2\r",                                      # lone CR
    b"part,qty\n\xc3\xa9t\xc3\xa9,1\n",                                      # UTF-8 text
    b"part,qty\nP1,1",                                                       # no final newline
]


@pytest.mark.parametrize("data", _CSV_CASES)
def test_arrow_csv_read_equals_pandas_read(tmp_path, data):
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    try:
        ref = pio._read_csv_pandas(path, data)
    except Exception as exc:  # the file is an error: reading it must raise the same error
        with pytest.raises(type(exc)) as info:
            pio._read_csv(path)
        assert str(info.value) == str(exc)
        return
    fast = pio._read_csv_arrow(data)
    got = pio._read_csv(path)
    pd.testing.assert_frame_equal(got, ref)
    if fast is not None:
        pd.testing.assert_frame_equal(fast, ref)
        assert all(fast[c].map(type).eq(str).all() for c in fast.columns)


_field = st.text(alphabet=st.sampled_from(list('ab1 ,"\n\r\té')), max_size=6)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_field, _field, _field), min_size=1, max_size=8), st.booleans())
def test_arrow_csv_read_property(tmp_path_factory, rows, quote_all):
    import csv as _csv
    import io as _io

    buf = _io.StringIO()
    w = _csv.writer(buf, lineterminator="\n", quoting=_csv.QUOTE_ALL if quote_all else _csv.QUOTE_MINIMAL)
    w.writerow(["part", "location", "note"])
    w.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    path.write_bytes(data)
    fast = pio._read_csv_arrow(data)
    if fast is None:
        return
    try:
        ref = pio._read_csv_pandas(path, data)
    except Exception:  # pandas refuses it: Arrow must not have accepted something else
        raise AssertionError(f"Arrow read a file pandas refuses: {data!r}")
    pd.testing.assert_frame_equal(fast, ref)


# ------------------------------------------------------------------ Parquet dates
def test_parquet_dates_read_as_datetimes_and_validate_like_date_objects(tmp_path):
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    from partsopt.schema import Column
    from partsopt.schema import Table as SchemaTable
    from partsopt.validate import RawTable, _convert_table

    table = pa.table({"part": ["P1", "P2", "P3"], "d": pa.array([dt.date(2026, 1, 5), None, dt.date(1999, 12, 31)],
                                                               pa.date32())})
    pq.write_table(table, tmp_path / "t.parquet")
    fast = pio._read_parquet(tmp_path / "t.parquet")
    assert str(fast["d"].dtype) == "datetime64[ns]"
    ref = pd.read_parquet(tmp_path / "t.parquet")  # date objects, the previous reader
    assert ref["d"].dtype == object
    schema = SchemaTable("t", (Column("part", "key", required=True), Column("d", "date")))
    pd.testing.assert_frame_equal(_convert_table(schema, RawTable(fast, "t", False)),
                                  _convert_table(schema, RawTable(ref, "t", False)))


def test_parquet_dates_out_of_range_still_reported(tmp_path):
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    from partsopt.errors import DataError
    from partsopt.schema import Column
    from partsopt.schema import Table as SchemaTable
    from partsopt.validate import RawTable, _convert_table

    pq.write_table(pa.table({"part": ["P1", "P2"], "d": pa.array([dt.date(2026, 1, 5), dt.date(1500, 1, 1)],
                                                               pa.date32())}), tmp_path / "t.parquet")
    frame = pio._read_parquet(tmp_path / "t.parquet")
    assert frame["d"].dtype == object  # kept as date objects: they do not fit datetime64[ns]
    schema = SchemaTable("t", (Column("part", "key", required=True), Column("d", "date")))
    with pytest.raises(DataError, match="Date that cannot be read"):
        _convert_table(schema, RawTable(frame, "t", False))


# ------------------------------------------------------------------ partsopt plan: stages and publishing
def test_plan_command_reports_io_stages_and_publishes_everything(tiny_dir, tmp_path):
    from partsopt.cli import run_plan
    from partsopt.config import default_config
    from partsopt.io import load

    labels = []
    result, run = run_plan(load(tiny_dir), "2024-02-12", default_config(), tmp_path / "out",
                           progress=lambda step, total, label: labels.append(label))
    for stage in ("plan: policies", "write: forecasts", "write: policies", "write: orders", "write: orders.xlsx"):
        assert stage in labels
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == sorted(["forecasts.csv", "forecasts.parquet", "policies.csv", "policies.parquet", "orders.csv",
                            "orders.parquet", "issues.csv", "orders.xlsx", "run.json"])
    assert load_workbook(tmp_path / "out" / "orders.xlsx").sheetnames[0] == "Summary"


def test_plan_command_failed_workbook_publishes_nothing(tiny_dir, tmp_path, monkeypatch):
    from partsopt.cli import run_plan
    from partsopt.config import default_config
    from partsopt.io import load

    out = tmp_path / "out"
    out.mkdir()
    (out / "policies.csv").write_text("previous run\n")

    def broken(*args, **kwargs):
        raise OSError("disk full while writing the workbook")

    monkeypatch.setattr(excel, "write_orders_xlsx", broken)
    with pytest.raises(OSError, match="disk full"):
        run_plan(load(tiny_dir), "2024-02-12", default_config(), out, progress=lambda *a: None)
    assert sorted(p.name for p in out.iterdir()) == ["policies.csv"]
    assert (out / "policies.csv").read_text() == "previous run\n"


def test_xlsx_number_text_reads_as_the_value_xlsxwriter_writes():
    rng = np.random.default_rng(7)
    v = np.concatenate([[2.0 ** k for k in range(-1074, 1024)],                    # lopsided rounding intervals
                        [m * 2.0 ** k for k in range(-60, 60) for m in (3, 5, 0.75)],
                        rng.random(50_000) * 10.0 ** rng.integers(-300, 300, 50_000),
                        np.round(rng.random(50_000) * 1000, 2) * rng.integers(1, 50, 50_000), [0.0, -0.0]])
    got = excel._number_text(v).to_pylist()
    bad = [(x, g) for x, g in zip(v.tolist(), got) if float(g) != float(f"{x:.16G}")]
    assert not bad, bad[:5]
