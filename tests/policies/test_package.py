"""The package exports every module's public names without clashes."""
import collections

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
