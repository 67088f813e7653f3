"""Each row's result is a function of that row alone (issue 7).

``optimize_single`` and ``evaluate_policy`` must give every row the same bits whichever other
rows share its call (and in whichever order, chunk size or number of threads): the partitioned
plan relies on it to equal the single-process plan to the last digit.  Checked on seeded
random row sets: ``f(A ∪ B)`` restricted to A equals ``f(A)`` exactly (``np.array_equal`` on
every numeric column, equal text columns).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from policies import distributions as dist
from policies.service import evaluate_policy
from policies.single import optimize_single


def _rows(rng, n, *, continuous=False):
    """Varied rows: slow and fast movers, over-dispersion, lead times, review periods,
    packs/MOQs, target types and levels, OTD and normal-order-rate targets, costs."""
    mean = np.where(rng.random(n) < 0.2, rng.gamma(2.0, 3.0, n), rng.gamma(0.4, 0.6, n))
    mean[rng.random(n) < 0.05] = 0.0
    pack = rng.choice([1, 1, 1, 3, 5], n)
    return dict(
        mean=mean,
        var=mean * rng.uniform(0.8, 4.0, n),
        lead_time=rng.integers(0, 30, n).astype(float),
        review_period=(rng.choice([0.0, 1.0, 7.0], n) if continuous
                       else rng.choice([1.0, 7.0, 14.0], n)),
        lead_time_sd=rng.choice([0.0, 0.0, 2.0], n),
        unit_cost=rng.lognormal(2.5, 1.2, n),
        holding_rate=rng.choice([0.2, 0.3], n),
        order_cost=rng.choice([0.0, 5.0, 40.0], n),
        emergency_cost=rng.choice([0.0, 20.0, 200.0], n),
        target_type=rng.choice(["hit_rate", "fill_rate", "ready_rate", "cycle_service_level"], n),
        target_level=rng.choice([0.8, 0.9, 0.95, 0.99], n),
        otd_target=rng.choice([np.nan, 0.97], n),
        emergency_on_time=rng.uniform(0.3, 0.9, n),
        normal_order_target=rng.choice([np.nan, 0.85], n),
        pack_size=pack,
        moq=np.where(pack > 1, rng.choice([0, 6, 10], n), rng.choice([0, 1, 4], n)),
    )


def _take(kw, idx):
    return {k: (v[idx] if isinstance(v, np.ndarray) and v.ndim >= 1 else v) for k, v in kw.items()}


def _assert_same(got: pd.DataFrame, want: pd.DataFrame):
    assert list(got.columns) == list(want.columns)
    for c in want.columns:
        a, b = got[c].to_numpy(), want[c].to_numpy()
        if a.dtype.kind in "fiub":
            assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), (
                c, np.flatnonzero(~((a == b) | (np.isnan(a) & np.isnan(b)) if a.dtype.kind == "f"
                                    else a == b))[:5])
        else:
            assert a.tolist() == b.tolist(), c


def _check(call, kw, rng, n_a):
    """f(A ∪ B)[A] == f(A), A the first n_a rows, in a shuffled order and with other chunks."""
    n = kw["mean"].size
    full = call(kw, chunk_size=4096, workers=1)
    alone = call(_take(kw, np.arange(n_a)), chunk_size=4096, workers=1)
    _assert_same(full.iloc[:n_a].reset_index(drop=True), alone)
    perm = rng.permutation(n)
    shuffled = call(_take(kw, perm), chunk_size=7, workers=2)
    back = np.empty(n, dtype=np.int64)
    back[perm] = np.arange(n)
    _assert_same(shuffled.iloc[back].reset_index(drop=True), full)


def _optimize(family, **fixed):
    def call(kw, **extra):
        kw = dict(kw)
        mean = kw.pop("mean")
        var = kw.pop("var")
        return optimize_single(family, mean, var, **kw, **fixed, **extra)
    return call


@pytest.mark.parametrize("family, q_method, lines, seed", [
    ("nbinom", "cost", "family", 1),
    ("nbinom", "eoq", None, 2),
    ("poisson", "cost", "family", 3),
    ("normal", "cost", None, 4),
    ("gamma", "eoq", None, 5),
])
def test_optimize_single_rows_do_not_depend_on_their_neighbours(family, q_method, lines, seed):
    rng = np.random.default_rng(seed)
    kw = _rows(rng, 160, continuous=family in ("nbinom", "poisson"))
    if family == "poisson":
        kw["lead_time_sd"] = np.zeros(160)
    _check(_optimize(family, q_method=q_method, line_size_pmf=lines, tail=1e-7, max_q=60),
           kw, rng, 70)


def test_row_independence_with_line_size_rows_and_review_options():
    rng = np.random.default_rng(11)
    n = 120
    kw = _rows(rng, n)
    kw.pop("review_period")
    q = np.zeros((n, 6))
    q[:, 1:] = rng.dirichlet(np.ones(5), n)
    kw["line_size_pmf"] = q
    _check(_optimize("nbinom", review_options=[1.0, 7.0], tail=1e-7, max_q=40,
                     review_period=1.0), kw, rng, 50)


def test_row_independence_of_empirical_pmfs():
    rng = np.random.default_rng(12)
    n = 90
    mu = rng.gamma(0.6, 1.0, n)
    L = rng.integers(1, 20, n).astype(float)
    R = 7.0
    K = 150
    kw = dict(mean=mu, var=None, lead_time=L, review_period=R,
              unit_cost=rng.lognormal(2, 1, n), order_cost=rng.choice([0.0, 8.0], n),
              emergency_cost=rng.choice([0.0, 30.0], n), target_level=rng.choice([0.9, 0.97], n),
              pack_size=rng.choice([1, 4], n),
              pmf_lead=dist.pmf_matrix("nbinom", mu * L, 2.5 * mu * L, kmax=K - 1),
              pmf_cycle=dist.pmf_matrix("nbinom", mu * (L + R), 2.5 * mu * (L + R), kmax=K - 1),
              pmf_review=dist.pmf_matrix("nbinom", mu * R, 2.5 * mu * R, kmax=K - 1))
    _check(_optimize("empirical", max_q=50), kw, rng, 40)


def test_evaluate_policy_rows_do_not_depend_on_their_neighbours():
    rng = np.random.default_rng(13)
    n = 200
    mean = rng.gamma(0.5, 1.0, n)
    s = rng.integers(-1, 12, n)
    kw = dict(mean=mean, var=mean * rng.uniform(1.0, 3.0, n),
              lead_time=rng.integers(0, 25, n).astype(float),
              review_period=rng.choice([0.0, 1.0, 7.0], n), reorder_point=s,
              order_up_to=s + rng.integers(1, 40, n), lead_time_sd=rng.choice([0.0, 1.5], n))

    def call(kw, chunk_size=None, workers=None):
        kw = dict(kw)
        return evaluate_policy("nbinom", kw.pop("mean"), kw.pop("var"), kw.pop("lead_time"),
                               kw.pop("review_period"), line_size_pmf="family", **kw)
    _check(call, kw, rng, 80)


def test_one_row_alone_equals_the_same_row_in_a_large_call():
    """The extreme case: a single slow mover alone and among fast movers with large Q."""
    rng = np.random.default_rng(14)
    kw = _rows(rng, 60)
    kw["mean"][0], kw["var"][0] = 0.03, 0.05
    kw["mean"][1:] *= 20.0
    kw["var"][1:] *= 20.0
    call = _optimize("nbinom", line_size_pmf="family", tail=1e-7)
    _assert_same(call(kw, chunk_size=4096, workers=1).iloc[:1].reset_index(drop=True),
                 call(_take(kw, np.arange(1)), chunk_size=4096, workers=1))
