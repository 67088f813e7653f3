"""Serial system (Clark–Scarf / Chen–Zheng): ORACLES.md O-15, newsvendor special
case, and a Monte Carlo simulation of the echelon base-stock policy."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from policies.serial import serial_base_stock, serial_cost

EX61 = dict(mean=5.0, sd=1.0, echelon_holding=[3.0, 2.0, 2.0], backorder_cost=37.12,
            lead_times=[1.0, 1.0, 2.0])
STOCKPYL_S = np.array([6.599662958019763, 11.99662958019757, 22.790562824553184])
STOCKPYL_C = 47.77466134840843


@pytest.fixture(scope="module")
def ex61():
    return serial_base_stock(**EX61)


def test_o15_book_local_levels(ex61):
    # S&S Ex 6.1 book answer (local levels) 6.49, 5.53, 10.69
    np.testing.assert_allclose(ex61.local_S, [6.49, 5.53, 10.69], atol=0.02)


def test_o15_stockpyl_within_discretisation_tolerance(ex61):
    # stockpyl's discretised optimiser (x_num=100, d_num=10) moves with its grid (O-15):
    # its levels differ from the exact ones by at most 0.11 and its reported cost is
    # 0.11 above the exact optimum; evaluated exactly, its levels cost more than ours.
    np.testing.assert_allclose(ex61.echelon_S, STOCKPYL_S, atol=0.12)
    assert ex61.cost == pytest.approx(STOCKPYL_C, abs=0.12)
    assert ex61.cost < serial_cost(STOCKPYL_S, **EX61) < STOCKPYL_C
    assert serial_cost(ex61.echelon_S, **EX61) == pytest.approx(ex61.cost, abs=1e-9)


def test_grid_convergence(ex61):
    coarse = serial_base_stock(**EX61, step=0.05)
    assert coarse.cost == pytest.approx(ex61.cost, abs=2e-3)


def test_single_stage_is_newsvendor():
    mu, sd, h, p, L = 20.0, 4.0, 1.5, 13.5, 3.0
    sol = serial_base_stock(mu, sd, [h], p, [L], step=0.005)
    z = stats.norm.ppf(p / (p + h))
    s_ltd = sd * np.sqrt(L)
    assert sol.echelon_S[0] == pytest.approx(mu * L + z * s_ltd, abs=0.01)
    assert sol.cost == pytest.approx((p + h) * s_ltd * stats.norm.pdf(z), rel=1e-4)


def _simulate_serial(S, mean, sd, h, p, L, periods, reps, seed):
    """Period-by-period simulation of the serial system under echelon base stock,
    vectorised over replications.  Each period: (1) every stage j orders up to its
    echelon position S_j and stage j+1 ships what it has on hand (the supplier has
    everything); (2) the shipment sent L_j - 1 periods ago arrives (so that the
    lead-time demand spans L_j periods: L_j = 1 arrives before this period's demand); (3) demand hits stage 1 (backorders allowed);
    (4) cost = Σ h_j · echelon inventory level_j + (p + h'_1) · backorders.
    Returns the mean cost per period after a warm-up, and its standard error."""
    rng = np.random.default_rng(seed)
    n = len(S)
    L = [int(x) for x in L]
    onhand = np.zeros((n, reps))
    onhand[0] = S[0]
    for j in range(1, n):
        onhand[j] = S[j] - S[j - 1]
    backlog = np.zeros(reps)  # stage-1 customer backorders
    owed = np.zeros((n, reps))  # owed[j]: units stage j ordered from j+1 and not yet shipped
    transit = [[np.zeros(reps) for _ in range(L[j] - 1)] for j in range(n)]  # FIFO, [0] arrives next
    hsum = sum(h)
    costs = []
    for t in range(periods):
        # echelon inventory position of stage j: on hand at j..1 + transit into j..1 + owed to j - backlog
        for j in range(n - 1, -1, -1):
            pos = (onhand[:j + 1].sum(0) + sum(sum(transit[i]) for i in range(j + 1))
                   + owed[j] - backlog)
            order = np.maximum(S[j] - pos, 0.0)
            owed[j] += order
            if j == n - 1:
                ship = owed[j].copy()
            else:
                ship = np.minimum(owed[j], onhand[j + 1])
                onhand[j + 1] -= ship
            owed[j] -= ship
            transit[j].append(ship)
        for j in range(n):  # the queue holds the last L_j shipments: the oldest arrives
            onhand[j] += transit[j].pop(0)
        d = np.maximum(rng.normal(mean, sd, reps), 0.0)
        need = backlog + d
        served = np.minimum(onhand[0], need)
        onhand[0] -= served
        backlog = need - served
        if t >= periods // 5:
            ech = [onhand[:j + 1].sum(0) + sum(sum(transit[i]) for i in range(j)) - backlog
                   for j in range(n)]
            costs.append(sum(h[j] * ech[j] for j in range(n)) + (p + hsum) * backlog)
    c = np.array(costs).mean(axis=0)
    return c.mean(), c.std(ddof=1) / np.sqrt(reps)


def test_monte_carlo_cost_of_optimal_levels(ex61):
    mean_cost, se = _simulate_serial(ex61.echelon_S, 5.0, 1.0, [3.0, 2.0, 2.0], 37.12,
                                     [1, 1, 2], periods=400, reps=1000, seed=5)
    assert abs(mean_cost - ex61.cost) < 4 * se < 0.2, (mean_cost, se, ex61.cost)


@pytest.mark.parametrize("kwargs, match", [
    (dict(sd=-1.0), "sd must be"),
    (dict(lead_times=[1.0, 1.0]), "same length"),
    (dict(backorder_cost=0.0), "backorder_cost must be"),
])
def test_bad_input(kwargs, match):
    args = dict(EX61)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        serial_base_stock(**args)
