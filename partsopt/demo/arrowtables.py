"""Arrow columns and tables of the demo network, and their pandas view.

The generator builds every table as a ``pyarrow.Table`` with the types the files
carry (``string``, ``int64``, ``float64``, ``date32``, ``bool``): key columns are
built from integer codes into a dictionary and cast to plain strings in C++, so
millions of rows never become Python objects unless a DataFrame is asked for.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

_EPOCH = np.datetime64("1970-01-01", "D")


def strings(codes, dictionary) -> pa.Array:
    """``dictionary[codes]`` as a plain Arrow ``string`` array."""
    dict_arr = pa.array(np.asarray(dictionary, dtype=object), type=pa.string())
    idx = pa.array(np.asarray(codes, dtype=np.int32))
    return pa.DictionaryArray.from_arrays(idx, dict_arr).cast(pa.string())


def fixed_width_strings(buf: np.ndarray) -> pa.Array:
    """Rows of an ``(n, w)`` uint8 ASCII array as an Arrow ``string`` array (no Python objects)."""
    n, w = buf.shape
    offsets = pa.py_buffer((np.arange(n + 1, dtype=np.int64) * w).astype(np.int32))
    data = pa.py_buffer(np.ascontiguousarray(buf, dtype=np.uint8))
    return pa.StringArray.from_buffers(n, offsets, data)


def dates(start: np.datetime64, days, mask=None) -> pa.Array:
    """``start + days`` [days] as an Arrow ``date32`` array (``mask`` true = null)."""
    offset = int((np.datetime64(start, "D") - _EPOCH).astype(np.int64))
    values = (np.asarray(days, dtype=np.int64) + offset).astype(np.int32)
    return pa.array(values, type=pa.int32(), mask=mask).view(pa.date32())


def frame_to_arrow(df: pd.DataFrame) -> pa.Table:
    """Convert a small DataFrame column by column to the file types."""
    arrays = []
    for name, col in df.items():
        if pd.api.types.is_datetime64_any_dtype(col):
            v = col.to_numpy(dtype="datetime64[ns]")
            arr = pa.array(v.astype("datetime64[D]"), type=pa.date32(), mask=np.isnat(v))
        elif pd.api.types.is_bool_dtype(col):
            arr = pa.array(col.to_numpy(dtype=bool), type=pa.bool_())
        elif isinstance(col.dtype, pd.Int64Dtype):
            arr = pa.array(col.to_numpy(dtype="int64", na_value=0), type=pa.int64(), mask=col.isna().to_numpy())
        elif pd.api.types.is_integer_dtype(col):
            arr = pa.array(col.to_numpy(), type=pa.int64())
        elif pd.api.types.is_float_dtype(col):
            arr = pa.array(col.to_numpy(), type=pa.float64())
        else:
            arr = pa.array(col.to_numpy(dtype=object), type=pa.string())
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, names=list(df.columns))


def arrow_to_frame(table: pa.Table) -> pd.DataFrame:
    """The pandas view: strings as ``object``, dates as ``datetime64[ns]``,
    integer columns with nulls as ``Int64``."""
    df = table.to_pandas(date_as_object=False)
    for field in table.schema:
        col = table.column(field.name)
        if pa.types.is_date(field.type) or pa.types.is_timestamp(field.type):
            df[field.name] = df[field.name].astype("datetime64[ns]")
        elif pa.types.is_integer(field.type) and col.null_count:
            df[field.name] = df[field.name].astype("Int64")
    return df
