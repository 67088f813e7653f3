"""Lead times of replenishment orders in a replay, drawn reproducibly.

Every normal order line of a row (part-location) gets a lead time [days]:

* **from the receipts history** of that part and leg where the row has at least
  ``min_receipts`` received normal orders (leg = the row's location receiving
  from its parent, or from the supplier at the top of the tree): a bootstrap
  draw, i.e. one of the observed ``received_date − order_date`` values, each
  with equal probability (Efron & Tibshirani 1993, *An Introduction to the
  Bootstrap*, ch. 6);
* **otherwise from the master data**: at the top of the tree a gamma
  distribution with mean ``lead_time_days`` (μ) and standard deviation
  ``lead_time_sd_days`` (σ), i.e. shape k = μ²/σ² and scale θ = σ²/μ [days],
  rounded to the nearest whole day (σ = 0: exactly μ rounded); below the top,
  the location's ``transit_days`` (fixed).

The *planned* lead time (what the plan assumes and what the counterfactual
``planned_lead_times`` replays) is the master value: ``lead_time_days`` (the
items override, else the part master) at the top, ``transit_days`` below.

Reproducible draws, independent of call order
---------------------------------------------
A draw does not come from a shared generator stream.  The uniform variate of
the order placed by row *r* on day *t* is a pure function of
``(seed, hash(part, location), t, stream)`` — the splitmix64 finaliser (Steele,
Lea & Flood 2014, "Fast splittable pseudorandom number generators", OOPSLA)
applied to a combination of the four.  So a replay that changes one thing
(demand after a day, one policy, a counterfactual) keeps every other draw:
the same order on the same day gets the same lead time.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from partsopt.simulate.network import Network

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def row_keys(part: np.ndarray, location: np.ndarray) -> np.ndarray:
    """A stable 64-bit key per (part, location) (pandas' deterministic string hash)."""
    text = pd.Series(part, dtype=object).astype(str) + "\x1f" + pd.Series(location, dtype=object).astype(str)
    return pd.util.hash_array(text.to_numpy(dtype=object), categorize=False).astype(np.uint64)


def _mix(x: np.ndarray) -> np.ndarray:
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def uniforms(seed: int, keys: np.ndarray, day, stream: int) -> np.ndarray:
    """U(0,1) variates, one per key: a pure function of (seed, key, day, stream).

    ``day`` is an integer or an integer array broadcasting with ``keys``.
    """
    with np.errstate(over="ignore"):
        x = np.asarray(keys, dtype=np.uint64) ^ _mix(np.full(1, np.uint64(seed) * _GOLD + np.uint64(stream)))
        d = (np.asarray(day, dtype=np.int64) & 0xFFFFFFFF).astype(np.uint64)
        x = _mix(x + d * _GOLD)
        x = _mix(x ^ np.uint64(stream + 1) * _M2)
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)


def gamma_days(u: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Gamma(mean, sd) quantile at ``u``, rounded to whole days [days]; sd = 0 gives the mean."""
    mean = np.asarray(mean, dtype=np.float64)
    sd = np.asarray(sd, dtype=np.float64)
    out = np.nan_to_num(mean.copy(), nan=0.0)
    var = (sd > 0) & (mean > 0)
    if var.any():
        k = mean[var] ** 2 / sd[var] ** 2
        theta = sd[var] ** 2 / mean[var]
        out[var] = stats.gamma.ppf(u[var], k, scale=theta)
    return np.maximum(np.rint(out), 0).astype(np.int64)


@dataclass
class LeadTimes:
    """Per-row lead-time model: receipts history (CSR arrays) or master data."""

    keys: np.ndarray        # uint64 per row
    planned: np.ndarray     # int64 planned lead time per row [days]
    mean: np.ndarray        # master mean [days] (top: lead_time_days, below: transit_days)
    sd: np.ndarray          # master sd [days] (0 below the top)
    hist_start: np.ndarray  # int64, offset of the row's history in hist_values
    hist_count: np.ndarray  # int64, number of receipts used (0 = master data)
    hist_values: np.ndarray  # int64 observed lead times [days]
    seed: int = 0

    def draw(self, rows: np.ndarray, day, *, planned: bool = False, stream: int = 0) -> np.ndarray:
        """Lead time [days] of the normal order placed by each of ``rows`` on ``day`` (int or array)."""
        rows = np.asarray(rows, dtype=np.int64)
        if planned or len(rows) == 0:
            return self.planned[rows].copy()
        u = uniforms(self.seed, self.keys[rows], day, stream)
        out = gamma_days(u, self.mean[rows], self.sd[rows])
        cnt = self.hist_count[rows]
        boot = cnt > 0
        if boot.any():
            pick = self.hist_start[rows[boot]] + np.minimum((u[boot] * cnt[boot]).astype(np.int64), cnt[boot] - 1)
            out[boot] = self.hist_values[pick]
        return out


def build_lead_times(net: Network, receipts: pd.DataFrame | None, *, seed: int = 0,
                     min_receipts: int = 5, before=None) -> LeadTimes:
    """The lead-time model of every row.

    receipts      the receipts table (part, location, order_date, received_date, order_type)
    min_receipts  rows with at least this many received normal orders are bootstrapped
    before        only receipts with ``received_date < before`` are used (no look-ahead)
    """
    if min_receipts < 1:
        raise ValueError(f"min_receipts must be an integer >= 1; received {min_receipts!r}.")
    n = net.n
    top = net.parent < 0
    mean = np.where(top, net.lead_time_days, net.transit_days).astype(np.float64)
    mean = np.nan_to_num(mean, nan=0.0)
    sd = np.where(top, net.lead_time_sd_days, 0.0).astype(np.float64)
    planned = np.maximum(np.rint(mean), 0).astype(np.int64)
    start = np.zeros(n, np.int64)
    count = np.zeros(n, np.int64)
    values = np.zeros(0, np.int64)
    if receipts is not None and len(receipts):
        r = receipts
        r = r[r["received_date"].notna() & (r.get("order_type", "normal") == "normal")]
        if before is not None:
            r = r[r["received_date"] < pd.Timestamp(before)]
        if len(r):
            idx = net.index(r["part"].to_numpy(object), r["location"].to_numpy(object))
            lt = (r["received_date"] - r["order_date"]).dt.days.to_numpy(np.int64)
            ok = (idx >= 0) & (lt >= 0)
            idx, lt = idx[ok], lt[ok]
            order = np.lexsort((lt, idx))
            idx, lt = idx[order], lt[order]
            cnt = np.bincount(idx, minlength=n).astype(np.int64)
            first = np.concatenate([[0], np.cumsum(cnt)[:-1]])
            use = cnt >= min_receipts
            start = np.where(use, first, 0)
            count = np.where(use, cnt, 0)
            values = lt
    return LeadTimes(keys=row_keys(net.part, net.location), planned=planned, mean=mean, sd=sd,
                     hist_start=start, hist_count=count, hist_values=values, seed=int(seed))
