"""Fast column helpers shared by the ERP modules (whole-column, no per-row Python).

* :func:`as_text` - a column as an object array of ``str`` (missing → ``""``);
* :func:`strip_text` - strip surrounding whitespace, copying only when needed;
* :func:`key_order` - the stable permutation sorting rows by two text keys.

Sorting and trimming use Arrow compute kernels: sorting a million (part,
location) pairs with pandas' multi-column ``sort_values`` factorises both columns
and takes seconds; Arrow's ``sort_indices`` takes a fraction of that.  Order is
Unicode code-point order (UTF-8 byte order), the same as Python's ``sorted``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def as_text(values) -> np.ndarray:
    """``values`` as an object array of Python ``str``; missing values become ``""``."""
    arr = pd.Series(values).to_numpy(dtype=object)
    if pd.api.types.infer_dtype(arr, skipna=False) == "string":
        return arr  # already all str: no per-element work
    s = pd.Series(arr, dtype=object)
    return s.where(s.notna(), "").map(str).to_numpy(dtype=object)


def strip_text(arr: np.ndarray) -> np.ndarray:
    """Strip leading/trailing whitespace of an object array of ``str``."""
    pa_arr = pa.array(arr, type=pa.string())
    trimmed = pc.utf8_trim_whitespace(pa_arr)
    if len(arr) == 0 or pc.all(pc.equal(pa_arr, trimmed)).as_py():
        return arr
    return np.asarray(trimmed.to_pylist(), dtype=object)


def key_order(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Stable permutation that sorts rows by (``first``, ``second``), both text."""
    table = pa.table({"a": pa.array(first, type=pa.string()),
                      "b": pa.array(second, type=pa.string())})
    order = pc.sort_indices(table, sort_keys=[("a", "ascending"), ("b", "ascending")])
    return order.to_numpy().astype(np.int64, copy=False)
