"""The replay simulator and its KPIs (DESIGN.md §5–§7).

``simulate(dataset, policies, start, end, ...) -> SimulationResult`` replays the
repair-order lines day by day against a policy (see :mod:`partsopt.simulate.engine`);
:data:`KPIS` is the registry of KPI definitions (:mod:`partsopt.simulate.kpis`).
"""
from partsopt.simulate.engine import SimulationResult, simulate
from partsopt.simulate.causes import attribute_causes
from partsopt.simulate.merge import merge_results
from partsopt.simulate.kpis import KPIS, KPI, components, kpi_table, network_kpis
from partsopt.simulate.misses import MISS_COLUMNS, misses_table

__all__ = ["simulate", "SimulationResult", "attribute_causes", "merge_results", "KPIS", "KPI", "components", "kpi_table", "network_kpis",
           "MISS_COLUMNS", "misses_table"]
