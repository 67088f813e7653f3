"""Scenario configuration: what the planner chooses (DESIGN.md §8).

A scenario is a TOML document; every key is optional and has a default, so an
empty file is the default scenario.  :func:`resolve_config` checks every key
(unknown keys and out-of-range values raise a :class:`~partsopt.errors.ConfigError`
with the key path, the value received and the valid range) and returns the
complete, resolved configuration; :func:`config_hash` fingerprints it so each
run can record exactly what it was planned with.

Example (every key shown with its default, except ``by_criticality``, empty by default)::

    name = "base"

    [service]
    target = "hit_rate"          # hit_rate (lines filled at once) or fill_rate (units)
    level = 0.95                 # service level, in (0, 1)
    by_criticality = { A = 0.98, C = 0.90 }   # per criticality class; a class not given uses level
    otd_target = 0.95            # on-time delivery, any source, in (0, 1)
    normal_order_rate = 0.85     # normal ÷ all replenishment order lines, in [0, 1)
    scope = "row"                # row: every customer-facing part-location reaches level;
                                 # network: together, line-weighted, at least investment
    row_floors = true            # network scope: OTD and normal-order floors still per row;
                                 # false: they are network-level targets too

    [policy]
    type = "sS"                  # sS: least-cost S - s; base_stock: S - s fixed at its least value
                                 # (S = s + 1 for a part sold by the unit: order up to S every review)
    review_days = 0              # 0 = the location's own review_days
    multi_echelon = true         # dealers' lead time includes the wait at their parent
    min_order_up_to_gap = 1      # S - s >= this [units] (and >= the part's MOQ, in whole packs)
    upper_fill_rate = 0.95       # fill-rate target of warehouses towards the locations they supply
    q_method = "cost"            # S - s from the least-cost search, or "eoq" (EOQ on the pack grid)

    [forecast]
    method = "auto"              # auto (selection per series) or a method name: croston, sba, tsb, ses, ...
    freq = "W"                   # D, W or M periods
    history_periods = 104        # periods of history used (0 = all)
    selection = "class"          # class (rule table) or backtest (rolling origin)
    new_part_min_demands = 2     # fewer non-zero periods than this: class 'new'
    dead_after_periods = 52      # no demand in this many periods: class 'dead'
    full_credibility_periods = 26  # own history this long: install-base rate no longer blended in

    [costs]
    holding_rate = 0.0           # per year; 0 = each location's holding_rate
    order_cost = -1.0            # per normal order line; -1 = each location's order_cost
    emergency_cost = -1.0        # per emergency line; -1 = each location's emergency_cost

    [budget]
    total = 0.0                  # cap on the plan's inventory investment at cost; 0 = none
                                 # (a row-scope plan above it moves to the network allocation)

    [simulation]
    seed = 0
    replan_weeks = 0             # 0 = a fixed policy over the whole replay
"""
from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from partsopt.errors import ConfigError


