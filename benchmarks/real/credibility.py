"""Installed-base prior for spare parts by Bühlmann–Straub credibility (empirical Bayes).

A material with no demand in the fitting window still has a demand rate: the equipment it is
installed in fails.  Materials of one criticality class are taken as draws from one collective
(the credibility model of Bühlmann & Straub 1970; H. Bühlmann & A. Gisler, *A Course in
Credibility Theory and its Applications*, Springer 2005, ch. 4):

* material i has ``w_ij = n_i`` installations in period j (its exposure [installations]) and
  demand ``Y_ij`` [units]; ``X_ij = Y_ij / w_ij`` [units/installation/period];
* given its risk profile θ_i, ``E[X_ij | θ_i] = μ(θ_i)`` and ``Var[X_ij | θ_i] = σ²(θ_i) / w_ij``;
  across materials ``μ0 = E[μ(θ)]``, ``σ² = E[σ²(θ)]``, ``τ² = Var[μ(θ)]``.

The best linear estimate of μ(θ_i) (Bühlmann & Gisler 2005, Theorem 4.4, eq. 4.10) is

    μ̂_i = μ̂0 + α_i (X_i − μ̂0),   α_i = w_i / (w_i + σ²/τ²),   X_i = Σ_j w_ij X_ij / w_i,

with ``w_i = Σ_j w_ij`` and the homogeneous collective mean ``μ̂0 = Σ α_i X_i / Σ α_i``.  The
structural parameters are estimated from the data of all materials of the class (§4.8,
eq. 4.21–4.24, the unbiased estimators):

    σ̂²_i = Σ_j w_ij (X_ij − X_i)² / (T_i − 1),            σ̂² = mean_i σ̂²_i,
    τ̂² = max(0, c · [ I/(I−1) Σ_i (w_i/w)(X_i − X̄)² − I σ̂² / w ]),
    c = (I − 1)/I · [Σ_i (w_i/w)(1 − w_i/w)]⁻¹,   X̄ = Σ_i (w_i/w) X_i,   w = Σ_i w_i.

A material with no demand in the window (X_i = 0) gets ``(1 − α_i) μ̂0`` per installation: less
than the class mean, the more so the more installation-periods it has been observed without a
demand.  Materials without installation counts get ``n_i = 1`` (a rate per material).

Zero demand is data: the estimators use every material of the class, with and without demand
(fitting on the materials with demand only would select on the outcome and bias μ̂0 upwards).
Only the fitting window enters, so there is no look-ahead.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BuhlmannStraub", "buhlmann_straub", "installed_base_prior", "rate_posterior_var"]


@dataclass(frozen=True)
class BuhlmannStraub:
    """Fit of :func:`buhlmann_straub` (arrays over materials, dicts over groups).

    ``estimate``: credibility estimate μ̂_i [units/installation/period]; ``alpha``: credibility
    weight α_i [-]; ``own_mean``: X_i; ``mu0``, ``sigma2``, ``tau2``: structural parameters per
    group [units/installation/period, (units/installation/period)² x installations,
    (units/installation/period)²].
    """

    estimate: np.ndarray
    alpha: np.ndarray
    own_mean: np.ndarray
    mu0: dict
    sigma2: dict
    tau2: dict


def _kernel(y: np.ndarray, n: np.ndarray, g: np.ndarray, G: int):
    """Bühlmann–Straub on a panel ``y`` (I, T) with exposure ``n`` (I,) > 0 and group codes
    ``g`` (I,) in 0..G-1: returns (estimate, alpha, own_mean, mu0[G], sigma2[G], tau2[G]).
    Vectorised over materials; sums per group by ``np.bincount``."""
    I, T = y.shape
    wi = n * T                                          # w_i = Σ_j w_ij, w_ij = n_i
    Xi = y.sum(axis=1) / wi                             # X_i
    X = y / n[:, None]                                  # X_ij
    s2i = (n[:, None] * (X - Xi[:, None]) ** 2).sum(axis=1) / (T - 1)
    cnt = np.bincount(g, minlength=G).astype(float)
    sigma2 = np.bincount(g, s2i, minlength=G) / np.maximum(cnt, 1.0)
    w = np.bincount(g, wi, minlength=G)
    share = wi / w[g]
    Xbar = np.bincount(g, share * Xi, minlength=G)
    between = np.bincount(g, share * (Xi - Xbar[g]) ** 2, minlength=G)
    spread = np.bincount(g, share * (1.0 - share), minlength=G)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = (cnt - 1.0) / cnt / spread
        tau2 = c * (cnt / (cnt - 1.0) * between - cnt * sigma2 / w)
    tau2 = np.where(np.isfinite(tau2), np.maximum(tau2, 0.0), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(tau2 > 0, sigma2 / tau2, np.inf)
    alpha = np.where(np.isfinite(kappa[g]), wi / (wi + kappa[g]), 0.0)
    sa = np.bincount(g, alpha, minlength=G)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu0 = np.where(sa > 0, np.bincount(g, alpha * Xi, minlength=G) / sa, Xbar)
    est = mu0[g] + alpha * (Xi - mu0[g])
    return est, alpha, Xi, mu0, sigma2, tau2


def buhlmann_straub(y, exposure, groups) -> BuhlmannStraub:
    """Bühlmann–Straub credibility estimates per material (module docstring).

    ``y``: (materials, periods) demand [units/period], >= 0, at least 2 periods; ``exposure``:
    installations per material (> 0, constant over the window); ``groups``: a label per
    material (each group is one collective).  Returns :class:`BuhlmannStraub`.
    """
    y = np.asarray(y, dtype=float)
    if y.ndim != 2 or y.shape[1] < 2:
        raise ValueError(f"y must be 2-D (materials, >= 2 periods), received shape {y.shape}")
    if not np.isfinite(y).all() or (y < 0).any():
        raise ValueError("y must be finite and >= 0 [units/period]; received "
                         f"{y[~np.isfinite(y) | (y < 0)][0]!r}")
    n = np.broadcast_to(np.asarray(exposure, dtype=float), (y.shape[0],))
    if not np.isfinite(n).all() or (n <= 0).any():
        bad = n[~np.isfinite(n) | (n <= 0)][0]
        raise ValueError(f"exposure must be finite and > 0 [installations], received {bad!r}")
    labels = np.asarray(groups)
    if labels.shape != (y.shape[0],):
        raise ValueError(f"groups must have one label per material ({y.shape[0]}), received shape {labels.shape}")
    keys, g = np.unique(labels, return_inverse=True)
    est, alpha, Xi, mu0, s2, t2 = _kernel(y, n, g.astype(np.int64), keys.size)
    return BuhlmannStraub(est, alpha, Xi, dict(zip(keys.tolist(), mu0)), dict(zip(keys.tolist(), s2)),
                          dict(zip(keys.tolist(), t2)))


def installed_base_prior(y_train, installations, classes, own_forecast, own_var):
    """Demand mean and variance per material [units/period] with the installed-base prior.

    ``y_train``: (materials, periods) withdrawals (>= 0) of the fitting window;
    ``installations``: installations per material (NaN or 0 = unknown: exposure 1);
    ``classes``: criticality label per material; ``own_forecast``, ``own_var``: the
    pipeline's mean and variance from the material's own history (0 where it has none).

    Rule: the Bühlmann–Straub estimate with the material's own mean replaced by its forecast
    (its current level; the credibility weight α_i is unchanged), times its exposure:
    ``mean_i = α_i own_forecast_i + (1 − α_i) n_i μ̂0`` - the same convex blend as
    :func:`partsopt.installbase.blend_with_history`, with the credibility weight of the model
    instead of a fixed ramp.  Variance: ``α_i own_var_i + (1 − α_i) n_i μ̂0``, the prior's share read
    as Poisson, the rule of ``partsopt.forecast_step`` for the installed-base share.  (The class's
    σ̂²/μ̂0 is no variance-to-mean ratio of a slow material: σ̂² is dominated by the fast ones -
    on the refinery data it is 394 for the class ``none``, which would ask for hundreds of units
    of a part demanded once in six months.)
    Returns (mean, var, fit).
    """
    y = np.maximum(np.asarray(y_train, dtype=float), 0.0)
    n = np.asarray(installations, dtype=float)
    n = np.where(np.isfinite(n) & (n > 0), n, 1.0)
    fit = buhlmann_straub(y, n, classes)
    keys, g = np.unique(np.asarray(classes), return_inverse=True)
    mu0 = np.array([fit.mu0[k] for k in keys.tolist()])[g]          # loop over classes only
    a = fit.alpha
    prior_mean = (1.0 - a) * n * mu0
    mean = a * np.asarray(own_forecast, dtype=float) + prior_mean
    var = a * np.asarray(own_var, dtype=float) + prior_mean
    return mean, var, fit


def rate_posterior_var(fit: BuhlmannStraub, mean, installations, classes) -> np.ndarray:
    """Posterior variance of each material's demand rate, Var(μ_i | data) [units²/period²].

    In the Bühlmann–Straub model the credibility estimate is the exact Bayes posterior mean when
    the conditional law is an exponential family with its conjugate prior (Jewell 1974, *ASTIN
    Bulletin* 8:77-90): for an over-dispersed Poisson ``Y_ij = φ·Poisson(w_ij μ_i / φ)`` with
    ``φ = σ²/μ0`` and a gamma prior on μ_i of mean μ0 and variance τ², the posterior of μ_i is a
    gamma with mean μ̂_i (the credibility estimate) and variance

        Var(μ_i | data) = φ μ̂_i / (w_i + σ²/τ²) = (1 − α_i) τ² · μ̂_i / μ0      [per installation],

    whose average over the collective is the credibility estimator's quadratic loss (1 − α_i) τ²
    (Bühlmann & Gisler 2005, Theorem 4.4).  A material with little history (small α_i) keeps most
    of the collective's spread of rates; one with a long history keeps little.  Per material
    (``n_i`` installations, rate ``n_i μ_i``): ``n_i (1 − α_i) τ² mean_i / μ0`` with ``mean_i`` its
    posterior mean demand per period (:func:`installed_base_prior`; there the material's own
    forecast level stands in for its window mean, so ``mean_i`` is that blend rather than the
    exact gamma posterior mean - the variance keeps the credibility weight).  The lead-time demand mixed
    over this posterior is the predictive distribution (gamma mixture of Poisson: negative
    binomial, Gelman et al., *Bayesian Data Analysis*, 3rd ed., §2.6); see
    :func:`benchmarks.real.system.base_stock_options` (``rate_var``).
    """
    mean = np.asarray(mean, dtype=float)
    n = np.asarray(installations, dtype=float)
    n = np.broadcast_to(np.where(np.isfinite(n) & (n > 0), n, 1.0), mean.shape)
    if not np.all(np.isfinite(mean) & (mean >= 0)):
        raise ValueError(f"mean must be finite and >= 0 [units/period]; received {mean[~(mean >= 0)][:1]!r}")
    keys, g = np.unique(np.asarray(classes), return_inverse=True)
    missing = [k for k in keys.tolist() if k not in fit.mu0]
    if missing:
        raise ValueError(f"classes must be groups of the fit ({sorted(fit.mu0)}), received {missing[:1]!r}")
    mu0 = np.array([fit.mu0[k] for k in keys.tolist()])[g]           # loop over classes only
    tau2 = np.array([fit.tau2[k] for k in keys.tolist()])[g]
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(mu0 > 0, n * (1.0 - fit.alpha) * tau2 * mean / mu0, 0.0)
    return v
