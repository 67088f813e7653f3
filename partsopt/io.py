"""Reading a dataset folder and writing outputs safely (an edge module).

* :func:`load` reads a folder of CSV / Parquet tables (DESIGN.md §4) and returns
  a validated :class:`partsopt.validate.Dataset`.
* :func:`read_table_file` reads one file into raw columns and turns every
  file-level problem (empty, unreadable, not UTF-8, wrong delimiter, ragged
  rows) into one :class:`~partsopt.errors.DataError` that names the file.
* :func:`atomic_write` / :func:`write_table` write under a temporary name and
  rename, so a failed run never leaves a half-written file behind.
* :func:`write_csv` writes a DataFrame as CSV byte-for-byte like
  ``frame.to_csv(index=False, lineterminator="\\n", date_format="%Y-%m-%d")``,
  formatting whole columns with Arrow compute kernels instead of pandas' per-cell
  Python writer (3-5x faster on the plan outputs).
"""
from __future__ import annotations

import csv
import io as _io
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from partsopt.errors import DataError
from partsopt.schema import EXTENSIONS, TABLES
from partsopt.validate import Dataset, RawTable, validate_tables

_DELIMITERS = {";": "semicolon (;)", "\t": "tab", "|": "pipe (|)"}


def find_table_files(folder: Path) -> dict[str, Path]:
    """Map each table name to its file in ``folder``; two files for one table is an error."""
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        name = path.name
        for ext in EXTENSIONS:
            if name.lower().endswith(ext):
                table = name[: -len(ext)]
                if table in TABLES:
                    found.setdefault(table, []).append(path)
    out = {}
    for table, paths in found.items():
        if len(paths) > 1:
            raise DataError(
                f"Table '{table}' is given by more than one file.",
                where=str(folder),
                received=", ".join(p.name for p in paths),
                fix=f"keep exactly one of them (CSV or Parquet) for table '{table}'.",
            )
        out[table] = paths[0]
    return out


def read_table_file(path: Path) -> RawTable:
    """Read one CSV or Parquet file into a DataFrame of raw values.

    CSV values are read as text (keys keep their leading zeros; conversion and
    its errors happen in :mod:`partsopt.validate`).  CSV must be UTF-8 (a BOM is
    allowed) and comma-separated.
    """
    if path.stat().st_size == 0:
        raise DataError(f"{path.name} is empty (0 bytes).", where=str(path),
                        received="an empty file",
                        fix="write the header line and the rows, or remove the file if the table is optional.")
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            frame = _read_parquet(path)
        except Exception as exc:  # pyarrow raises many types for a broken file
            raise DataError(f"{path.name} cannot be read as Parquet.", where=str(path),
                            received=f"{type(exc).__name__}: {exc}",
                            fix="re-export the table as Parquet or as UTF-8 CSV.") from None
        return RawTable(frame=frame, source=str(path), is_text=False)
    return RawTable(frame=_read_csv(path), source=str(path), is_text=True)


_NS_FIRST, _NS_LAST = pd.Timestamp.min.date(), pd.Timestamp.max.date()


def _read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file as ``pd.read_parquet`` gives it, but date columns as ``datetime64[ns]``.

    Arrow turns a ``date32`` column into Python ``datetime.date`` objects, which
    validation would format and parse again one by one (minutes for the 12
    million dates of the large demo network).  A date column whose dates all fit
    ``datetime64[ns]`` (years 1677-2262) is cast by Arrow instead; one that does
    not keeps its date objects, so validation reports the dates it cannot read.
    """
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    for i, field in enumerate(table.schema):
        if pa.types.is_date(field.type):
            lo, hi = pc.min_max(table.column(i)).values()
            if lo.as_py() is None or (_NS_FIRST < lo.as_py() and hi.as_py() < _NS_LAST):
                table = table.set_column(i, field.name, pc.cast(table.column(i), pa.timestamp("ns")))
    return table.to_pandas()


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV file as a DataFrame of text (every value a str, empty fields "").

    Arrow's multi-threaded reader parses the file; pandas' reader (the
    reference, and the one whose errors become the messages) reads it instead
    when Arrow fails (bad UTF-8, ragged rows, ...) or the file has a feature the
    two treat differently (spaces after a delimiter, which pandas skips;
    duplicate column names, which pandas renames).  Both give the same frame.
    """
    data = path.read_bytes()
    frame = _read_csv_arrow(data)
    return frame if frame is not None else _read_csv_pandas(path, data)


