"""Locations of the demo network and the installed base of vehicles.

The network is a tree: one central warehouse ``CW`` (ordered from the
suppliers), 2-3 regional warehouses ``RW-*`` under it and the dealers
``D001``... under the regionals.  Each dealer has a size class
(small/medium/large) that sets its vehicles in the field, and a model mix tilted
by its region.  The installed base is

    units[l, m] ~ Poisson(vehicles[l] * share[r(l), m])      [vehicles]

with ``share[r, :]`` a Dirichlet model mix per region.  ``capture[l]`` (log-normal,
median 1) is the share of its installed base's repairs that the dealer's
workshop actually captures: the noise between installed base and demand.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import sizes as S
from .ids import format_ids

REGIONAL_NAMES = ("RW-N", "RW-S", "RW-E", "RW-W")


@dataclass(frozen=True)
class Network:
    """Arrays describing the locations (order: CW, regionals, dealers)."""

    location_ids: np.ndarray      # (1+R+D,) str
    kind: np.ndarray              # (1+R+D,) str
    parent: np.ndarray            # (1+R+D,) str, '' for CW
    transit_days: np.ndarray      # (1+R+D,) int, planned transit from parent [days]
    emergency_days: np.ndarray    # (1+R+D,) int [days]
    emergency_cost: np.ndarray    # (1+R+D,) float [per emergency order line]
    order_cost: np.ndarray        # (1+R+D,) float [per normal order line]
    holding_rate: np.ndarray      # (1+R+D,) float [per year]
    size_class: np.ndarray        # (1+R+D,) str, '' for warehouses
    n_regionals: int
    n_dealers: int
    dealer_region: np.ndarray     # (D,) int 0..R-1
    dealer_vehicles: np.ndarray   # (D,) int
    capture: np.ndarray           # (D,) float
    late_extra_days: np.ndarray   # (D,) float, mean extra delivery days (0 = on time)
    model_ids: np.ndarray         # (M,) str
    install_base: np.ndarray      # (D, M) int [vehicles]

    @property
    def dealer_offset(self) -> int:
        """Index of the first dealer in the location arrays."""
        return 1 + self.n_regionals


def build_network(size: S.DemoSize, rng: np.random.Generator) -> Network:
    """Draw the location tree, dealer sizes, late dealers and installed base."""
    R, D, M = size.n_regionals, size.n_dealers, size.n_models
    # every regional gets at least one dealer: a shuffled round-robin
    dealer_region = rng.permutation(np.arange(D) % R)
    counts = np.floor(D * np.asarray(S.DEALER_SIZE_SHARES)).astype(np.int64)
    counts[0] += D - counts.sum()          # every size class present, shares exact up to rounding
    dealer_size = rng.permutation(np.repeat(np.arange(len(S.DEALER_SIZES)), counts))
    vehicles_base = np.asarray(S.DEALER_VEHICLES, dtype=float)[dealer_size]
    vehicles = np.maximum(50, np.round(vehicles_base * rng.lognormal(0.0, 0.25, D))).astype(np.int64)
    capture = rng.lognormal(-0.25**2 / 2, 0.25, D)

    n_late = max(1, int(round(S.LATE_DEALER_SHARE * D)))
    late = rng.choice(D, size=n_late, replace=False)
    late_extra = np.zeros(D)
    late_extra[late] = rng.uniform(*S.LATE_DEALER_EXTRA_DAYS, size=n_late)

    # model mix: national popularity tilted per region
    popularity = rng.dirichlet(np.full(M, 1.5))
    tilt = rng.lognormal(0.0, 0.5, (R, M))
    share = popularity * tilt
    share /= share.sum(axis=1, keepdims=True)
    install_base = rng.poisson(vehicles[:, None] * share[dealer_region])

    reg_ids = np.array(REGIONAL_NAMES[:R], dtype=object) if R <= len(REGIONAL_NAMES) else \
        np.array([f"RW-{i + 1}" for i in range(R)], dtype=object)
    dealer_ids = format_ids("D", np.arange(1, D + 1), max(3, len(str(D)))).astype(object)
    location_ids = np.concatenate([np.array(["CW"], dtype=object), reg_ids, dealer_ids])
    kind = np.array(["central"] + ["regional"] * R + ["dealer"] * D, dtype=object)
    parent = np.concatenate([np.array([""], dtype=object), np.full(R, "CW", dtype=object),
                             reg_ids[dealer_region]])
    transit = np.concatenate([[0], rng.integers(2, 4, R), rng.integers(1, 4, D)]).astype(np.int64)
    emergency_days = np.concatenate([[5], np.ones(R + D, dtype=np.int64)]).astype(np.int64)
    emergency_cost = np.concatenate([[150.0], np.full(R, 60.0), np.full(D, 25.0)])
    order_cost = np.concatenate([[20.0], np.full(R, 5.0), np.full(D, 2.0)])
    holding_rate = np.concatenate([[0.20], np.full(R, 0.22), np.full(D, 0.25)])
    size_class = np.concatenate([np.full(1 + R, "", dtype=object),
                                 np.asarray(S.DEALER_SIZES, dtype=object)[dealer_size]])
    model_ids = format_ids("MOD", np.arange(1, M + 1), 2).astype(object)
    return Network(location_ids=location_ids, kind=kind, parent=parent, transit_days=transit,
                   emergency_days=emergency_days, emergency_cost=emergency_cost,
                   order_cost=order_cost, holding_rate=holding_rate, size_class=size_class,
                   n_regionals=R, n_dealers=D, dealer_region=dealer_region,
                   dealer_vehicles=vehicles, capture=capture, late_extra_days=late_extra,
                   model_ids=model_ids, install_base=install_base)
