"""Input validation shared by every public function of :mod:`forecasting`.

Policy on bad input (one place, so every method behaves the same):

* ``y`` must be 1-D (one series) or 2-D (series x periods, oldest period first).
  A 1-D array is treated as one series.  Integer and boolean arrays are cast to
  float64 (statsforecast casts integers to float32 first, exact below 2**24).
* **Missing values are an error**: a NaN (or an infinite value) inside a series
  raises ``ValueError`` naming the first offending series index and period.
  Periods without a demand row are zeros, and the table-level functions
  (:mod:`forecasting.tables`) build the panel that way, so NaN in a panel means
  "unknown", which a forecast must not silently read as "no demand".
* Negative values raise ``ValueError`` naming the first offending series index
  (returns must be netted out before forecasting).
* Smoothing parameters must lie in (0, 1]; the horizon must be an integer >= 1.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_panel", "check_horizon", "check_unit_interval", "check_positive_int"]


def as_panel(y, name: str = "y") -> np.ndarray:
    """Return ``y`` as a C-contiguous float64 array of shape (series, periods).

    Raises ``ValueError`` on a wrong number of dimensions, zero periods, NaN/inf or
    negative values (the message names the first bad series index).
    """
    try:
        arr = np.asarray(y)
    except ValueError:
        # numpy refuses nested sequences of unequal lengths
        raise ValueError(f"{name} must be a rectangular array (every series with the same number "
                         f"of periods), received {type(y).__name__} of unequal-length "
                         f"rows") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be a numeric array, received dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real-valued, received dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array (series x periods, oldest first) or a 1-D series, "
            f"received an array with {arr.ndim} dimensions and shape {arr.shape}")
    if arr.shape[1] < 1:
        raise ValueError(f"{name} must have at least 1 period, received shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    finite = np.isfinite(arr)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise ValueError(
            f"{name} contains a missing or infinite value ({arr[row, col]}) in series index "
            f"{row} at period {col}; missing periods must be filled (0 = no demand) before "
            f"forecasting")
    neg = arr < 0
    if neg.any():
        row, col = np.argwhere(neg)[0]
        raise ValueError(
            f"{name} contains a negative demand ({arr[row, col]}) in series index {row} at "
            f"period {col}; demand must be >= 0 (net returns out first)")
    return arr


def check_horizon(h) -> int:
    """Validate the forecast horizon: an integer >= 1."""
    if isinstance(h, bool) or not isinstance(h, numbers.Integral):
        raise ValueError(f"h (horizon) must be an integer >= 1, received {h!r}")
    if h < 1:
        raise ValueError(f"h (horizon) must be an integer >= 1, received {h}")
    return int(h)


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """Validate an integer parameter ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, received {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, received {value}")
    return int(value)


def check_unit_interval(value, name: str, n_series: int | None = None):
    """Validate a smoothing parameter in (0, 1].

    ``value`` may be a scalar or, when ``n_series`` is given, an array of one value
    per series.  Returns a float or a float64 array of shape (n_series,).
    """
    if isinstance(value, (str, bytes)) or isinstance(value, bool):
        raise ValueError(f"{name} must be a number in (0, 1], received {value!r}")
    arr = np.asarray(value, dtype=np.float64) if not np.isscalar(value) else None
    if arr is None:
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number in (0, 1], received {value!r}") from None
        if not (0.0 < v <= 1.0):
            raise ValueError(f"{name} must be in (0, 1], received {value!r}")
        return v
    if arr.ndim == 0:
        return check_unit_interval(float(arr), name)
    if n_series is None or arr.shape != (n_series,):
        raise ValueError(
            f"{name} must be a scalar in (0, 1] or an array of one value per series "
            f"(shape ({n_series},)), received shape {arr.shape}")
    bad = ~((arr > 0.0) & (arr <= 1.0))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{name} must be in (0, 1] for every series, received {arr[i]!r} "
                         f"for series index {i}")
    return arr