#: a space or tab at the start of a field (pandas' ``skipinitialspace`` drops it, Arrow keeps it)
_INITIAL_SPACE = (b", ", b",\t", b"\n ", b"\n\t", b"\r ", b"\r\t")


def _read_csv_arrow(data: bytes) -> pd.DataFrame | None:
    import pyarrow.csv as pa_csv

    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    first = body.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        header = first.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not header.strip() or "," not in header or '"' in header or body[:1] in (b" ", b"\t") \
            or any(tok in body for tok in _INITIAL_SPACE) \
            or body.count(b"\r") != body.count(b"\r\n"):  # a lone CR: pandas and Arrow split lines differently
        return None
    names = header.split(",")
    if len(set(names)) != len(names):
        return None
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(body),
            read_options=pa_csv.ReadOptions(use_threads=True),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    if table.column_names != names:
        return None
    frame = table.to_pandas(deduplicate_objects=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _read_csv_pandas(path: Path, data: bytes) -> pd.DataFrame:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        snippet = data[max(0, exc.start - 20): exc.start + 20]
        raise DataError(f"{path.name} is not UTF-8 text.", where=f"{path}, line {line}",
                        received=f"byte 0x{data[exc.start]:02x} in {snippet!r}",
                        fix="save the file as CSV UTF-8 (in Excel: 'CSV UTF-8 (comma delimited)').") from None
    if not text.strip():
        raise DataError(f"{path.name} is empty (only white space).", where=str(path),
                        received="no header line", fix="write the header line and the rows.")
    header = text.splitlines()[0]
    if "," not in header:
        for delim, label in _DELIMITERS.items():
            if delim in header:
                raise DataError(f"{path.name} uses {label} as the delimiter; partsopt reads comma-separated files.",
                                where=f"{path}, line 1",
                                received=f"header {header[:120]!r}",
                                fix="save the file as comma-separated CSV (in Excel: 'CSV UTF-8 (comma delimited)').")
    try:
        frame = pd.read_csv(_io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
                            skipinitialspace=True)
    except pd.errors.ParserError as exc:
        msg = str(exc)
        m = re.search(r"line (\d+)", msg)
        where = f"{path}, line {m.group(1)}" if m else str(path)
        raise DataError(f"{path.name} has rows with a different number of fields than its header.",
                        where=where, received=msg.strip(),
                        fix="quote values that contain commas, and give every row as many fields as the header.") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def read_folder(folder: str | os.PathLike) -> dict[str, RawTable]:
    """Read every table file of a dataset folder (raw, not yet validated)."""
    folder = Path(folder)
    if not folder.exists():
        raise DataError("The dataset folder does not exist.", where=str(folder),
                        received="no such file or directory",
                        fix="give the folder that holds parts.csv, locations.csv and demand.csv.")
    if not folder.is_dir():
        raise DataError("The dataset must be a folder of table files.", where=str(folder),
                        received="a file", fix="give the folder that holds parts.csv, locations.csv, demand.csv.")
    if (folder / "_partsopt_partitions.txt").is_file():   # partsopt.dask_backend.write_partitioned
        raise DataError("This is a dataset partitioned by part (written by 'partsopt partition'); only "
                        "'partsopt plan' reads it.", where=str(folder), received="a partitioned dataset folder",
                        fix="run this command on the original dataset folder (the one given to "
                            "'partsopt partition'), or plan the partitioned one with 'partsopt plan'.")
    return {name: read_table_file(path) for name, path in find_table_files(folder).items()}


def load(folder: str | os.PathLike, *, strict: bool = False) -> Dataset:
    """Read and validate a dataset folder.

    Raises :class:`~partsopt.errors.DataError` on any structural problem (one
    message naming file, column, first offending rows and the fix).  Row-level
    problems are in ``dataset.issues``; with ``strict=True`` an error-level
    issue raises too.
    """
    raw = read_folder(folder)
    return validate_tables(raw, strict=strict, path=str(folder))


# --------------------------------------------------------------------- writing
@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator:
    """Open a temporary file beside ``path``; rename it over ``path`` on success only."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partsopt-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def temp_path_for(path: str | os.PathLike) -> Path:
    """A unique temporary name beside ``path`` (for writers that need a path, not a handle)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partsopt-tmp", dir=path.parent)
    os.close(fd)
    return Path(tmp)


def write_table(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``frame`` as CSV or Parquet (by the file ending), atomically.

    CSV is written with ``\\n`` line ends, no index, ISO dates and the shortest
    float repr, so the same frame gives the same bytes.
    """
    path = Path(path)
    tmp = temp_path_for(path)
    try:
        _write_frame_file(frame, tmp, path.name)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _write_frame_file(frame: pd.DataFrame, tmp: Path, name: str) -> None:
    if name.lower().endswith((".parquet", ".pq")):
        frame.to_parquet(tmp, index=False)
    else:
        write_csv(frame, tmp)


# ------------------------------------------------------------- CSV writing
#: rows formatted per Arrow batch: bounds the memory of the text of one batch (~ 60 MB for the plan outputs)
CSV_CHUNK_ROWS = 100_000


def _csv_quote_chars() -> str:
    """The characters that make Python's csv writer (pandas' CSV writer) quote a field (QUOTE_MINIMAL).

    Always the delimiter, the quote and ``\\n`` (the line end); ``\\r`` only in the Python
    versions whose writer quotes it too, so the bytes match ``DataFrame.to_csv`` in this Python.
    """
    buf = _io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(["a\rb"])
    return ',"\n\r' if buf.getvalue().startswith('"') else ',"\n'


_CSV_QUOTE_RE = "[" + re.escape(_csv_quote_chars()) + "]"


def float_text(values: np.ndarray) -> pa.Array:
    """Python's ``repr`` of every float64 (what ``to_csv`` writes), NaN as empty text.

    Arrow's cast to string gives the same shortest round-trip digits as ``repr``
    but its own notation: ``1`` for ``1.0`` and scientific notation in other
    ranges.  So: Arrow's text, ``.0`` appended where it has no decimal point,
    and ``repr`` itself (a Python loop) only where Arrow wrote an exponent, the
    value is below 1e-4 in magnitude (``repr`` switches to ``1e-05`` there,
    Arrow to ``0.00001``) or not finite.  Checked against ``repr`` on random
    floats of every magnitude in ``tests/partsopt/test_io_fast.py``.
    """
    text = pc.cast(pa.array(values, pa.float64()), pa.string())
    with np.errstate(invalid="ignore"):
        mag = np.abs(values)
        finite = np.isfinite(values)
        slow = pc.match_substring(text, "e").to_numpy(zero_copy_only=False) | ~finite | ((mag < 1e-4) & (values != 0))
    text = pc.if_else(pc.match_substring(text, "."), text, pc.binary_join_element_wise(text, ".0", ""))
    idx = np.flatnonzero(slow)
    if len(idx):
        repl = [repr(x) if x == x else "" for x in values[idx].tolist()]
        text = pc.replace_with_mask(text, pa.array(slow), pa.array(repl, pa.string()))
    return text


def _csv_column(series: pd.Series) -> pa.Array | None:
    """One column as CSV field text (quoted where needed); None for a dtype the fast path does not cover."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype) or isinstance(dtype, pd.StringDtype):
        series = series.astype(object)
        dtype = series.dtype
    if not isinstance(dtype, np.dtype):
        return None  # nullable extension dtypes, tz-aware datetimes, ...: pandas writes them
    kind = dtype.kind
    if kind == "f":
        if dtype != np.float64:
            return None
        return float_text(series.to_numpy())
    if kind in "iu":
        return pc.cast(pa.array(series.to_numpy()), pa.string())
    if kind == "b":
        return pc.if_else(pa.array(series.to_numpy()), "True", "False")
    if kind == "M":
        return pc.fill_null(pc.strftime(pa.array(series.to_numpy()), format="%Y-%m-%d"), "")
    if kind != "O":
        return None
    try:
        text = pa.array(series.to_numpy(), pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None  # numbers, dates, ... in an object column: pandas' str() of each
    text = pc.fill_null(text, "")
    quote = pc.match_substring_regex(text, _CSV_QUOTE_RE)
    if pc.any(quote).as_py():
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
        text = pc.if_else(quote, quoted, text)
    return text


def _csv_rows(frame: pd.DataFrame) -> bytes | None:
    """The CSV lines of ``frame`` (no header), each ending in ``\\n``; None when the fast path does not apply."""
    cols = []
    for j in range(frame.shape[1]):
        col = _csv_column(frame.iloc[:, j])
        if col is None:
            return None
        cols.append(col)
    if len(cols) == 1:  # the csv writer quotes a row made of one empty field
        cols[0] = pc.if_else(pc.equal(cols[0], ""), '""', cols[0])
    cols[-1] = pc.binary_join_element_wise(cols[-1], "\n", "")
    rows = pc.binary_join_element_wise(*cols, ",") if len(cols) > 1 else cols[0]
    rows = rows.cast(pa.large_string())  # 64-bit offsets: one chunk may exceed 2 GB of text
    _, offsets, data = rows.buffers()
    off = np.frombuffer(offsets, np.int64)[rows.offset: rows.offset + len(rows) + 1]
    return memoryview(data)[off[0]: off[-1]].tobytes()


def _csv_header(frame: pd.DataFrame) -> str:
    buf = _io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([str(c) for c in frame.columns])
    return buf.getvalue()


def write_csv(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``frame`` to ``path`` (not atomically: callers stage a temporary name) as UTF-8 CSV.

    The bytes are those of ``frame.to_csv(path, index=False, lineterminator="\\n",
    date_format="%Y-%m-%d")``: floats as ``repr`` (``1.0``, ``1e-05``), NaN / None / NaT
    as empty fields, booleans ``True``/``False``, dates ``YYYY-MM-DD``, text quoted
    only where it holds a comma, a quote or a line end (quotes doubled).  Columns
    are formatted with Arrow compute kernels, ``CSV_CHUNK_ROWS`` rows at a time;
    a frame with a dtype this does not cover (nullable extension types, float32,
    objects that are not text, tz-aware dates, a non-default index is ignored as
    by ``index=False``) is written by pandas itself.
    """
    if frame.shape[1] == 0 or not len(frame):
        frame.to_csv(path, index=False, lineterminator="\n", date_format="%Y-%m-%d")
        return
    with open(path, "wb") as fh:
        fh.write(_csv_header(frame).encode("utf-8"))
        for start in range(0, len(frame), CSV_CHUNK_ROWS):
            body = _csv_rows(frame.iloc[start: start + CSV_CHUNK_ROWS])
            if body is None:
                break
            fh.write(body)
        else:
            return
    frame.to_csv(path, index=False, lineterminator="\n", date_format="%Y-%m-%d")


def read_config(path: str | os.PathLike | None) -> dict:
    """Read a scenario TOML file and resolve it; ``None`` gives the default scenario."""
    from partsopt.config import default_config, parse_config_text
    from partsopt.errors import ConfigError

    if path is None:
        return default_config()
    p = Path(path)
    if not p.is_file():
        raise ConfigError("The configuration file does not exist.", where=str(p), received="no such file",
                          fix="give the path of a .toml scenario file (see docs for the keys).")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError("The configuration file is not UTF-8 text.", where=str(p), received="undecodable bytes",
                          fix="save it as UTF-8.") from None
    return parse_config_text(text, source=str(p))


def check_output_folder(folder: str | os.PathLike, option: str = "--out") -> Path:
    """``folder`` can hold a run's outputs: it is a folder, or can be created as one.

    Raises :class:`~partsopt.errors.ConfigError` (exit 2) naming ``option`` when the
    path, or the first of its parents that exists, is a file, or when that folder is
    not writable - so a command can refuse before any work is done.
    """
    from partsopt.errors import ConfigError

    path = Path(folder)
    for existing in (path, *path.parents):
        if not existing.exists():
            continue
        if not existing.is_dir():
            what = "is a file" if existing == path else f"is under a file ({existing})"
            raise ConfigError(f"The output folder {what}.", where=option, received=str(path),
                              fix="give a folder (it is created when missing), or move the file away.")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise ConfigError("The output folder cannot be written.", where=option, received=str(existing),
                              fix="choose a folder you can write to.")
        break
    return path


class OutputSet:
    """Stage several output files and publish them together.

    Use as a context manager: ``stage(name)`` returns a temporary path in the
    output folder to write to; on success every staged file is renamed to its
    final name; on an exception every staged file is deleted, so the folder
    keeps the outputs of the previous run untouched.  A folder that cannot be
    one (:func:`check_output_folder`) raises a ConfigError on entering.
    """

    def __init__(self, folder: str | os.PathLike, option: str = "--out"):
        self.folder = Path(folder)
        self.option = option
        self.staged: dict[Path, Path] = {}

    def __enter__(self) -> "OutputSet":
        check_output_folder(self.folder, self.option)
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def stage(self, name: str) -> Path:
        final = self.folder / name
        tmp = temp_path_for(final)
        self.staged[final] = tmp
        return tmp

    def write_table(self, frame: pd.DataFrame, name: str) -> Path:
        _write_frame_file(frame, self.stage(name), name)
        return self.folder / name

    def write_text(self, text: str, name: str) -> Path:
        self.stage(name).write_text(text, encoding="utf-8")
        return self.folder / name

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            for final, tmp in self.staged.items():
                os.replace(tmp, final)
        else:
            for tmp in self.staged.values():
                tmp.unlink(missing_ok=True)
        self.staged.clear()
