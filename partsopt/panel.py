"""The period panel: repair-order lines → a dense (series × periods) demand array.

Forecasting methods work on a 2-D array with one row per series (part ×
location, or part alone for the network) and one column per period, oldest
first.  :func:`build_panel` makes it from the demand lines with vectorised
numpy (``np.add.at`` on integer codes) - no Python loop over series.

Periods
-------
* ``"W"`` (default): weeks starting on **Monday**; a date belongs to the week
  whose Monday is on or before it.
* ``"D"``: calendar days.
* ``"M"``: calendar months, labelled by their first day.

The panel spans from ``start`` (default: the first demand date) to ``end``
(default: the last demand date), both snapped to their period start; every
period in between is a column even when nothing was sold in it.  Each series
is *zero-filled from its own first period*: ``first[i]`` is the column of the
series' first demand, and :meth:`Panel.from_first` gives the array with NaN
before it, so a part introduced last month is not read as two years of zeros.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

FREQS = {"D": "daily", "W": "weekly (Monday)", "M": "monthly"}


def period_start(dates, freq: str = "W") -> np.ndarray:
    """Start date of the period holding each date, as ``datetime64[D]``."""
    d = np.asarray(pd.to_datetime(dates).values, dtype="datetime64[D]")
    if freq == "D":
        return d
    if freq == "W":
        # 1970-01-01 was a Thursday: days since epoch + 3 is 0 on Mondays
        days = d.astype(np.int64)
        return (days - (days + 3) % 7).astype("datetime64[D]")
    if freq == "M":
        return d.astype("datetime64[M]").astype("datetime64[D]")
    raise ValueError(f"freq must be one of {', '.join(FREQS)}; received {freq!r}")


def period_index(starts: np.ndarray, origin: np.datetime64, freq: str) -> np.ndarray:
    """Integer column of each period start relative to ``origin`` (a period start)."""
    if freq == "D":
        return (starts - origin).astype(np.int64)
    if freq == "W":
        return (starts - origin).astype(np.int64) // 7
    months = starts.astype("datetime64[M]").astype(np.int64)
    return months - np.datetime64(origin, "M").astype(np.int64)


def period_range(start: np.datetime64, n: int, freq: str) -> pd.DatetimeIndex:
    if freq == "D":
        days = start + np.arange(n).astype("timedelta64[D]")
    elif freq == "W":
        days = start + (7 * np.arange(n)).astype("timedelta64[D]")
    else:
        days = (np.datetime64(start, "M") + np.arange(n).astype("timedelta64[M]")).astype("datetime64[D]")
    return pd.DatetimeIndex(days.astype("datetime64[ns]"))


@dataclass
class Panel:
    """Demand per series and period.

    values  (series, periods) float64, zero where nothing was demanded
    keys    DataFrame, one row per series with the key columns (e.g. part, location)
    periods DatetimeIndex of period start dates (column labels)
    first   (series,) int64: column of each series' first demand
    freq    "D", "W" or "M"
    """

    values: np.ndarray
    keys: pd.DataFrame
    periods: pd.DatetimeIndex
    first: np.ndarray
    freq: str

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    def from_first(self) -> np.ndarray:
        """The values with NaN before each series' first demand."""
        cols = np.arange(self.values.shape[1])
        return np.where(cols[None, :] >= self.first[:, None], self.values, np.nan)

    def to_frame(self) -> pd.DataFrame:
        """Long table: key columns, ``period`` and ``qty``, from each series' first period on."""
        cols = np.arange(self.values.shape[1])
        mask = cols[None, :] >= self.first[:, None]
        rows, c = np.nonzero(mask)
        out = self.keys.iloc[rows].reset_index(drop=True)
        out["period"] = self.periods[c]
        out["qty"] = self.values[rows, c]
        return out


def build_panel(demand: pd.DataFrame, *, freq: str = "W", by: tuple[str, ...] = ("part", "location"),
                start=None, end=None, value: str = "qty", keys: pd.DataFrame | None = None) -> Panel:
    """Aggregate demand lines into a dense panel.

    demand  lines with a ``date`` column, the ``by`` columns and ``value``
    freq    "W" (weeks from Monday), "D" or "M"
    by      the series key; ``("part",)`` gives network-level series
    start, end  first and last date covered (snapped to period starts);
                lines outside are left out
    keys    optional DataFrame of ``by`` columns: the series to include, in
            this order (series with no demand get a row of zeros and
            ``first`` = number of periods, i.e. no history)
    """
    if freq not in FREQS:
        raise ValueError(f"freq must be one of {', '.join(FREQS)}; received {freq!r}")
    by = tuple(by)
    dates = pd.to_datetime(demand["date"])
    lo = period_start([start], freq)[0] if start is not None else (
        period_start([dates.min()], freq)[0] if len(demand) else None)
    hi = period_start([end], freq)[0] if end is not None else (
        period_start([dates.max()], freq)[0] if len(demand) else None)
    if lo is None or hi is None:
        raise ValueError("an empty demand table needs start and end to define the periods")
    n_periods = int(period_index(np.array([hi]), lo, freq)[0]) + 1
    if n_periods <= 0:
        raise ValueError(f"end ({end}) is before start ({start})")

    starts = period_start(dates, freq)
    col = period_index(starts, lo, freq)
    inside = (col >= 0) & (col < n_periods)
    sub = demand.loc[inside, list(by)]
    col = col[inside]
    qty = demand.loc[inside, value].to_numpy(dtype=np.float64)

    if keys is None:
        codes, uniques = _factorize(sub, by)
        key_frame = uniques
    else:
        key_frame = keys[list(by)].reset_index(drop=True)
        lookup = pd.MultiIndex.from_frame(key_frame) if len(by) > 1 else pd.Index(key_frame[by[0]])
        target = pd.MultiIndex.from_frame(sub) if len(by) > 1 else pd.Index(sub[by[0]])
        codes = lookup.get_indexer(target)
        known = codes >= 0
        codes, col, qty = codes[known], col[known], qty[known]
    n_series = len(key_frame)
    values = np.zeros((n_series, n_periods), dtype=np.float64)
    np.add.at(values, (codes, col), qty)
    first = np.full(n_series, n_periods, dtype=np.int64)
    np.minimum.at(first, codes, col)
    return Panel(values=values, keys=key_frame, periods=period_range(lo, n_periods, freq), first=first, freq=freq)


def _factorize(frame: pd.DataFrame, by: tuple[str, ...]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer codes of the key tuples, with the unique keys sorted (deterministic row order)."""
    if len(by) == 1:
        codes, uniques = pd.factorize(frame[by[0]], sort=True)
        return codes, pd.DataFrame({by[0]: np.asarray(uniques)})
    mi = pd.MultiIndex.from_frame(frame)
    codes, uniques = pd.factorize(mi, sort=True)
    return codes, uniques.to_frame(index=False, name=list(by))
