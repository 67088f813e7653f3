"""The measurements of the benchmark suite, one function per case; each runs in a fresh process.

``python benchmarks/scale_cases.py CASE '{"param": value, ...}'`` runs one case once and prints
one JSON line: ``seconds`` (the timed section only: data building and imports excluded),
``peak_rss_mb`` (the process's peak resident memory, imports and data included: what the run
needs) and the case's own figures.  :mod:`benchmarks.run_all` calls it for every repeat, so each
repeat's peak memory is its own.

Cases (partsopt and its peer measured by the same runner in the same run):

forecast_partsopt     forecasting.fit(y, "sba") on n seeded intermittent series [s]
forecast_statsforecast statsforecast 2.1.1 CrostonSBA on the same series (n_jobs=1) [s]
policy_partsopt       policies.optimize_single (nbinom, hit-rate target, EOQ batch) on n rows
policy_stockpyl       stockpyl.ss.newsvendor_poisson per row (base-stock level for Poisson
                      lead-time demand at a critical ratio): the nearest single-location peer
zf_partsopt           policies.ss_exact.optimal_ss_poisson: a batch of n Zheng-Federgruen problems
zf_stockpyl           stockpyl.ss.s_s_discrete_exact on the same problems, one call each
replay_partsopt       the replay simulator on benchmarks/simulate_speed.py's network (parts x 201
                      locations, days)
replay_stockpyl       stockpyl.sim.simulation, single-node (s, S), skus x periods
plan                  partsopt.pipeline.plan on a demo network folder (load excluded)
plan_full             the whole ``partsopt plan`` command's work on a demo network folder: load
                      (read + validate), plan, write every output (CSV, Parquet, orders.xlsx), with
                      the seconds of each of the three parts
plan_dask             partsopt.dask_backend.plan_on_cluster on a LocalCluster of w workers
                      (cluster start excluded, reported as start_seconds)
partition             the work of ``partsopt partition``: read + validate a folder, write it as
                      Parquet partitioned by part hash
plan_partitioned      the work of ``partsopt plan ROOT`` on a partitioned dataset: every partition
                      read, planned and written by itself, in this process (workers = 0) or on a
                      LocalCluster of w workers (cluster start excluded); nothing of the whole
                      network is held in one process
"""
from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def intermittent_panel(n: int, periods: int, seed: int = 0) -> np.ndarray:
    """n seeded intermittent weekly series: Bernoulli(p) occurrences (p ~ U(0.05, 0.6)) x
    sizes 1 + Poisson(lam) (lam ~ U(0, 3)) [units/period]; every series has >= 2 demands."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.6, (n, 1))
    lam = rng.uniform(0.0, 3.0, (n, 1))
    y = (rng.random((n, periods)) < p) * (1 + rng.poisson(lam, (n, periods)))
    y[:, 0] = np.maximum(y[:, 0], 1)
    y[:, periods // 2] = np.maximum(y[:, periods // 2], 1)
    return y.astype(np.float64)


def forecast_partsopt(n=100_000, periods=104, seed=0):
    import forecasting

    y = intermittent_panel(n, periods, seed)
    t = time.perf_counter()
    res = forecasting.fit(y, "sba")
    sec = time.perf_counter() - t
    return {"seconds": sec, "series": n, "periods": periods, "mean_forecast": float(np.mean(res.level))}


def forecast_statsforecast(n=100_000, periods=104, seed=0):
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import CrostonSBA

    y = intermittent_panel(n, periods, seed)
    df = pd.DataFrame({"unique_id": np.repeat(np.arange(n), periods), "ds": np.tile(np.arange(periods), n),
                       "y": y.ravel()})
    # compile numba once outside the timed section (a long-running service pays it once)
    StatsForecast(models=[CrostonSBA()], freq=1, n_jobs=1).forecast(df=df[df["unique_id"] < 2], h=1)
    t = time.perf_counter()
    fc = StatsForecast(models=[CrostonSBA()], freq=1, n_jobs=1).forecast(df=df, h=1)
    sec = time.perf_counter() - t
    return {"seconds": sec, "series": n, "periods": periods, "mean_forecast": float(fc["CrostonSBA"].mean())}


def _policy_inputs(n, seed):
    rng = np.random.default_rng(seed)
    mean = rng.lognormal(-3.0, 1.2, n)  # units/day: mostly slow movers, a few fast
    return rng, mean, mean * rng.uniform(1.0, 3.0, n), rng.uniform(2.0, 30.0, n)


def policy_partsopt(n=1_000_000, seed=0):
    from policies.single import optimize_single

    rng, mean, var, L = _policy_inputs(n, seed)
    cost = rng.lognormal(3.0, 1.0, n)
    t = time.perf_counter()
    out = optimize_single("nbinom", mean, var, lead_time=L, review_period=np.full(n, 7.0), unit_cost=cost,
                          holding_rate=0.25, order_cost=5.0, emergency_cost=20.0, target_type="hit_rate",
                          target_level=0.95, q_method="eoq", periods_per_year=365.0, line_size_pmf="family",
                          tail=1e-6, chunk_size=2000)
    sec = time.perf_counter() - t
    return {"seconds": sec, "rows": n, "mean_S": float(out["order_up_to"].mean())}


def policy_stockpyl(n=2_000, seed=0):
    from stockpyl.ss import newsvendor_poisson

    _, mean, _, L = _policy_inputs(n, seed)
    mu = mean * (L + 7.0)
    t = time.perf_counter()
    S = [newsvendor_poisson(1.0, 19.0, float(m))[0] for m in mu]
    sec = time.perf_counter() - t
    return {"seconds": sec, "rows": n, "mean_S": float(np.mean(S))}


def _zf_inputs(n, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(2.0, 30.0, n), rng.uniform(10.0, 100.0, n), rng.uniform(0.5, 2.0, n), rng.uniform(5.0, 40.0, n)


def zf_partsopt(n=100_000, seed=0):
    from policies.ss_exact import optimal_ss_poisson

    mu, K, h, p = _zf_inputs(n, seed)
    t = time.perf_counter()
    s, S, c = optimal_ss_poisson(mu, K, h, p)
    sec = time.perf_counter() - t
    return {"seconds": sec, "problems": n, "mean_cost": float(np.mean(c))}


def zf_stockpyl(n=200, seed=0):
    from stockpyl.ss import s_s_discrete_exact

    mu, K, h, p = _zf_inputs(n, seed)
    t = time.perf_counter()
    costs = [s_s_discrete_exact(h[i], p[i], K[i], True, mu[i])[2] for i in range(n)]
    sec = time.perf_counter() - t
    return {"seconds": sec, "problems": n, "mean_cost": float(np.mean(costs))}


def _simulate_speed():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import simulate_speed

    return simulate_speed


def replay_partsopt(parts=1000, days=365, seed=0):
    ss = _simulate_speed()
    ds, policies = ss.build_network(parts, days, seed)
    times, res = ss.time_partsopt(ds, policies, days, 1)
    return {"seconds": float(times[0]), "part_locations": int(len(policies)), "days": days}


def replay_stockpyl(skus=20, periods=365, seed=0):
    ss = _simulate_speed()
    times = ss.time_stockpyl(skus, periods, 1, seed)
    return {"seconds": float(times[0]), "skus": skus, "periods": periods}


def plan(data, as_of):
    from partsopt.io import load
    from partsopt.pipeline import plan as run_plan

    ds = load(data)
    t = time.perf_counter()
    r = run_plan(ds, as_of)
    sec = time.perf_counter() - t
    return {"seconds": sec, "part_locations": int(len(r.policies)), "orders": int(len(r.orders))}


def plan_full(data, as_of, out=None):
    import tempfile

    from partsopt.cli import run_plan
    from partsopt.config import default_config
    from partsopt.io import read_folder
    from partsopt.validate import validate_tables

    marks = {}

    def progress(step, total, label):  # the time the first write stage starts
        if label.startswith("write:") and "write" not in marks:
            marks["write"] = time.perf_counter()

    out = Path(out) if out else Path(tempfile.mkdtemp(prefix="partsopt-plan-"))
    t = time.perf_counter()
    ds = validate_tables(read_folder(data), path=str(data))
    t_load = time.perf_counter()
    r, _ = run_plan(ds, as_of, default_config(), out, progress=progress)
    t_end = time.perf_counter()
    return {"seconds": t_end - t, "load_seconds": t_load - t, "plan_seconds": marks["write"] - t_load,
            "write_seconds": t_end - marks["write"], "part_locations": int(len(r.policies)),
            "orders": int(len(r.orders))}


def plan_dask(data, as_of, workers=2, partitions=None):
    from partsopt.dask_backend import connect, plan_on_cluster
    from partsopt.io import load

    ds = load(data)
    t0 = time.perf_counter()
    with connect(local=f"local:{int(workers)}", timeout=120) as client:
        start = time.perf_counter() - t0
        t = time.perf_counter()
        r = plan_on_cluster(client, ds, as_of, n_partitions=partitions)
        sec = time.perf_counter() - t
        worker_rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return {"seconds": sec, "start_seconds": start, "part_locations": int(len(r.policies)),
            "workers_peak_rss_mb": round(sum(worker_rss.values()) / 1024.0, 1)}


def partition(data, root, partitions=64):
    """The work of ``partsopt partition``: read + validate the folder, write it partitioned by part."""
    import shutil

    from partsopt.cli import main as cli_main

    shutil.rmtree(root, ignore_errors=True)
    t = time.perf_counter()
    code = cli_main(["partition", str(data), "--out", str(root), "--partitions", str(int(partitions))])
    sec = time.perf_counter() - t
    if code != 0:
        raise SystemExit(f"partsopt partition failed with exit code {code}")
    return {"seconds": sec, "partitions": int(partitions)}


def plan_partitioned(root, as_of, out, workers=0):
    """The work of ``partsopt plan ROOT`` on a partitioned dataset: every partition read, planned and
    written by itself - in this process (``workers`` = 0) or on a LocalCluster of ``workers`` processes
    (cluster start excluded from the time)."""
    import contextlib
    import shutil

    from partsopt.cli import run_partitioned_plan
    from partsopt.config import default_config
    from partsopt.dask_backend import connect

    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    cm = connect(local=f"local:{int(workers)}", timeout=120) if workers else contextlib.nullcontext(None)
    with cm as client:
        start = time.perf_counter() - t0
        t = time.perf_counter()
        res, _ = run_partitioned_plan(root, as_of, default_config(), Path(out), progress=lambda *a: None,
                                      client=client)
        sec = time.perf_counter() - t
        worker_rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) if client else {}
    return {"seconds": sec, "start_seconds": start, "part_locations": int(res.rows["policies"]),
            "orders": int(res.rows["orders"]), "partitions": res.partitions,
            "workers_peak_rss_mb": round(sum(worker_rss.values()) / 1024.0, 1),
            "worker_max_rss_mb": round(max(worker_rss.values(), default=0) / 1024.0, 1)}


CASES = {f.__name__: f for f in (forecast_partsopt, forecast_statsforecast, policy_partsopt, policy_stockpyl,
                                  zf_partsopt, zf_stockpyl, replay_partsopt, replay_stockpyl, plan, plan_full,
                                  plan_dask, partition, plan_partitioned)}


def limit_memory() -> None:
    """Cap the address space at ``PARTSOPT_BENCH_MEM_LIMIT_MB`` (set by run_all.py): a case that needs more
    fails with a MemoryError naming the allocation instead of being killed by the kernel's OOM killer
    (which may kill other work on the machine too)."""
    import os

    mb = os.environ.get("PARTSOPT_BENCH_MEM_LIMIT_MB")
    if mb:
        limit = int(float(mb) * 2 ** 20)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    limit_memory()
    if len(argv) not in (1, 2) or argv[0] not in CASES:
        sys.stderr.write(f"usage: scale_cases.py CASE ['{{json params}}']; cases: {', '.join(CASES)}\n")
        return 2
    params = json.loads(argv[1]) if len(argv) == 2 else {}
    out = CASES[argv[0]](**params)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
