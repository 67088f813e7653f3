"""Supersession: a part replaced by a newer one hands its demand history on.

When part A is superseded by B, and B by C, the repair history of A and B is
demand for C: forecasting C only from its own (short) history would under-stock
it.  :func:`final_successor` follows whole chains (vectorised pointer jumping,
no loop over parts) and :func:`map_to_successor` re-labels demand lines.

The validated part master guarantees there is no loop (a loop is a structural
error in :mod:`partsopt.validate`) and that every link points to a known part
(a gap is dropped with an issue).
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def final_successor(parts: pd.DataFrame) -> pd.Series:
    """Map every part to the last part of its supersession chain (itself when not superseded)."""
    index = pd.Index(parts["part"])
    nxt = index.get_indexer(parts["superseded_by"].where(parts["superseded_by"] != "", None))
    cur = np.arange(len(parts))
    # pointer doubling: after k rounds each pointer has jumped 2**k links; chains have < n links
    jump = np.where(nxt >= 0, nxt, cur)
    for _ in range(max(1, int(np.ceil(np.log2(max(len(parts), 2)))) + 1)):
        new = jump[jump]
        if np.array_equal(new, jump):
            break
        jump = new
    return pd.Series(index.to_numpy()[jump], index=index, name="final_part")


def map_to_successor(lines: pd.DataFrame, parts: pd.DataFrame, column: str = "part") -> pd.DataFrame:
    """A copy of ``lines`` whose ``column`` names the final successor; the original in ``original_part``."""
    final = final_successor(parts)
    out = lines.copy()
    out["original_part"] = out[column]
    out[column] = out[column].map(final).fillna(out[column])
    return out


def superseded_parts(parts: pd.DataFrame) -> np.ndarray:
    """Boolean mask: the part has a successor (it gets no new stock)."""
    return (parts["superseded_by"] != "").to_numpy()
