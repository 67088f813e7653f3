"""Partitioning a dataset by part, and putting partition results back together (DESIGN.md §9).

Work is split by part: all locations of a part stay in one partition (the
multi-echelon coupling - flows up the tree, METRIC waits down it - is within a
part), and so do all part numbers of one supersession chain (a superseded
part's demand and stock count for its final successor).  The partition of a
part is a hash of its chain's final part number, through a fixed number of
buckets::

    bucket(p)    = siphash24(final_successor(p), key = PARTITION_HASH_KEY) mod N_BUCKETS
    partition(p) = bucket(p) mod n

so that every partition is a union of whole buckets, whatever n.  The
optimiser's result for a row depends on that row alone, not on the other rows
of its call (tests/policies/test_row_independence.py), and the network
allocation adds its sums per bucket in bucket order (:mod:`partsopt.network_step`),
so the partitioned plan equals the single-process plan to the last digit.

(pandas' :func:`pandas.util.hash_array`, SipHash-2-4 with a fixed 16-byte key:
the same on every machine, process and Python run - unlike ``hash()``, which is
salted per process).

Tables keyed by part (parts, demand, inventory, receipts, items, bom) are split
by their part column; location tables (locations, install_base) go to every
partition whole.  :func:`combine_plans` concatenates the partitions' outputs and
sorts them into the order of the single-process plan, so the bytes match.

Pure DataFrame functions; the Parquet files partitioned by part hash and the
Dask cluster are in :mod:`partsopt.dask_backend` (an edge).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from partsopt.supersession import final_successor
from partsopt.validate import Dataset

#: SipHash key of the part hash (16 bytes; changing it moves every part to another partition).
PARTITION_HASH_KEY = "partsopt-part-h1"
#: Buckets of parts (the unit of partitioning; at most this many partitions carry work).
N_BUCKETS = 64
#: Tables split by their ``part`` column; every other table goes whole to every partition.
PART_TABLES = ("parts", "demand", "inventory", "receipts", "items", "bom")


def _check_n(n_partitions) -> int:
    if isinstance(n_partitions, bool) or not isinstance(n_partitions, (int, np.integer)) or n_partitions < 1:
        raise ValueError(f"n_partitions must be an integer >= 1, received {n_partitions!r}")
    return int(n_partitions)


def hash_bucket(keys, n_partitions: int) -> np.ndarray:
    """Bucket 0..n-1 of each string key: SipHash-2-4 (fixed key) of the UTF-8 text, modulo n [int64].

    Deterministic across processes and machines.  Raises ValueError for n < 1.
    """
    n = _check_n(n_partitions)
    arr = np.asarray(keys, dtype=object)
    if arr.ndim != 1:
        raise ValueError(f"keys must be one-dimensional, received shape {arr.shape}")
    if not len(arr):
        return np.zeros(0, np.int64)
    h = pd.util.hash_array(arr.astype(str).astype(object), hash_key=PARTITION_HASH_KEY, categorize=False)
    return (h % np.uint64(n)).astype(np.int64)


def part_buckets(parts: pd.DataFrame) -> pd.Series:
    """Bucket 0..N_BUCKETS-1 of every part (index: part): the hash of its supersession chain's final part."""
    final = final_successor(parts)
    return pd.Series(hash_bucket(final.to_numpy(), N_BUCKETS), index=final.index, name="bucket")


def row_buckets(part_column, buckets: pd.Series) -> np.ndarray:
    """Bucket of each row from its part; a part unknown to the master hashes on its own name."""
    part = pd.Series(np.asarray(part_column, dtype=object)).astype(str)
    got = part.map(buckets).to_numpy()
    unknown = pd.isna(got)
    out = np.zeros(len(part), np.int64)
    out[~unknown] = got[~unknown].astype(np.int64)
    if unknown.any():
        out[unknown] = hash_bucket(part.to_numpy()[unknown], N_BUCKETS)
    return out


def part_partitions(parts: pd.DataFrame, n_partitions: int) -> pd.Series:
    """Partition 0..n-1 of every part (index: part): its bucket modulo ``n_partitions``."""
    n = _check_n(n_partitions)
    return (part_buckets(parts) % n).rename("partition")


def split_dataset(dataset: Dataset, n_partitions: int) -> list[Dataset]:
    """``n_partitions`` datasets, each holding the parts (with all their rows) of one hash bucket.

    Issues stay with the whole dataset (they are reported once); location tables
    are shared.  The row order inside each table is kept.
    """
    n = _check_n(n_partitions)
    buckets = part_buckets(dataset.parts)
    groups: dict[str, list[np.ndarray]] = {}
    for name in PART_TABLES:
        frame = dataset.tables.get(name)
        if frame is None or not len(frame) or "part" not in frame.columns:
            continue
        bucket = row_buckets(frame["part"].to_numpy(), buckets) % n
        order = np.argsort(bucket, kind="stable")
        bounds = np.searchsorted(bucket[order], np.arange(n + 1))
        groups[name] = [order[bounds[k]:bounds[k + 1]] for k in range(n)]
    out = []
    empty_issues = dataset.issues.iloc[:0]
    for k in range(n):
        tables = {}
        for name, frame in dataset.tables.items():
            if name in groups:
                tables[name] = frame.iloc[groups[name][k]]
            else:
                tables[name] = frame
        out.append(Dataset(tables=tables, issues=empty_issues, present=dataset.present,
                           sources=dict(dataset.sources), path=dataset.path))
    return out


def is_plannable(part_dataset: Dataset) -> bool:
    """A partition with no part, or no part-keyed row at all, has nothing to plan."""
    return bool(len(part_dataset.parts)) and any(len(part_dataset.tables.get(t, ())) for t in PART_TABLES[1:])


def combine_frames(frames: list[pd.DataFrame], sort_by: list[str]) -> pd.DataFrame:
    """Concatenate partition outputs and sort them stably by ``sort_by`` (the single-process order)."""
    nonempty = [f for f in frames if len(f)]
    if not nonempty:
        return frames[0] if frames else pd.DataFrame()
    out = pd.concat(nonempty, ignore_index=True) if len(nonempty) > 1 else nonempty[0]
    return out.sort_values(sort_by, kind="stable").reset_index(drop=True)


def combine_plans(results: list, issues: pd.DataFrame | None = None):
    """One :class:`~partsopt.pipeline.PlanResult` from the partitions' results.

    forecasts and policies sorted by (part, location), orders by (location,
    order_type, part): the orders of the single-process plan.
    """
    from partsopt.pipeline import PlanResult

    if not results:
        raise ValueError("results must hold at least one partition's PlanResult, received an empty list")
    first = results[0]
    return PlanResult(
        forecasts=combine_frames([r.forecasts for r in results], ["part", "location"]),
        policies=combine_frames([r.policies for r in results], ["part", "location"]),
        orders=combine_frames([r.orders for r in results], ["location", "order_type", "part"]),
        as_of=first.as_of, config=first.config,
        issues=issues if issues is not None else first.issues)


__all__ = ["PARTITION_HASH_KEY", "N_BUCKETS", "PART_TABLES", "hash_bucket", "part_buckets", "row_buckets",
           "part_partitions",
           "split_dataset", "is_plannable", "combine_frames", "combine_plans"]
