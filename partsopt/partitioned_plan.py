"""The weekly plan of a dataset partitioned by part, written partition by partition (DESIGN.md §9).

For networks whose plan does not fit in one process's memory (10M part-locations
need ~40 GB in one piece), nothing of the whole network is ever held in one
place: the dataset is a Parquet root written by
:func:`partsopt.dask_backend.write_partitioned` (``partsopt partition``), every
partition is read, planned and **written** by the process that plans it, and the
client keeps only small per-partition summaries.

1. **Context** (:class:`~partsopt.pipeline.PlanContext`): every partition reports
   its first and last demand dates, its first date before as-of and the counts of
   each promised lead time per location (:func:`context_piece`); the client merges
   them (:func:`merge_context_pieces`) - the median of the merged counts is the
   median over all lines, so the context equals :func:`~partsopt.pipeline.plan_context`
   of the whole dataset.
2. **Plan** each partition with exactly the single-process functions
   (:func:`~partsopt.pipeline.plan`, or draft → the client's shadow-price
   bisection → finish with a network target or a budget) and write its
   forecasts, policies and orders to ``TABLE/part-KKKKK.parquet`` in a staging
   folder (:func:`plan_partition_files`).
3. **Publish**: when every partition has been written, the staging folders are
   renamed to ``OUT/forecasts/``, ``OUT/policies/`` and ``OUT/orders/``, with
   ``orders_summary.csv`` (lines, units and value by location and order type),
   ``issues.csv`` and ``run.json`` beside them.  A failed run publishes nothing
   and leaves the previous outputs untouched.

Each output folder is a Parquet dataset (``pandas.read_parquet(OUT / "policies")``);
its rows, sorted by (part, location) - orders by (location, order_type, part) -
are the single-process plan's table to the last digit
(``tests/partsopt/test_partitioned_plan.py``).  Within a file the rows are in
that order already.

With ``client=None`` the partitions run one after the other in this process:
the memory of one partition, whatever the network (with a network target or a
budget the partitions' drafts are kept until the price is found).  With a Dask
client they run on the workers, which must see ``root`` and ``out`` on a shared
file system (a local cluster always does).
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from partsopt.progress import ProgressFn, no_progress

#: Output tables written per partition (folders of ``part-KKKKK.parquet`` files).
TABLES = ("forecasts", "policies", "orders")
#: Single-file outputs of the one-piece plan that a partitioned run replaces (and vice versa).
ONE_PIECE_FILES = tuple(f"{t}.{ext}" for t in TABLES for ext in ("parquet", "csv")) + ("orders.xlsx",)
_STAGING = ".partsopt-staging-"


# ------------------------------------------------------------------ context
@dataclass
class ContextPiece:
    """What one partition knows of the network-wide context (see :func:`context_piece`)."""

    first: pd.Timestamp | None          # first demand date (any)
    last: pd.Timestamp | None           # last demand date (any)
    first_before: pd.Timestamp | None   # first demand date before as-of
    promise_counts: pd.Series           # lines per (location, promised days), before as-of


def context_piece(demand: pd.DataFrame, as_of: pd.Timestamp) -> ContextPiece:
    """The context facts of one partition's demand lines (as-of parsed, not yet checked)."""
    if not len(demand):
        empty = pd.Series([], dtype=np.int64, index=pd.MultiIndex.from_arrays([[], []], names=["location", "days"]))
        return ContextPiece(None, None, None, empty)
    lines = demand[demand["date"] < as_of]
    days = (lines["promised_date"] - lines["date"]).dt.days
    counts = days.groupby([lines["location"].to_numpy(), days.to_numpy()]).size()
    counts.index = counts.index.set_names(["location", "days"])
    return ContextPiece(first=demand["date"].min(), last=demand["date"].max(),
                        first_before=lines["date"].min() if len(lines) else None,
                        promise_counts=counts.astype(np.int64))


