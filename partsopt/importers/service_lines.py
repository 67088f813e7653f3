"""Import repair history as it arrives: free-text workshop invoice lines → a partsopt dataset.

A workshop's invoice export names the part in free text (``ENGINE OIL``,
``Clutch cable``, ``DISK PAD``), mixes labour and fees with parts
(``GENERAL SERVICE``, ``RC CARD``), gives the vehicle model and often no
quantity.  :func:`import_service_lines` turns such lines into the tables of
the data contract (DESIGN.md §4) so that ``partsopt validate``, ``plan`` and
``simulate`` run on them:

1. **Normalise** each text (:func:`normalise_text`): upper case; every
   character other than A-Z and 0-9 becomes a space; anonymisation masks (runs
   of three or more ``X``) are removed; spaces collapse; word synonyms
   (``OVERHUAL`` → ``OVERHAUL``) then phrase synonyms (``ENGINE OIL TOP UP``
   → ``ENGINE OIL``) apply (tables in :mod:`partsopt.importers.text_tables`).
2. **Map** the normalised text to a part id: a user mapping (text → part;
   an empty part excludes the text) wins; otherwise a text matching the
   exclusion table (labour, services, fees) is left out, and any other text
   is its own part, id = the normalised text with ``_`` for spaces.
3. **Quantity**: one line = one unit, unless a quantity column is given or
   found (``qty``, ``quantity``); lines with quantity <= 0 are left out.
4. **Tables** (one site):

   * ``locations``: one row, ``location`` (default ``WORKSHOP``), kind dealer,
     no parent (ordered from the supplier), weekly review.
   * ``parts``: every mapped part with ``unit_cost`` = ``default_unit_cost``
     (default 1.0: with no price list the inventory value is counted in units)
     and ``lead_time_days`` = ``default_lead_time_days`` (default 7 days), both
     to be replaced by the user's master data when known; ``description`` =
     the normalised text; criticality B.
   * ``demand``: one row per kept line: date, part, location, qty, line_id
     (``L`` + running number in input order), with the vehicle model and
     odometer kept as extra columns.
   * ``install_base``: units of each vehicle model at the site = the number of
     distinct vehicles of that model seen in the history (rows without a vehicle
     id count one vehicle per line).
   * ``bom``: one row per (model, part) seen together, ``qty_per_unit`` = 1 and
     ``failure_rate`` [units per vehicle-year] = units of the part on vehicles
     of the model ÷ (vehicles of the model × years of history), years =
     (last date − first date + 1 day) / 365.25.  With this rate the
     installed-base forecast of :mod:`partsopt.installbase`,
     Σ_m units_m · failure_rate_mp / 365, equals the part's average daily
     demand over the history (up to the 365 vs 365.25 day year), so it is a
     consistent prior for parts with little history (Dekker, Pinçe, Zuidwijk &
     Jalil 2013, EJOR 226:536-549, §3).

No Python loop over lines: the text work runs once per distinct text with
pandas string operations, the rest are joins and group-bys.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from partsopt.importers.text_tables import exclusion_table, synonym_table

__all__ = ["normalise_text", "map_texts", "import_service_lines", "ImportResult", "read_mapping",
           "DEFAULT_LOCATION", "DEFAULT_UNIT_COST", "DEFAULT_LEAD_TIME_DAYS"]

DEFAULT_LOCATION = "WORKSHOP"
DEFAULT_UNIT_COST = 1.0
DEFAULT_LEAD_TIME_DAYS = 7.0
_DATE_CANDIDATES = ("invoice_date", "date", "job_card_date")
_TEXT_CANDIDATES = ("invoice_line_text", "text", "description", "part_text")
_MODEL_CANDIDATES = ("vehicle_model", "model")
_VEHICLE_CANDIDATES = ("vehicle_no", "vehicle_id", "vin")
_QTY_CANDIDATES = ("qty", "quantity", "quantity_issued")
_KM_CANDIDATES = ("current_km_reading", "km", "odometer")


@dataclass
class ImportResult:
    """What :func:`import_service_lines` returns.

    ``tables``: the dataset tables (parts, locations, demand, install_base, bom) ready to write.
    ``lines``: one row per input line - normalised text, part (empty when left out), status
    (``part`` / ``excluded`` / ``mapped_out`` / ``no_quantity``) and reason.
    ``texts``: one row per distinct input text with its normalised text, part, status, lines.
    """

    tables: dict[str, pd.DataFrame]
    lines: pd.DataFrame
    texts: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> dict:
        st = self.lines["status"].value_counts()
        return {"lines": int(len(self.lines)), "part_lines": int(st.get("part", 0)),
                "excluded_lines": int(st.get("excluded", 0) + st.get("mapped_out", 0)),
                "no_quantity_lines": int(st.get("no_quantity", 0)),
                "distinct_texts": int(len(self.texts)), "parts": int(len(self.tables["parts"])),
                "models": int(len(self.tables["install_base"]))}


# --------------------------------------------------------------------------- text
def _word_map(synonyms: pd.DataFrame) -> dict[str, str]:
    w = synonyms[synonyms["kind"] == "word"]
    return dict(zip(w["text"].str.upper(), w["means"].str.upper()))


def normalise_text(texts, synonyms: pd.DataFrame | None = None) -> pd.Series:
    """Normalised form of each free text (see the module docstring, step 1).

    ``texts``: a sequence or Series of strings (NaN → empty string).  ``synonyms``: a table
    with columns kind (word/phrase), text, means; default
    :func:`partsopt.importers.text_tables.synonym_table`.  Returns a Series of the same length
    and index.
    """
    syn = synonym_table() if synonyms is None else _check_table(synonyms, ("kind", "text", "means"), "synonyms")
    s = pd.Series(texts, dtype=object) if not isinstance(texts, pd.Series) else texts.astype(object)
    s = s.where(s.notna(), "").astype(str).str.upper()
    s = s.str.replace(r"[^A-Z0-9]+", " ", regex=True)
    s = s.str.replace(r"X{3,}", " ", regex=True)
    s = s.str.replace(r"\s+", " ", regex=True).str.strip()
    words = _word_map(syn)
    if words:
        pattern = r"\b(" + "|".join(re.escape(k) for k in sorted(words, key=len, reverse=True)) + r")\b"
        s = s.str.replace(pattern, lambda m: words[m.group(1)], regex=True)
        s = s.str.replace(r"\s+", " ", regex=True).str.strip()
    ph = syn[syn["kind"] == "phrase"]
    phrase = dict(zip(_norm_plain(ph["text"]), _norm_plain(ph["means"])))
    return s.map(lambda t: phrase.get(t, t))


def _norm_plain(s: pd.Series) -> pd.Series:
    s = s.astype(str).str.upper().str.replace(r"[^A-Z0-9]+", " ", regex=True)
    return s.str.replace(r"\s+", " ", regex=True).str.strip()


def _check_table(df: pd.DataFrame, cols: tuple[str, ...], name: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{name} must be a DataFrame with columns {list(cols)}, received {type(df).__name__}")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{name} must have columns {list(cols)}; missing {missing} "
                         f"(received columns {list(df.columns)})")
    return df


def map_texts(normalised: pd.Series, *, exclusions: pd.DataFrame | None = None,
              mapping: pd.DataFrame | None = None) -> pd.DataFrame:
    """Part id, status and reason for each normalised text (module docstring, step 2).

    ``mapping``: optional table with columns text, part (text is normalised with the plain rules
    - case, punctuation, spaces - before lookup; an empty part excludes the text).  Returns a
    DataFrame indexed like ``normalised`` with columns part, status (part / excluded /
    mapped_out), reason.
    """
    exc = exclusion_table() if exclusions is None else _check_table(exclusions, ("pattern", "match", "reason"),
                                                                      "exclusions")
    bad = ~exc["match"].isin(["phrase", "word"])
    if bad.any():
        raise ValueError("exclusions.match must be 'phrase' or 'word'; received "
                         f"{exc.loc[bad, 'match'].iloc[0]!r}")
    t = normalised.astype(str)
    pat = _norm_plain(exc["pattern"])
    phrases = dict(zip(pat[exc["match"] == "phrase"], exc.loc[exc["match"] == "phrase", "reason"]))
    words = dict(zip(pat[exc["match"] == "word"], exc.loc[exc["match"] == "word", "reason"]))
    reason = t.map(phrases).astype(object)
    if words:
        wre = r"\b(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b"
        found = t.str.extract(wre, expand=False).map(words).astype(object)
        reason = pd.Series(np.where(reason.notna(), reason, found), index=t.index, dtype=object)
    reason = pd.Series(np.where(t != "", reason, "empty text"), index=t.index, dtype=object)
    part = t.str.replace(" ", "_", regex=False)
    status = pd.Series(np.where(reason.notna(), "excluded", "part"), index=t.index, dtype=object)
    if mapping is not None:
        mp = _check_table(mapping, ("text", "part"), "mapping")
        key = _norm_plain(mp["text"])
        target = mp["part"].where(mp["part"].notna(), "").astype(str).str.strip()
        lookup = dict(zip(key, target))
        hit = t.map(lookup)
        has = hit.notna()
        out_ = has & (hit == "")
        part = part.where(~has, hit)
        status = status.where(~has, np.where(out_, "mapped_out", "part"))
        reason = reason.where(~has, np.where(out_, "mapping: excluded", "mapping"))
    part = part.where(status == "part", "")
    reason = pd.Series(np.where(pd.isna(reason), "", reason), index=t.index, dtype=object)
    return pd.DataFrame({"part": part, "status": status, "reason": reason}, index=t.index)


def read_mapping(path) -> pd.DataFrame:
    """Read a mapping CSV (columns ``text``, ``part``; empty part = exclude the text)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    _check_table(df, ("text", "part"), f"mapping file {path}")
    return df


