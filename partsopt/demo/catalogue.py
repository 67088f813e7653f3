"""Part catalogue of the demo network: families, part master, bill of materials.

A *family* is one demand process: a single part number, or a supersession chain
(2-3 part numbers, the old one superseded by the next at a switch week, the
history continuing on the successor).  Per family ``f``:

* demand class ``c[f]`` in smooth/erratic/intermittent/lumpy (shares
  :data:`sizes.CLASS_SHARES`, exact up to rounding) and network event rate
  ``rate[f]`` [events/week], log-uniform in :data:`sizes.CLASS_RATE_RANGE`;
* lifecycle: stable, new (zero before an introduction week in the last half
  year), dying (exponential fade-out ``exp(-(w - w_fade)/tau)`` after a fade
  week) or chain; every family has a mild seasonality ``1 + a sin(2 pi w/52 + phi)``,
  ``a`` in [0, 0.25].  ``profile[f, w]`` is the product (dimensionless);
* the vehicle models it is fitted to (``bom``), quantity per unit ``q[f]`` and a
  failure rate per model ``fr[m, f]`` [repair events per vehicle-year] scaled
  so that the dealers' expected events add up to the family's rate::

      lam[l, f] = capture[l] * sum_m units[l, m] * fr[m, f] / 52    [events/week]
      sum_l lam[l, f] = rate[f]

Part master (per part number): unit cost (log-normal, slow movers dearer),
price from a per-part gross margin ~ N(30 %, 5 %), a true supplier lead time
(mean: 60 % domestic ~8 d, 40 % import ~40 d; per-order log-normal spread with
log-sd 0.10-0.40), pack size, criticality.  The master lead time is the rounded
true mean, except for the planted ``master_lead_time_short`` parts; the master
``superseded_by`` is the true link except for the planted unlinked ones.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from . import sizes as S
from .ids import format_ids
from .network import Network

LIFECYCLES = ("stable", "new", "dying", "chain")

_NOUNS = np.array([
    "Oil filter", "Air filter", "Cabin filter", "Fuel filter", "Brake pad set", "Brake disc",
    "Wiper blade", "Spark plug", "Glow plug", "Timing belt", "V-belt", "Water pump",
    "Thermostat", "Radiator hose", "Headlamp bulb", "Tail lamp", "Mirror glass", "Door handle",
    "Window regulator", "Shock absorber", "Coil spring", "Control arm", "Tie rod end",
    "Wheel bearing", "CV joint boot", "Clutch kit", "Starter motor", "Alternator",
    "Battery", "Ignition coil", "Oxygen sensor", "ABS sensor", "Gasket set", "Bumper cover",
    "Fender liner", "Drain plug washer", "Wheel bolt", "Engine mount", "Exhaust clamp",
    "Fuel pump", "Injector", "Turbo hose", "Key fob battery", "Horn", "Fuse kit",
], dtype=object)


@dataclass(frozen=True)
class Catalogue:
    """Families (length F) and part numbers (length N) of the demo catalogue."""

    # families
    fam_class: np.ndarray        # (F,) int 0..3 (sizes.CLASS_NAMES)
    fam_lifecycle: np.ndarray    # (F,) int 0..3 (LIFECYCLES)
    fam_rate: np.ndarray         # (F,) network plateau rate [events/week]
    fam_qpu: np.ndarray          # (F,) quantity per unit
    fam_members: np.ndarray      # (F, 3) part indices, -1 padded, oldest first
    fam_switch: np.ndarray       # (F, 2) switch weeks to member 1 / 2 (HISTORY_WEEKS+1 = never)
    fam_intro: np.ndarray        # (F,) intro week of new families (0 otherwise)
    fam_fade: np.ndarray         # (F,) fade week of dying families (-1 otherwise)
    profile: np.ndarray          # (F, W) dimensionless demand profile
    lam: np.ndarray              # (D, F) dealer plateau rate [events/week]
    failure_rate: np.ndarray     # (M, F) [events per vehicle-year]
    # part numbers (sorted by id)
    part_ids: np.ndarray         # (N,) str
    part_family: np.ndarray      # (N,) int
    part_rank: np.ndarray        # (N,) position in its chain (0 = oldest)
    part_start: np.ndarray       # (N,) first active week
    part_end: np.ndarray         # (N,) first inactive week (W = active to the end)
    unit_cost: np.ndarray        # (N,) [currency/unit]
    unit_price: np.ndarray       # (N,) [currency/unit]
    lt_true_mean: np.ndarray     # (N,) true mean supplier lead time [days]
    lt_log_sd: np.ndarray        # (N,) log-sd of the per-order lead time
    lt_master: np.ndarray        # (N,) master lead_time_days [days]
    lt_master_sd: np.ndarray     # (N,) master lead_time_sd_days [days]
    pack_size: np.ndarray        # (N,) int
    criticality: np.ndarray      # (N,) str A/B/C
    description: np.ndarray      # (N,) str
    successor: np.ndarray        # (N,) true successor part index or -1
    successor_master: np.ndarray  # (N,) successor in the part master or -1 (unlinked)
    short_lead_time: np.ndarray  # (N,) bool, planted master_lead_time_short

    @property
    def mean_base_size(self) -> np.ndarray:
        """Mean units per demand event, per family [units/event]."""
        return np.where(np.isin(self.fam_class, (1, 3)), LUMPY_SIZE_MEAN, SMOOTH_SIZE_MEAN) * self.fam_qpu


# event sizes before the quantity per unit: smooth/intermittent 1 (2 with prob 0.1);
# erratic/lumpy max(1, round(LogNormal(0.6, 1.0))) -- see demand.event_sizes
SMOOTH_SIZE_MEAN = 1.1
LUMPY_LOG_MEAN, LUMPY_LOG_SD = 0.6, 1.0


def _lumpy_size_mean() -> float:
    """E[max(1, round(X))], X ~ LogNormal(0.6, 1.0), summed exactly over the integers."""
    k = np.arange(1, 200_001, dtype=float)
    lower = np.where(k == 1, 0.0, ndtr((np.log(np.maximum(k - 0.5, 1e-300)) - LUMPY_LOG_MEAN) / LUMPY_LOG_SD))
    upper = ndtr((np.log(k + 0.5) - LUMPY_LOG_MEAN) / LUMPY_LOG_SD)
    return float(np.sum(k * (upper - lower)))


LUMPY_SIZE_MEAN = _lumpy_size_mean()


def _exact_counts(n: int, shares) -> np.ndarray:
    """Split ``n`` into integer counts proportional to ``shares`` (largest remainder)."""
    raw = n * np.asarray(shares, dtype=float)
    counts = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def _log_uniform(rng, low, high, size):
    return np.exp(rng.uniform(np.log(low), np.log(high), size))


def build_catalogue(size: S.DemoSize, net: Network, rng: np.random.Generator) -> Catalogue:
    """Draw families, part numbers, the part master and the bill of materials."""
    N, W, M, D = size.n_parts, S.HISTORY_WEEKS, size.n_models, size.n_dealers
    # ---- families and chains
    n_chain = max(2, int(round(S.CHAIN_SHARE * N / 2.3)))
    chain_len = 2 + (rng.random(n_chain) < 0.3).astype(np.int64)
    n_reg = N - int(chain_len.sum())
    F = n_reg + n_chain
    fam_len = np.concatenate([np.ones(n_reg, np.int64), chain_len])

    fam_class = rng.permutation(np.repeat(np.arange(4), _exact_counts(F, S.CLASS_SHARES)))
    fam_lifecycle = np.full(F, 3, dtype=np.int64)
    fam_lifecycle[:n_reg] = rng.permutation(np.repeat(
        np.arange(3), _exact_counts(n_reg, (1 - S.NEW_SHARE - S.DYING_SHARE, S.NEW_SHARE, S.DYING_SHARE))))

    lo = np.array([r[0] for r in S.CLASS_RATE_RANGE])[fam_class]
    hi = np.array([r[1] for r in S.CLASS_RATE_RANGE])[fam_class]
    fast = np.isin(fam_class, (0, 1))
    rate = _log_uniform(rng, lo, hi, F) * np.where(fast, (D / 20.0) ** S.FAST_RATE_EXPONENT, 1.0)
    qpu = rng.choice(np.array([1, 2, 4, 5]), size=F, p=[0.8, 0.1, 0.06, 0.04])

    # ---- part numbers: sorted ids, families take a random permutation of them
    numbers = np.sort(rng.choice(999_999, size=N, replace=False) + 1)
    part_ids = format_ids("P", numbers, 6).astype(object)
    perm = rng.permutation(N)
    members = np.full((F, 3), -1, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(fam_len)[:-1]])
    for k in range(3):  # loop over chain rank (3 steps), not over families
        has = fam_len > k
        members[has, k] = perm[starts[has] + k]
    part_family = np.empty(N, np.int64)
    part_rank = np.empty(N, np.int64)
    for k in range(3):
        has = members[:, k] >= 0
        part_family[members[has, k]] = np.nonzero(has)[0]
        part_rank[members[has, k]] = k

    # ---- lifecycle timing
    never = W + 1
    switch = np.full((F, 2), never, dtype=np.int64)
    is_chain = fam_lifecycle == 3
    s1 = rng.integers(20, W - 35, F)
    s2 = np.minimum(s1 + rng.integers(15, 31, F), W - 4)
    switch[is_chain, 0] = s1[is_chain]
    three = is_chain & (fam_len == 3)
    switch[three, 1] = s2[three]
    intro = np.where(fam_lifecycle == 1,
                     W - rng.integers(S.NEW_INTRO_WEEKS_BEFORE_END[0], S.NEW_INTRO_WEEKS_BEFORE_END[1] + 1, F), 0)
    fade = np.where(fam_lifecycle == 2, rng.integers(25, 76, F), -1)
    tau = rng.uniform(6.0, 16.0, F)
    amp = rng.uniform(0.0, 0.25, F)
    phase = rng.uniform(0.0, 2 * np.pi, F)
    w = np.arange(W)
    profile = 1.0 + amp[:, None] * np.sin(2 * np.pi * w[None, :] / 52.0 + phase[:, None])
    profile *= (w[None, :] >= intro[:, None])
    dying = fam_lifecycle == 2
    profile[dying] *= np.exp(-np.maximum(0, w[None, :] - fade[dying, None]) / tau[dying, None])

    part_start = np.zeros(N, np.int64)
    part_end = np.full(N, W, np.int64)
    part_start[members[:, 0]] = intro
    for k in (1, 2):
        has = members[:, k] >= 0
        part_end[members[has, k - 1]] = switch[has, k - 1]
        part_start[members[has, k]] = switch[has, k - 1]

    # ---- bill of materials and dealer rates
    common = rng.random(F) < 0.25
    keys = rng.random((F, M))
    rank = np.argsort(np.argsort(keys, axis=1), axis=1)
    k_models = 1 + rng.binomial(2, 0.3, F)
    mask = np.where(common[:, None], (keys < 0.7) | (rank == 0), rank < k_models[:, None])
    raw = (mask * rng.lognormal(0.0, 0.3, (F, M))).T            # (M, F)
    eff_ib = net.capture[:, None] * net.install_base            # (D, M)
    top_model = int(np.argmax(net.install_base.sum(axis=0)))
    tot = eff_ib.sum(axis=0) @ raw                               # (F,)
    empty = tot <= 0
    raw[top_model, empty] = 1.0
    tot = eff_ib.sum(axis=0) @ raw
    scale = rate / tot                                          # events/week per weighted vehicle
    lam = (eff_ib @ raw) * scale                                 # (D, F) [events/week]
    failure_rate = raw * (scale * 52.0)                          # (M, F) [events/vehicle-year]

    # ---- part master
    fam_of = part_family
    cls = fam_class[fam_of]
    cost_median = np.array([12.0, 20.0, 45.0, 35.0])[cls]
    unit_cost = np.round(np.clip(cost_median * rng.lognormal(0.0, 1.1, N), 0.5, 5000.0), 2)
    margin = np.clip(rng.normal(S.MARGIN_MEAN, S.MARGIN_SD, N), 0.10, 0.50)
    unit_price = np.round(unit_cost / (1.0 - margin), 2)

    imported = rng.random(N) < 0.4
    lt_mean = np.where(imported, 40.0 * rng.lognormal(0.0, 0.4, N), 8.0 * rng.lognormal(0.0, 0.35, N))
    lt_mean = np.clip(np.round(lt_mean, 1), 2.0, 150.0)
    lt_log_sd = rng.uniform(0.10, 0.40, N)
    lt_sd = lt_mean * np.sqrt(np.expm1(lt_log_sd ** 2))
    lt_master = np.maximum(1, np.round(lt_mean)).astype(np.int64)
    lt_master_sd = np.round(lt_sd, 1)

    n_short = max(2, int(round(S.SHORT_LEAD_TIME_SHARE * N)))
    eligible = np.nonzero(lt_mean >= 6.0)[0]
    short_idx = np.sort(rng.choice(eligible, size=min(n_short, eligible.size), replace=False))
    short = np.zeros(N, bool)
    short[short_idx] = True
    factor = rng.uniform(*S.SHORT_LEAD_TIME_FACTOR, N)
    lt_master = np.where(short, np.maximum(1, np.round(lt_mean / factor)), lt_master).astype(np.int64)
    lt_master_sd = np.where(short, np.round(lt_sd / factor, 1), lt_master_sd)

    cheap = unit_cost < 5.0
    pack = np.where(cheap, rng.choice(np.array([1, 5, 10]), N, p=[0.5, 0.3, 0.2]),
                    rng.choice(np.array([1, 2]), N, p=[0.95, 0.05])).astype(np.int64)
    criticality = np.array(["A", "B", "C"], dtype=object)[rng.choice(3, N, p=[0.15, 0.5, 0.35])]
    description = _NOUNS[rng.integers(0, _NOUNS.size, F)][fam_of]

    successor = np.full(N, -1, np.int64)
    for k in (1, 2):
        has = members[:, k] >= 0
        successor[members[has, k - 1]] = members[has, k]
    links = np.nonzero(successor >= 0)[0]
    n_unlinked = max(1, int(round(S.UNLINKED_CHAIN_SHARE * links.size)))
    unlinked = rng.choice(links, size=n_unlinked, replace=False)
    successor_master = successor.copy()
    successor_master[unlinked] = -1

    return Catalogue(fam_class=fam_class, fam_lifecycle=fam_lifecycle, fam_rate=rate, fam_qpu=qpu,
                     fam_members=members, fam_switch=switch, fam_intro=intro, fam_fade=fade,
                     profile=profile, lam=lam, failure_rate=failure_rate,
                     part_ids=part_ids, part_family=part_family, part_rank=part_rank,
                     part_start=part_start, part_end=part_end, unit_cost=unit_cost,
                     unit_price=unit_price, lt_true_mean=lt_mean, lt_log_sd=lt_log_sd,
                     lt_master=lt_master, lt_master_sd=lt_master_sd, pack_size=pack,
                     criticality=criticality, description=description, successor=successor,
                     successor_master=successor_master, short_lead_time=short)