def median_from_counts(counts: pd.Series) -> pd.Series:
    """Median per location of values given as counts indexed by (location, value).

    The median of n sorted values x_(1..n): x_((n+1)/2) for odd n, (x_(n/2) + x_(n/2+1)) / 2
    for even n - :meth:`pandas.Series.median`'s definition, so
    ``median_from_counts(values.groupby([loc, values]).size())`` equals
    ``values.groupby(loc).median()`` (checked in the tests).
    """
    if not len(counts):
        return pd.Series([], dtype=np.float64, name=None)
    frame = counts.rename("n").reset_index().sort_values(["location", "days"], kind="stable")
    frame = frame[frame["n"].to_numpy() > 0]
    loc = frame["location"].to_numpy()
    val = frame["days"].to_numpy(np.float64)
    cum = np.cumsum(frame["n"].to_numpy(np.int64))
    starts = np.flatnonzero(np.r_[True, loc[1:] != loc[:-1]])
    offset = np.r_[0, cum[:-1]][starts]                  # lines of the locations before
    total = np.r_[cum[starts[1:] - 1], cum[-1]] - offset  # lines per location
    # the k-th smallest line of a location (1-based): the first value whose cumulative count reaches k
    lo = val[np.searchsorted(cum, offset + (total + 1) // 2)]
    hi = val[np.searchsorted(cum, offset + total // 2 + 1)]
    out = np.where(total % 2 == 1, lo, (lo + hi) / 2.0)
    return pd.Series(out, index=pd.Index(loc[starts], name=None))


def merge_context_pieces(pieces: list[ContextPiece], as_of):
    """The network-wide :class:`~partsopt.pipeline.PlanContext` from every partition's piece
    (equal to :func:`~partsopt.pipeline.plan_context` of the whole dataset)."""
    from partsopt.pipeline import PlanContext, check_as_of_dates

    firsts = [p.first for p in pieces if p.first is not None]
    if not firsts:
        from partsopt.errors import DataError
        raise DataError("the partitioned dataset has no demand lines.", where="demand",
                        received="0 rows in every partition", fix="write the dataset with its demand table.")
    ts = check_as_of_dates(as_of, min(firsts), max(p.last for p in pieces if p.last is not None))
    befores = [p.first_before for p in pieces if p.first_before is not None]
    counts = [p.promise_counts for p in pieces if len(p.promise_counts)]
    merged = pd.concat(counts).groupby(level=[0, 1]).sum() if counts else pieces[0].promise_counts
    promise = median_from_counts(merged)
    return PlanContext(as_of=ts, promise_days=promise, first_date=min(befores) if befores else None)


# ------------------------------------------------------------------ one partition
@dataclass
class PartitionSummary:
    """What a planned partition tells the client (small: no row of the plan)."""

    partition: int
    rows: dict                  # rows written per table
    stocked: int                # part-locations with order_up_to > 0
    stock_value: float          # their inventory_value, summed
    hit_weighted: float         # Σ expected_hit_rate × mean_per_day
    weight: float               # Σ mean_per_day
    orders_summary: pd.DataFrame


def _summary(k: int, result) -> PartitionSummary:
    from partsopt.excel import orders_summary

    pol, fc = result.policies, result.forecasts
    stocked = pol["order_up_to"].to_numpy() > 0
    w = pol[["part", "location"]].merge(fc[["part", "location", "mean_per_day"]], on=["part", "location"],
                                        how="left")["mean_per_day"].to_numpy(np.float64)
    return PartitionSummary(partition=k, rows={t: int(len(getattr(result, t))) for t in TABLES},
                            stocked=int(stocked.sum()),
                            stock_value=float(pol["inventory_value"].to_numpy(np.float64)[stocked].sum()),
                            hit_weighted=float(np.nansum(pol["expected_hit_rate"].to_numpy(np.float64) * w)),
                            weight=float(np.nansum(w)), orders_summary=orders_summary(result.orders))


def write_partition_result(result, k: int, staging) -> PartitionSummary:
    """Write one partition's three tables to ``staging/TABLE/part-KKKKK.parquet``."""
    staging = Path(staging)
    for t in TABLES:
        d = staging / t
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f".part-{k:05d}.parquet.tmp"
        getattr(result, t).to_parquet(tmp, index=False)
        os.replace(tmp, d / f"part-{k:05d}.parquet")
    return _summary(k, result)


def _read(root, k, n):
    from partsopt.dask_backend import read_partition
    from partsopt.partition import is_plannable

    part = read_partition(root, k, n)
    return part if is_plannable(part) else None


def plan_partition_files(root, k: int, n: int, config: dict, context, staging) -> PartitionSummary | None:
    """Read partition ``k`` of ``root``, plan it (:func:`~partsopt.pipeline.plan`) and write it."""
    from partsopt.pipeline import plan

    part = _read(root, k, n)
    if part is None:
        return None
    return write_partition_result(plan(part, context.as_of, config, context=context), k, staging)


def draft_partition(root, k: int, n: int, config: dict, context):
    """Read partition ``k`` and draft its plan up to the shadow price (None: nothing to plan)."""
    from partsopt.pipeline import draft_plan

    part = _read(root, k, n)
    return None if part is None else draft_plan(part, context.as_of, config, context=context)


def finish_partition_files(draft, k: int, allocation, staging) -> PartitionSummary | None:
    from partsopt.pipeline import finish_plan

    if draft is None or not len(draft.policies):
        return None
    return write_partition_result(finish_plan(draft, allocation), k, staging)


def piece_of_partition(root, k: int, n: int, as_of) -> ContextPiece:
    from partsopt.dask_backend import read_partition

    part = read_partition(root, k, n, only={"demand": ["location", "date", "promised_date"]})
    return context_piece(part.tables["demand"], as_of)


# ------------------------------------------------------------------ runners
class _LocalRunner:
    """Run tasks one after the other in this process (the shape of the Dask runner)."""

    def map(self, fn, args_list, progress: ProgressFn = no_progress, label: str = ""):
        out = []
        for i, args in enumerate(args_list):
            out.append(fn(*args))
            progress(i + 1, len(args_list), label)
        return out

    def keep(self, fn, args_list, progress: ProgressFn = no_progress, label: str = ""):
        return self.map(fn, args_list, progress, label)

    def map_kept(self, fn, kept, extra_args_list, progress: ProgressFn = no_progress, label: str = ""):
        return self.map(fn, [(x, *a) for x, a in zip(kept, extra_args_list)], progress, label)

    def release(self, kept) -> None:
        kept.clear()


class _DaskRunner:
    """Run tasks on a Dask client; ``keep`` leaves results on the workers as futures."""

    def __init__(self, client, retries: int):
        self.client, self.retries = client, retries

    def _submit(self, fn, args_list):
        return [self.client.submit(fn, *args, pure=False, retries=self.retries) for args in args_list]

    def map(self, fn, args_list, progress: ProgressFn = no_progress, label: str = ""):
        from partsopt.dask_backend import gather_in_order

        return gather_in_order(self.client, self._submit(fn, args_list),
                               on_done=lambda d, t: progress(d, t, label))

    def keep(self, fn, args_list, progress: ProgressFn = no_progress, label: str = ""):
        from partsopt.dask_backend import _import_distributed

        futures = self._submit(fn, args_list)
        for i, _ in enumerate(_import_distributed().as_completed(futures)):
            progress(i + 1, len(futures), label)
        return futures

    def map_kept(self, fn, kept, extra_args_list, progress: ProgressFn = no_progress, label: str = ""):
        return self.map(fn, [(x, *a) for x, a in zip(kept, extra_args_list)], progress, label)

    def release(self, kept) -> None:
        for f in kept:
            f.release()
        kept.clear()


# ------------------------------------------------------------------ the whole plan
@dataclass
class PartitionedPlan:
    """What :func:`plan_partitioned` returns: the summaries, not the rows."""

    as_of: pd.Timestamp
    config: dict
    partitions: int
    summaries: list
    issues: pd.DataFrame
    network: dict | None = None

    @property
    def rows(self) -> dict:
        return {t: sum(s.rows[t] for s in self.summaries) for t in TABLES}

    @property
    def stocked(self) -> int:
        return sum(s.stocked for s in self.summaries)

    @property
    def stock_value(self) -> float:
        import math

        return math.fsum(s.stock_value for s in self.summaries)

    @property
    def expected_hit_rate(self) -> float:
        w = sum(s.weight for s in self.summaries)
        return sum(s.hit_weighted for s in self.summaries) / w if w > 0 else float("nan")

    def orders_summary(self) -> pd.DataFrame:
        from partsopt.excel import orders_summary

        frames = [s.orders_summary for s in self.summaries if len(s.orders_summary)]
        if not frames:
            return orders_summary(pd.DataFrame())
        g = pd.concat(frames, ignore_index=True).groupby(["location", "order_type"], as_index=False)[
            ["lines", "units", "value"]].sum()
        return g.sort_values(["location", "order_type"]).reset_index(drop=True)


def plan_partitioned(root, as_of, config: dict, staging, *, client=None, retries: int = 3,
                     progress: ProgressFn = no_progress) -> PartitionedPlan:
    """Plan every partition of ``root`` and write its tables under ``staging`` (see the module docstring).

    ``client``: a ``distributed.Client`` (None: this process, partition after partition).
    """
    from partsopt.dask_backend import _partitions_written, read_partition_issues
    from partsopt.network_step import merge_responses, merge_summaries, needs_allocation, solve_allocation
    from partsopt.pipeline import parse_as_of

    root, staging = str(root), str(staging)
    n = _partitions_written(root)
    ts = parse_as_of(as_of)
    run = _LocalRunner() if client is None else _DaskRunner(client, retries)
    ks = list(range(n))
    pieces = run.map(piece_of_partition, [(root, k, n, ts) for k in ks], progress, "plan: context")
    context = merge_context_pieces(pieces, ts)
    network = None
    if needs_allocation(config):
        drafts = run.keep(draft_partition, [(root, k, n, config, context) for k in ks], progress, "plan: drafts")
        summary = merge_summaries([s for s in run.map_kept(_summary_or_none, drafts, [()] * n) if s is not None])

        def ask(prices):
            answers = run.map_kept(_respond_or_none, drafts, [(prices,)] * n)
            return merge_responses([a for a in answers if a is not None])

        allocation = solve_allocation(summary, ask, config)
        network = allocation.record()
        summaries = run.map_kept(finish_partition_files, drafts, [(k, allocation, staging) for k in ks],
                                 progress, "plan: partitions")
        run.release(drafts)
    else:
        summaries = run.map(plan_partition_files, [(root, k, n, config, context, staging) for k in ks],
                            progress, "plan: partitions")
    summaries = [s for s in summaries if s is not None]
    if not summaries:
        from partsopt.errors import DataError
        raise DataError("no partition of the dataset has anything to plan.", where=root,
                        received=f"{n} partitions without parts or part rows",
                        fix="check the dataset (partsopt validate) before partitioning it.")
    return PartitionedPlan(as_of=context.as_of, config=config, partitions=n, summaries=summaries,
                           issues=read_partition_issues(root), network=network)


def _summary_or_none(draft):
    from partsopt.network_step import partition_summary

    return None if draft is None or draft.options is None else partition_summary(draft.options)


def _respond_or_none(draft, prices):
    from partsopt.network_step import respond

    return None if draft is None or draft.options is None else respond(draft.options, prices)


# ------------------------------------------------------------------ publishing
def staging_folder(out) -> Path:
    """A fresh staging folder inside ``out`` (removed again by :func:`publish` or :func:`discard`)."""
    import tempfile

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=_STAGING, dir=out))


def discard(staging) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def publish(staging, out) -> None:
    """Move the staged table folders and files to ``out`` (replacing earlier ones) and remove the
    one-piece outputs of an earlier plan there, so ``out`` holds one run; then remove ``staging``."""
    staging, out = Path(staging), Path(out)
    for t in TABLES:
        src, dst = staging / t, out / t
        if not src.is_dir():
            src.mkdir(parents=True)
        if dst.exists():
            os.replace(dst, staging / f".old-{t}")   # removed with the staging folder below
        os.replace(src, dst)
    for f in sorted(staging.iterdir()):          # orders_summary.csv, issues.csv, run.json
        if f.is_file() and not f.name.startswith("."):
            os.replace(f, out / f.name)
    for name in ONE_PIECE_FILES:
        (out / name).unlink(missing_ok=True)
    discard(staging)


def remove_partitioned_outputs(out) -> None:
    """Remove the table folders of an earlier partitioned plan in ``out`` (a one-piece plan replaced them)."""
    for t in TABLES:
        d = Path(out) / t
        if d.is_dir() and any(p.name.startswith("part-") for p in d.iterdir()):
            shutil.rmtree(d)


def read_partitioned_table(folder) -> pd.DataFrame:
    """A table written by a partitioned plan, as one DataFrame in the single-process order."""
    folder = Path(folder)
    files = sorted(folder.glob("part-*.parquet"))
    if not files:
        raise FileNotFoundError(f"no part-*.parquet files in {folder}")
    frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    keys = ["location", "order_type", "part"] if folder.name == "orders" else ["part", "location"]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


__all__ = ["TABLES", "ContextPiece", "context_piece", "median_from_counts", "merge_context_pieces",
           "PartitionSummary", "PartitionedPlan", "plan_partitioned", "plan_partition_files",
           "write_partition_result", "staging_folder", "publish", "discard", "remove_partitioned_outputs",
           "read_partitioned_table"]
