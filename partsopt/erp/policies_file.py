"""Read and validate a ``policies`` table and the run it came from.

The ``policies`` table is fixed by DESIGN.md §5.  ``partsopt plan`` writes it as
``policies.csv`` or ``policies.parquet`` into its output folder, and beside it a
``run.json`` with the keys ``run_id``, ``as_of``, ``config_hash``, ``version`` and
``created_at``.

Columns (all required except ``pack_size``):

======================  =======  ==================================================
column                  kind     meaning [units]
======================  =======  ==================================================
part, location          text     the key; non-empty, unique together
policy                  text     policy type, e.g. ``sS``
reorder_point           number   s: order when inventory position <= s [units]
order_up_to             number   S: order up to S [units]; S >= s
safety_stock            number   [units]
lead_time_days          number   [days]
review_days             number   [days]
target_name             text     service target, e.g. ``hit_rate``
target_level            number   service target level [fraction]
expected_hit_rate       number   [fraction]
expected_fill_rate      number   [fraction]
expected_on_hand        number   [units]
inventory_value         number   [currency]
annual_holding_cost     number   [currency / year]
reason                  text     one readable sentence
pack_size               number   optional, default 1; > 0 [units]
======================  =======  ==================================================

Structural problems (missing columns, text where a number belongs, duplicate keys,
S < s, non-finite s or S) raise :class:`partsopt.errors.DataError` naming the file,
the column and the first bad rows: an ERP must never receive a half-valid policy.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from partsopt.errors import DataError
from partsopt.erp.columns import as_text, key_order, strip_text

KEY_COLUMNS: tuple[str, ...] = ("part", "location")
TEXT_COLUMNS: tuple[str, ...] = ("part", "location", "policy", "target_name", "reason")
NUMBER_COLUMNS: tuple[str, ...] = (
    "reorder_point", "order_up_to", "safety_stock", "lead_time_days", "review_days",
    "target_level", "expected_hit_rate", "expected_fill_rate", "expected_on_hand",
    "inventory_value", "annual_holding_cost",
)
OPTIONAL_NUMBER_DEFAULTS: dict[str, float] = {"pack_size": 1.0}
#: the policies columns in their canonical order (pack_size last)
POLICY_COLUMNS: tuple[str, ...] = (
    "part", "location", "policy", "reorder_point", "order_up_to", "safety_stock",
    "lead_time_days", "review_days", "target_name", "target_level", "expected_hit_rate",
    "expected_fill_rate", "expected_on_hand", "inventory_value", "annual_holding_cost",
    "reason", "pack_size",
)
RUN_KEYS: tuple[str, ...] = ("run_id", "as_of", "config_hash", "version", "created_at")
_MAX_SHOWN = 5


@dataclass(frozen=True)
class RunInfo:
    """The plan run a policies table belongs to (``run.json``).

    ``derived`` is True when there was no ``run.json`` (or no ``run_id`` in it) and
    ``run_id`` was derived from a content hash of the policies instead.
    """

    run_id: str
    as_of: str | None = None
    config_hash: str | None = None
    version: str | None = None
    created_at: str | None = None
    derived: bool = False

    @classmethod
    def coerce(cls, run: "RunInfo | dict | None", policies: pd.DataFrame | None = None) -> "RunInfo":
        """Accept a RunInfo, a ``run.json``-like dict, or None (derive from ``policies``)."""
        if isinstance(run, RunInfo):
            return run
        if run is None:
            if policies is None:
                raise DataError("no run information and no policies to derive a run id from",
                                where="run", fix="pass run={'run_id': ...}")
            return cls(run_id=policies_content_id(policies), derived=True)
        if not isinstance(run, dict):
            raise DataError("run must be a RunInfo or a dict with a 'run_id' key",
                            where="run", received=f"{type(run).__name__}: {run!r}"[:200],
                            fix="pass run={'run_id': ..., 'as_of': ..., 'config_hash': ...}")
        # extra keys in run.json are ignored: the run record holds RUN_KEYS only
        values = {k: (None if run.get(k) is None else str(run[k])) for k in RUN_KEYS}
        if not values["run_id"]:
            if policies is None:
                raise DataError("run information has no 'run_id'", where="run",
                                received=repr(run)[:200], fix="add a run_id")
            values["run_id"] = policies_content_id(policies)
            return cls(**values, derived=True)
        return cls(**values, derived=bool(run.get("derived", False)))

    def as_dict(self) -> dict:
        return asdict(self)


def policies_content_id(policies: pd.DataFrame) -> str:
    """A run id derived from the policies' content: ``sha256-`` + 16 hex digits.

    The hash covers the canonical columns sorted by (part, location), so row order
    does not change it.
    """
    cols = [c for c in POLICY_COLUMNS if c in policies.columns]
    canon = policies[cols].sort_values(list(KEY_COLUMNS), kind="stable").reset_index(drop=True)
    row_hashes = pd.util.hash_pandas_object(canon, index=False).to_numpy()
    digest = hashlib.sha256(",".join(cols).encode() + row_hashes.tobytes()).hexdigest()
    return "sha256-" + digest[:16]


def _first_rows(mask: np.ndarray, frame: pd.DataFrame, cols: list[str]) -> str:
    idx = np.flatnonzero(mask)[:_MAX_SHOWN]
    shown = frame.iloc[idx][cols].copy()
    # rows numbered as in the file: header is line 1, first data row line 2
    shown.index = [f"row {i + 2}" for i in idx]
    more = int(mask.sum()) - len(idx)
    text = shown.to_string()
    return text + (f"\n... and {more} more" if more > 0 else "")


def validate_policies(policies: pd.DataFrame, source: str = "policies") -> pd.DataFrame:
    """Check a policies table and return it normalised.

    Normalised: canonical columns in canonical order (extra columns dropped),
    text columns as Python ``str`` (missing text → ``""``; keys stripped),
    number columns as ``float64``, ``pack_size`` filled with 1, rows sorted by
    (part, location) (code-point order), index 0..n-1.  Raises :class:`DataError`
    naming ``source``, the column and the first bad rows.
    """
    if not isinstance(policies, pd.DataFrame):
        raise DataError("policies must be a pandas DataFrame", where=source,
                        received=type(policies).__name__)
    required = [c for c in POLICY_COLUMNS if c not in OPTIONAL_NUMBER_DEFAULTS]
    missing = [c for c in required if c not in policies.columns]
    if missing:
        raise DataError(
            f"the policies table lacks {len(missing)} required column(s)",
            where=f"{source}, column(s) {', '.join(missing)}",
            received="columns: " + ", ".join(map(str, policies.columns)),
            fix="export the policies written by `partsopt plan` (DESIGN.md §5)")
    out = {}
    for col in TEXT_COLUMNS:
        out[col] = as_text(policies[col])
    for col in KEY_COLUMNS:
        out[col] = strip_text(out[col])
        bad = out[col] == ""
        if bad.any():
            raise DataError(f"empty {col} in the policies table", where=f"{source}, column {col}",
                            received=_first_rows(bad, policies, list(KEY_COLUMNS)),
                            fix=f"every row needs a {col}")
    for col in NUMBER_COLUMNS + tuple(OPTIONAL_NUMBER_DEFAULTS):
        if col not in policies.columns:
            out[col] = np.full(len(policies), OPTIONAL_NUMBER_DEFAULTS[col])
            continue
        raw = policies[col]
        if pd.api.types.is_bool_dtype(raw):
            num, bad = raw, np.ones(len(raw), dtype=bool)
        elif pd.api.types.is_numeric_dtype(raw):
            num, bad = raw, np.zeros(len(raw), dtype=bool)
        else:  # text (e.g. from CSV or Excel): every non-blank entry must parse
            num = pd.to_numeric(raw, errors="coerce")
            present = raw.notna() & (raw.astype(str).str.strip() != "")
            bad = (present & num.isna()).to_numpy()
        if bad.any():
            raise DataError(f"column {col} must hold numbers", where=f"{source}, column {col}",
                            received=_first_rows(bad, policies, list(KEY_COLUMNS) + [col]),
                            fix="write plain numbers (dot as decimal separator)")
        out[col] = np.asarray(num, dtype="float64")
    if "pack_size" in policies.columns:
        out["pack_size"] = np.where(np.isnan(out["pack_size"]), 1.0, out["pack_size"])
        bad = ~(out["pack_size"] > 0) | ~np.isfinite(out["pack_size"])
        if bad.any():
            raise DataError("pack_size must be a finite number > 0", where=f"{source}, column pack_size",
                            received=_first_rows(bad, policies, list(KEY_COLUMNS) + ["pack_size"]),
                            fix="use 1 for parts sold by the unit")
    for col in ("reorder_point", "order_up_to"):
        bad = ~np.isfinite(out[col])
        if bad.any():
            raise DataError(f"{col} must be a finite number in every row",
                            where=f"{source}, column {col}",
                            received=_first_rows(bad, policies, list(KEY_COLUMNS) + [col]),
                            fix="every exported policy needs s and S (use s=-1, S=0 for 'do not stock')")
    bad = out["order_up_to"] < out["reorder_point"]
    if bad.any():
        raise DataError("order_up_to (S) is below reorder_point (s)",
                        where=f"{source}, columns reorder_point, order_up_to",
                        received=_first_rows(bad, policies,
                                             list(KEY_COLUMNS) + ["reorder_point", "order_up_to"]),
                        fix="S must be >= s")
    order = key_order(out["part"], out["location"])
    part, location = out["part"][order], out["location"][order]
    same = (part[1:] == part[:-1]) & (location[1:] == location[:-1])
    dup = np.zeros(len(order), dtype=bool)
    dup[order[1:][same]] = True
    dup[order[:-1][same]] = True
    if dup.any():
        raise DataError("duplicate (part, location) rows in the policies table",
                        where=f"{source}, columns part, location",
                        received=_first_rows(dup, policies, list(KEY_COLUMNS)),
                        fix="keep one policy per part and location")
    return pd.DataFrame({c: out[c][order] for c in POLICY_COLUMNS})


def find_policies_file(path: str | Path) -> Path:
    """``path`` itself, or for a folder (a ``partsopt plan`` output folder) its
    ``policies.parquet`` or else ``policies.csv``."""
    p = Path(path)
    if p.is_dir():
        if _is_partitioned_table(p):
            return p
        for name in ("policies.parquet", "policies.csv"):
            if (p / name).is_file():
                return p / name
        if _is_partitioned_table(p / "policies"):   # the output folder of a partitioned plan
            return p / "policies"
        raise DataError("no policies file in the folder", where=str(p),
                        fix="pass the policies.csv / policies.parquet written by `partsopt plan` "
                            "(or the policies/ folder of a partitioned plan)")
    return p


def _is_partitioned_table(folder: Path) -> bool:
    """A folder of ``part-*.parquet`` files written by a partitioned plan (partsopt.partitioned_plan)."""
    return folder.is_dir() and any(folder.glob("part-*.parquet"))


def read_policies(path: str | Path) -> pd.DataFrame:
    """Read a policies CSV or Parquet file and validate it (see module docstring).

    Keys and text columns are read as text (a part number ``007`` stays ``007``).
    Raises :class:`DataError` for an unknown suffix, an unreadable or invalid file.
    """
    p = Path(path)
    if _is_partitioned_table(p):
        try:
            frame = pd.concat([pd.read_parquet(f) for f in sorted(p.glob("part-*.parquet"))], ignore_index=True)
        except Exception as exc:  # pyarrow errors
            raise DataError("cannot read the policies folder", where=str(p),
                            received=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                            fix="check that its part-*.parquet files are complete (re-run the plan)") from None
        return validate_policies(frame, source=str(p))
    if not p.is_file():
        raise DataError("policies file not found", where=str(p),
                        fix="pass the policies.csv or policies.parquet written by `partsopt plan`")
    suffix = p.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(p, dtype={c: str for c in TEXT_COLUMNS}, keep_default_na=False,
                            float_precision="round_trip",
                                na_values={c: [""] for c in NUMBER_COLUMNS + ("pack_size",)})
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(p)
        else:
            raise DataError("unknown policies file type", where=str(p), received=f"suffix {suffix!r}",
                            fix="use a .csv or .parquet file")
    except DataError:
        raise
    except Exception as exc:  # pandas / pyarrow parse errors
        raise DataError("cannot read the policies file", where=str(p),
                        received=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                        fix="check that it is a valid CSV/Parquet file") from None
    return validate_policies(frame, source=str(p))


def read_run(path: str | Path, policies: pd.DataFrame | None = None) -> RunInfo:
    """The :class:`RunInfo` of a policies file: its sibling ``run.json``.

    Without ``run.json`` (or without ``run_id`` in it) the run id is derived from
    the content of ``policies`` (or, when not given, of the file bytes) and
    ``RunInfo.derived`` is True, so callers can say so.
    """
    p = Path(path)
    run_file = p.with_name("run.json")
    data: dict = {}
    if run_file.is_file():
        try:
            data = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise DataError("cannot read run.json", where=str(run_file),
                            received=f"{type(exc).__name__}: {exc}",
                            fix="fix or delete run.json (the run id is then derived from the file)") from None
        if not isinstance(data, dict):
            raise DataError("run.json must hold a JSON object", where=str(run_file),
                            received=type(data).__name__)
    if not data.get("run_id"):
        if policies is None:
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            return RunInfo(run_id="sha256-" + digest[:16], derived=True,
                           **{k: (None if data.get(k) is None else str(data[k]))
                              for k in RUN_KEYS if k != "run_id"})
        data = {**data, "run_id": None}
    return RunInfo.coerce(data, policies)
