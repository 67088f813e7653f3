"""policies - service-level maths, stock policies and network optimisation.

A numeric leaf library (DESIGN.md §2): it imports numpy, scipy, pandas and
pulp only - never ``partsopt`` or ``forecasting``.

Modules
-------
distributions  pmf matrices of demand families, CDF, first/second-order loss functions
service        KPIs of (R, s, S), (R, s, nQ), base stock and continuous review policies
single         single-location optimiser: least-cost (s, S) per row under service, OTD and
               normal-order-rate constraints (``optimize_single``)
ss_exact       Zheng-Federgruen exact optimal (s, S) for Poisson demand (``optimal_ss_poisson``)
newsvendor     newsvendor / base-stock levels, (s, S) power approximation
rq             continuous-review (r, Q): exact costs, approximations, Poisson optimum
metric         METRIC / VARI-METRIC multi-echelon evaluation
serial         Chen-Zheng exact serial base stock
levels         option tables of reorder points (cost, expected hit lines, floors) per row
marginal       marginal analysis, efficient frontiers, Lagrangian solve
milp           PuLP multiple-choice MILP
network        network optimiser (stock levels across a dealer network)

Every public name of these modules is also available from ``policies`` directly; the stable
entry point for scripts is ``policies.optimal_ss_poisson(mean, fixed_cost, holding_cost,
stockout_cost) -> (s, S, cost)``.
"""
from . import (distributions, levels, marginal, metric, milp, network, newsvendor, rq, serial, service,
               single, ss_exact)
from .distributions import *  # noqa: F401,F403
from .levels import *  # noqa: F401,F403
from .marginal import *  # noqa: F401,F403
from .metric import *  # noqa: F401,F403
from .milp import *  # noqa: F401,F403
from .network import *  # noqa: F401,F403
from .newsvendor import *  # noqa: F401,F403
from .rq import *  # noqa: F401,F403
from .serial import *  # noqa: F401,F403
from .service import *  # noqa: F401,F403
from .single import *  # noqa: F401,F403
from .ss_exact import *  # noqa: F401,F403

_MODULES = (distributions, service, single, ss_exact, newsvendor, rq, metric, serial, marginal,
            milp, network, levels)
__all__ = [m.__name__.rsplit(".", 1)[1] for m in _MODULES] + sorted(
    {name for m in _MODULES for name in m.__all__})
