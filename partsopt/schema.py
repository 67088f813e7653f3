"""The data contract: every input table of DESIGN.md §4, declared once.

A dataset is a folder of CSV or Parquet files named after the tables
(``parts.csv``, ``demand.parquet``, ...; both formats may be mixed).  This
module only *declares* the tables; :mod:`partsopt.io` reads files and
:mod:`partsopt.validate` applies the declaration.

Column kinds
------------
``key``    string identifier (part, location, model); never empty when required
``str``    free text; missing → the default
``float``  number; missing → the default (``NaN`` where the default is None)
``int``    whole number (a value with a fractional part is a type error)
``date``   ISO ``YYYY-MM-DD`` (``datetime64[ns]`` after loading)
``bool``   true/false, yes/no, 1/0 (case-insensitive)
``choice`` one of a fixed set of strings (case-insensitive on input)

Checks on values are either *structural* (the whole run cannot go on: raise)
or *row-level* (one row is doubtful: a row in the ``issues`` table, a
documented fallback, the run goes on).  Which is which is fixed here in
``Column.bounds_structural`` and in :mod:`partsopt.validate`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: tables a dataset must have; the others are optional
REQUIRED_TABLES = ("parts", "locations", "demand")
#: every table, in the order they are read and validated
TABLE_ORDER = ("parts", "locations", "demand", "inventory", "receipts", "items",
               "install_base", "bom")
#: file endings that are read, in order of preference when a table has several
EXTENSIONS = (".parquet", ".pq", ".csv")


@dataclass(frozen=True)
class Column:
    """One column of an input table.

    ``lower``/``upper`` bound the value (``lower_open`` makes ``lower``
    exclusive).  When ``bounds_structural`` is true a value out of bounds is a
    structural error; otherwise it is a row-level issue handled in
    :mod:`partsopt.validate` with a documented fallback.
    """

    name: str
    kind: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    lower: float | None = None
    lower_open: bool = False
    upper: float | None = None
    bounds_structural: bool = True
    allow_blank: bool = False
    description: str = ""

    def bound_text(self) -> str:
        parts = []
        if self.lower is not None:
            parts.append(("> " if self.lower_open else ">= ") + _fmt(self.lower))
        if self.upper is not None:
            parts.append("<= " + _fmt(self.upper))
        return " and ".join(parts)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class Reference:
    """``column`` of this table must name an existing ``target_column`` of ``target``.

    ``allow_empty``: an empty value is no reference.  ``structural``: an
    unknown value raises; otherwise it is a row-level issue.
    """

    column: str
    target: str
    target_column: str
    allow_empty: bool = False
    structural: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    description: str = ""
    row_names: tuple[str, ...] = field(default=())

    @property
    def required(self) -> bool:
        return self.name in REQUIRED_TABLES

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


K, S, F, I, D, B, C = "key", "str", "float", "int", "date", "bool", "choice"
NAN = float("nan")

TABLES: dict[str, Table] = {
    "parts": Table(
        "parts",
        (
            Column("part", K, required=True, description="part number"),
            Column("unit_cost", F, required=True, allow_blank=True, lower=0, lower_open=True, bounds_structural=False,
                   description="purchase cost per unit [currency]"),
            Column("unit_price", F, default=NAN, lower=0, bounds_structural=False,
                   description="selling price per unit [currency]; empty = unknown"),
            Column("lead_time_days", F, required=True, allow_blank=True, lower=0, lower_open=True, bounds_structural=False,
                   description="supplier lead time to the top of the network [days]"),
            Column("lead_time_sd_days", F, default=0.0, lower=0, bounds_structural=False,
                   description="standard deviation of the supplier lead time [days]"),
            Column("pack_size", I, default=1, lower=1, description="order multiple [units]"),
            Column("moq", I, default=1, lower=1, description="minimum order quantity [units]"),
            Column("criticality", C, default="B", choices=("A", "B", "C"),
                   description="A = most critical"),
            Column("superseded_by", K, default="", description="successor part; empty = none"),
            Column("description", S, default=""),
        ),
        key=("part",),
        references=(Reference("superseded_by", "parts", "part", allow_empty=True, structural=False),),
        description="the part master",
    ),
    "locations": Table(
        "locations",
        (
            Column("location", K, required=True),
            Column("parent", K, default="", description="location that replenishes it; empty = the supplier"),
            Column("kind", C, default="", choices=("central", "regional", "dealer"),
                   description="derived from the tree when empty"),
            Column("transit_days", F, default=0.0, lower=0, description="transit time from the parent [days]"),
            Column("review_days", F, default=7.0, lower=0, lower_open=True,
                   description="normal order cycle [days]"),
            Column("emergency_days", F, default=1.0, lower=0,
                   description="emergency delivery time from the parent [days]"),
            Column("emergency_cost", F, default=0.0, lower=0, description="cost per emergency order line"),
            Column("holding_rate", F, default=0.25, lower=0, upper=5,
                   description="holding cost per year as a share of unit cost [1/year]"),
            Column("order_cost", F, default=0.0, lower=0, description="cost per normal order line"),
        ),
        key=("location",),
        references=(Reference("parent", "locations", "location", allow_empty=True),),
        description="the network: central → regional → dealers",
    ),
    "demand": Table(
        "demand",
        (
            Column("date", D, required=True),
            Column("part", K, required=True),
            Column("location", K, required=True),
            Column("qty", I, required=True, lower=0, lower_open=True, description="units on the line"),
            Column("line_id", K, default="", description="generated when absent"),
            Column("promised_date", D, description="date + 0 when absent"),
        ),
        key=("line_id",),
        references=(Reference("part", "parts", "part"), Reference("location", "locations", "location")),
        description="one row per repair-order line: the repair history",
    ),
    "inventory": Table(
        "inventory",
        (
            Column("part", K, required=True),
            Column("location", K, required=True),
            Column("on_hand", F, required=True, lower=0, bounds_structural=False),
            Column("on_order", F, default=0.0, lower=0, bounds_structural=False),
            Column("backorders", F, default=0.0, lower=0, bounds_structural=False),
        ),
        key=("part", "location"),
        references=(Reference("part", "parts", "part"), Reference("location", "locations", "location")),
        description="the stock snapshot at --as-of",
    ),
    "receipts": Table(
        "receipts",
        (
            Column("part", K, required=True),
            Column("location", K, required=True),
            Column("order_date", D, required=True),
            Column("qty", F, required=True, lower=0, lower_open=True),
            Column("received_date", D, required=True, allow_blank=True, description="empty = still open"),
            Column("promised_date", D),
            Column("order_type", C, default="normal", choices=("normal", "emergency")),
        ),
        references=(Reference("part", "parts", "part"), Reference("location", "locations", "location")),
        description="history of replenishment orders",
    ),
    "items": Table(
        "items",
        (
            Column("part", K, required=True),
            Column("location", K, required=True),
            Column("stocked", B, default=True),
            Column("lead_time_days", F, default=NAN, lower=0, lower_open=True),
            Column("review_days", F, default=NAN, lower=0, lower_open=True),
            Column("min_qty", F, default=NAN, lower=0),
            Column("max_qty", F, default=NAN, lower=0),
        ),
        key=("part", "location"),
        references=(Reference("part", "parts", "part"), Reference("location", "locations", "location")),
        description="per part-location overrides",
    ),
    "install_base": Table(
        "install_base",
        (
            Column("location", K, required=True),
            Column("model", K, required=True),
            Column("units", F, required=True, lower=0),
        ),
        key=("location", "model"),
        references=(Reference("location", "locations", "location"),),
        description="vehicles / machines in the field, by location and model",
    ),
    "bom": Table(
        "bom",
        (
            Column("model", K, required=True),
            Column("part", K, required=True),
            Column("qty_per_unit", F, required=True, lower=0, lower_open=True),
            Column("failure_rate", F, default=NAN, lower=0, description="failures per unit-year"),
        ),
        key=("model", "part"),
        references=(Reference("part", "parts", "part"),),
        description="which parts each model uses",
    ),
}

#: the columns of the ``issues`` table (row-level problems)
ISSUE_COLUMNS = ("table", "row", "part", "location", "check", "severity", "detail", "fallback")
SEVERITIES = ("error", "warning", "info")

#: numpy dtype of each column kind after loading
KIND_DTYPES = {K: object, S: object, F: np.float64, I: np.int64, D: "datetime64[ns]", B: bool, C: object}
