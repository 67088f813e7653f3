"""Exact multiple-choice knapsack by MILP (PuLP + the bundled CBC solver).

Model (groups g, options k, binary x[g,k] = 1 if group g takes option k):

    Σ_k x[g,k] = 1                                   for every group g
    Σ_{g,k} a_c[g,k] · x[g,k]  (<= | >=)  b_c         for every side constraint c
    minimise Σ cost[g,k] x[g,k]      (target mode)    or
    maximise Σ value[g,k] x[g,k]     (budget mode)

Side constraints are given as coefficient matrices of the same shape as the
options, e.g. a hit-rate target Σ lines·hit ≥ target·Σ lines, a network budget
Σ cost ≤ B, a per-location budget Σ cost_at_location ≤ B_l or capacity
Σ units_at_location ≤ C_l.  When the options of a part are its *joint*
allocations over all its locations, every quantity of an option (including the
on-time rate of a dealer, which depends on its parent's level) is a constant
of that option, so the coupling between a dealer and its parent is linear in x
with no extra variables.

Solver status is checked in full: ``pulp.LpStatus`` and the solution status
``pulp.LpSolution``; CBC stopping at its time limit with an integer solution is
reported as ``"feasible"`` (not ``"optimal"``).  An infeasible model raises
:class:`InfeasibleError` naming the constraints that bind: each constraint is
dropped in turn and the model re-solved; a constraint whose removal restores
feasibility is binding.

Reference: the multiple-choice knapsack formulation, e.g. Kellerer, Pferschy &
Pisinger, *Knapsack Problems*, Springer 2004, ch. 11.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import time
import warnings

import numpy as np
import pulp

__all__ = ["Constraint", "MilpSolution", "InfeasibleError", "solve_multiple_choice", "solution_status"]

_SENSES = ("<=", ">=")


@dataclass(frozen=True)
class Constraint:
    """Σ coef[g,k] x[g,k]  sense  rhs.  ``name`` is used in messages (e.g. "budget",
    "hit_target", "location_budget[3]")."""

    name: str
    coef: np.ndarray
    sense: str
    rhs: float


@dataclass(frozen=True)
class MilpSolution:
    """choice (G,) option per group; objective value; status "optimal" or "feasible"
    (time limit reached with an integer solution, optimality not proven);
    lp_status / sol_status = PuLP's status strings; variables = number of binaries."""

    choice: np.ndarray
    objective: float
    status: str
    lp_status: str
    sol_status: str
    variables: int
    solve_seconds: float = field(default=float("nan"))


class InfeasibleError(ValueError):
    """The MILP has no solution; ``binding`` lists the constraints whose removal
    makes it feasible (empty if only a combination of them is to blame)."""

    def __init__(self, message: str, binding: list[str]):
        super().__init__(message)
        self.binding = binding


def solution_status(lp_status: str, sol_status: str) -> str:
    """Map PuLP's (``LpStatus``, ``LpSolution``) strings to "optimal", "feasible",
    "infeasible" or "no_solution".

    CBC stopped by its time limit with an integer solution reports
    ("Optimal", "Solution Found"): that is *feasible*, optimality not proven.
    """
    if lp_status == "Infeasible" or sol_status == "No Solution Exists":
        return "infeasible"
    if sol_status == "Optimal Solution Found" and lp_status == "Optimal":
        return "optimal"
    if sol_status in ("Optimal Solution Found", "Solution Found"):
        return "feasible"
    return "no_solution"


def _build(cost, value, valid, constraints, objective, skip=None):
    G, K = cost.shape
    prob = pulp.LpProblem("mck", pulp.LpMinimize if objective == "min_cost" else pulp.LpMaximize)
    idx = np.argwhere(valid)
    xs = [prob.add_variable(f"x_{g}_{k}", cat="Binary") for g, k in idx]
    coefs = cost[valid] if objective == "min_cost" else value[valid]
    prob += pulp.lpSum(c * x for c, x in zip(coefs.tolist(), xs))
    by_group = [[] for _ in range(G)]
    for x, g in zip(xs, idx[:, 0].tolist()):
        by_group[g].append(x)
    for g, vars_g in enumerate(by_group):
        prob += pulp.lpSum(vars_g) == 1, f"choose_{g}"
    for i, c in enumerate(constraints):
        if skip is not None and i == skip:
            continue
        a = c.coef[valid]
        expr = pulp.lpSum(float(ai) * x for ai, x in zip(a.tolist(), xs) if ai != 0.0)
        prob += (expr <= c.rhs) if c.sense == "<=" else (expr >= c.rhs), f"c{i}"
    return prob, idx, xs


