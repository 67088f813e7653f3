"""policies - service-level maths, stock policies and network optimisation.

A numeric leaf library (DESIGN.md §2): it imports numpy, scipy, pandas and
pulp only - never ``partsopt`` or ``forecasting``.

Modules
-------
distributions  pmf matrices of demand families, CDF, first/second-order loss functions
ss_exact       Zheng-Federgruen exact optimal (s, S) for Poisson demand (vectorised batch)
metric         METRIC / VARI-METRIC multi-echelon evaluation
serial         Chen-Zheng exact serial base stock
"""
from . import distributions
from .distributions import cdf, loss1, loss1_complement, loss2, pmf_matrix
from .metric import (MetricResult, metric_evaluate, network_flow_rates, otd_rate,
                     pipeline_backorders, tree_depth)
from .serial import SerialSolution, serial_base_stock, serial_cost
from .ss_exact import optimal_ss_poisson, ss_cost_poisson

__all__ = [
    "distributions",
    "pmf_matrix", "cdf", "loss1", "loss1_complement", "loss2",
    "optimal_ss_poisson", "ss_cost_poisson",
    "MetricResult", "metric_evaluate", "network_flow_rates", "otd_rate",
    "pipeline_backorders", "tree_depth",
    "SerialSolution", "serial_base_stock", "serial_cost",
]
