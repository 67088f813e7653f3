"""Reading a dataset folder and writing outputs safely (an edge module).

* :func:`load` reads a folder of CSV / Parquet tables (DESIGN.md §4) and returns
  a validated :class:`partsopt.validate.Dataset`.
* :func:`read_table_file` reads one file into raw columns and turns every
  file-level problem (empty, unreadable, not UTF-8, wrong delimiter, ragged
  rows) into one :class:`~partsopt.errors.DataError` that names the file.
* :func:`atomic_write` / :func:`write_table` write under a temporary name and
  rename, so a failed run never leaves a half-written file behind.
"""
from __future__ import annotations

import io as _io
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

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
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many types for a broken file
            raise DataError(f"{path.name} cannot be read as Parquet.", where=str(path),
                            received=f"{type(exc).__name__}: {exc}",
                            fix="re-export the table as Parquet or as UTF-8 CSV.") from None
        return RawTable(frame=frame, source=str(path), is_text=False)
    return RawTable(frame=_read_csv(path), source=str(path), is_text=True)


def _read_csv(path: Path) -> pd.DataFrame:
    data = path.read_bytes()
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
        if path.suffix.lower() in (".parquet", ".pq"):
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False, lineterminator="\n", date_format="%Y-%m-%d")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


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


class OutputSet:
    """Stage several output files and publish them together.

    Use as a context manager: ``stage(name)`` returns a temporary path in the
    output folder to write to; on success every staged file is renamed to its
    final name; on an exception every staged file is deleted, so the folder
    keeps the outputs of the previous run untouched.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.staged: dict[Path, Path] = {}

    def __enter__(self) -> "OutputSet":
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def stage(self, name: str) -> Path:
        final = self.folder / name
        tmp = temp_path_for(final)
        self.staged[final] = tmp
        return tmp

    def write_table(self, frame: pd.DataFrame, name: str) -> Path:
        tmp = self.stage(name)
        if name.lower().endswith((".parquet", ".pq")):
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False, lineterminator="\n", date_format="%Y-%m-%d")
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
