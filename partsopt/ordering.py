"""The one order rule (DESIGN.md §3.4) and the weekly order suggestions.

:func:`order_rule` turns (policy, inventory position) into orders.  The weekly
suggestions (:func:`order_suggestions`) and the replay simulator call this same
function, so what the simulator measures is what the parts manager is told to do.

The rule, per part-location (all arrays, vectorised):

1. **Emergency**: backorders not covered by what is already on order are
   ordered at once from the parent, ``e = max(0, backorders − on_order)``,
   rounded up to the pack size (no MOQ: an emergency line ships what the
   customer waits for).
2. **Normal**, only on the location's review day, when the inventory position
   ``IP = on_hand + on_order − backorders + e`` (units) is at or below the
   reorder point ``s``:

   * policy **(s, S)** (no ``order_quantity``): order up to ``S``, ``q = S − IP``
     rounded **up** to a multiple of the pack size and raised to at least the
     MOQ (itself rounded up to the pack size); nothing when ``S − IP ≤ 0``;
   * policy **(s, nQ)** (``order_quantity`` Q > 0, a multiple of the pack size and
     ≥ the MOQ, as :func:`policies.single.optimize_single` chooses it for parts
     with a pack size): order the smallest multiple of Q that lifts IP above s,
     ``q = Q · ⌈(s + 1 − IP) / Q⌉``, so IP after ordering lies in (s, s + Q] and
     ``S = s + Q`` is its largest value.

   A part not stocked at the location has ``s = S = 0`` and is only ever
   ordered to cover backorders.

These are the periodic-review (R, s, S) and (R, s, nQ) rules of Silver, Pyke &
Thomas (2017, *Inventory and Production Management in Supply Chains*, 4th ed.,
§7.1.2 and §6.7) and Hadley & Whitin (1963, §4-9); the optimiser's expected
KPIs are computed for exactly these rules.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Orders:
    """Output of :func:`order_rule`: quantities [units] per row."""

    normal: np.ndarray
    emergency: np.ndarray
    position_before: np.ndarray  # IP before ordering (on_hand + on_order - backorders)
    position_after_emergency: np.ndarray  # IP the normal-order decision looks at


def round_up_to_pack(qty: np.ndarray, pack: np.ndarray) -> np.ndarray:
    """Smallest multiple of ``pack`` that is ≥ ``qty`` (0 stays 0)."""
    qty = np.asarray(qty, dtype=np.float64)
    pack = np.maximum(np.asarray(pack, dtype=np.float64), 1.0)
    return np.ceil(np.maximum(qty, 0.0) / pack - 1e-9) * pack


def order_rule(on_hand, on_order, backorders, reorder_point, order_up_to, *, pack_size=1, moq=1,
               review_day=True, order_quantity=None) -> Orders:
    """Orders [units] for every row given the stock state and the policy.

    All arguments broadcast (numpy arrays or scalars).  ``review_day`` is a
    boolean array (or scalar): normal orders are placed only where it is True;
    emergency orders are placed any day.  ``order_quantity`` (Q per row; 0 or
    NaN = an (s, S) row) selects the (s, nQ) rule.
    """
    on_hand = np.asarray(on_hand, dtype=np.float64)
    on_order = np.asarray(on_order, dtype=np.float64)
    backorders = np.asarray(backorders, dtype=np.float64)
    s = np.asarray(reorder_point, dtype=np.float64)
    S = np.asarray(order_up_to, dtype=np.float64)
    pack = np.maximum(np.asarray(pack_size, dtype=np.float64), 1.0)
    moq = np.maximum(np.asarray(moq, dtype=np.float64), 1.0)

    ip = on_hand + on_order - backorders
    emergency = round_up_to_pack(np.maximum(backorders - on_order, 0.0), pack)
    ip_after = ip + emergency
    gap = S - ip_after
    trigger = np.asarray(review_day, dtype=bool) & (ip_after <= s) & (gap > 0)
    normal = np.where(trigger, np.maximum(round_up_to_pack(gap, pack), round_up_to_pack(moq, pack)), 0.0)
    if order_quantity is not None:
        Q = np.nan_to_num(np.asarray(order_quantity, dtype=np.float64), nan=0.0)
        nq = Q > 0
        if np.any(nq):
            Qs = np.where(nq, Q, 1.0)
            batches = np.ceil((s + 1.0 - ip_after) / Qs - 1e-9)
            q_nq = np.where(np.asarray(review_day, dtype=bool) & (ip_after <= s), batches * Qs, 0.0)
            normal = np.where(nq, q_nq, normal)
    shape = normal.shape
    return Orders(normal=normal, emergency=np.broadcast_to(emergency, shape).copy(),
                  position_before=np.broadcast_to(ip, shape).copy(),
                  position_after_emergency=np.broadcast_to(ip_after, shape).copy())


ORDER_COLUMNS = ["as_of", "part", "location", "on_hand", "on_order", "backorders", "inventory_position",
                 "reorder_point", "order_up_to", "suggested_qty", "order_type", "unit_cost", "value", "reason"]


def order_suggestions(policies: pd.DataFrame, inventory: pd.DataFrame, parts: pd.DataFrame,
                      locations: pd.DataFrame, as_of, *, review_all: bool = False) -> pd.DataFrame:
    """The ``orders`` table of DESIGN.md §5 for the week starting ``as_of``.

    policies   part, location, reorder_point, order_up_to (one row per part-location planned)
    inventory  the snapshot (part, location, on_hand, on_order, backorders); missing rows = 0
    parts      part master (pack_size, moq, unit_cost)
    locations  review_days per location: a location reviews on ``as_of`` when the
               number of days since 1970-01-05 (a Monday) is a multiple of its
               review_days, i.e. weekly reviews fall on Mondays; ``review_all``
               treats every location as reviewing today (the weekly batch run).

    One row per suggested order line (normal and emergency separately), with a
    readable reason.
    """
    as_of = pd.Timestamp(as_of)
    cols = ["part", "location", "reorder_point", "order_up_to"] + (
        ["order_quantity"] if "order_quantity" in policies.columns else [])
    base = policies[cols].merge(
        inventory[["part", "location", "on_hand", "on_order", "backorders"]], on=["part", "location"], how="outer")
    base = base.merge(parts[["part", "pack_size", "moq", "unit_cost"]], on="part", how="left")
    base = base.merge(locations[["location", "review_days"]], on="location", how="left")
    for col in ("on_hand", "on_order", "backorders", "reorder_point", "order_up_to"):
        base[col] = base[col].fillna(0.0).astype(np.float64)
    base["pack_size"] = base["pack_size"].fillna(1)
    base["moq"] = base["moq"].fillna(1)
    review = np.ones(len(base), bool) if review_all else is_review_day(as_of, base["review_days"].to_numpy())
    orders = order_rule(base["on_hand"], base["on_order"], base["backorders"], base["reorder_point"],
                        base["order_up_to"], pack_size=base["pack_size"], moq=base["moq"], review_day=review,
                        order_quantity=base["order_quantity"] if "order_quantity" in base.columns else None)
    base["inventory_position"] = orders.position_before
    base["_ip_after"] = orders.position_after_emergency
    rows = []
    for kind, qty in (("emergency", orders.emergency), ("normal", orders.normal)):
        sel = qty > 0
        if not sel.any():
            continue
        sub = base.loc[sel].copy()
        sub["suggested_qty"] = qty[sel]
        sub["order_type"] = kind
        sub["reason"] = _reasons(sub, kind)
        rows.append(sub)
    if not rows:
        out = pd.DataFrame(columns=ORDER_COLUMNS)
        return out
    out = pd.concat(rows, ignore_index=True)
    out["as_of"] = as_of.normalize()
    out["value"] = out["suggested_qty"] * out["unit_cost"]
    out = out[ORDER_COLUMNS].sort_values(["location", "order_type", "part"], kind="stable").reset_index(drop=True)
    return out


def is_review_day(day, review_days) -> np.ndarray:
    """True where ``day`` is a review day of a location with cycle ``review_days`` [days].

    Cycles are anchored on Monday 1970-01-05, so a 7-day cycle reviews every
    Monday and a 14-day cycle every other Monday.
    """
    n = (pd.Timestamp(day).normalize() - pd.Timestamp("1970-01-05")).days
    r = np.maximum(np.rint(np.asarray(review_days, dtype=np.float64)), 1).astype(np.int64)
    return (n % r) == 0


def _fmt(x: np.ndarray) -> pd.Series:
    x = np.asarray(x, dtype=np.float64)
    whole = np.isclose(x, np.round(x))
    return pd.Series(np.where(whole, np.round(x).astype(np.int64).astype(str), np.round(x, 2).astype(str)))


def _reasons(sub: pd.DataFrame, kind: str) -> np.ndarray:
    ip, s, S = _fmt(sub["_ip_after"]), _fmt(sub["reorder_point"]), _fmt(sub["order_up_to"])
    qty, pack, moq = _fmt(sub["suggested_qty"]), _fmt(sub["pack_size"]), _fmt(sub["moq"])
    bo, oo = _fmt(sub["backorders"]), _fmt(sub["on_order"])
    if kind == "emergency":
        text = ("emergency: " + bo + " unit(s) on backorder, " + oo + " on order; order " + qty
                + " from the parent now")
        return text.to_numpy()
    text = ("inventory position " + ip + " ≤ reorder point " + s + ": order up to " + S + " → " + qty
            + " (pack " + pack + ", MOQ " + moq + ")")
    if "order_quantity" in sub.columns:
        Q = sub["order_quantity"].fillna(0).to_numpy(np.float64)
        alt = ("inventory position " + ip + " ≤ reorder point " + s + ": order " + qty
               + " = the smallest multiple of Q " + _fmt(Q) + " that lifts it above " + s)
        text = pd.Series(np.where(Q > 0, alt, text))
    return text.to_numpy()
