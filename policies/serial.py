"""Exact optimal echelon base-stock levels of a serial system (Clark–Scarf / Chen–Zheng).

Stages j = 1..N in series, stage 1 faces the customer, stage N orders from an
unlimited supplier.  Periodic review, per-period demand D ~ N(μ, σ²) [units],
stage j's lead time L_j [periods], echelon holding cost h_j [money/unit/period]
(local holding h'_j = h_j + ... + h_N), backorder cost p [money/unit/period] at
stage 1.  The optimal policy is echelon base stock; its levels follow from the
recursion (Chen & Zheng 1994; Snyder & Shen 2019, Theorem 6.1 / eqs. 6.10–6.14):

    C_0(x)   = (p + h'_1) · x^-                          [money/period]
    Ĉ_j(x)   = h_j · x + C_{j-1}(x)
    C̃_j(y)   = E[ Ĉ_j(y - D_j) ],   D_j ~ N(μ L_j, σ² L_j)   (lead-time demand)
    S*_j     = argmin_y C̃_j(y)
    C_j(x)   = C̃_j(min(S*_j, x))

and the optimal expected cost per period is C* = C̃_N(S*_N).  Echelon levels S*_j
[units]; local levels are S*_j - S*_{j-1} (S*_0 = 0).

Numerics: the functions are tabulated on a uniform grid (step ``step`` [units]);
each expectation is a discrete convolution with the normal density discretised
by cdf differences over ±``width`` standard deviations, so the error is
O(step²).  The convolution keeps only the "valid" part of the grid, and the grid
starts wide enough that the optimum never touches its edge.

Reference: F. Chen & Y.-S. Zheng, "Lower bounds for multi-echelon stochastic
inventory systems", Management Science 40 (1994) 1426–1443; A.J. Clark & H. Scarf,
"Optimal policies for a multi-echelon inventory problem", Management Science 6
(1960) 475–490; L.V. Snyder & Z.-J.M. Shen, *Fundamentals of Supply Chain
Theory*, 2nd ed., Wiley 2019, §6.2 (Example 6.1 is ORACLES.md O-15).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve
from scipy.special import ndtr

__all__ = ["SerialSolution", "serial_base_stock", "serial_cost"]


@dataclass(frozen=True)
class SerialSolution:
    """echelon_S and local_S [units] (stage 1 = downstream first); cost [money/period]."""

    echelon_S: np.ndarray
    local_S: np.ndarray
    cost: float


def _check_pos(name, a, allow_zero=False):
    a = np.asarray(a, dtype=float)
    bad = ~np.isfinite(a) | ((a < 0) if allow_zero else (a <= 0))
    if np.any(bad):
        rng = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {rng}, received {a[bad].ravel()[:3].tolist()}")
    return a


def serial_base_stock(mean: float, sd: float, echelon_holding, backorder_cost: float,
                      lead_times, *, step: float = 0.01, width: float = 8.0) -> SerialSolution:
    """Optimal echelon base-stock levels of an N-stage serial system, normal demand.

    Parameters
    ----------
    mean, sd : float
        Per-period demand mean [units] (> 0) and standard deviation [units] (> 0).
    echelon_holding : sequence of float, length N
        Echelon holding costs h_1..h_N [money/unit/period], stage 1 downstream.
    backorder_cost : float
        p [money/unit/period] (> 0), charged on stage-1 backorders.
    lead_times : sequence of float, length N
        L_1..L_N [periods] (>= 0).
    step : float
        Grid step [units] of the tabulation (> 0); error O(step²).
    width : float
        Half-width of the discretised normal in standard deviations.

    Returns
    -------
    SerialSolution (module docstring gives the recursion).
    """
    mean = float(_check_pos("mean", mean))
    sd = float(_check_pos("sd", sd))
    p = float(_check_pos("backorder_cost", backorder_cost))
    h = _check_pos("echelon_holding", np.atleast_1d(echelon_holding), allow_zero=True)
    L = _check_pos("lead_times", np.atleast_1d(lead_times), allow_zero=True)
    if h.ndim != 1 or L.shape != h.shape:
        raise ValueError(f"echelon_holding and lead_times must be 1-d of the same length, "
                         f"received shapes {h.shape} and {L.shape}")
    step = float(_check_pos("step", step))
    if not 3.0 <= width <= 12.0:
        raise ValueError(f"width must be in [3, 12] standard deviations, received {width!r}")
    return _serial_kernel(mean, sd, h, p, L, step, width, None)


def serial_cost(echelon_S, mean: float, sd: float, echelon_holding, backorder_cost: float,
                lead_times, *, step: float = 0.01, width: float = 8.0) -> float:
    """Expected cost per period [money/period] of given echelon base-stock levels.

    Same recursion as :func:`serial_base_stock` with S*_j replaced by the given
    S_j: C_j(x) = C̃_j(min(S_j, x)), cost = C̃_N(S_N) (Chen & Zheng 1994 evaluate
    any echelon base-stock policy this way).  ``echelon_S`` [units], length N.
    """
    mean = float(_check_pos("mean", mean))
    sd = float(_check_pos("sd", sd))
    p = float(_check_pos("backorder_cost", backorder_cost))
    h = _check_pos("echelon_holding", np.atleast_1d(echelon_holding), allow_zero=True)
    L = _check_pos("lead_times", np.atleast_1d(lead_times), allow_zero=True)
    S = np.atleast_1d(np.asarray(echelon_S, dtype=float))
    if h.ndim != 1 or L.shape != h.shape or S.shape != h.shape:
        raise ValueError(f"echelon_S, echelon_holding and lead_times must be 1-d of the same length, "
                         f"received shapes {S.shape}, {h.shape} and {L.shape}")
    if not np.all(np.isfinite(S)):
        raise ValueError(f"echelon_S must be finite, received {S.tolist()}")
    step = float(_check_pos("step", step))
    if not 3.0 <= width <= 12.0:
        raise ValueError(f"width must be in [3, 12] standard deviations, received {width!r}")
    return _serial_kernel(mean, sd, h, p, L, step, width, S).cost


def _serial_kernel(mean, sd, h, p, L, step, width, S_fixed):
    n = h.size
    total_sd = sd * np.sqrt(max(L.sum(), 1.0))
    half = [width * sd * np.sqrt(Lj) for Lj in L]
    # grid wide enough: S*_N ≈ μΣL + a few σ; shrinkage of the valid part per stage
    lo = -(mean * L.sum() + 10 * total_sd + sum(half) + 10.0)
    hi = mean * L.sum() + 12 * total_sd + sum(half) + 10.0
    lo = np.floor(lo / step) * step
    x = lo + step * np.arange(int(np.ceil((hi - lo) / step)) + 1)
    C_prev = (p + h.sum()) * np.maximum(-x, 0.0)
    S = np.empty(n)
    cost = np.nan
    for j in range(n):
        C_hat = h[j] * x + C_prev
        if L[j] == 0:
            C_tilde, y = C_hat, x
        else:
            m, s = mean * L[j], sd * np.sqrt(L[j])
            kd = np.arange(int(np.floor((m - half[j]) / step)), int(np.ceil((m + half[j]) / step)) + 1)
            d = kd * step
            w = ndtr((d + step / 2 - m) / s) - ndtr((d - step / 2 - m) / s)
            w /= w.sum()
            # C̃(y) = Σ_k w_k Ĉ(y - d_k): y on the grid, y - d_k must stay on it
            C_tilde = fftconvolve(C_hat, w, mode="valid")
            # 'valid' index i pairs C_hat[i + len(w) - 1 - k] with w[k] -> y = x[i + len(w) - 1] + d_0
            y = x[len(w) - 1:len(w) - 1 + C_tilde.size] + d[0]
        if S_fixed is not None:
            if not y[0] < S_fixed[j] < y[-1]:
                raise ValueError(f"echelon_S[{j}] = {S_fixed[j]!r} is outside the tabulated range "
                                 f"({y[0]:.3g}, {y[-1]:.3g}) [units]")
            i_opt = int(np.argmin(np.abs(y - S_fixed[j])))
        else:
            i_opt = int(np.argmin(C_tilde))
        if S_fixed is None and i_opt in (0, C_tilde.size - 1):
            raise ValueError("the tabulation grid is too narrow for these parameters; "
                             "reduce width or check mean/sd/lead_times")
        S[j] = y[i_opt]
        cost = float(C_tilde[i_opt])
        # C_j(x) = C̃_j(min(S_j, x)) on the new grid y
        C_prev = np.where(y < S[j], C_tilde, C_tilde[i_opt])
        x = y
    local = np.diff(np.concatenate([[0.0], S]))
    return SerialSolution(S, local, cost)
