"""Small vectorised helpers shared by the simulator (grouped sums, FIFO look-ups)."""
from __future__ import annotations

import numpy as np


def grouped_exclusive_cumsum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Sum of ``values`` of the earlier elements of the same group.

    ``groups`` must be sorted so that equal groups are contiguous; within a group
    the element order is the allocation order.  Example: values [2, 1, 3],
    groups [5, 5, 7] → [0, 2, 0].
    """
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return values.copy()
    c = np.cumsum(values)
    before = c - values
    start = np.empty(len(values), dtype=bool)
    start[0] = True
    np.not_equal(groups[1:], groups[:-1], out=start[1:])
    seg = np.cumsum(start) - 1
    return before - before[start][seg]


def allocate_in_order(available: np.ndarray, requests: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """First-come allocation of each group's ``available`` units to its ``requests``.

    ``available`` is per element (the group's stock, repeated); groups are
    contiguous and requests within a group are served in order, each one as far
    as the stock left over by the earlier ones reaches (partial allowed).
    """
    before = grouped_exclusive_cumsum(requests, groups)
    return np.clip(available - before, 0.0, requests)


def fifo_completion(ev_stream: np.ndarray, ev_cum: np.ndarray, ev_value: np.ndarray,
                    q_stream: np.ndarray, q_end: np.ndarray) -> np.ndarray:
    """For each query, ``ev_value`` of the first event of its stream whose running
    total ``ev_cum`` reaches ``q_end``; −1 where no event reaches it.

    Each stream (integer id) is a FIFO queue whose cumulative output grows with
    the events; a request occupying positions (q_end − qty, q_end] of the queue
    is complete at the first event with ``ev_cum ≥ q_end``.
    """
    out = np.full(len(q_stream), -1, dtype=np.int64)
    if len(ev_stream) == 0 or len(q_stream) == 0:
        return out
    order = np.lexsort((ev_cum, ev_stream))
    s, c, v = ev_stream[order], ev_cum[order], ev_value[order]
    span = float(max(c.max(), q_end.max())) + 2.0
    key = s.astype(np.float64) * span + c
    qkey = q_stream.astype(np.float64) * span + q_end - 1e-6
    pos = np.searchsorted(key, qkey, side="left")
    ok = pos < len(key)
    ok[ok] &= s[pos[ok]] == q_stream[ok]
    out[ok] = v[pos[ok]]
    return out
