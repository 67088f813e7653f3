"""Fast, vectorised formatting of identifiers and ISO dates."""
from __future__ import annotations

import numpy as np


def format_ids(prefix: str, numbers, width: int) -> np.ndarray:
    """Return ``prefix`` + zero-padded ``numbers`` (e.g. ``P000123``) as a numpy str array.

    Built digit by digit on a ``uint8`` buffer, so millions of ids cost a few
    array operations rather than a Python loop.
    """
    buf = id_bytes(prefix, numbers, width)
    n = buf.shape[1]
    return np.ascontiguousarray(buf).view(f"S{n}").ravel().astype(f"U{n}")


def id_bytes(prefix: str, numbers, width: int) -> np.ndarray:
    """The ASCII bytes of :func:`format_ids` as a ``(len(numbers), len(prefix) + width)`` uint8 array."""
    nums = np.asarray(numbers, dtype=np.int64).ravel()
    if nums.size and (nums.min() < 0 or nums.max() >= 10 ** width):
        raise ValueError(f"numbers must lie in [0, 10**{width}); received {nums.min()}..{nums.max()}")
    pre = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    buf = np.empty((nums.size, pre.size + width), dtype=np.uint8)
    buf[:, : pre.size] = pre
    rest = nums.copy()
    for col in range(pre.size + width - 1, pre.size - 1, -1):  # loop over digit positions
        buf[:, col] = rest % 10 + 48
        rest //= 10
    return buf


def iso_dates(start: np.datetime64, days) -> np.ndarray:
    """ISO ``YYYY-MM-DD`` strings of ``start + days`` (numpy str array)."""
    return (np.datetime64(start, "D") + np.asarray(days, dtype=np.int64)).astype("U10")


def lsd_order(*keys) -> np.ndarray:
    """Stable permutation sorting rows by ``keys`` (most significant first).

    Least-significant-digit passes of numpy's stable sort; keys whose range fits
    in 16 bits are cast to ``int16`` so that numpy uses its O(n) radix sort.
    Equivalent to ``np.lexsort(keys[::-1])``.
    """
    n = np.asarray(keys[0]).size
    order = None
    for key in reversed(keys):
        k = np.asarray(key)
        if k.size and k.min() >= 0 and k.max() < 32_767:
            k = k.astype(np.int16)
        if order is None:
            order = np.argsort(k, kind="stable")
        else:
            order = order[np.argsort(k[order], kind="stable")]
    return order if order is not None else np.arange(n)
