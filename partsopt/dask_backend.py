"""Running the plan on a Dask cluster (dask.distributed), and Parquet datasets partitioned by part hash.

DESIGN.md §9: work is partitioned by part (:mod:`partsopt.partition`); each
partition runs exactly the single-process functions (:func:`partsopt.pipeline.plan`
with the network-wide :class:`~partsopt.pipeline.PlanContext`), and the
outputs are concatenated in the single-process order - the same bytes as
``plan(dataset, as_of, config)``.

* :func:`connect` - a ``distributed.Client`` for ``--scheduler tcp://HOST:PORT``
  (bounded wait; an unreachable scheduler is a :class:`~partsopt.errors.ConfigError`,
  exit 2) or ``--dask local[:N]`` (a ``LocalCluster`` of N worker processes).
* :func:`plan_on_cluster` - the partitioned plan; tasks are retried when a
  worker dies (the scheduler re-runs the lost partitions elsewhere).  With a
  network target or a budget (:mod:`partsopt.network_step`) it runs in three
  phases: every partition drafts its plan up to the option tables (kept on the
  worker as a future), the client bisects the shadow price - each round every
  partition answers its cost and value per part bucket at the prices - and every
  partition finishes its plan at the prices found.
* :func:`write_partitioned` / :func:`read_partition` - the validated tables
  as Parquet datasets partitioned by ``part_bucket`` (hive layout
  ``TABLE/part_bucket=K/``), so a worker reads only its partition.

This module is an edge (it talks to the network and the file system).
"""
from __future__ import annotations

import importlib.util
import os
import re
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from partsopt.errors import ConfigError
from partsopt.partition import N_BUCKETS, PART_TABLES, combine_plans, is_plannable, split_dataset
from partsopt.validate import Dataset

#: Seconds to wait for a remote scheduler before giving up (exit 2, never a hang).
DEFAULT_CONNECT_TIMEOUT = 10.0
#: Times a partition's task is re-run after the worker running it died.
TASK_RETRIES = 3

_LOCAL = re.compile(r"^local(?::(\d+))?$")


def parse_local(spec: str) -> int:
    """Workers of a ``--dask local[:N]`` spec (default: the machine's cores, at least 1)."""
    m = _LOCAL.match(str(spec).strip())
    if not m:
        raise ConfigError("--dask must be 'local' or 'local:N'.", where="--dask", received=repr(spec),
                          fix="write --dask local (one worker per core) or --dask local:2 (two workers), "
                              "or use --scheduler tcp://HOST:PORT for a running cluster.")
    n = int(m.group(1)) if m.group(1) else max(1, os.cpu_count() or 1)
    if n < 1:
        raise ConfigError("--dask local:N needs N >= 1.", where="--dask", received=repr(spec),
                          fix="write e.g. --dask local:2.")
    return n


def _import_distributed():
    try:
        import distributed  # noqa: F401  (an optional dependency: pip install partsopt[dask])
    except ImportError:
        raise ConfigError("Dask is not installed, so --scheduler/--dask cannot be used.", where="--scheduler",
                          received="no module 'distributed'",
                          fix="pip install 'partsopt[dask]' (or run without --scheduler/--dask).") from None
    return distributed


