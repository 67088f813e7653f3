"""Repair-order lines of the demo network.

Per family ``f`` and week ``w`` the number of demand events in the whole
network is Poisson::

    n[f, w] ~ Poisson(rate[f] * profile[f, w])                     [events/week]

(one draw per family-week: 2 million draws for the large network, never one per
part-location).  Each event then gets

* a dealer, drawn with probability ``lam[l, f] / sum_l lam[l, f]`` (installed
  base x failure rate x capture, see :mod:`catalogue`) by inverse-CDF search on
  one concatenated cumulative table (:func:`sample_dealers`);
* a day of the week (Mon..Sat weights 20/18/18/18/18/8 %);
* the part number of its family active on that day (chains switch at their
  switch week: the history continues on the successor);
* a size ``q[f] * b``: smooth and intermittent ``b = 1`` (2 with probability
  0.1); lumpy ``b = max(1, round(LogNormal(0.6, 1.0)))``; erratic the same
  log-normal times a weekly family shock ``G[f, w] ~ Gamma(2, 1/2)`` (fleet jobs,
  campaigns) so that weekly sizes vary (CV^2 > 0.49) although demand is frequent;
* a promised date: walk-in (60 %) the same day, else a scheduled job 1-3 days later.

Expected weekly network demand of a smooth family is at least 4 events (ADI
about 1.02, CV^2 about 1.1/rate < 0.49); intermittent/lumpy families have at most
0.8 events a week (ADI >= 1/(1 - e^-0.8) = 1.82), so the SBC class of the
weekly network series matches the drawn class (Syntetos, Boylan & Croston 2005,
JORS 56:495-503, cut-offs ADI 1.32, CV^2 0.49).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import sizes as S
from .catalogue import LUMPY_LOG_MEAN, LUMPY_LOG_SD, Catalogue
from .ids import lsd_order

DOW_WEIGHTS = np.array([0.20, 0.18, 0.18, 0.18, 0.18, 0.08])
WALK_IN_SHARE = 0.6


@dataclass(frozen=True)
class Lines:
    """Repair-order lines sorted by (day, dealer, part), ties in generation order."""

    day: np.ndarray        # (L,) day index from the history start
    dealer: np.ndarray     # (L,) dealer index 0..D-1
    part: np.ndarray       # (L,) part index
    qty: np.ndarray        # (L,) units, >= 1
    promised: np.ndarray   # (L,) promised day index


def sample_dealers(weights: np.ndarray, family: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Draw one dealer per event by inverse CDF within its family's column.

    weights : (D, F) non-negative, each column with a positive sum
    family  : (L,) family index of each event
    u       : (L,) uniforms in [0, 1)

    The per-family cumulative distributions are laid end to end, shifted by the
    family index (``f + cdf_f``), so one ``searchsorted`` serves every event:
    event ``i`` takes the first dealer ``l`` with ``cdf_f[l] > u_i``.  Dealers with
    zero weight are never drawn.
    """
    D, F = weights.shape
    cdf = np.cumsum(weights.T, axis=1)
    cdf /= cdf[:, -1:]
    cdf[:, -1] = 1.0
    flat = (cdf + np.arange(F)[:, None]).ravel()
    idx = np.searchsorted(flat, family + u, side="right")
    idx = np.clip(idx, family * D, family * D + D - 1)
    return idx - family * D


def event_sizes(fam_class: np.ndarray, shock: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Units per event before the quantity per unit (see the module docstring)."""
    n = fam_class.size
    small = 1 + (rng.random(n) < 0.1)
    x = rng.lognormal(LUMPY_LOG_MEAN, LUMPY_LOG_SD, n)
    x = np.where(fam_class == 1, x * shock, x)
    big = np.maximum(1, np.round(x))
    return np.where(np.isin(fam_class, (1, 3)), big, small).astype(np.int64)


def generate_lines(cat: Catalogue, rng: np.random.Generator) -> Lines:
    """Draw the repair-order lines of the whole history (vectorised, no loop over series)."""
    W = S.HISTORY_WEEKS
    F = cat.fam_rate.size
    counts = rng.poisson(cat.fam_rate[:, None] * cat.profile)          # (F, W)
    shock = rng.gamma(2.0, 0.5, (F, W))
    flat = counts.ravel()
    cell = np.repeat(np.arange(flat.size), flat)
    fam = cell // W
    week = cell % W
    L = fam.size
    dealer = sample_dealers(cat.lam, fam, rng.random(L))
    dow = np.searchsorted(np.cumsum(DOW_WEIGHTS), rng.random(L) * DOW_WEIGHTS.sum(), side="right")
    day = week * 7 + np.minimum(dow, 5)
    rank = (week >= cat.fam_switch[fam, 0]).astype(np.int64) + (week >= cat.fam_switch[fam, 1])
    part = cat.fam_members[fam, rank]
    base = event_sizes(cat.fam_class[fam], shock.ravel()[cell], rng)
    qty = base * cat.fam_qpu[fam]
    walk_in = rng.random(L) < WALK_IN_SHARE
    promised = day + np.where(walk_in, 0, rng.integers(1, 4, L))
    order = lsd_order(day, dealer, part)
    return Lines(day=day[order], dealer=dealer[order], part=part[order], qty=qty[order],
                 promised=promised[order])
