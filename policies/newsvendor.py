"""Newsvendor / base-stock levels and the (s, S) power approximation, vectorised over rows.

Conventions (Snyder & Shen 2019, §4.3-4.4 and §4.6.4; stockpyl's ``newsvendor_*`` and
``s_s_power_approximation``): per-period demand D [units/period], holding cost ``h`` and
stockout (backorder) cost ``p`` [money/unit/period] on end-of-period inventory, a base-stock
level covers the *protection interval* of ``lead_time + 1`` periods, so the demand it faces is
``D_{L+1}`` with mean ``(L+1)μ`` and variance ``(L+1)σ²`` (S&S eq. 4.39).

Expected cost of a base-stock level S (S&S eq. 4.12 / 4.40)::

    g(S) = h E[(S − D_{L+1})^+] + p E[(D_{L+1} − S)^+] = h (S − μ_{L+1}) + (h + p) n(S)

Optimal level: the critical fractile ``F(S*) >= p / (p + h)`` (S&S eq. 4.17 / 4.42); for the
normal ``S* = μ + σ Φ^{-1}(p/(p+h))`` and ``g(S*) = (h + p) σ φ(z*)`` (S&S eq. 4.25), for
discrete demand the smallest integer with ``F(S) >= p/(p+h)`` (S&S eq. 4.33).
"""
from __future__ import annotations

import numpy as np
from scipy import special, stats

from .distributions import normal_loss1, poisson_loss1

__all__ = ["newsvendor_normal", "newsvendor_poisson", "ss_power_approximation"]


def _arrays(**kw):
    arrs = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float)) for v in kw.values()))
    return dict(zip(kw, arrs))


def _check(name, a, lo=0.0, inclusive=False):
    bad = ~np.isfinite(a) | ((a < lo) if inclusive else (a <= lo))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        rng = f"[{lo:g}, inf)" if inclusive else f"({lo:g}, inf)"
        raise ValueError(f"{name} must be finite and in {rng}; received {float(a[i])!r} at "
                         f"position {i}")


def newsvendor_normal(holding_cost, stockout_cost, mean, sd, lead_time=0, base_stock_level=None):
    """Optimal base-stock level and cost for normal per-period demand N(mean, sd²).

    Parameters are scalars or arrays [money/unit/period, units/period, periods].  When
    ``base_stock_level`` is given its cost is returned instead of the optimum's.

    Returns ``(S, cost)`` as float arrays [units, money/period].  Reference: S&S eqs. 4.24-4.25
    (L = 0), eqs. 4.39-4.42 (base stock with lead time L, protection interval L + 1).
    """
    a = _arrays(h=holding_cost, p=stockout_cost, mu=mean, sd=sd, L=lead_time,
                S=np.nan if base_stock_level is None else base_stock_level)
    _check("holding_cost", a["h"])
    _check("stockout_cost", a["p"])
    _check("mean", a["mu"], inclusive=True)
    _check("sd", a["sd"])
    _check("lead_time", a["L"], inclusive=True)
    mu = a["mu"] * (a["L"] + 1.0)
    sd = a["sd"] * np.sqrt(a["L"] + 1.0)
    if base_stock_level is None:
        S = mu + sd * special.ndtri(a["p"] / (a["p"] + a["h"]))
    else:
        S = a["S"]
    cost = a["h"] * (S - mu) + (a["h"] + a["p"]) * normal_loss1(S, mu, sd)
    return S, cost


def newsvendor_poisson(holding_cost, stockout_cost, mean, lead_time=0, base_stock_level=None):
    """Optimal integer base-stock level and cost for Poisson(mean) per-period demand.

    Returns ``(S, cost)`` as (int64, float) arrays.  Reference: S&S eq. 4.33 (smallest S with
    ``F(S) >= p/(p+h)``), cost from eq. 4.12 with the Poisson loss function.
    """
    a = _arrays(h=holding_cost, p=stockout_cost, mu=mean, L=lead_time,
                S=np.nan if base_stock_level is None else base_stock_level)
    _check("holding_cost", a["h"])
    _check("stockout_cost", a["p"])
    _check("mean", a["mu"], inclusive=True)
    _check("lead_time", a["L"], inclusive=True)
    mu = a["mu"] * (a["L"] + 1.0)
    if base_stock_level is None:
        frac = a["p"] / (a["p"] + a["h"])
        S = stats.poisson.ppf(frac, mu)
        S = np.where(np.isfinite(S), S, 0.0)
        # smallest S with F(S) >= frac (guard ppf's floating tolerance)
        S = np.where((S > 0) & (special.pdtr(S - 1, mu) >= frac), S - 1, S)
        S = S.astype(np.int64)
    else:
        S = a["S"]
        if np.any(S != np.round(S)):
            raise ValueError(f"base_stock_level must be an integer for Poisson demand, "
                             f"received {base_stock_level!r}")
        S = S.astype(np.int64)
    cost = a["h"] * (S - mu) + (a["h"] + a["p"]) * poisson_loss1(S, mu)
    return S, cost


def ss_power_approximation(holding_cost, stockout_cost, fixed_cost, mean, sd, lead_time=0):
    """Heuristic (s, S) for normal demand: the power approximation (Ehrhardt & Mosier 1984).

    S&S eqs. 4.77-4.80, with μ, σ per period and the protection interval L + 1::

        Q = 1.30 μ^0.494 (K/h)^0.506 (1 + σ_{L+1}²/μ²)^0.116
        z = sqrt(Q h / (σ_{L+1} p))
        s = 0.973 μ_{L+1} + σ_{L+1} (0.183/z + 1.063 − 2.192 z),   S = s + Q

    Returns ``(s, S)`` as float arrays [units].  At L = 0 this is stockpyl's
    ``s_s_power_approximation`` (ORACLES O-11).
    """
    a = _arrays(h=holding_cost, p=stockout_cost, K=fixed_cost, mu=mean, sd=sd, L=lead_time)
    _check("holding_cost", a["h"])
    _check("stockout_cost", a["p"])
    _check("fixed_cost", a["K"])
    _check("mean", a["mu"])
    _check("sd", a["sd"])
    _check("lead_time", a["L"], inclusive=True)
    mu_L = a["mu"] * (a["L"] + 1.0)
    sd_L = a["sd"] * np.sqrt(a["L"] + 1.0)
    Q = 1.30 * a["mu"] ** 0.494 * (a["K"] / a["h"]) ** 0.506 * (1.0 + (sd_L / a["mu"]) ** 2) ** 0.116
    z = np.sqrt(Q / sd_L * a["h"] / a["p"])
    s = 0.973 * mu_L + sd_L * (0.183 / z + 1.063 - 2.192 * z)
    return s, s + Q