@contextmanager
def connect(scheduler: str | None = None, local: str | None = None, *,
            timeout: float = DEFAULT_CONNECT_TIMEOUT):
    """A ``distributed.Client`` for a scheduler address or a local cluster; closed on exit.

    scheduler  ``tcp://HOST:PORT`` of a running scheduler; waits at most
               ``timeout`` [s], then raises ConfigError (exit 2).
    local      ``"local"`` or ``"local:N"``: a LocalCluster of N worker processes
               (one thread each; dashboard on a free port).
    Exactly one of the two.  Checks that every worker can import partsopt.
    """
    if (scheduler is None) == (local is None):
        raise ConfigError("give exactly one of --scheduler ADDRESS or --dask local[:N].", where="--scheduler/--dask",
                          received=f"scheduler={scheduler!r}, dask={local!r}",
                          fix="e.g. --scheduler tcp://10.0.0.5:8786 or --dask local:2.")
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"timeout must be a number of seconds > 0, received {timeout!r}")
    distributed = _import_distributed()
    cluster = None
    if local is not None:
        import dask

        n = parse_local(local)
        # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in workers by default; with the
        # optimiser's many large temporary arrays it doubles the plan's time (measured), so
        # the local workers keep glibc's default.  Each worker runs one task per thread, so the
        # optimiser inside a task uses one thread (partsopt.policy_step.THREADS_ENV)
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                              "distributed.nanny.pre-spawn-environ.PARTSOPT_THREADS": "1"}):
            cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                               dashboard_address=":0")
        client = distributed.Client(cluster, timeout=timeout)
    else:
        address = str(scheduler).strip()
        if "://" not in address:
            address = "tcp://" + address
        try:
            client = distributed.Client(address, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError("cannot reach the Dask scheduler.", where="--scheduler",
                              received=f"{scheduler} ({type(exc).__name__} after waiting up to {timeout:g} s)",
                              fix="start the scheduler (dask scheduler) and workers, check HOST:PORT and the "
                                  "firewall, or run on this machine with --dask local.") from None
    try:
        check_workers(client)
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def check_workers(client) -> None:
    """Raise ConfigError unless the cluster has workers and every worker can import partsopt."""
    found = client.run(importlib.util.find_spec, "partsopt")
    if not found:
        raise ConfigError("the Dask cluster has no workers.", where="--scheduler",
                          received=str(client.scheduler.address if client.scheduler else ""),
                          fix="start at least one worker: dask worker SCHEDULER_ADDRESS.")
    lacking = sorted(addr for addr, spec in found.items() if spec is None)
    if lacking:
        raise ConfigError("some Dask workers cannot import partsopt.", where="--scheduler",
                          received=", ".join(lacking),
                          fix="install partsopt (the same version) in the workers' Python environment, "
                              "then restart them.")


def default_partitions(client) -> int:
    """Partitions for a cluster: four per worker thread (load balance), at most N_BUCKETS."""
    threads = sum(client.nthreads().values()) or 1
    return int(min(N_BUCKETS, 4 * threads))


def gather_in_order(client, futures: list, on_done=None) -> list:
    """The results of ``futures`` in their order, each fetched as soon as its task finishes.

    Every result is released on the cluster once it is on the client, so the workers hold at
    most the results not yet fetched (``client.gather`` of the whole list keeps every finished
    partition in the workers' memory until the last one ends: on a 10M part-location plan that
    exceeded the workers' memory limit).  ``on_done(done, total)`` is called after each one.
    The list passed in is emptied (the caller must not keep the futures alive).
    """
    as_completed = _import_distributed().as_completed
    index = {f.key: i for i, f in enumerate(futures)}
    out = [None] * len(futures)
    pending = as_completed(futures, with_results=True)
    futures.clear()
    for done, (future, value) in enumerate(pending, start=1):
        out[index[future.key]] = value
        future.release()
        if on_done is not None:
            on_done(done, len(out))
    return out


def _plan_partition(part: Dataset, config: dict, context):
    from partsopt.pipeline import plan

    return plan(part, context.as_of, config, context=context)


def _plan_parquet_partition(root: str, partition: int, n_partitions: int, config: dict, context):
    return _plan_partition(read_partition(root, partition, n_partitions), config, context)


def plan_on_cluster(client, dataset: Dataset, as_of, config: dict | None = None, *,
                    n_partitions: int | None = None, retries: int = TASK_RETRIES):
    """The weekly plan of :func:`partsopt.pipeline.plan`, run partition by partition on ``client``.

    Returns the same :class:`~partsopt.pipeline.PlanResult` (equal to the last
    digit).  ``n_partitions`` defaults to :func:`default_partitions`.
    """
    from partsopt.config import default_config
    from partsopt.network_step import needs_allocation
    from partsopt.pipeline import plan_context

    config = config or default_config()
    context = plan_context(dataset, as_of, config)
    n = default_partitions(client) if n_partitions is None else n_partitions
    parts = [p for p in split_dataset(dataset, n) if is_plannable(p)]
    if not parts:
        from partsopt.pipeline import plan
        return plan(dataset, as_of, config, context=context)
    if needs_allocation(config):
        drafts = [client.submit(_draft_partition, p, config, context, pure=False, retries=retries)
                  for p in parts]
        return _allocate_and_finish(client, drafts, config, dataset.issues, retries)
    futures = [client.submit(_plan_partition, p, config, context, pure=False, retries=retries)
               for p in parts]
    del parts  # the client's copies of the partitions are not needed any more
    return combine_plans(gather_in_order(client, futures), dataset.issues)


def _draft_partition(part: Dataset, config: dict, context):
    from partsopt.pipeline import draft_plan

    return draft_plan(part, context.as_of, config, context=context)


def _draft_parquet_partition(root: str, partition: int, n_partitions: int, config: dict, context):
    return _draft_partition(read_partition(root, partition, n_partitions), config, context)


def _draft_summary(draft):
    from partsopt.network_step import partition_summary

    return partition_summary(draft.options)


def _draft_respond(draft, prices):
    from partsopt.network_step import respond

    return respond(draft.options, prices)


def _draft_finish(draft, allocation):
    from partsopt.pipeline import finish_plan

    if not len(draft.policies):      # a partition without parts has nothing to finish
        return None
    return finish_plan(draft, allocation)


def _allocate_and_finish(client, drafts: list, config: dict, issues, retries: int):
    """Phases (b) and (c) of a network plan: the client's bisection over the drafts' answers
    (per part bucket, so the sums are those of the single-process plan), then every partition
    finishes at the prices found.  The drafts stay on the workers as futures."""
    from partsopt.network_step import merge_responses, merge_summaries, solve_allocation

    summary = merge_summaries(client.gather([client.submit(_draft_summary, d, pure=False, retries=retries)
                                             for d in drafts]))

    def ask(prices):
        return merge_responses(client.gather([client.submit(_draft_respond, d, prices, pure=False,
                                                            retries=retries) for d in drafts]))

    allocation = solve_allocation(summary, ask, config)
    results = client.gather([client.submit(_draft_finish, d, allocation, pure=False, retries=retries)
                             for d in drafts])
    results = [r for r in results if r is not None and len(r.policies)]
    out = combine_plans(results, issues)
    out.network = allocation.record()
    return out


def plan_parquet_on_cluster(client, root, dataset: Dataset, as_of, config: dict | None = None, *,
                            retries: int = TASK_RETRIES):
    """Like :func:`plan_on_cluster`, but each worker reads its partition from ``root``
    (written by :func:`write_partitioned`); ``dataset`` is used only for the
    network-wide context (it may be the whole dataset or any dataset with the
    whole demand history)."""
    from partsopt.config import default_config
    from partsopt.network_step import needs_allocation
    from partsopt.pipeline import plan_context

    config = config or default_config()
    context = plan_context(dataset, as_of, config)
    n = _partitions_written(root)
    if needs_allocation(config):
        drafts = [client.submit(_draft_parquet_partition, str(root), k, n, config, context, pure=False,
                                retries=retries) for k in range(n)]
        return _allocate_and_finish(client, drafts, config, dataset.issues, retries)
    futures = [client.submit(_plan_parquet_partition, str(root), k, n, config, context, pure=False,
                             retries=retries) for k in range(n)]
    results = [r for r in gather_in_order(client, futures) if len(r.policies)]
    return combine_plans(results, dataset.issues)


# ------------------------------------------------------------------ parquet
_META = "_partsopt_partitions.txt"
_ISSUES = "_partsopt_issues.parquet"   # the validation issues of the whole dataset (when there were any)


def write_partitioned(dataset: Dataset, root, n_partitions: int) -> Path:
    """Write the validated tables to ``root`` as Parquet datasets partitioned by part.

    Part-keyed tables go to ``root/TABLE/part_bucket=K/part-0.parquet`` with
    K = bucket mod ``n_partitions`` (:mod:`partsopt.partition`); the others to
    ``root/TABLE.parquet``.  Returns ``root``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    parts = split_dataset(dataset, n_partitions)
    for name, frame in dataset.tables.items():
        if name in PART_TABLES and "part" in frame.columns:
            for k, p in enumerate(parts):
                d = root / name / f"part_bucket={k}"
                d.mkdir(parents=True, exist_ok=True)
                pq.write_table(pa.Table.from_pandas(p.tables[name], preserve_index=False), d / "part-0.parquet")
        else:
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), root / f"{name}.parquet")
    if len(dataset.issues):
        dataset.issues.astype(str).to_parquet(root / _ISSUES, index=False)
    from partsopt.runinfo import data_fingerprint

    (root / _META).write_text(f"{n_partitions}\n{','.join(sorted(dataset.present))}\n"
                              f"{data_fingerprint(dataset.tables)}\n", encoding="utf-8")
    return root


def _partitions_written(root) -> int:
    meta = Path(root) / _META
    if not meta.is_file():
        raise ConfigError("not a partitioned partsopt dataset.", where=str(root), received="no " + _META,
                          fix="write it with partsopt.dask_backend.write_partitioned.")
    return int(meta.read_text(encoding="utf-8").split("\n")[0])


def read_partition(root, partition: int, n_partitions: int | None = None, *,
                   only: dict[str, list[str]] | None = None) -> Dataset:
    """One partition of a dataset written by :func:`write_partitioned` (tables typed as written).

    ``only``: read just these tables and columns (e.g. ``{"demand": ["date", "location"]}``).
    """
    import pyarrow.parquet as pq

    root = Path(root)
    n = _partitions_written(root)
    if n_partitions is not None and n_partitions != n:
        raise ValueError(f"n_partitions must be {n} (as written in {root}), received {n_partitions!r}")
    if not (0 <= int(partition) < n):
        raise ValueError(f"partition must be in 0..{n - 1}, received {partition!r}")
    present = frozenset(x for x in (root / _META).read_text(encoding="utf-8").split("\n")[1].split(",") if x)
    tables = {}
    for path in sorted(root.iterdir()):
        name = path.name if path.is_dir() else path.stem
        if only is not None and name not in only:
            continue
        columns = None if only is None else only[name]
        if path.is_dir():
            f = path / f"part_bucket={int(partition)}" / "part-0.parquet"
            tables[name] = pq.read_table(f, columns=columns).to_pandas()
        elif path.suffix == ".parquet" and not path.name.startswith("_"):
            tables[name] = pq.read_table(path, columns=columns).to_pandas()
    return Dataset(tables=tables, issues=pd.DataFrame(), present=present, path=str(root))


def is_partitioned(root) -> bool:
    """True when ``root`` is a folder written by :func:`write_partitioned`."""
    return (Path(root) / _META).is_file()


def read_partition_issues(root) -> pd.DataFrame:
    """The validation issues of the dataset written to ``root`` (empty when it had none)."""
    path = Path(root) / _ISSUES
    return pd.read_parquet(path) if path.is_file() else pd.DataFrame()


def partitioned_fingerprint(root) -> str:
    """The data fingerprint (:func:`partsopt.runinfo.data_fingerprint`) of the whole dataset written to ``root``."""
    lines = (Path(root) / _META).read_text(encoding="utf-8").split("\n")
    return lines[2] if len(lines) > 2 and lines[2] else ""


__all__ = ["DEFAULT_CONNECT_TIMEOUT", "TASK_RETRIES", "parse_local", "connect", "check_workers",
           "default_partitions", "gather_in_order", "plan_on_cluster", "plan_parquet_on_cluster", "write_partitioned",
           "read_partition", "is_partitioned", "read_partition_issues", "partitioned_fingerprint"]