# --------------------------------------------------------------------------- import
def _find(df: pd.DataFrame, given: str | None, candidates, what: str, required: bool = True):
    if given is not None:
        if given not in df.columns:
            raise ValueError(f"{what} column {given!r} not in the lines; received columns {list(df.columns)}")
        return given
    for c in candidates:
        if c in df.columns:
            return c
    if required:
        raise ValueError(f"no {what} column in the lines: expected one of {list(candidates)} "
                         f"(or pass it by name); received columns {list(df.columns)}")
    return None


def import_service_lines(lines: pd.DataFrame, *, mapping: pd.DataFrame | None = None,
                         synonyms: pd.DataFrame | None = None, exclusions: pd.DataFrame | None = None,
                         location: str = DEFAULT_LOCATION, default_unit_cost: float = DEFAULT_UNIT_COST,
                         default_lead_time_days: float = DEFAULT_LEAD_TIME_DAYS,
                         date_col: str | None = None, text_col: str | None = None,
                         model_col: str | None = None, vehicle_col: str | None = None,
                         qty_col: str | None = None) -> ImportResult:
    """Turn workshop invoice lines into a partsopt dataset (see the module docstring).

    ``lines``: one row per invoice line.  Columns are found by name (first match):
    date (invoice_date, date, job_card_date), text (invoice_line_text, text, description,
    part_text), vehicle model (vehicle_model, model), optional vehicle id (vehicle_no,
    vehicle_id, vin), optional quantity (qty, quantity, quantity_issued); or pass them.
    ``default_unit_cost`` [money/unit] > 0 and ``default_lead_time_days`` [days] > 0 fill the
    part master.  Raises ValueError naming the parameter on bad input.
    """
    if not isinstance(lines, pd.DataFrame):
        raise ValueError(f"lines must be a DataFrame, received {type(lines).__name__}")
    if not (np.isfinite(default_unit_cost) and default_unit_cost > 0):
        raise ValueError(f"default_unit_cost must be > 0 [money/unit], received {default_unit_cost!r}")
    if not (np.isfinite(default_lead_time_days) and default_lead_time_days > 0):
        raise ValueError(f"default_lead_time_days must be > 0 [days], received {default_lead_time_days!r}")
    if not isinstance(location, str) or not location.strip():
        raise ValueError(f"location must be a non-empty string, received {location!r}")
    dcol = _find(lines, date_col, _DATE_CANDIDATES, "date")
    tcol = _find(lines, text_col, _TEXT_CANDIDATES, "text")
    mcol = _find(lines, model_col, _MODEL_CANDIDATES, "vehicle model")
    vcol = _find(lines, vehicle_col, _VEHICLE_CANDIDATES, "vehicle id", required=False)
    qcol = _find(lines, qty_col, _QTY_CANDIDATES, "quantity", required=False)
    kcol = _find(lines, None, _KM_CANDIDATES, "odometer", required=False)
    dates = pd.to_datetime(lines[dcol], errors="coerce")
    if dates.isna().any():
        i = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise ValueError(f"lines.{dcol} must hold dates (YYYY-MM-DD); row {i} has {lines[dcol].iloc[i]!r}")
    # text -> part, once per distinct text
    raw = lines[tcol].where(lines[tcol].notna(), "").astype(str)
    uniq = pd.Series(pd.unique(raw), dtype=object)
    norm = normalise_text(uniq, synonyms)
    mapped = map_texts(norm, exclusions=exclusions, mapping=mapping)
    texts = pd.DataFrame({"text": uniq, "normalised": norm, "part": mapped["part"], "status": mapped["status"],
                          "reason": mapped["reason"]})
    pos = pd.Index(uniq).get_indexer(raw)
    if qcol is not None:
        qty = pd.to_numeric(lines[qcol], errors="coerce").to_numpy(float)
    else:
        qty = np.ones(len(lines))
    status = texts["status"].to_numpy(object)[pos]
    status = np.where((status == "part") & ~(np.nan_to_num(qty, nan=0.0) > 0), "no_quantity", status)
    model = lines[mcol].where(lines[mcol].notna(), "").astype(str).str.strip().str.upper()
    model = model.str.replace(r"\s+", " ", regex=True).to_numpy(object)
    per_line = pd.DataFrame({
        "date": dates.dt.normalize().to_numpy(), "text": raw.to_numpy(object),
        "normalised": texts["normalised"].to_numpy(object)[pos],
        "part": np.where(status == "part", texts["part"].to_numpy(object)[pos], ""),
        "status": status, "reason": texts["reason"].to_numpy(object)[pos],
        "qty": qty, "model": model,
    })
    texts["lines"] = np.bincount(pos, minlength=len(uniq))
    keep = per_line["status"].to_numpy() == "part"
    kept = per_line[keep]
    vehicles = (lines[vcol].where(lines[vcol].notna(), "").astype(str).to_numpy(object) if vcol
                else np.full(len(lines), "", dtype=object))
    tables = _tables(lines, per_line, kept, keep, vehicles, kcol, location, default_unit_cost,
                     default_lead_time_days)
    return ImportResult(tables=tables, lines=per_line, texts=texts)


