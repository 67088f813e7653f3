"""File targets: CSV, Parquet or Excel (.xlsx) in one of the export layouts.

A file target holds the *current* policies of its layout, like a staging table
does: a dry run compares the export with the file that is there now, and an
export whose content equals the file's leaves the file untouched (same bytes, same
modification time).  Writes are atomic: the rows go to a temporary file in the
same folder (``.NAME.*.partsopt-tmp.SUFFIX``), which then replaces the target with
``os.replace``; a crash leaves either the old file or the new one, never half.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from partsopt.errors import DataError
from partsopt.erp.errors import ExportOptionError
from partsopt.erp.formats import Layout, normalise_layout_frame

FILE_SUFFIXES: tuple[str, ...] = (".csv", ".parquet", ".xlsx")


def check_file_target(path: str | Path) -> Path:
    """Validate a file target: known suffix, existing folder."""
    p = Path(path)
    if p.suffix.lower() not in FILE_SUFFIXES:
        raise ExportOptionError("unknown export file type", where="--to", received=str(p),
                                fix="end the path with .csv, .parquet or .xlsx, or pass a database URL "
                                    "(sqlite:///FILE.db, postgresql+psycopg://USER@HOST/DB)")
    if not p.parent.is_dir():
        raise ExportOptionError("the folder of the export file does not exist", where="--to",
                                received=str(p.parent), fix="create the folder first")
    if p.exists() and not p.is_file():
        raise ExportOptionError("the export target exists and is not a file", where="--to",
                                received=str(p))
    return p


def read_file_target(path: Path, layout: Layout) -> pd.DataFrame:
    """What the file holds now, normalised to ``layout``; empty when there is no file.

    A file without the layout's columns raises :class:`DataError` (it was written in
    another layout or by something else: we will not overwrite it silently).
    """
    empty = normalise_layout_frame(pd.DataFrame({c: [] for c in layout.columns}), layout)
    if not path.exists():
        return empty
    suffix = path.suffix.lower()
    text_cols = [c for c, k in layout.columns.items() if k == "text"]
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype={c: str for c in text_cols}, keep_default_na=False,
                            float_precision="round_trip",
                                na_values={c: [""] for c, k in layout.columns.items() if k == "number"})
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_excel(path, engine="openpyxl", dtype={c: str for c in text_cols})
    except Exception as exc:
        raise DataError("the existing export file cannot be read; nothing was written", where=str(path),
                        received=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                        fix="move the file away or export to another path") from None
    missing = [c for c in layout.columns if c not in frame.columns]
    if missing:
        raise DataError(f"the existing export file does not have the {layout.name} layout; "
                        "nothing was written", where=str(path),
                        received="missing columns: " + ", ".join(missing)
                                 + "; found: " + ", ".join(map(str, frame.columns)),
                        fix="export to another path, or move the file away to replace it")
    return normalise_layout_frame(frame, layout)


def write_file_target(path: Path, frame: pd.DataFrame) -> None:
    """Write ``frame`` to ``path`` atomically (temporary file + ``os.replace``)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partsopt-tmp" + path.suffix)
    os.close(fd)
    try:
        suffix = path.suffix.lower()
        if suffix == ".csv":
            frame.to_csv(tmp, index=False, lineterminator="\n")
        elif suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_excel(tmp, index=False, engine="openpyxl")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