@dataclass(frozen=True)
class Key:
    """One configuration key: its type, default and valid range or choices."""

    kind: type | tuple[type, ...]
    default: Any
    lower: float | None = None
    upper: float | None = None
    lower_open: bool = False
    upper_open: bool = False
    choices: tuple[str, ...] = ()
    doc: str = ""

    def range_text(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        lo = "(" if self.lower_open else "["
        hi = ")" if self.upper_open else "]"
        a = "-inf" if self.lower is None else _num(self.lower)
        b = "inf" if self.upper is None else _num(self.upper)
        return f"a number in {lo}{a}, {b}{hi}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


LEVEL = dict(lower=0.0, upper=1.0, lower_open=True, upper_open=True)
FORECAST_METHODS = ("auto", "croston", "sba", "tsb", "ses", "adida", "imapa", "holt", "holt_winters")

SCHEMA: dict[str, Any] = {
    "name": Key(str, "base", doc="scenario name shown in reports"),
    "service": {
        "target": Key(str, "hit_rate", choices=("hit_rate", "fill_rate"),
                      doc="hit_rate = lines filled at once from local stock; fill_rate = units"),
        "level": Key(float, 0.95, **LEVEL, doc="default service level"),
        "by_criticality": {  # None = service.level
            "A": Key(float, None, **LEVEL),
            "B": Key(float, None, **LEVEL),
            "C": Key(float, None, **LEVEL),
        },
        "otd_target": Key(float, 0.95, **LEVEL, doc="on-time delivery target (any source); per part-location, "
                                                    "or over the network with scope network and row_floors false"),
        "normal_order_rate": Key(float, 0.85, lower=0.0, upper=1.0, upper_open=True,
                                 doc="minimum share of normal order lines (0 = none); per part-location, "
                                     "or over the network with scope network and row_floors false"),
        "scope": Key(str, "row", choices=("row", "network"),
                     doc="row = every customer-facing part-location reaches the level; network = the "
                         "customer-facing part-locations together reach it as the line-weighted expected "
                         "hit rate (per criticality class when by_criticality is set) at minimum "
                         "inventory investment, with one shadow price (partsopt.network_step)"),
        "row_floors": Key(bool, True,
                          doc="network scope: keep the on-time and normal-order-rate floors per "
                              "part-location (false: otd_target and normal_order_rate become network-level, "
                              "line-weighted targets next to the network hit rate, each with its own price, "
                              "so a part-location may fall below them or be left unstocked and served from "
                              "its parent; partsopt.network_step)"),
    },
    "policy": {
        "type": Key(str, "sS", choices=("sS", "base_stock"),
                    doc="sS = least-cost order quantity S - s; base_stock = S - s at its least value "
                        "(partsopt.policy_step.order_quantity_bounds)"),
        "review_days": Key(float, 0.0, lower=0.0, upper=365.0, doc="0 = each location's review_days"),
        "multi_echelon": Key(bool, True),
        "min_order_up_to_gap": Key(int, 1, lower=1, upper=10_000,
                                   doc="least order quantity S - s [units] (with the MOQ and pack size)"),
        "upper_fill_rate": Key(float, 0.95, **LEVEL,
                               doc="unit fill-rate target of warehouses towards the locations they supply"),
        "q_method": Key(str, "cost", choices=("cost", "eoq"),
                         doc="order quantity S - s: least-cost search, or EOQ rounded to the pack grid"),
    },
    "forecast": {
        "method": Key(str, "auto", choices=FORECAST_METHODS),
        "freq": Key(str, "W", choices=("D", "W", "M")),
        "history_periods": Key(int, 104, lower=0, upper=100_000),
        "selection": Key(str, "class", choices=("class", "backtest")),
        "new_part_min_demands": Key(int, 2, lower=0, upper=1000),
        "dead_after_periods": Key(int, 52, lower=1, upper=100_000),
        "full_credibility_periods": Key(float, 26.0, lower=0.0, lower_open=True,
                                        doc="periods of own history after which install-base rates are no longer blended in"),
    },
    "costs": {
        "holding_rate": Key(float, 0.0, lower=0.0, upper=5.0, doc="0 = each location's holding_rate"),
        "order_cost": Key(float, -1.0, lower=-1.0, doc="-1 = each location's order_cost"),
        "emergency_cost": Key(float, -1.0, lower=-1.0, doc="-1 = each location's emergency_cost"),
    },
    "budget": {
        "total": Key(float, 0.0, lower=0.0,
                     doc="cap on the expected inventory investment at cost of the whole plan (every "
                         "row, warehouses included); 0 = no budget.  Above it the plan takes the best "
                         "network hit rate within the budget (partsopt.network_step)"),
    },
    "simulation": {
        "seed": Key(int, 0, lower=0, upper=2**32 - 1),
        "replan_weeks": Key(int, 0, lower=0, upper=520),
    },
}


def default_config() -> dict[str, Any]:
    """The complete default configuration."""
    return _defaults(SCHEMA)


def _defaults(schema: dict) -> dict:
    return {k: (_defaults(v) if isinstance(v, dict) else copy.deepcopy(v.default)) for k, v in schema.items()}


def resolve_config(user: dict[str, Any] | None = None, *, source: str = "configuration") -> dict[str, Any]:
    """Merge ``user`` over the defaults, checking every key and value.

    Raises ConfigError naming the key path (``service.level``), the value
    received and the valid range or choices; an unknown key gets the closest
    valid spelling as a hint.
    """
    resolved = default_config()
    _merge(SCHEMA, resolved, user or {}, path="", source=source)
    return resolved


def _merge(schema: dict, into: dict, user: dict, path: str, source: str) -> None:
    if not isinstance(user, dict):
        raise ConfigError(f"'{path[:-1]}' must be a table of keys.", where=source, received=repr(user),
                          fix=f"write it as [{path[:-1]}] with keys under it.")
    for key, value in user.items():
        full = f"{path}{key}"
        if key not in schema:
            close = difflib.get_close_matches(key, list(schema), n=1)
            hint = f"did you mean '{path}{close[0]}'? " if close else ""
            valid = ", ".join(f"{path}{k}" for k in schema)
            raise ConfigError(f"Unknown configuration key '{full}'.", where=source, received=f"{full} = {value!r}",
                              fix=f"{hint}valid keys here: {valid}.")
        spec = schema[key]
        if isinstance(spec, dict):
            _merge(spec, into[key], value, path=f"{full}.", source=source)
        else:
            into[key] = _check_value(spec, value, full, source)


def _check_value(spec: Key, value: Any, path: str, source: str) -> Any:
    kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
    ok = isinstance(value, kinds)
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if bool not in kinds and isinstance(value, bool):
        ok = False
    if not ok:
        names = " or ".join("number" if k in (int, float) else "true/false" if k is bool else "text" for k in kinds)
        raise ConfigError(f"Wrong type for '{path}': a {names} is expected.", where=source,
                          received=f"{path} = {value!r}", fix=f"valid: {spec.range_text() if spec.choices or spec.lower is not None or spec.upper is not None else names}.")
    if spec.choices and value not in spec.choices:
        raise ConfigError(f"Invalid value for '{path}'.", where=source, received=f"{path} = {value!r}",
                          fix=f"use {spec.range_text()}.")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            bad = True
        else:
            bad = ((spec.lower is not None and (value <= spec.lower if spec.lower_open else value < spec.lower))
                   or (spec.upper is not None and (value >= spec.upper if spec.upper_open else value > spec.upper)))
        if bad:
            raise ConfigError(f"Value out of range for '{path}'.", where=source, received=f"{path} = {value!r}",
                              fix=f"use {spec.range_text()}.")
    return value


def parse_config_text(text: str, *, source: str = "configuration") -> dict[str, Any]:
    """Parse TOML text and resolve it (see :func:`resolve_config`)."""
    import tomllib

    try:
        user = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("The configuration is not valid TOML.", where=source, received=str(exc),
                          fix="check the quoting and the [section] headers at the line shown.") from None
    return resolve_config(user, source=source)


def config_hash(config: dict[str, Any]) -> str:
    """A short, stable fingerprint of a resolved configuration (sha256 of canonical JSON)."""
    canon = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()[:16]


def service_level_for(config: dict[str, Any], criticality) -> Any:
    """The service level per row from the criticality class (A/B/C); others get ``service.level``."""
    import numpy as np

    crit = np.asarray(criticality, dtype=object)
    levels = np.full(crit.shape, float(config["service"]["level"]))
    for cls, level in config["service"]["by_criticality"].items():
        if level is not None:
            levels[crit == cls] = float(level)
    return levels
