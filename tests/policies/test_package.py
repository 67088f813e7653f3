"""The package exports every module's public names without clashes."""
import collections

import numpy as np
import pytest

import policies


def test_public_names_exported_once():
    names = [n for m in policies._MODULES for n in m.__all__]
    dupes = [k for k, v in collections.Counter(names).items() if v > 1]
    assert not dupes
    for name in names:
        assert getattr(policies, name) is getattr(
            next(m for m in policies._MODULES if name in m.__all__), name)


def test_stable_entry_point():
    s, S, cost = policies.optimal_ss_poisson([6, 4], [5, 150], [1, 40], [4, 125])
    assert s.tolist() == [4, 2] and S.tolist() == [10, 7]
    assert abs(cost[0] - 8.034111561471644) < 1e-9


def test_stable_entry_point_scalars_and_arrays_give_arrays():
    """``optimal_ss_poisson(mean, fixed_cost, holding_cost, stockout_cost) -> (s, S, cost)``:
    each argument a scalar or an array (broadcast together), each result an array (int64,
    int64, float64), in the conventions of stockpyl's ``s_s_discrete_exact(h, p, K, True, mu)``
    (ORACLES O-10: Snyder & Shen Ex 4.7 gives s = 4, S = 10, cost 8.034111561471644)."""
    s, S, cost = policies.optimal_ss_poisson(6, 5, 1, 4)
    for arr, kind in ((s, "i"), (S, "i"), (cost, "f")):
        assert isinstance(arr, np.ndarray) and arr.shape == (1,) and arr.dtype.kind == kind
    assert (s[0], S[0]) == (4, 10) and abs(cost[0] - 8.034111561471644) < 1e-9
    # scalars broadcast against arrays; each row equals its own scalar call
    mu = np.array([6.0, 10.0, 25.0])
    s, S, cost = policies.optimal_ss_poisson(mu, 5.0, [1.0, 1.0, 2.0], 4.0)
    assert s.shape == S.shape == cost.shape == (3,)
    for i, (m, h) in enumerate(zip(mu, [1.0, 1.0, 2.0])):
        one = policies.optimal_ss_poisson(m, 5.0, h, 4.0)
        assert (s[i], S[i], cost[i]) == (one[0][0], one[1][0], one[2][0])
    assert policies.optimal_ss_poisson is policies.ss_exact.optimal_ss_poisson
    with pytest.raises(ValueError, match=r"stockout_cost must be finite and in \(0, inf\); "
                                         r"received -4\.0 at position 0"):
        policies.optimal_ss_poisson(6, 5, 1, -4)