def _run(prob, time_limit, threads):
    # PuLP 3.x flags PULP_CBC_CMD (the CBC binary bundled with PuLP) as deprecated in
    # favour of a separately installed CBC; the bundled one is what needs no install.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=threads)
        prob.solve(solver)
    return pulp.LpStatus[prob.status], pulp.LpSolution[prob.sol_status]


def solve_multiple_choice(cost, value, *, objective: str, constraints=(), valid=None,
                          time_limit: float = 60.0, threads: int = 1,
                          diagnose: bool = True) -> MilpSolution:
    """Solve the multiple-choice knapsack exactly with CBC.

    Parameters
    ----------
    cost, value : (G, K) arrays [money], [value]
    objective : "min_cost" or "max_value"
    constraints : sequence of :class:`Constraint`
    valid : (G, K) bool mask of allowed options (min/max overrides)
    time_limit : CBC time limit [s] (> 0)
    diagnose : on infeasibility, re-solve without each constraint to name the binding ones

    Raises
    ------
    InfeasibleError (a ValueError) when no allocation meets all constraints;
    RuntimeError when CBC stops without any integer solution (time limit too short).
    """
    cost = np.asarray(cost, dtype=float)
    value = np.asarray(value, dtype=float)
    if cost.ndim != 2 or cost.shape != value.shape:
        raise ValueError(f"cost and value must be 2-d (groups, options) of one shape, "
                         f"received {cost.shape} and {value.shape}")
    valid = np.ones(cost.shape, bool) if valid is None else np.asarray(valid, bool)
    if valid.shape != cost.shape:
        raise ValueError(f"valid must have shape {cost.shape}, received {valid.shape}")
    if not valid.any(axis=1).all():
        raise ValueError(f"every group needs at least one valid option; groups "
                         f"{np.flatnonzero(~valid.any(axis=1))[:5].tolist()} have none")
    if objective not in ("min_cost", "max_value"):
        raise ValueError(f"objective must be 'min_cost' or 'max_value', received {objective!r}")
    if not (np.isfinite(time_limit) and time_limit > 0):
        raise ValueError(f"time_limit must be > 0 [s], received {time_limit!r}")
    for c in constraints:
        if c.sense not in _SENSES:
            raise ValueError(f"constraint {c.name!r}: sense must be one of {_SENSES}, received {c.sense!r}")
        if np.shape(c.coef) != cost.shape:
            raise ValueError(f"constraint {c.name!r}: coef must have shape {cost.shape}, "
                             f"received {np.shape(c.coef)}")
        if not np.isfinite(c.rhs):
            raise ValueError(f"constraint {c.name!r}: rhs must be finite, received {c.rhs!r}")
    constraints = [Constraint(c.name, np.asarray(c.coef, float), c.sense, float(c.rhs)) for c in constraints]
    prob, idx, xs = _build(cost, value, valid, constraints, objective)
    t0 = time.perf_counter()
    lp_status, sol_status = _run(prob, time_limit, threads)
    secs = time.perf_counter() - t0
    status = solution_status(lp_status, sol_status)
    if status == "infeasible":
        binding = []
        if diagnose:
            for i, c in enumerate(constraints):
                p2, _, _ = _build(cost, value, valid, constraints, objective, skip=i)
                s2, _ = _run(p2, time_limit, threads)
                if s2 == "Optimal":
                    binding.append(c.name)
        names = ", ".join(binding) if binding else "a combination of " + ", ".join(c.name for c in constraints)
        raise InfeasibleError(f"no allocation satisfies all constraints; binding: {names}", binding)
    if status == "no_solution":
        raise RuntimeError(f"CBC found no integer solution within time_limit={time_limit} s "
                           f"(status {lp_status!r}, solution {sol_status!r}); raise time_limit")
    xv = np.array([x.value() or 0.0 for x in xs])
    chosen = idx[xv > 0.5]
    choice = np.full(cost.shape[0], -1)
    choice[chosen[:, 0]] = chosen[:, 1]
    if (choice < 0).any():
        raise RuntimeError("CBC returned a solution that leaves a group without an option")
    rows = np.arange(cost.shape[0])
    obj = float((cost if objective == "min_cost" else value)[rows, choice].sum())
    return MilpSolution(choice, obj, status, lp_status, sol_status, len(xs), secs)
