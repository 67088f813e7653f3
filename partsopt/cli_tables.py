"""Readable tables for the terminal (used by the CLI only)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def heading(text: str) -> str:
    return f"{text}\n{'=' * min(len(text), 100)}"


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,}"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 1:
            return f"{v:,.2f}"
        return f"{v:.3f}"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def format_table(frame: pd.DataFrame, max_rows: int | None = None, max_width: int = 48) -> str:
    """Plain-text table: header, a rule, right-aligned numbers, left-aligned text.

    Long cells are cut at ``max_width`` characters with '…'; with ``max_rows``
    the rest is summarised in one line.
    """
    shown = frame if max_rows is None or len(frame) <= max_rows else frame.head(max_rows)
    cols = [str(c) for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
               for c in frame.columns]
    cells = [[_cell(v) for v in row] for row in shown.itertuples(index=False, name=None)]
    cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in cells]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(cols)]

    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [line(cols), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    if len(shown) < len(frame):
        out.append(f"... {len(frame) - len(shown)} more row(s)")
    return "\n".join(out)
