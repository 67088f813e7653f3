"""Expected network KPIs of a plan, computed from its output tables alone (policies + forecasts).

A check of a plan that does not reuse the optimiser's option tables: the customer-facing rows
(own demand, ``mean_per_day`` > 0) weighted by their own customer lines per year

    w_i = 365 · mean_per_day_i / E[line size_i]                        [lines/year]

(line sizes of the row's flow: :func:`policies.service.line_sizes_for_family`, negative binomial
with variance ≥ mean, as the plan's lead-time demand), give

    hit rate  = Σ w_i · expected_hit_rate_i / Σ w_i                         (DESIGN.md §6)
    OTD       = Σ w_i · expected_otd_rate_i / Σ w_i
    normal-order rate = Σ normal_i / Σ (normal_i + emergency_i),
        normal_i = orders_per_year_i, emergency_i = 365 · flow_i / E[line size_i] · (1 − hit_i)

(the network targets of :mod:`partsopt.network_step`; KPIS.md for the normal-order rate).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from policies.service import line_sizes_for_family


def planned_network_kpis(policies: pd.DataFrame, forecasts: pd.DataFrame, by: str | None = None) -> dict:
    """``{"hit", "otd", "nor"}`` of the plan (see the module docstring); with ``by`` (a column of
    ``policies``, e.g. ``"criticality"``) one such dict per value of that column."""
    pol = policies.merge(forecasts[["part", "location", "mean_per_day", "flow_mean_per_day", "flow_var_per_day"]],
                         on=["part", "location"])
    pol = pol[pol["mean_per_day"] > 0]
    flow = pol["flow_mean_per_day"].to_numpy(np.float64)
    q = line_sizes_for_family("nbinom", flow, np.maximum(pol["flow_var_per_day"].to_numpy(np.float64), flow))
    size = q @ np.arange(q.shape[1])
    w = pol["mean_per_day"].to_numpy(np.float64) * 365.0 / size
    hit = pol["expected_hit_rate"].to_numpy(np.float64)
    otd = pol["expected_otd_rate"].to_numpy(np.float64)
    normal = pol["orders_per_year"].to_numpy(np.float64)
    emergency = flow * 365.0 / size * (1.0 - hit)

    def kpis(m):
        return {"hit": float((w[m] * hit[m]).sum() / w[m].sum()), "otd": float((w[m] * otd[m]).sum() / w[m].sum()),
                "nor": float(normal[m].sum() / (normal[m].sum() + emergency[m].sum()))}

    if by is None:
        return kpis(np.ones(len(pol), dtype=bool))
    g = pol[by].to_numpy()
    return {k: kpis(g == k) for k in np.unique(g)}


__all__ = ["planned_network_kpis"]
