"""Assemble the demo network tables (Arrow tables with a pandas view) from the generated arrays."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from . import sizes as S
from .catalogue import LIFECYCLES, build_catalogue
from .demand import generate_lines
from .arrowtables import arrow_to_frame, dates, fixed_width_strings, frame_to_arrow, strings
from .ids import format_ids, id_bytes
from .network import build_network
from .replenishment import EMERGENCY, run_history

TABLES = ("parts", "locations", "demand", "inventory", "receipts", "items", "install_base", "bom")
TRUTH_TABLES = ("planted_defects", "parts_true", "locations_true", "initial_inventory")

# independent random streams per component: changing one does not shift the others
_STREAM_NETWORK, _STREAM_CATALOGUE, _STREAM_DEMAND, _STREAM_HISTORY = range(4)


@dataclass(frozen=True, eq=False)
class DemoNetwork:
    """A generated demo dataset: one DataFrame per input table plus the ground truth.

    Attributes
    ----------
    size, seed : the arguments it was generated with.
    as_of : pandas.Timestamp, the snapshot date (= ``end_date``); the history
        covers the :data:`sizes.HISTORY_WEEKS` weeks before it.
    parts, locations, demand, inventory, receipts, items, install_base, bom :
        the input tables of DESIGN.md §4 as DataFrames (keys ``object`` str,
        dates ``datetime64[ns]``), built on first access from ``arrow``.
    truth : dict of DataFrames ``planted_defects``, ``parts_true``,
        ``locations_true`` and ``initial_inventory`` (see ground_truth/README.md).
    arrow, arrow_truth : the same tables as ``pyarrow.Table`` (what is written).
    """

    size: str
    seed: int
    as_of: pd.Timestamp
    arrow: dict = field(repr=False)
    arrow_truth: dict = field(repr=False)
    _frames: dict = field(default_factory=dict, repr=False)

    def _frame(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            self._frames[name] = arrow_to_frame(self.arrow[name])
        return self._frames[name]

    parts = property(lambda self: self._frame("parts"), doc="the part master (DataFrame)")
    locations = property(lambda self: self._frame("locations"), doc="the location tree (DataFrame)")
    demand = property(lambda self: self._frame("demand"), doc="repair-order lines (DataFrame)")
    inventory = property(lambda self: self._frame("inventory"), doc="snapshot at as_of (DataFrame)")
    receipts = property(lambda self: self._frame("receipts"), doc="replenishment history (DataFrame)")
    items = property(lambda self: self._frame("items"), doc="part-location overrides (DataFrame)")
    install_base = property(lambda self: self._frame("install_base"), doc="vehicles per dealer and model")
    bom = property(lambda self: self._frame("bom"), doc="model -> part with failure rates (DataFrame)")

    @property
    def truth(self) -> dict:
        """The ground-truth tables as DataFrames."""
        if "_truth" not in self._frames:
            self._frames["_truth"] = {k: arrow_to_frame(t) for k, t in self.arrow_truth.items()}
        return self._frames["_truth"]

    def tables(self) -> dict:
        """The eight input tables by file name."""
        return {name: self._frame(name) for name in TABLES}


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, stream]))


def _check_seed(seed) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; received {seed!r}")
    return int(seed)


def _check_end_date(end_date) -> np.datetime64:
    try:
        ts = pd.Timestamp(end_date)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"end_date must be an ISO date 'YYYY-MM-DD'; received {end_date!r}") from exc
    if ts is pd.NaT or ts != ts.normalize():
        raise ValueError(f"end_date must be an ISO date 'YYYY-MM-DD' without time; received {end_date!r}")
    return np.datetime64(ts.date(), "D")


def _dates(start: np.datetime64, days) -> np.ndarray:
    return (start + np.asarray(days, dtype=np.int64).astype("timedelta64[D]")).astype("datetime64[ns]")


def _str(a) -> np.ndarray:
    return np.asarray(a, dtype=object)


def generate(size: str = "small", seed: int = 0, *, end_date="2026-11-16") -> DemoNetwork:
    """Generate the demo dealer network ``size`` with random ``seed`` (see :mod:`partsopt.demo`).

    Parameters
    ----------
    size : ``"small"`` (20 dealers x 300 parts), ``"medium"`` (100 x 2,000) or
        ``"large"`` (500 x 20,000); see :data:`sizes.SIZES`.
    seed : non-negative int; the same seed gives the same tables.
    end_date : the snapshot date ``as_of`` (ISO string or date); the repair
        history covers the :data:`sizes.HISTORY_WEEKS` weeks before it.  The
        weekly review day of the legacy policy is the weekday of ``end_date``
        (a Monday for the default 2026-11-16).

    Raises
    ------
    ValueError
        unknown ``size`` (the message lists the valid ones), ``seed`` not a
        non-negative int, ``end_date`` not a date.
    """
    spec = S.get_size(size)
    seed = _check_seed(seed)
    as_of = _check_end_date(end_date)
    W = S.HISTORY_WEEKS
    start = as_of - np.timedelta64(7 * W, "D")

    net = build_network(spec, _rng(seed, _STREAM_NETWORK))
    cat = build_catalogue(spec, net, _rng(seed, _STREAM_CATALOGUE))
    lines = generate_lines(cat, _rng(seed, _STREAM_DEMAND))
    hist = run_history(net, cat, lines, _rng(seed, _STREAM_HISTORY))

    pid = cat.part_ids
    lid = net.location_ids
    off = net.dealer_offset

    succ_master = np.where(cat.successor_master >= 0, pid[np.maximum(cat.successor_master, 0)], "")
    succ_true = np.where(cat.successor >= 0, pid[np.maximum(cat.successor, 0)], "")
    parts = pd.DataFrame({
        "part": _str(pid),
        "unit_cost": cat.unit_cost,
        "unit_price": cat.unit_price,
        "lead_time_days": cat.lt_master,
        "lead_time_sd_days": cat.lt_master_sd,
        "pack_size": cat.pack_size,
        "moq": cat.pack_size,
        "criticality": _str(cat.criticality),
        "superseded_by": _str(succ_master),
        "description": _str(cat.description),
    })

    locations = pd.DataFrame({
        "location": _str(lid),
        "parent": _str(net.parent),
        "kind": _str(net.kind),
        "transit_days": net.transit_days,
        "review_days": np.full(lid.size, 7, np.int64),
        "emergency_days": net.emergency_days,
        "emergency_cost": net.emergency_cost,
        "holding_rate": net.holding_rate,
        "order_cost": net.order_cost,
        "size": _str(net.size_class),
    })

    L = lines.day.size
    demand = pa.table({
        "date": dates(start, lines.day),
        "part": strings(lines.part, pid),
        "location": strings(off + lines.dealer, lid),
        "qty": pa.array(lines.qty.astype(np.int64)),
        "line_id": fixed_width_strings(id_bytes("L", np.arange(1, L + 1), max(8, len(str(L))))),
        "promised_date": dates(start, lines.promised),
    })

    inventory = pa.table({
        "part": strings(hist.i_part, pid),
        "location": strings(hist.i_location, lid),
        "on_hand": pa.array(hist.i_on_hand.astype(np.int64)),
        "on_order": pa.array(hist.i_on_order.astype(np.int64)),
        "backorders": pa.array(hist.i_backorders.astype(np.int64)),
    })

    receipts = pa.table({
        "part": strings(hist.r_part, pid),
        "location": strings(hist.r_location, lid),
        "order_date": dates(start, hist.r_order_day),
        "qty": pa.array(hist.r_qty.astype(np.int64)),
        "received_date": dates(start, hist.r_received_day),
        "promised_date": dates(start, hist.r_promised_day),
        "order_type": strings((hist.r_type == EMERGENCY).astype(np.int32), ["normal", "emergency"]),
    })

    o = np.lexsort((hist.o_location, hist.o_part))
    items = pd.DataFrame({
        "part": _str(pid[hist.o_part[o]]),
        "location": _str(lid[hist.o_location[o]]),
        "stocked": hist.o_stocked[o],
        "min_qty": pd.array(np.where(hist.o_min[o] >= 0, hist.o_min[o], 0), dtype="Int64"),
        "max_qty": pd.array(np.where(hist.o_max[o] >= 0, hist.o_max[o], 0), dtype="Int64"),
    })
    items.loc[hist.o_min[o] < 0, ["min_qty", "max_qty"]] = pd.NA

    ib_l, ib_m = np.nonzero(net.install_base)
    install_base = pd.DataFrame({
        "location": _str(lid[off + ib_l]),
        "model": _str(net.model_ids[ib_m]),
        "units": net.install_base[ib_l, ib_m].astype(np.int64),
    })

    # BOM: each family's current part number (the last of a chain) on the models it fits
    fam_current = cat.fam_members[np.arange(cat.fam_rate.size), (cat.fam_members >= 0).sum(axis=1) - 1]
    bm, bf = np.nonzero(cat.failure_rate > 0)
    bom = pd.DataFrame({
        "model": _str(net.model_ids[bm]),
        "part": _str(pid[fam_current[bf]]),
        "qty_per_unit": cat.fam_qpu[bf].astype(np.int64),
        "failure_rate": _round_sig(cat.failure_rate[bm, bf], 6),
    }).sort_values(["model", "part"], kind="stable", ignore_index=True)

    truth = _truth_tables(cat, net, hist, start, pid, lid, succ_true)
    arrow = {"parts": frame_to_arrow(parts), "locations": frame_to_arrow(locations), "demand": demand,
             "inventory": inventory, "receipts": receipts, "items": frame_to_arrow(items),
             "install_base": frame_to_arrow(install_base), "bom": frame_to_arrow(bom)}
    return DemoNetwork(size=spec.name, seed=seed, as_of=pd.Timestamp(as_of), arrow=arrow, arrow_truth=truth)


def _round_sig(x: np.ndarray, digits: int) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    mag = np.floor(np.log10(np.abs(np.where(x == 0, 1.0, x))))
    scale = 10.0 ** (digits - 1 - mag)
    return np.round(x * scale) / scale


def _truth_tables(cat, net, hist, start, pid, lid, succ_true) -> dict:
    W = S.HISTORY_WEEKS
    fam = cat.part_family
    lt_true_sd = np.round(cat.lt_true_mean * np.sqrt(np.expm1(cat.lt_log_sd ** 2)), 1)
    first_day = cat.part_start * 7
    last = cat.part_end < W
    switch_date = pd.Series(_dates(start, np.where(last, cat.part_end * 7, 0)))
    switch_date[~last] = pd.NaT
    fade = cat.fam_fade[fam]
    fade_date = pd.Series(_dates(start, np.maximum(fade, 0) * 7))
    fade_date[fade < 0] = pd.NaT
    parts_true = pd.DataFrame({
        "part": _str(pid),
        "unit_cost": cat.unit_cost,
        "unit_price": cat.unit_price,
        "lead_time_days": np.round(cat.lt_true_mean, 1),
        "lead_time_sd_days": lt_true_sd,
        "pack_size": cat.pack_size,
        "moq": cat.pack_size,
        "criticality": _str(cat.criticality),
        "superseded_by": _str(succ_true),
        "description": _str(cat.description),
        "family": _str(format_ids("F", fam + 1, max(5, len(str(fam.max() + 1))))),
        "demand_class": _str(np.asarray(S.CLASS_NAMES, dtype=object)[cat.fam_class[fam]]),
        "lifecycle": _str(np.asarray(LIFECYCLES, dtype=object)[cat.fam_lifecycle[fam]]),
        "network_rate_per_week": np.round(cat.fam_rate[fam], 6),
        "master_lead_time_days": cat.lt_master,
        "active_from": _dates(start, first_day),
        "superseded_on": switch_date.to_numpy(),
        "fade_from": fade_date.to_numpy(),
    })

    defects = []
    sh = np.nonzero(cat.short_lead_time)[0]
    defects.append(pd.DataFrame({
        "defect": "master_lead_time_short",
        "cause": "data.lead_time_master",
        "part": _str(pid[sh]),
        "location": "CW",
        "detail": ("master lead_time_days " + pd.Series(cat.lt_master[sh]).astype(str)
                   + " d; real mean " + pd.Series(np.round(cat.lt_true_mean[sh], 1)).astype(str) + " d").to_numpy(),
    }))
    ul = np.nonzero((cat.successor >= 0) & (cat.successor_master < 0))[0]
    sd = pd.Series(_dates(start, cat.part_end[ul] * 7)).dt.strftime("%Y-%m-%d")
    defects.append(pd.DataFrame({
        "defect": "supersession_not_linked",
        "cause": "data.supersession_not_linked",
        "part": _str(pid[ul]),
        "location": "",
        "detail": ("superseded by " + pd.Series(pid[cat.successor[ul]]).astype(str) + " from " + sd
                   + "; parts.superseded_by is empty").to_numpy(),
    }))
    late = np.nonzero(net.late_extra_days > 0)[0]
    defects.append(pd.DataFrame({
        "defect": "dealer_late_deliveries",
        "cause": "execution.late_delivery",
        "part": "",
        "location": _str(lid[net.dealer_offset + late]),
        "detail": ("deliveries to the dealer arrive on average "
                   + pd.Series(np.round(net.late_extra_days[late], 1)).astype(str)
                   + " d later than promised").to_numpy(),
    }))
    ns = ~hist.o_stocked
    defects.append(pd.DataFrame({
        "defect": "not_stocked_but_sells",
        "cause": "configuration.not_stocked",
        "part": _str(pid[hist.o_part[ns]]),
        "location": _str(lid[hist.o_location[ns]]),
        "detail": ("items.stocked is false; the legacy max would be "
                   + pd.Series(hist.o_need_max[ns]).astype(str)).to_numpy(),
    }))
    bl = hist.o_stocked
    defects.append(pd.DataFrame({
        "defect": "max_override_below_need",
        "cause": "configuration.override_below_need",
        "part": _str(pid[hist.o_part[bl]]),
        "location": _str(lid[hist.o_location[bl]]),
        "detail": ("items.max_qty " + pd.Series(hist.o_max[bl]).astype(str) + " below the legacy max "
                   + pd.Series(hist.o_need_max[bl]).astype(str)).to_numpy(),
    }))
    planted = pd.concat(defects, ignore_index=True)
    planted = planted.sort_values(["defect", "part", "location"], kind="stable", ignore_index=True)

    locations_true = pd.DataFrame({
        "location": _str(net.location_ids[net.dealer_offset:]),
        "region": _str(net.parent[net.dealer_offset:]),
        "vehicles": net.dealer_vehicles,
        "capture": np.round(net.capture, 6),
        "late_extra_days": np.round(net.late_extra_days, 6),
    })
    initial = pa.table({
        "part": strings(hist.s_part, pid),
        "location": strings(hist.s_location, lid),
        "on_hand": pa.array(hist.s_on_hand.astype(np.int64)),
    })
    return {"planted_defects": frame_to_arrow(planted), "parts_true": frame_to_arrow(parts_true),
            "locations_true": frame_to_arrow(locations_true), "initial_inventory": initial}
