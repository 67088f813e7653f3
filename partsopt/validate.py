"""Validation of a dataset against the data contract (:mod:`partsopt.schema`).

Pure DataFrames in, a :class:`Dataset` out; no files are touched here
(:mod:`partsopt.io` reads them).  DESIGN.md §3.5:

* **Structural errors raise** one :class:`~partsopt.errors.DataError` that names
  the file, the column, the first offending rows (up to 5, with their values),
  what was received and how to fix it: a missing required table or column, a
  value of the wrong type, an unparseable date, a value out of its allowed
  range, a duplicate or empty key, a reference to something that does not
  exist, a cycle in the location tree or in the supersession chain, a required
  table with no rows.
* **Row-level problems become data**: a row in ``Dataset.issues`` (table, row,
  part, location, check, severity, detail, fallback) and the documented
  fallback below, so the run goes on.  ``strict=True`` raises on any
  error-level issue instead.

Row-level checks and their fallbacks
------------------------------------
==========================  ========  ==================================================
check                       severity  fallback
==========================  ========  ==================================================
``unit_cost_missing``       error     unit_cost := median unit_cost of the valid parts
``lead_time_missing``       error     lead_time_days := median of the valid parts
``lead_time_implausible``   warning   kept (lead_time_days > 365)
``lead_time_sd_negative``   warning   lead_time_sd_days := 0
``unit_price_negative``     warning   unit_price := unknown (NaN)
``supersession_gap``        warning   superseded_by points to no part: the link is dropped
``no_demand_history``       info      forecast from install base / BOM, else zero
``negative_on_hand``        error     on_hand := 0 (the stock record is wrong)
``negative_on_order``       error     on_order := 0
``negative_backorders``     error     backorders := 0
``receipt_before_order``    error     received_date := empty (ignored for lead times)
``promised_before_date``    warning   promised_date := date
``min_above_max``           error     max_qty := min_qty
==========================  ========  ==================================================
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from partsopt.errors import DataError
from partsopt.schema import (ISSUE_COLUMNS, REQUIRED_TABLES, TABLE_ORDER, TABLES, Column,
                             Table)

MAX_SHOWN = 5
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


@dataclass
class RawTable:
    """A table as read from its file: raw values plus where they came from."""

    frame: pd.DataFrame
    source: str = ""
    is_text: bool = True  # CSV (all text, rows counted as file lines) or typed (Parquet / in memory)

    def row_label(self, index: int) -> str:
        # CSV: header is line 1, so data row i (0-based) is line i + 2
        return f"line {index + 2}" if self.is_text else f"row {index + 1}"


@dataclass
class Dataset:
    """A validated dataset: one typed DataFrame per table (empty when the file is absent)."""

    tables: dict[str, pd.DataFrame]
    issues: pd.DataFrame
    present: frozenset[str] = frozenset()
    sources: dict[str, str] = field(default_factory=dict)
    path: str | None = None

    @property
    def parts(self) -> pd.DataFrame:
        return self.tables["parts"]

    @property
    def locations(self) -> pd.DataFrame:
        return self.tables["locations"]

    @property
    def demand(self) -> pd.DataFrame:
        return self.tables["demand"]

    @property
    def inventory(self) -> pd.DataFrame:
        return self.tables["inventory"]

    @property
    def receipts(self) -> pd.DataFrame:
        return self.tables["receipts"]

    @property
    def items(self) -> pd.DataFrame:
        return self.tables["items"]

    @property
    def install_base(self) -> pd.DataFrame:
        return self.tables["install_base"]

    @property
    def bom(self) -> pd.DataFrame:
        return self.tables["bom"]

    def summary(self) -> pd.DataFrame:
        """One row per table: rows, columns, source file."""
        rows = []
        for name in TABLE_ORDER:
            frame = self.tables[name]
            rows.append({"table": name, "rows": len(frame) if name in self.present else 0,
                         "columns": frame.shape[1], "source": self.sources.get(name, "(absent)")})
        return pd.DataFrame(rows)


# ------------------------------------------------------------------- helpers
def _where(raw: RawTable, column: str | None = None) -> str:
    src = raw.source or "(in memory)"
    return f"{src}, column '{column}'" if column else src


def _shown(raw: RawTable, frame: pd.DataFrame, mask: np.ndarray, columns: list[str]) -> str:
    idx = np.flatnonzero(mask)
    parts = []
    for i in idx[:MAX_SHOWN]:
        vals = ", ".join(f"{c}={frame[c].iloc[i]!r}" for c in columns if c in frame.columns)
        parts.append(f"{raw.row_label(int(i))}: {vals}")
    more = f" (and {len(idx) - MAX_SHOWN} more)" if len(idx) > MAX_SHOWN else ""
    return "; ".join(parts) + more


#: every character Python's ``str.strip()`` removes (``str.isspace``), for Arrow's trim kernel
_PY_WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())


def _stripped_text(series: pd.Series) -> tuple[pd.Series, np.ndarray] | None:
    """``(_as_text(series), _blank(series))`` for a column of text, computed by Arrow kernels.

    The same values as the Python path (``str.strip`` of every value, missing
    values as ""), in one pass instead of two, with equal strings sharing one
    Python object (a key column of 5 million rows and 20,000 parts holds 20,000
    strings, not 5 million).  None when the column is not all text (numbers or
    other objects mixed in): the Python path handles those.
    """
    if series.dtype != object:
        return None
    try:
        arr = pa.array(series.to_numpy(), pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    text = pc.utf8_trim(pc.fill_null(arr, ""), _PY_WHITESPACE)
    blank = pc.equal(text, "").to_numpy(zero_copy_only=False)
    out = pd.Series(text.to_pandas(deduplicate_objects=True).to_numpy(), index=series.index, dtype=object)
    return out, blank


def _lower(text: pd.Series) -> pd.Series:
    """``text.str.lower()`` with one Python call per distinct value (choice and bool columns hold few)."""
    codes, uniques = pd.factorize(text.to_numpy(), use_na_sentinel=False)
    low = np.array([str(u).lower() for u in uniques], dtype=object)
    return pd.Series(low[codes] if len(codes) else np.array([], dtype=object), index=text.index, dtype=object)


def _blank(series: pd.Series) -> np.ndarray:
    """True where a raw value is missing: NaN/None or empty / white-space text."""
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        s = series.astype(object)
        isna = s.isna().to_numpy()
        text = s.where(~isna, "").astype(str).str.strip()
        return isna | (text == "").to_numpy()
    return series.isna().to_numpy()


def _as_text(series: pd.Series) -> pd.Series:
    """Keys and free text as stripped strings; whole floats from Parquet lose their '.0'."""
    if pd.api.types.is_float_dtype(series):
        vals = series.to_numpy(dtype=np.float64)
        text = series.astype(str).to_numpy(dtype=object)
        whole = np.isfinite(vals) & (np.floor(vals) == vals)
        text[whole] = vals[whole].astype(np.int64).astype(str)
        text[np.isnan(vals)] = ""
        return pd.Series(text, index=series.index, dtype=object)
    s = series.astype(object)
    return s.where(s.notna(), "").astype(str).str.strip()


# --------------------------------------------------------------- conversion
def _convert_column(table: Table, col: Column, raw: RawTable, frame: pd.DataFrame) -> pd.Series:
    """Convert one raw column to its kind; type errors raise, missing values get the default."""
    series = frame[col.name]
    fast = _stripped_text(series)
    if fast is None:
        blank = _blank(series)

        def as_text():
            return _as_text(series)
    else:
        blank = fast[1]

        def as_text():
            return fast[0]
    if col.required and not col.allow_blank and blank.any():
        kind = "key" if col.kind == "key" else "value"
        what = (f"Empty key in {table.name}: column '{col.name}' must be filled on every row."
                if col.kind == "key" else f"Missing {kind} in {table.name}: column '{col.name}' is required on every row.")
        raise DataError(what, where=_where(raw, col.name), received=_shown(raw, frame, blank, [col.name]),
                        fix=f"fill '{col.name}' on these rows or remove them.")
    kind = col.kind
    if kind in ("key", "str"):
        out = as_text()
        if col.default not in (None, ""):
            out = out.where(~blank, col.default)
        return out
    if kind in ("float", "int"):
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            num = series.astype(np.float64)
        else:
            text = as_text()
            num = pd.to_numeric(text.where(~blank, np.nan), errors="coerce")
        bad = ~blank & num.isna().to_numpy()
        if bad.any():
            raise DataError(f"Text where a number is expected in {table.name}, column '{col.name}'.",
                            where=_where(raw, col.name), received=_shown(raw, frame, bad, [col.name]),
                            fix=f"write plain numbers in '{col.name}' (a dot as decimal separator, no units or thousands separators).")
        vals = num.to_numpy(dtype=np.float64)
        if kind == "int":
            frac = ~blank & np.isfinite(vals) & (np.floor(vals) != vals)
            if frac.any():
                raise DataError(f"A whole number is expected in {table.name}, column '{col.name}'.",
                                where=_where(raw, col.name), received=_shown(raw, frame, frac, [col.name]),
                                fix=f"'{col.name}' counts units: write whole numbers.")
        if col.bounds_structural:
            out_of = _out_of_bounds(col, vals) & ~blank
            if out_of.any():
                raise DataError(f"Value out of range in {table.name}, column '{col.name}': it must be {col.bound_text()}.",
                                where=_where(raw, col.name), received=_shown(raw, frame, out_of, [col.name]),
                                fix=f"correct '{col.name}' on these rows ({col.description or 'see docs/DESIGN.md §4'}).")
        default = np.nan if col.default is None else float(col.default)
        vals = np.where(blank, default, vals)
        if kind == "int":
            if np.isnan(vals).any():  # required int with no default cannot reach here
                return pd.Series(vals, index=frame.index)
            return pd.Series(vals.astype(np.int64), index=frame.index)
        return pd.Series(vals, index=frame.index)
    if kind == "date":
        if pd.api.types.is_datetime64_any_dtype(series):
            out = pd.to_datetime(series).dt.tz_localize(None) if getattr(series.dt, "tz", None) else pd.to_datetime(series)
            return out.astype("datetime64[ns]").dt.normalize()
        text = as_text()
        out = pd.to_datetime(text.where(~blank, None), format="%Y-%m-%d", errors="coerce")
        bad = ~blank & out.isna().to_numpy()
        if bad.any():
            raise DataError(f"Date that cannot be read in {table.name}, column '{col.name}'.",
                            where=_where(raw, col.name), received=_shown(raw, frame, bad, [col.name]),
                            fix="write dates as YYYY-MM-DD (ISO 8601) and check that the day exists in that month.")
        return out.astype("datetime64[ns]")
    if kind == "bool":
        if pd.api.types.is_bool_dtype(series):
            return series.astype(bool)
        text = _lower(as_text())
        truth = text.isin(_TRUE).to_numpy()
        false = text.isin(_FALSE).to_numpy()
        bad = ~blank & ~truth & ~false
        if bad.any():
            raise DataError(f"A true/false value is expected in {table.name}, column '{col.name}'.",
                            where=_where(raw, col.name), received=_shown(raw, frame, bad, [col.name]),
                            fix=f"write true or false in '{col.name}'.")
        return pd.Series(np.where(blank, bool(col.default), truth), index=frame.index)
    if kind == "choice":
        text = as_text()
        canon = {c.lower(): c for c in col.choices}
        low = _lower(text)
        bad = ~blank & ~low.isin(list(canon)).to_numpy()
        if bad.any():
            raise DataError(f"Unknown value in {table.name}, column '{col.name}'.",
                            where=_where(raw, col.name), received=_shown(raw, frame, bad, [col.name]),
                            fix=f"use one of: {', '.join(col.choices)}" + (f" (empty = {col.default})" if col.default else "") + ".")
        return low.map(canon).where(~blank, col.default or "")
    raise AssertionError(f"unknown column kind {kind}")  # pragma: no cover - schema bug


def _out_of_bounds(col: Column, vals: np.ndarray) -> np.ndarray:
    bad = np.zeros(vals.shape, bool)
    with np.errstate(invalid="ignore"):
        if col.lower is not None:
            bad |= (vals <= col.lower) if col.lower_open else (vals < col.lower)
        if col.upper is not None:
            bad |= vals > col.upper
    return bad


def _convert_table(table: Table, raw: RawTable) -> pd.DataFrame:
    frame = raw.frame.reset_index(drop=True)
    missing = [c for c in table.required_columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns[:12])) + (" ..." if frame.shape[1] > 12 else "")
        raise DataError(f"Table '{table.name}' lacks the required column{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(repr(m) for m in missing)}.",
                        where=_where(raw, missing[0]), received=f"columns: {have}",
                        fix=f"add the column (required: {', '.join(table.required_columns)}); names are lower case.")
    if table.required and len(frame) == 0:
        raise DataError(f"Table '{table.name}' has a header but no rows.", where=_where(raw),
                        received="0 data rows", fix=f"the {table.name} table is required: give at least one row.")
    out = {}
    for col in table.columns:
        if col.name in frame.columns:
            out[col.name] = _convert_column(table, col, raw, frame)
        else:
            out[col.name] = _default_column(col, len(frame))
    extra = [c for c in frame.columns if c not in table.column_names]
    result = pd.DataFrame(out, index=frame.index)
    for c in extra:  # extra columns are kept and ignored (DESIGN.md §4)
        result[c] = frame[c].to_numpy()
    return result


def _default_column(col: Column, n: int) -> pd.Series:
    if col.kind == "date":
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    if col.kind == "int":
        return pd.Series(np.full(n, int(col.default), np.int64))
    if col.kind == "float":
        return pd.Series(np.full(n, np.nan if col.default is None else float(col.default)))
    if col.kind == "bool":
        return pd.Series(np.full(n, bool(col.default)))
    return pd.Series([col.default or ""] * n, dtype=object)


def empty_table(name: str) -> pd.DataFrame:
    """A typed empty table (for an optional file that is absent)."""
    table = TABLES[name]
    return pd.DataFrame({c.name: _default_column(c, 0) for c in table.columns})


# ------------------------------------------------------------ structural
def _check_keys(table: Table, raw: RawTable, frame: pd.DataFrame) -> None:
    if not table.key:
        return
    dup = frame.duplicated(list(table.key), keep=False).to_numpy()
    if dup.any():
        key = ", ".join(table.key)
        raise DataError(f"Duplicate key in {table.name}: ({key}) must be unique.",
                        where=_where(raw, table.key[0]), received=_shown(raw, frame, dup, list(table.key)),
                        fix=f"keep one row per ({key}); merge or delete the duplicates.")


def _check_references(name: str, tables: dict[str, pd.DataFrame], raws: dict[str, RawTable],
                      issues: list[dict]) -> None:
    table = TABLES[name]
    frame = tables[name]
    for ref in table.references:
        target = tables[ref.target]
        values = frame[ref.column]
        known = values.isin(set(target[ref.target_column]))
        if ref.allow_empty:
            known |= values == ""
        bad = ~known.to_numpy()
        if not bad.any():
            continue
        if ref.structural:
            raw = raws[name]
            unknown = sorted(set(values[bad]))
            raise DataError(f"{name} refers to {ref.target_column}s that are not in the {ref.target} table.",
                            where=_where(raw, ref.column),
                            received=_shown(raw, frame, bad, [ref.column]) + f" — unknown: {', '.join(map(repr, unknown[:MAX_SHOWN]))}",
                            fix=f"add them to {ref.target} or correct '{ref.column}' on these rows.")
        # row-level: only parts.superseded_by today
        for i in np.flatnonzero(bad):
            issues.append(_issue(name, i, frame, "supersession_gap", "warning",
                                 f"superseded_by={values.iloc[i]!r} is not a part in the master",
                                 "the supersession link is dropped"))
        frame.loc[bad, ref.column] = ""


def _cycle_members(next_idx: np.ndarray) -> np.ndarray:
    """Mask of nodes on a cycle of the functional graph ``i -> next_idx[i]`` (-1 = end of chain).

    Vectorised pointer doubling: after ``2**k >= n`` jumps a node whose chain has
    not ended sits on a cycle, so the images of those jumps are cycle members
    (at least one per cycle, which is all an error message needs).
    """
    n = len(next_idx)
    on = np.zeros(n, bool)
    if n == 0:
        return on
    jump = next_idx.copy()
    steps = 1
    while steps < n:
        alive = jump >= 0
        jump = np.where(alive, jump[np.maximum(jump, 0)], -1)
        steps *= 2
    alive = jump >= 0
    on[jump[alive]] = True
    return on


def _check_cycles(frame: pd.DataFrame, key: str, pointer: str, raw: RawTable, what: str, fix: str) -> None:
    index = pd.Index(frame[key])
    nxt = index.get_indexer(frame[pointer].where(frame[pointer] != "", None))
    on = _cycle_members(nxt)
    if on.any():
        # describe one cycle in order
        start = int(np.flatnonzero(on)[0])
        chain = [frame[key].iloc[start]]
        j = nxt[start]
        while j != start and len(chain) <= len(frame):
            chain.append(frame[key].iloc[j])
            j = nxt[j]
        chain.append(frame[key].iloc[start])
        raise DataError(what, where=_where(raw, pointer),
                        received=" -> ".join(map(str, chain)) + "; " + _shown(raw, frame, on, [key, pointer]),
                        fix=fix)


def _derive_location_kind(loc: pd.DataFrame) -> None:
    has_parent = loc["parent"] != ""
    has_child = loc["location"].isin(set(loc["parent"]))
    derived = np.where(~has_parent, "central", np.where(has_child, "regional", "dealer"))
    loc["kind"] = loc["kind"].where(loc["kind"] != "", pd.Series(derived, index=loc.index))


# --------------------------------------------------------------- row level
def _issue(table: str, row, frame: pd.DataFrame, check: str, severity: str, detail: str, fallback: str) -> dict:
    part = frame["part"].iloc[row] if "part" in frame.columns and row is not None else ""
    loc = frame["location"].iloc[row] if "location" in frame.columns and row is not None else ""
    return {"table": table, "row": -1 if row is None else int(row), "part": part, "location": loc,
            "check": check, "severity": severity, "detail": detail, "fallback": fallback}


def _issues_for(table: str, frame: pd.DataFrame, mask: np.ndarray, check: str, severity: str,
                detail_col: str | None, detail: str, fallback: str) -> pd.DataFrame:
    """Vectorised: one issue row per True in ``mask``."""
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return pd.DataFrame(columns=list(ISSUE_COLUMNS))
    sub = frame.iloc[idx]
    if detail_col is not None:
        details = detail + "=" + sub[detail_col].astype(str)
    else:
        details = pd.Series(detail, index=sub.index)
    return pd.DataFrame({
        "table": table, "row": idx,
        "part": sub["part"].to_numpy() if "part" in sub.columns else "",
        "location": sub["location"].to_numpy() if "location" in sub.columns else "",
        "check": check, "severity": severity, "detail": details.to_numpy(), "fallback": fallback,
    })


def _row_checks(tables: dict[str, pd.DataFrame], present: set[str]) -> list[pd.DataFrame]:
    out: list[pd.DataFrame] = []
    parts = tables["parts"]

    cost = parts["unit_cost"].to_numpy()
    bad = ~(cost > 0)
    if bad.any():
        fill = float(np.median(cost[~bad])) if (~bad).any() else 1.0
        out.append(_issues_for("parts", parts, bad, "unit_cost_missing", "error", "unit_cost",
                               "unit cost missing or not > 0", f"unit_cost := {fill:g} (median of the valid parts)"))
        parts.loc[bad, "unit_cost"] = fill

    lt = parts["lead_time_days"].to_numpy()
    bad = ~(lt > 0)
    if bad.any():
        fill = float(np.median(lt[~bad])) if (~bad).any() else 14.0
        out.append(_issues_for("parts", parts, bad, "lead_time_missing", "error", "lead_time_days",
                               "lead time missing or not > 0", f"lead_time_days := {fill:g} (median of the valid parts)"))
        parts.loc[bad, "lead_time_days"] = fill
    implausible = parts["lead_time_days"].to_numpy() > 365
    if implausible.any():
        out.append(_issues_for("parts", parts, implausible, "lead_time_implausible", "warning", "lead_time_days",
                               "lead time over a year", "kept as given"))

    sd = parts["lead_time_sd_days"].to_numpy()
    bad = sd < 0
    if bad.any():
        out.append(_issues_for("parts", parts, bad, "lead_time_sd_negative", "warning", "lead_time_sd_days",
                               "negative lead-time spread", "lead_time_sd_days := 0"))
        parts.loc[bad, "lead_time_sd_days"] = 0.0
    parts["lead_time_sd_days"] = parts["lead_time_sd_days"].fillna(0.0)

    price = parts["unit_price"].to_numpy()
    bad = price < 0
    if bad.any():
        out.append(_issues_for("parts", parts, bad, "unit_price_negative", "warning", "unit_price",
                               "negative price", "unit_price := unknown"))
        parts.loc[bad, "unit_price"] = np.nan

    demand = tables["demand"]
    sold = set(demand["part"].unique())
    successors = set(parts.loc[parts["superseded_by"] != "", "superseded_by"])
    no_hist = ~parts["part"].isin(sold).to_numpy()
    # a successor inherits the history of the parts it replaces: not a missing history
    no_hist &= ~(parts["part"].isin(successors).to_numpy() & parts["part"].isin(
        set(parts.loc[parts["part"].isin(sold) | parts["superseded_by"].isin(sold), "superseded_by"])).to_numpy())
    if no_hist.any():
        out.append(_issues_for("parts", parts, no_hist, "no_demand_history", "info", None,
                               "no demand line in the history", "forecast from install base and BOM, else zero"))

    late_promise = (demand["promised_date"] < demand["date"]).to_numpy()
    if late_promise.any():
        out.append(_issues_for("demand", demand, late_promise, "promised_before_date", "warning", "promised_date",
                               "promised before the order date", "promised_date := date"))
        demand.loc[late_promise, "promised_date"] = demand.loc[late_promise, "date"]

    if "inventory" in present:
        inv = tables["inventory"]
        for col, check in (("on_hand", "negative_on_hand"), ("on_order", "negative_on_order"),
                           ("backorders", "negative_backorders")):
            bad = inv[col].to_numpy() < 0
            if bad.any():
                out.append(_issues_for("inventory", inv, bad, check, "error", col,
                                       f"negative {col.replace('_', ' ')}", f"{col} := 0"))
                inv.loc[bad, col] = 0.0
    if "receipts" in present:
        rec = tables["receipts"]
        bad = (rec["received_date"] < rec["order_date"]).to_numpy()
        if bad.any():
            out.append(_issues_for("receipts", rec, bad, "receipt_before_order", "error", "received_date",
                                   "received before it was ordered", "received_date := empty (ignored for lead times)"))
            rec.loc[bad, "received_date"] = pd.NaT
    if "items" in present:
        it = tables["items"]
        bad = (it["min_qty"] > it["max_qty"]).to_numpy()
        if bad.any():
            out.append(_issues_for("items", it, bad, "min_above_max", "error", "min_qty",
                                   "min_qty above max_qty", "max_qty := min_qty"))
            it.loc[bad, "max_qty"] = it.loc[bad, "min_qty"]
    return out


# ------------------------------------------------------------------ entry
def validate_tables(raw: dict[str, RawTable | pd.DataFrame], *, strict: bool = False,
                    path: str | None = None) -> Dataset:
    """Validate raw tables (from files or in memory) and return a typed :class:`Dataset`.

    ``raw`` maps table names to :class:`RawTable` (or plain DataFrames, taken as
    typed in-memory tables).  See the module docstring for what raises and what
    becomes an issue.
    """
    raws: dict[str, RawTable] = {}
    for name, value in raw.items():
        if name not in TABLES:
            raise DataError(f"Unknown table '{name}'.", where=path or "(in memory)", received=name,
                            fix=f"tables are: {', '.join(TABLE_ORDER)}.")
        raws[name] = value if isinstance(value, RawTable) else RawTable(frame=value, source=f"{name} (in memory)",
                                                                         is_text=False)
    missing = [t for t in REQUIRED_TABLES if t not in raws]
    if missing:
        raise DataError(f"The dataset lacks the required table{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(missing)}.", where=path or "(in memory)",
                        received="tables found: " + (", ".join(sorted(raws)) or "none"),
                        fix="add " + ", ".join(f"{m}.csv" for m in missing) + " (or .parquet) to the folder.")

    tables: dict[str, pd.DataFrame] = {}
    for name in TABLE_ORDER:
        if name in raws:
            frame = _convert_table(TABLES[name], raws[name])
            if name == "demand":
                frame = _complete_demand(frame)
            _check_keys(TABLES[name], raws[name], frame)
            tables[name] = frame
        else:
            tables[name] = empty_table(name)

    issues: list[dict] = []
    present = set(raws)
    for name in TABLE_ORDER:
        if name in present:
            _check_references(name, tables, raws, issues)

    _check_cycles(tables["locations"], "location", "parent", raws["locations"],
                  "The location tree has a cycle: a location is (indirectly) its own parent.",
                  "every chain of parents must end at a location with an empty parent (the central warehouse).")
    _check_cycles(tables["parts"], "part", "superseded_by", raws["parts"],
                  "The supersession chain has a loop: a part is (indirectly) superseded by itself.",
                  "break the loop: the newest part of a chain must have an empty superseded_by.")
    _derive_location_kind(tables["locations"])

    frames = _row_checks(tables, present)
    if issues:
        frames.append(pd.DataFrame(issues))
    frames = [f for f in frames if len(f)]
    issue_table = (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(ISSUE_COLUMNS)))
    issue_table = issue_table[list(ISSUE_COLUMNS)]
    order = {s: i for i, s in enumerate(("error", "warning", "info"))}
    issue_table = issue_table.sort_values(["severity", "table", "check", "row"],
                                          key=lambda s: s.map(order) if s.name == "severity" else s,
                                          kind="stable").reset_index(drop=True)
    issue_table["row"] = issue_table["row"].astype(np.int64)

    if strict:
        errors = issue_table[issue_table["severity"] == "error"]
        if len(errors):
            shown = "; ".join(f"{r.table} {r.check} ({r.part or ''} {r.location or ''}".rstrip() + ")"
                              for r in errors.head(MAX_SHOWN).itertuples())
            raise DataError(f"--strict: {len(errors)} error-level issue(s) in the dataset.",
                            where=path or "(in memory)", received=shown,
                            fix="correct the rows listed by 'partsopt validate', or run without --strict to use the fallbacks.")

    sources = {n: r.source for n, r in raws.items()}
    return Dataset(tables=tables, issues=issue_table, present=frozenset(present), sources=sources, path=path)


def _complete_demand(frame: pd.DataFrame) -> pd.DataFrame:
    """Generate missing line ids (``L<row>``) and default promised dates (= date)."""
    empty = (frame["line_id"] == "").to_numpy()
    if empty.any():
        gen = pd.Series("L" + pd.Series(np.arange(len(frame))).astype(str).str.zfill(9).to_numpy(), index=frame.index)
        frame["line_id"] = frame["line_id"].where(~empty, gen)
    frame["promised_date"] = frame["promised_date"].fillna(frame["date"])
    return frame