def _tables(lines, per_line, kept, keep, vehicles, kcol, location, unit_cost, lead_days):
    qty = kept["qty"].to_numpy(float)
    integer = np.all(qty == np.round(qty))
    demand = pd.DataFrame({
        "line_id": ["L%07d" % (i + 1) for i in np.flatnonzero(keep)],
        "date": kept["date"].to_numpy(),
        "part": kept["part"].to_numpy(object),
        "location": location,
        "qty": qty.astype(np.int64) if integer else qty,
        "vehicle_model": kept["model"].to_numpy(object),
    })
    if kcol is not None:
        demand["km"] = pd.to_numeric(lines[kcol], errors="coerce").to_numpy()[keep]
    demand = demand.sort_values(["date", "line_id"], kind="stable").reset_index(drop=True)
    desc = kept.groupby("part", sort=True)["normalised"].first()
    parts = pd.DataFrame({"part": desc.index.astype(str), "unit_cost": float(unit_cost),
                          "lead_time_days": float(lead_days), "criticality": "B",
                          "description": desc.to_numpy(object)})
    locations = pd.DataFrame({"location": [location], "parent": [""], "kind": ["dealer"],
                              "review_days": [7]})
    # installed base: distinct vehicles per model over all lines (labour lines show the vehicle too)
    veh = pd.Series(vehicles)
    veh_key = veh.where(veh != "", "__line_" + pd.Series(np.arange(len(veh))).astype(str))
    vm = pd.DataFrame({"model": per_line["model"].to_numpy(object), "vehicle": veh_key.to_numpy(object)})
    vm = vm[vm["model"] != ""]
    units = vm.drop_duplicates().groupby("model", sort=True).size()
    install_base = pd.DataFrame({"location": location, "model": units.index.astype(str),
                                 "units": units.to_numpy(float)})
    if len(per_line):
        span = per_line["date"].max() - per_line["date"].min()
        years = (span / pd.Timedelta(days=1) + 1.0) / 365.25
    else:
        years = 1.0
    k = kept[kept["model"] != ""]
    use = k.groupby(["model", "part"], sort=True)["qty"].sum()
    mu = units.reindex(use.index.get_level_values("model")).to_numpy(float)
    bom = pd.DataFrame({"model": use.index.get_level_values("model").astype(str),
                        "part": use.index.get_level_values("part").astype(str),
                        "qty_per_unit": 1.0,
                        "failure_rate": use.to_numpy(float) / (mu * years)})
    return {"parts": parts, "locations": locations, "demand": demand, "install_base": install_base,
            "bom": bom}
