"""``export_policies``: write a policies table to a file or an ERP staging table.

Targets (``to``):

* a file path ending in ``.csv``, ``.parquet`` or ``.xlsx`` — the file holds the
  policies in layout ``fmt`` (:mod:`partsopt.erp.files`);
* an SQLAlchemy URL, ``sqlite:///FILE.db`` or
  ``postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB`` — every layout has its own
  staging table, ``partsopt_policies`` (generic), ``partsopt_policies_sap`` and
  ``partsopt_policies_odoo``, and all share the runs table ``partsopt_runs``
  (:mod:`partsopt.erp.database`).

Either way the target holds the *current* policies of that layout: the export
inserts new (part, location) keys, updates changed ones and deletes keys that are
not in the run ("removed"); exporting the same content again changes nothing.  A
dry run only computes the difference.  Nothing here prints: the CLI prints the
returned :class:`ExportResult`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from partsopt.erp.database import (ProgressHook, build_tables, export_to_database, is_database_url,
                                   mask_url)
from partsopt.erp.diff import check_threshold, diff_layout_frames
from partsopt.erp.errors import ExportOptionError
from partsopt.erp.files import check_file_target, read_file_target, write_file_target
from partsopt.erp.formats import get_layout, to_layout
from partsopt.erp.policies_file import RunInfo, validate_policies


@dataclass
class ExportResult:
    """What an export did (or, for a dry run, would do).

    ``diff`` has the columns :data:`partsopt.erp.diff.DIFF_COLUMNS` (one row per new
    or removed key and per changed column); ``flagged`` is its subset whose relative
    change exceeds ``review_threshold``.  ``target`` is safe to print (a URL's
    password is masked).  ``written`` is False for a dry run and for an export that
    found nothing to change.
    """

    fmt: str
    target: str
    kind: str  # "file" or "database"
    run: RunInfo
    dry_run: bool
    written: bool
    rows: int
    new: int
    changed: int
    removed: int
    unchanged: int
    diff: pd.DataFrame
    flagged: pd.DataFrame
    review_threshold: float
    table: str | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """The counts and identifiers as a plain dict (for logs and JSON)."""
        return {
            "format": self.fmt, "target": self.target, "kind": self.kind, "table": self.table,
            "run_id": self.run.run_id, "run_id_derived": self.run.derived, "dry_run": self.dry_run,
            "written": self.written, "rows": self.rows, "new": self.new, "changed": self.changed,
            "removed": self.removed, "unchanged": self.unchanged, "flagged": len(self.flagged),
            "review_threshold": self.review_threshold,
        }


def export_policies(policies: pd.DataFrame, fmt: str, to: str, *, run: RunInfo | dict | None = None,
                    dry_run: bool = False, review_threshold: float = 0.5,
                    table_prefix: str = "partsopt_", schema: str | None = None,
                    progress: ProgressHook | None = None, batch_size: int = 50_000,
                    source: str = "policies") -> ExportResult:
    """Export a policies table (DESIGN.md §5) in layout ``fmt`` to ``to``.

    Parameters
    ----------
    policies : the policies table; validated with
        :func:`~partsopt.erp.policies_file.validate_policies` (``source`` names it
        in error messages).
    fmt : ``"generic"``, ``"sap"`` or ``"odoo"`` (:mod:`partsopt.erp.formats`).
    to : a ``.csv``/``.parquet``/``.xlsx`` path or an SQLAlchemy URL (module docstring).
    run : the plan run (``run.json`` content or :class:`RunInfo`); None derives the
        run id from the policies' content (``RunInfo.derived``, noted in ``notes``).
    dry_run : only compute the difference from what the target holds now.
    review_threshold : flag changed reorder points / order-up-to levels whose
        relative change ``|new - old| / max(|old|, 1)`` exceeds it [fraction].
    table_prefix, schema : database targets only: table name prefix and schema.
    progress : called as ``progress(rows_done, rows_total, label)`` after each batch loaded
        into a database (inside the transaction).
    batch_size : rows per bulk-load batch (>= 1).

    Raises
    ------
    partsopt.errors.DataError : invalid policies; an existing target with another
        layout or an incompatible schema; the database rejected the rows.
    partsopt.errors.ConfigError : bad ``fmt``/``to``/threshold/prefix (also
        ``ValueError``), a database that cannot be reached (password masked).
    """
    layout = get_layout(fmt)
    threshold = check_threshold(review_threshold)
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ExportOptionError("batch_size must be an integer >= 1", where="batch_size",
                                received=repr(batch_size))
    if not isinstance(to, str) or not to:
        raise ExportOptionError("the export target must be a file path or a database URL",
                                where="--to", received=repr(to))
    clean = validate_policies(policies, source=source)
    run_info = RunInfo.coerce(run, clean)
    notes = []
    if run_info.derived:
        notes.append(f"no run id given (no run.json): run id {run_info.run_id} derived from a "
                     "content hash of the policies")
    frame = to_layout(clean, fmt)

    if is_database_url(to):
        tables = build_tables(layout, table_prefix=table_prefix, schema=schema)
        outcome = export_to_database(to, frame, tables, run_info, dry_run=dry_run,
                                     review_threshold=threshold, progress=progress,
                                     batch_size=batch_size)
        diff, written, kind, target, table = (outcome.diff, outcome.written, "database",
                                              mask_url(to), outcome.table)
        if not dry_run and not written:
            notes.append(f"run {run_info.run_id} is already in {table}: nothing changed")
    else:
        path = check_file_target(to)
        current = read_file_target(path, layout)
        diff = diff_layout_frames(current, frame, layout, threshold)
        written = False
        if not dry_run and (not diff.is_empty or not path.exists()):
            write_file_target(path, frame)
            written = True
        elif not dry_run:
            notes.append(f"{path} already holds these policies: left untouched")
        kind, target, table = "file", str(path), None

    rows = diff.rows
    return ExportResult(
        fmt=fmt, target=target, kind=kind, run=run_info, dry_run=bool(dry_run), written=written,
        rows=len(frame), new=diff.new, changed=diff.changed, removed=diff.removed,
        unchanged=diff.unchanged, diff=rows, flagged=diff.flagged, review_threshold=threshold,
        table=table, notes=notes)
