"""Differences between what an ERP target holds now and what an export would write.

Both sides are frames in one :class:`~partsopt.erp.formats.Layout`, normalised by
:func:`~partsopt.erp.formats.normalise_layout_frame`.  A row is

* ``new``       - its key (part, location) is only in the new export;
* ``removed``   - its key is only in the target (the export deletes it);
* ``changed``   - the key is in both and at least one value column differs;
* ``unchanged`` - otherwise.

Numbers are equal when both are NaN or when they agree to a relative tolerance
of :data:`REL_TOL` = 1e-12: CSV, Parquet and databases give floats back bit-exact
(shortest ``repr`` / binary), but Excel (openpyxl) may move the last bit, and a
last-bit change is no policy change.  Text compares as strings.

A changed quantity is *flagged for review* when its relative change exceeds the
threshold::

    relative_change = |new - old| / max(|old|, 1)                          [-]

The denominator ``max(|old|, 1)`` keeps slow movers sane: s going 0 → 1 is a change
of 1 (100 %), not infinite.  Only the layout's ``flag_columns`` (reorder point and
order-up-to level, in the layout's names) are flagged.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from partsopt.erp.columns import key_order
from partsopt.erp.errors import ExportOptionError
from partsopt.erp.formats import Layout

DIFF_COLUMNS: tuple[str, ...] = ("part", "location", "status", "column", "old", "new",
                                 "relative_change", "flagged")
_STATUS_ORDER = {"new": 0, "changed": 1, "removed": 2}
#: relative tolerance of number equality [-]
REL_TOL = 1e-12


@dataclass
class PolicyDiff:
    """Result of :func:`diff_layout_frames`.

    ``rows`` is a long table with :data:`DIFF_COLUMNS`: one row per new key, per
    removed key, and per changed *column* of a changed key (``column``, ``old``,
    ``new``, ``relative_change`` filled for changed rows only; keys are reported as
    ``part``/``location`` whatever the layout calls them), ordered new → changed →
    removed, then by key, then by column.  ``inserts`` and ``updates`` hold the full
    new rows (layout columns, key order) of new and changed keys; ``removed_keys``
    the keys to delete.
    """

    new: int
    changed: int
    removed: int
    unchanged: int
    rows: pd.DataFrame
    inserts: pd.DataFrame = field(repr=False)
    updates: pd.DataFrame = field(repr=False)
    removed_keys: pd.DataFrame = field(repr=False)

    @property
    def flagged(self) -> pd.DataFrame:
        return self.rows[self.rows["flagged"].to_numpy(bool)].reset_index(drop=True)

    @property
    def is_empty(self) -> bool:
        return self.new == 0 and self.changed == 0 and self.removed == 0


def check_threshold(review_threshold: float) -> float:
    """Validate ``review_threshold``: a finite number >= 0 [fraction, 0.5 = 50 %]."""
    try:
        value = float(review_threshold)
    except (TypeError, ValueError):
        value = float("nan")
    if not np.isfinite(value) or value < 0:
        raise ExportOptionError("review_threshold must be a finite number >= 0 (0.5 = 50 %)",
                                where="review_threshold", received=repr(review_threshold),
                                fix="pass e.g. 0.5")
    return value


def _equal(old: np.ndarray, new: np.ndarray, kind: str) -> np.ndarray:
    if kind == "number":
        old = old.astype("float64")
        new = new.astype("float64")
        with np.errstate(invalid="ignore"):
            close = np.abs(old - new) <= REL_TOL * np.maximum(np.abs(old), np.abs(new))
        return (old == new) | close | (np.isnan(old) & np.isnan(new))
    return old == new


def diff_layout_frames(current: pd.DataFrame, proposed: pd.DataFrame, layout: Layout,
                       review_threshold: float = 0.5) -> PolicyDiff:
    """Compare ``current`` (what the target holds) with ``proposed`` (the export).

    Vectorised: one outer merge on the keys, then whole-column comparisons (a loop
    over the layout's few value columns, never over rows).
    """
    threshold = check_threshold(review_threshold)
    keys = list(layout.keys)
    values = list(layout.value_columns)
    merged = current.merge(proposed, on=keys, how="outer", suffixes=("_old", "_new"),
                           indicator=True, sort=False)
    k0 = merged[keys[0]].to_numpy(dtype=object)
    k1 = merged[keys[1]].to_numpy(dtype=object)
    order = key_order(k0, k1)
    merged = merged.take(order)
    k0, k1 = k0[order], k1[order]
    where = merged["_merge"].to_numpy()
    is_new = where == "right_only"
    is_removed = where == "left_only"
    both = where == "both"
    diff_masks = {}
    any_diff = np.zeros(len(merged), dtype=bool)
    for col in values:
        neq = ~_equal(merged[col + "_old"].to_numpy(), merged[col + "_new"].to_numpy(),
                      layout.columns[col]) & both
        diff_masks[col] = neq
        any_diff |= neq
    rank = np.arange(len(merged))

    pieces = []
    for status, mask in (("new", is_new), ("removed", is_removed)):
        n = int(mask.sum())
        pieces.append(pd.DataFrame({
            "part": k0[mask], "location": k1[mask], "status": status, "column": "",
            "old": np.full(n, None, dtype=object), "new": np.full(n, None, dtype=object),
            "relative_change": np.full(n, np.nan), "flagged": np.zeros(n, dtype=bool),
            "_status": _STATUS_ORDER[status], "_rank": rank[mask], "_col": -1,
        }))
    for position, col in enumerate(values):
        mask = diff_masks[col]
        old = merged[col + "_old"].to_numpy()[mask]
        new = merged[col + "_new"].to_numpy()[mask]
        if layout.columns[col] == "number":
            o = old.astype("float64")
            rel = np.abs(new.astype("float64") - o) / np.maximum(np.abs(o), 1.0)
        else:
            rel = np.full(int(mask.sum()), np.nan)
        flagged = (rel > threshold) if col in layout.flag_columns else np.zeros(len(rel), dtype=bool)
        pieces.append(pd.DataFrame({
            "part": k0[mask], "location": k1[mask], "status": "changed", "column": col,
            "old": old.astype(object), "new": new.astype(object), "relative_change": rel,
            "flagged": np.asarray(flagged, dtype=bool), "_status": _STATUS_ORDER["changed"],
            "_rank": rank[mask], "_col": position,
        }))
    rows = pd.concat(pieces, ignore_index=True)
    sort = np.lexsort((rows["_col"].to_numpy(), rows["_rank"].to_numpy(), rows["_status"].to_numpy()))
    rows = rows.take(sort)[list(DIFF_COLUMNS)].reset_index(drop=True)
    rows["relative_change"] = rows["relative_change"].astype("float64")
    rows["flagged"] = rows["flagged"].astype(bool)

    def new_rows(mask: np.ndarray) -> pd.DataFrame:
        frame = pd.DataFrame({c: merged[c if c in keys else c + "_new"].to_numpy()[mask]
                              for c in layout.columns})
        return frame.astype({c: "float64" for c, k in layout.columns.items() if k == "number"})

    return PolicyDiff(
        new=int(is_new.sum()), changed=int(any_diff.sum()), removed=int(is_removed.sum()),
        unchanged=int((both & ~any_diff).sum()), rows=rows, inserts=new_rows(is_new),
        updates=new_rows(any_diff),
        removed_keys=pd.DataFrame({keys[0]: k0[is_removed], keys[1]: k1[is_removed]}),
    )
