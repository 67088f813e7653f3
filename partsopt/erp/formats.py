"""The three export layouts: ``generic``, ``sap`` and ``odoo``.

A layout turns the validated ``policies`` table (see :mod:`partsopt.erp.policies_file`)
into the columns an ERP imports.  Each layout names its key columns (one row per
part and location), its value columns, and the quantity columns whose relative
change is flagged for review in a dry run.

``generic``
    The ``policies`` table of DESIGN.md §5 as is, plus ``pack_size``.

``sap``
    SAP material master, plant level (MARC fields), manual reorder-point planning:
    ``MATNR`` (material = part), ``WERKS`` (plant = location), ``DISMM`` = ``VB``
    (manual reorder point planning), ``DISLS`` = ``HB`` (lot size: replenish up to
    the maximum stock level — without it SAP ignores ``MABST``), ``MINBE`` (reorder
    point), ``EISBE`` (safety stock), ``MABST`` (maximum stock level = S) and
    ``BSTRF`` (rounding value = pack size).

``odoo``
    Odoo's ``stock.warehouse.orderpoint`` import layout: ``product_id`` (part),
    ``location_id`` (location), ``product_min_qty``, ``product_max_qty`` (= S) and
    ``qty_multiple`` (= pack size).

Reorder-point convention.  partsopt's one order rule (:func:`partsopt.ordering.order_rule`)
orders when the inventory position IP <= s *and* S - IP > 0, up to S rounded up to
the pack size.  SAP triggers reorder-point planning when available stock *falls
below* the reorder point (SAP Library, "Net Requirements Calculation for Reorder
Point Planning": "only carried out once the stock level has fallen below the
reorder level"); with lot size HB it orders up to MABST, rounded up to a multiple
of BSTRF.  Odoo orders when the forecast quantity is strictly below
``product_min_qty``, ``max(product_min_qty, product_max_qty) - forecast`` rounded
up to a multiple of ``qty_multiple`` (``stock.warehouse.orderpoint._compute_qty_to_order``:
``float_compare(qty_forecast, product_min_qty) < 0``).  For integer stock,
``IP <= s and IP < S  <=>  IP < min(floor(s), ceil(S) - 1) + 1``, so both ERPs receive

    MINBE = product_min_qty = max(min(floor(s), ceil(S) - 1) + 1, 0)     [units]

("do not stock", s = -1 or s = S = 0, becomes 0: never triggers), and order the
same quantity as partsopt for integer S (tested against ``order_rule``).  SAP and
Odoo do not accept a negative safety stock, so ``EISBE = max(safety_stock, 0)``.
Quantities are rounded to 3 decimals (SAP quantity fields have 3 decimals).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from partsopt.erp.columns import as_text
from partsopt.erp.errors import ExportOptionError
from partsopt.erp.policies_file import POLICY_COLUMNS, TEXT_COLUMNS


@dataclass(frozen=True)
class Layout:
    """One export layout.

    ``columns`` maps each column to its kind, ``"text"`` or ``"number"``, in output
    order; ``keys`` are the two key columns (part, location); ``flag_columns`` are the
    quantities whose relative change a dry run flags.
    """

    name: str
    keys: tuple[str, str]
    columns: dict[str, str]
    flag_columns: tuple[str, ...]

    @property
    def value_columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in self.keys)


LAYOUTS: dict[str, Layout] = {
    "generic": Layout(
        name="generic",
        keys=("part", "location"),
        columns={c: ("text" if c in TEXT_COLUMNS else "number") for c in POLICY_COLUMNS},
        flag_columns=("reorder_point", "order_up_to"),
    ),
    "sap": Layout(
        name="sap",
        keys=("MATNR", "WERKS"),
        columns={"MATNR": "text", "WERKS": "text", "DISMM": "text", "DISLS": "text",
                 "MINBE": "number", "EISBE": "number", "MABST": "number", "BSTRF": "number"},
        flag_columns=("MINBE", "MABST"),
    ),
    "odoo": Layout(
        name="odoo",
        keys=("product_id", "location_id"),
        columns={"product_id": "text", "location_id": "text", "product_min_qty": "number",
                 "product_max_qty": "number", "qty_multiple": "number"},
        flag_columns=("product_min_qty", "product_max_qty"),
    ),
}


def get_layout(fmt: str) -> Layout:
    """The :class:`Layout` called ``fmt``; :class:`ExportOptionError` for an unknown name."""
    try:
        return LAYOUTS[fmt]
    except (KeyError, TypeError):
        raise ExportOptionError("unknown export format", where="--format", received=repr(fmt),
                                fix="use one of: " + ", ".join(LAYOUTS)) from None


def _reorder_trigger(s: np.ndarray, big_s: np.ndarray) -> np.ndarray:
    """ERP "order when stock < level" level equivalent to partsopt's IP <= s and IP < S:
    ``max(min(floor(s), ceil(S) - 1) + 1, 0)`` [units] (module docstring)."""
    return np.maximum(np.minimum(np.floor(s), np.ceil(big_s) - 1.0) + 1.0, 0.0)


def to_layout(policies: pd.DataFrame, fmt: str) -> pd.DataFrame:
    """Turn a *validated* policies table into layout ``fmt``.

    The rows keep their order: :func:`~partsopt.erp.policies_file.validate_policies`
    has sorted them by (part, location), which is the layout's key order.
    Vectorised over rows: whole-column numpy operations, no per-row loop.
    """
    layout = get_layout(fmt)
    if fmt == "generic":
        out = policies[list(layout.columns)].copy()
    elif fmt == "sap":
        n = len(policies)
        out = pd.DataFrame({
            "MATNR": policies["part"].to_numpy(),
            "WERKS": policies["location"].to_numpy(),
            "DISMM": np.full(n, "VB", dtype=object),
            "DISLS": np.full(n, "HB", dtype=object),
            "MINBE": _reorder_trigger(policies["reorder_point"].to_numpy(float),
                                      policies["order_up_to"].to_numpy(float)),
            "EISBE": np.round(np.maximum(np.nan_to_num(policies["safety_stock"].to_numpy(float)), 0.0), 3),
            "MABST": np.round(policies["order_up_to"].to_numpy(float), 3),
            "BSTRF": np.round(policies["pack_size"].to_numpy(float), 3),
        })
    else:  # odoo
        out = pd.DataFrame({
            "product_id": policies["part"].to_numpy(),
            "location_id": policies["location"].to_numpy(),
            "product_min_qty": _reorder_trigger(policies["reorder_point"].to_numpy(float),
                                                policies["order_up_to"].to_numpy(float)),
            "product_max_qty": np.round(policies["order_up_to"].to_numpy(float), 3),
            "qty_multiple": np.round(policies["pack_size"].to_numpy(float), 3),
        })
    return normalise_layout_frame(out.reset_index(drop=True), layout)


def normalise_layout_frame(frame: pd.DataFrame, layout: Layout) -> pd.DataFrame:
    """Coerce a frame holding ``layout``'s columns to canonical dtypes.

    Text → Python ``str`` (missing → ``""``), numbers → ``float64`` (missing → NaN).
    Used on both sides of a diff (new export, and what a file or table holds now)
    so that equal values compare equal.  Missing columns raise ``KeyError``; callers
    check first and raise a :class:`~partsopt.errors.DataError`.
    """
    out = {}
    for col, kind in layout.columns.items():
        s = frame[col]
        if kind == "text":
            out[col] = as_text(s)
        else:
            out[col] = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64")
    return pd.DataFrame(out, columns=list(layout.columns))
