"""Diagnostic mode: the miss root causes of DESIGN.md §7 from actual history, by rules on the records.

No policy is replayed.  :func:`diagnose` reconstructs which demand lines were
missed from the records, then gives each missed line exactly one cause
``family.detail`` with the first rule that fires, in the order of §7
(execution, then data, then configuration).

Missed lines (stock reconstruction)
-----------------------------------
The inventory snapshot is taken at the start of ``snapshot_date`` (default:
the day after the last demand line); every receipt and demand line dated
before it is in it.  With the stock balance of a location
``net stock = on_hand − backorders`` [units], every receipt adding its qty
and every demand line taking its qty (a line not served at once is
backordered and issued when stock arrives: the balance holds either way), the
net stock available to line *i* is, counting back from the snapshot over the
events of its part-location in time order (receipts of a day before its
lines, lines of a day in ``line_id`` order)::

    available_i = (on_hand − backorders)_snapshot − Σ_{events e ≥ i, before the snapshot} flow_e

with ``flow`` = +qty for a receipt, −qty for a line (line *i* included).  A
line is **missed** when ``available_i < qty_i``: the location could not fill
it in full from its own stock at once (the hit rate of DESIGN.md §6).

Rules (first match wins; thresholds are the module constants)
--------------------------------------------------------------
execution
  ``execution.late_supply``      a receipt at the part-location promised on or
      before the line's day (``receipts.promised_date ≤ date``) was received
      after it (``received_date > date``): the replenishment that should have
      covered the line arrived late.
  ``execution.order_not_placed`` / ``order_short`` / ``order_late`` (only with
      ``plans``: the suggested orders of weekly ``plan`` runs) — plan adherence:
      a suggestion at the part-location dated in the
      :data:`ADHERENCE_LOOKBACK_DAYS` before the line (its as-of ≤ date) had no
      receipt ordered by ``as_of + ``:data:`PLACE_GRACE_DAYS` nor later before the
      line (not placed), only one ordered after that grace but before the line
      (late), or receipts ordered within the grace summing to less than the
      suggested qty (short).
data
  ``data.lead_time_master``  the part's master ``lead_time_days`` is far below
      the real supplier lead time: the median ``received_date − order_date``
      of its normal receipts at top locations (no parent; at least
      :data:`LT_MIN_RECEIPTS`, received before the line) is at least
      :data:`LT_RATIO` × master and at least :data:`LT_MIN_GAP_DAYS` more.
  ``data.supersession_not_linked``  the part is new — its first demand line
      anywhere (its linked predecessors' history included) is less than
      :data:`NEW_PART_DAYS` before the line and at least that long after the
      history starts — and an unlinked part with the same description stopped
      selling within :data:`SUPERSESSION_GAP_DAYS` of its first sale.
  ``data.no_history``  the part is new as above, with no such predecessor.
configuration
  ``configuration.not_stocked``  ``items.stocked`` is false at the part-location.
  ``configuration.override_below_need``  ``items.max_qty`` is below the need
      ``rate × (L + R)``: rate = mean daily demand of the part-location over the
      :data:`NEED_WINDOW_DAYS` before ``start`` [units/day], L = median real lead
      time of its normal receipts (else the location's transit_days, else the
      master lead time) [days], R = the location's review_days [days].
  ``configuration.within_target``  (only with ``policies`` giving
      ``target_level`` or ``expected_hit_rate``) the part-location's missed
      lines in ``start..end`` are at most the 95 % quantile of
      Binomial(lines, 1 − target), as in :mod:`partsopt.simulate.causes`.
  ``configuration.service_level``  otherwise.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from partsopt.simulate.causes import WITHIN_TARGET_QUANTILE
from partsopt.supersession import final_successor

#: execution: days after a suggestion's as-of within which the order counts as placed on time
PLACE_GRACE_DAYS = 2
#: execution: suggestions dated at most this many days before a missed line are checked [days]
ADHERENCE_LOOKBACK_DAYS = 28
#: data: real lead time at least this multiple of the master one ...
LT_RATIO = 1.5
#: ... and at least this many days longer [days]
LT_MIN_GAP_DAYS = 3.0
#: data: receipts needed at top locations to judge a part's real lead time
LT_MIN_RECEIPTS = 3
#: data: a part first sold less than this many days before the line is new [days]: under half a year of
#: history a plan has not seen the part's demand through a season (on the small demo 91 days found neither
#: unlinked supersession — their switch fell 3-6 months before the scored weeks — and 182 found both)
NEW_PART_DAYS = 182
#: data: an unlinked predecessor stopped selling within this many days of the new part's first sale [days]
SUPERSESSION_GAP_DAYS = 28
#: configuration: trailing window of the need behind a max_qty override [days]
NEED_WINDOW_DAYS = 365

OUTPUT_COLUMNS = ["line_id", "date", "part", "location", "qty", "available", "cause", "cause_detail"]

DETAIL = {
    "execution.late_supply": "a replenishment promised by the line's date arrived after it",
    "execution.order_not_placed": "a suggested order before the line was not placed",
    "execution.order_late": "a suggested order before the line was placed late",
    "execution.order_short": "a suggested order before the line was placed short",
    "data.lead_time_master": "the master lead time is far below the receipts' real lead time",
    "data.supersession_not_linked": "a new part whose unlinked predecessor stopped selling when it started",
    "data.no_history": "a new part without demand history",
    "configuration.not_stocked": "the part is not stocked at the location although it sells there",
    "configuration.override_below_need": "the items max_qty override is below the demand over lead time and review",
    "configuration.within_target": "a miss the chosen service target allows for",
    "configuration.service_level": "the service target or review cycle is too low for the demand",
}


# ----------------------------------------------------------------------------- public entry
def diagnose(dataset, *, start, end, plans=None, policies: pd.DataFrame | None = None,
             snapshot_date=None) -> pd.DataFrame:
    """The missed demand lines dated ``start..end`` with a cause each (see the module docstring).

    dataset        a validated :class:`partsopt.validate.Dataset` (demand, receipts,
                   inventory, parts, locations, items)
    plans          optional suggested orders of past weekly plans: a DataFrame with
                   as_of, part, location, suggested_qty (the ``orders`` table), or a
                   list of such DataFrames / :class:`partsopt.pipeline.PlanResult`
    policies       optional policies with target_level (or expected_hit_rate) per
                   part-location, for ``configuration.within_target``
    snapshot_date  the day the inventory snapshot was taken (default: the day
                   after the last demand line)

    Returns one row per missed line: ``OUTPUT_COLUMNS`` (available = the
    reconstructed net stock before the line [units]).
    """
    start, end, snap = _check_dates(dataset, start, end, snapshot_date)
    lines = missed_lines(dataset, snap)
    window = lines[(lines["date"] >= start) & (lines["date"] <= end)]
    m = window[window["missed"]].reset_index(drop=True)
    cause = np.full(len(m), "", dtype=object)
    if len(m):
        _fill(cause, _late_supply(m, dataset.receipts), "execution.late_supply")
        if plans is not None:
            adh = _adherence(m, _plan_orders(plans), dataset.receipts)
            for code in ("execution.order_not_placed", "execution.order_short", "execution.order_late"):
                _fill(cause, adh == code, code)
        _fill(cause, _lead_time_master(m, dataset), "data.lead_time_master")
        new, linked_gap = _new_parts(m, dataset)
        _fill(cause, new & linked_gap, "data.supersession_not_linked")
        _fill(cause, new, "data.no_history")
        not_stocked, below = _items_rules(m, dataset, start)
        _fill(cause, not_stocked, "configuration.not_stocked")
        _fill(cause, below, "configuration.override_below_need")
        if policies is not None:
            _fill(cause, _within_target(m, window, policies), "configuration.within_target")
        _fill(cause, np.ones(len(m), bool), "configuration.service_level")
    out = m.assign(cause=cause, cause_detail=pd.Series(cause, dtype=object).map(DETAIL).to_numpy())
    return out[OUTPUT_COLUMNS]


def _fill(cause: np.ndarray, mask, code: str) -> None:
    """Give ``code`` to the lines that match ``mask`` and have no cause yet (first rule wins)."""
    sel = (cause == "") & np.asarray(mask, bool)
    cause[sel] = code


def _check_dates(dataset, start, end, snapshot_date):
    try:
        start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    except (TypeError, ValueError):
        raise ValueError(f"start and end must be dates (YYYY-MM-DD); received start={start!r}, end={end!r}.") from None
    if end < start:
        raise ValueError(f"end must be on or after start; received start={start.date()}, end={end.date()}.")
    last = dataset.demand["date"].max()
    if snapshot_date is None:
        snap = last + pd.Timedelta(days=1)
    else:
        try:
            snap = pd.Timestamp(snapshot_date).normalize()
        except (TypeError, ValueError):
            raise ValueError(f"snapshot_date must be a date (YYYY-MM-DD); received {snapshot_date!r}.") from None
    if end >= snap:
        raise ValueError(f"end must be before the inventory snapshot date {snap.date()} (the stock is reconstructed "
                         f"back from it); received end={end.date()}.")
    return start, end, snap


# ----------------------------------------------------------------------------- stock reconstruction
def missed_lines(dataset, snapshot_date) -> pd.DataFrame:
    """Every demand line before ``snapshot_date`` with ``available`` and ``missed`` (module docstring)."""
    snap = pd.Timestamp(snapshot_date).normalize()
    d = dataset.demand
    d = d[d["date"] < snap]
    lines = pd.DataFrame({"line_id": d["line_id"].astype(str).to_numpy(), "date": d["date"].to_numpy(),
                          "part": d["part"].astype(str).to_numpy(), "location": d["location"].astype(str).to_numpy(),
                          "qty": d["qty"].to_numpy(np.float64)})
    r = dataset.receipts
    if len(r):
        r = r[r["received_date"].notna() & (r["received_date"] < snap)]
    rec = pd.DataFrame({"line_id": "", "date": r["received_date"].to_numpy() if len(r) else [],
                        "part": r["part"].astype(str).to_numpy() if len(r) else [],
                        "location": r["location"].astype(str).to_numpy() if len(r) else [],
                        "qty": r["qty"].to_numpy(np.float64) if len(r) else []})
    ship = _shipments_to_children(dataset, r, snap)
    ev = pd.concat([rec.assign(kind=0, flow=rec["qty"]), ship.assign(kind=0, flow=-ship["qty"]),
                    lines.assign(kind=1, flow=-lines["qty"])], ignore_index=True)
    ev["date"] = pd.to_datetime(ev["date"])
    ev = ev.sort_values(["part", "location", "date", "kind", "line_id"], kind="stable", ignore_index=True)
    # suffix sum of the flow per part-location, the event itself included
    key = ev["part"] + "\x00" + ev["location"]
    rev = ev["flow"].iloc[::-1].groupby(key.iloc[::-1].to_numpy()).cumsum().iloc[::-1]
    inv = dataset.inventory
    if len(inv):
        net = (inv["on_hand"] - inv["backorders"]).groupby(
            inv["part"].astype(str) + "\x00" + inv["location"].astype(str)).sum()
        start_net = key.map(net).fillna(0.0).to_numpy(np.float64)
    else:
        start_net = np.zeros(len(ev))
    ev["available"] = start_net - rev.to_numpy(np.float64)
    out = ev[ev["kind"] == 1].drop(columns=["kind", "flow"])
    out["missed"] = out["available"].to_numpy() < out["qty"].to_numpy() - 1e-9
    return out.sort_values(["date", "line_id"], kind="stable", ignore_index=True)


def _shipments_to_children(dataset, r: pd.DataFrame, snap) -> pd.DataFrame:
    """A child's receipts leave its parent's stock: on ``received_date − transit`` (normal, the child's
    transit_days) or ``− emergency_days`` (emergency), not before the order date."""
    cols = {"line_id": pd.Series([], dtype=object), "date": pd.to_datetime(pd.Series([], dtype="datetime64[ns]")),
            "part": pd.Series([], dtype=object), "location": pd.Series([], dtype=object),
            "qty": pd.Series([], dtype=np.float64)}
    loc = dataset.locations.set_index(dataset.locations["location"].astype(str))
    if not len(r):
        return pd.DataFrame(cols)
    child = r["location"].astype(str)
    parent = child.map(loc["parent"].fillna("").astype(str)).fillna("")
    r = r[(parent != "").to_numpy()]
    parent = parent[(parent != "").to_numpy()]
    if not len(r):
        return pd.DataFrame(cols)
    child = r["location"].astype(str)
    emergency = (r["order_type"].astype(str) == "emergency").to_numpy() if "order_type" in r else np.zeros(len(r), bool)
    transit = pd.to_numeric(child.map(loc["transit_days"]), errors="coerce").fillna(0).to_numpy() \
        if "transit_days" in loc else np.zeros(len(r))
    emerg = pd.to_numeric(child.map(loc["emergency_days"]), errors="coerce").fillna(0).to_numpy() \
        if "emergency_days" in loc else np.zeros(len(r))
    days = np.rint(np.where(emergency, emerg, transit)).astype("timedelta64[D]")
    left = np.maximum(r["received_date"].to_numpy("datetime64[ns]") - days, r["order_date"].to_numpy("datetime64[ns]"))
    out = pd.DataFrame({"line_id": "", "date": left, "part": r["part"].astype(str).to_numpy(),
                        "location": parent.to_numpy(), "qty": r["qty"].to_numpy(np.float64)})
    return out[out["date"] < snap]


# ----------------------------------------------------------------------------- execution rules
def _late_supply(m: pd.DataFrame, receipts: pd.DataFrame) -> np.ndarray:
    if not len(receipts) or "promised_date" not in receipts:
        return np.zeros(len(m), bool)
    r = receipts[receipts["promised_date"].notna() & receipts["received_date"].notna()]
    r = pd.DataFrame({"part": r["part"].astype(str).to_numpy(), "location": r["location"].astype(str).to_numpy(),
                      "promised": r["promised_date"].to_numpy(), "received": r["received_date"].to_numpy()})
    r = r[r["received"] > r["promised"]]
    x = m[["part", "location", "date"]].assign(row=np.arange(len(m))).merge(r, on=["part", "location"])
    late = x.loc[(x["promised"] <= x["date"]) & (x["received"] > x["date"]), "row"].to_numpy()
    out = np.zeros(len(m), bool)
    out[late] = True
    return out


def _plan_orders(plans) -> pd.DataFrame:
    frames = plans if isinstance(plans, (list, tuple)) else [plans]
    out = []
    for i, f in enumerate(frames):
        f = getattr(f, "orders", f)
        need = {"as_of", "part", "location", "suggested_qty"}
        if not isinstance(f, pd.DataFrame) or not need <= set(f.columns):
            raise ValueError(f"plans[{i}] must be an orders DataFrame (or PlanResult) with columns {sorted(need)}; "
                             f"received {type(f).__name__} with {list(getattr(f, 'columns', []))}.")
        out.append(f[sorted(need)])
    p = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=sorted(need))
    p = p[pd.to_numeric(p["suggested_qty"], errors="coerce").fillna(0) > 0]
    return pd.DataFrame({"part": p["part"].astype(str).to_numpy(), "location": p["location"].astype(str).to_numpy(),
                         "as_of": pd.to_datetime(p["as_of"]).dt.normalize().to_numpy(),
                         "suggested": p["suggested_qty"].to_numpy(np.float64)})


def _adherence(m: pd.DataFrame, sugg: pd.DataFrame, receipts: pd.DataFrame) -> np.ndarray:
    """Per missed line: the plan-adherence code of the first failing suggestion before it, or ''."""
    out = np.full(len(m), "", dtype=object)
    if not len(sugg):
        return out
    x = m[["part", "location", "date"]].assign(row=np.arange(len(m))).merge(sugg, on=["part", "location"])
    x = x[(x["as_of"] <= x["date"]) & (x["as_of"] >= x["date"] - pd.Timedelta(days=ADHERENCE_LOOKBACK_DAYS))]
    if not len(x):
        return out
    x = x.reset_index(drop=True).assign(sid=lambda f: np.arange(len(f)))
    r = receipts
    r = pd.DataFrame({"part": r["part"].astype(str).to_numpy(), "location": r["location"].astype(str).to_numpy(),
                      "order_date": pd.to_datetime(r["order_date"]).to_numpy(),
                      "qty": r["qty"].to_numpy(np.float64)}) if len(r) else pd.DataFrame(
        {"part": [], "location": [], "order_date": pd.to_datetime([]), "qty": []})
    y = x.merge(r, on=["part", "location"])
    grace_end = y["as_of"] + pd.Timedelta(days=PLACE_GRACE_DAYS)
    on_time = (y["order_date"] >= y["as_of"]) & (y["order_date"] <= grace_end)
    late = (y["order_date"] > grace_end) & (y["order_date"] <= y["date"])
    placed = y.loc[on_time].groupby("sid")["qty"].sum().reindex(x["sid"]).fillna(0.0).to_numpy()
    any_late = y.loc[late].groupby("sid").size().reindex(x["sid"]).fillna(0).to_numpy() > 0
    code = np.where(placed <= 0, np.where(any_late, "execution.order_late", "execution.order_not_placed"),
                    np.where(placed < x["suggested"].to_numpy() - 1e-9, "execution.order_short", "")).astype(object)
    rank = {"execution.order_not_placed": 0, "execution.order_short": 1, "execution.order_late": 2, "": 3}
    x = x.assign(code=code, rank=pd.Series(code, dtype=object).map(rank).to_numpy()).sort_values(
        ["row", "rank"], kind="stable")
    first = x.drop_duplicates("row")
    out[first["row"].to_numpy()] = first["code"].to_numpy()
    return out


# ----------------------------------------------------------------------------- data rules
def _lead_time_master(m: pd.DataFrame, dataset) -> np.ndarray:
    r = dataset.receipts
    if not len(r):
        return np.zeros(len(m), bool)
    loc = dataset.locations
    top = set(loc.loc[loc["parent"].fillna("").astype(str) == "", "location"].astype(str))
    r = r[r["location"].astype(str).isin(top) & r["received_date"].notna()]
    if "order_type" in r:
        r = r[r["order_type"].astype(str) != "emergency"]
    r = pd.DataFrame({"part": r["part"].astype(str).to_numpy(), "received": r["received_date"].to_numpy(),
                      "lt": (r["received_date"] - r["order_date"]).dt.days.to_numpy(np.float64)})
    x = m[["part", "date"]].assign(row=np.arange(len(m))).merge(r, on="part")
    x = x[x["received"] < x["date"]]
    g = x.groupby("row")["lt"]
    med, n = g.median(), g.size()
    master = dataset.parts.set_index(dataset.parts["part"].astype(str))["lead_time_days"].astype(np.float64)
    mm = m["part"].map(master).to_numpy(np.float64)
    real = med.reindex(np.arange(len(m))).to_numpy(np.float64)
    cnt = n.reindex(np.arange(len(m))).fillna(0).to_numpy()
    with np.errstate(invalid="ignore"):
        return (cnt >= LT_MIN_RECEIPTS) & (real >= LT_RATIO * mm) & (real - mm >= LT_MIN_GAP_DAYS)


def _new_parts(m: pd.DataFrame, dataset) -> tuple[np.ndarray, np.ndarray]:
    """(new part at the line's date, an unlinked same-description predecessor stopped at its first sale)."""
    parts = dataset.parts
    final = final_successor(parts)
    d = dataset.demand
    fam = d["part"].astype(str).map(final).fillna(d["part"].astype(str))
    first_fam = d["date"].groupby(fam.to_numpy()).min()      # linked predecessors' history counts
    hist_start = d["date"].min()
    part_final = m["part"].map(final).fillna(m["part"]).to_numpy()
    first = pd.Series(part_final).map(first_fam).to_numpy("datetime64[ns]")
    dates = m["date"].to_numpy("datetime64[ns]")
    day = np.timedelta64(1, "D")
    new = ((dates - first) / day < NEW_PART_DAYS) & ((first - hist_start.to_datetime64()) / day >= NEW_PART_DAYS)
    gap = np.zeros(len(m), bool)
    if new.any() and "description" in parts:
        desc = parts.set_index(parts["part"].astype(str))["description"].fillna("").astype(str)
        unlinked = parts.loc[parts["superseded_by"].fillna("").astype(str) == "", "part"].astype(str)
        last = d["date"].groupby(d["part"].astype(str).to_numpy()).max()
        cand = pd.DataFrame({"pred": unlinked.to_numpy()})
        cand["description"] = cand["pred"].map(desc)
        cand["last"] = cand["pred"].map(last)
        cand = cand[(cand["description"] != "") & cand["last"].notna()]
        x = pd.DataFrame({"row": np.flatnonzero(new), "part": m["part"].to_numpy()[new], "first": first[new]})
        x["description"] = x["part"].map(desc).fillna("")
        y = x.merge(cand, on="description")
        y = y[(y["pred"] != y["part"]) & ((y["last"] - y["first"]).abs().dt.days <= SUPERSESSION_GAP_DAYS)
              & (y["last"] < y["first"] + pd.Timedelta(days=SUPERSESSION_GAP_DAYS))]
        gap[np.unique(y["row"].to_numpy())] = True
    return new, gap


# ----------------------------------------------------------------------------- configuration rules
def _items_rules(m: pd.DataFrame, dataset, start) -> tuple[np.ndarray, np.ndarray]:
    items = dataset.items
    if not len(items):
        return np.zeros(len(m), bool), np.zeros(len(m), bool)
    it = items.assign(part=items["part"].astype(str), location=items["location"].astype(str))
    it = it.drop_duplicates(["part", "location"], keep="last").set_index(["part", "location"])
    key = pd.MultiIndex.from_arrays([m["part"].to_numpy(), m["location"].to_numpy()])
    stocked = it["stocked"].reindex(key) if "stocked" in it else pd.Series(np.nan, index=key)
    not_stocked = (stocked.astype("boolean").fillna(True) == False).to_numpy(bool)  # noqa: E712
    if "max_qty" not in it:
        return not_stocked, np.zeros(len(m), bool)
    mx = pd.to_numeric(it["max_qty"], errors="coerce").reindex(key).to_numpy(np.float64)
    # need = rate x (L + R) over the trailing window before start
    d = dataset.demand
    w = d[(d["date"] < start) & (d["date"] >= start - pd.Timedelta(days=NEED_WINDOW_DAYS))]
    rate = (w.groupby([w["part"].astype(str), w["location"].astype(str)])["qty"].sum() / NEED_WINDOW_DAYS)
    rate = rate.reindex(key).fillna(0.0).to_numpy(np.float64)
    loc = dataset.locations.set_index(dataset.locations["location"].astype(str))
    r = dataset.receipts
    lt = pd.Series(np.nan, index=key)
    if len(r):
        rn = r[(r["order_type"].astype(str) != "emergency") if "order_type" in r else np.ones(len(r), bool)]
        rn = rn[rn["received_date"].notna() & (rn["received_date"] < start)]
        lt = ((rn["received_date"] - rn["order_date"]).dt.days.groupby(
            [rn["part"].astype(str), rn["location"].astype(str)]).median()).reindex(key)
    transit = pd.to_numeric(loc["transit_days"], errors="coerce") if "transit_days" in loc else pd.Series(dtype=float)
    has_parent = loc["parent"].fillna("").astype(str) != ""
    master = dataset.parts.set_index(dataset.parts["part"].astype(str))["lead_time_days"].astype(np.float64)
    fallback = np.where(m["location"].map(has_parent).fillna(False).to_numpy(bool),
                        m["location"].map(transit).to_numpy(np.float64), m["part"].map(master).to_numpy(np.float64))
    L = np.where(np.isfinite(lt.to_numpy(np.float64)), lt.to_numpy(np.float64), fallback)
    R = pd.to_numeric(m["location"].map(loc["review_days"]), errors="coerce").fillna(1).to_numpy(np.float64) \
        if "review_days" in loc else np.ones(len(m))
    need = rate * (np.nan_to_num(L) + R)
    below = ~not_stocked & np.isfinite(mx) & (mx < need)
    return not_stocked, below


def _within_target(m: pd.DataFrame, window: pd.DataFrame, policies: pd.DataFrame) -> np.ndarray:
    if not isinstance(policies, pd.DataFrame) or not {"part", "location"} <= set(policies.columns):
        raise ValueError("policies must be a DataFrame with part, location and target_level or expected_hit_rate; "
                         f"received {type(policies).__name__}.")
    level = "target_level" if "target_level" in policies else (
        "expected_hit_rate" if "expected_hit_rate" in policies else None)
    if level is None:
        raise ValueError("policies needs a target_level or expected_hit_rate column for within_target; received "
                         f"columns {list(policies.columns)}.")
    pol = policies.assign(part=policies["part"].astype(str), location=policies["location"].astype(str))
    pol = pol.drop_duplicates(["part", "location"], keep="last").set_index(["part", "location"])
    key = pd.MultiIndex.from_arrays([m["part"].to_numpy(), m["location"].to_numpy()])
    g = window.groupby(["part", "location"]).agg(n=("missed", "size"), k=("missed", "sum")).reindex(key)
    target = pd.to_numeric(pol[level], errors="coerce").reindex(key).to_numpy(np.float64)
    n, k = g["n"].to_numpy(np.float64), g["k"].to_numpy(np.float64)
    ok = np.isfinite(target) & (target > 0) & (target < 1) & np.isfinite(n)
    allowed = np.full(len(m), -1.0)
    allowed[ok] = stats.binom.ppf(WITHIN_TARGET_QUANTILE, np.rint(n[ok]), 1.0 - target[ok])
    return ok & (k <= allowed)
