"""Demand classification per series: smooth / erratic / intermittent / lumpy / new / dead.

Syntetos, Boylan & Croston (2005), "On the categorization of demand patterns",
JORS 56:495-503, cut-offs ADI = 1.32 and CV^2 = 0.49:

================  =============  ===============
                  CV^2 <= 0.49   CV^2 > 0.49
================  =============  ===============
ADI <= 1.32       smooth         erratic
ADI >  1.32       intermittent   lumpy
================  =============  ===============

Exact definitions used here (published counts depend on them, ORACLES.md O-5/O-6):

* **CV^2** = sample variance (ddof = 1) of the non-zero demand sizes divided by the
  square of their mean [dimensionless].  With a single non-zero demand it is 0
  (no observed variability); ``ddof`` is a parameter.
* **ADI** = mean inter-demand interval [periods] = (sum of intervals) / (number of
  non-zero demands), where the first interval is counted from a series edge:

  - ``adi_origin="start"`` (default): intervals run forward in time and the first
    one is counted from the start of the series (0-based index of the first demand
    + 1), trailing zeros ignored: ADI = (index of last demand + 1) / n_nonzero.
    This is the convention of Croston's intervals and of ADIDA's aggregation level.
  - ``adi_origin="end"``: counted backwards from the end of the series:
    ADI = (T - index of first demand) / n_nonzero.  This is how the statistics that
    ship with Syntetos & Boylan's automotive data were computed (they were computed
    on the newest-first layout; ORACLES.md O-6) and reproduces them exactly.
  - ``adi_origin="between"``: mean gap between consecutive demands only,
    (last - first) / (n_nonzero - 1); NaN with fewer than 2 demands.

* **new**: fewer than ``min_nonzero`` non-zero demands (too little history to
  classify or to smooth).  **dead**: no demand in the last ``dead_periods`` periods
  (``None`` disables the rule).  An all-zero series is ``dead`` if the rule is on,
  else ``new``.  Precedence: dead, then new, then the SBC quadrant.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._checks import as_panel, check_positive_int

__all__ = ["CLASSES", "demand_statistics", "sbc_class", "classify"]

CLASSES = ("smooth", "erratic", "intermittent", "lumpy", "new", "dead")
_ORIGINS = ("start", "end", "between")


def demand_statistics(y: np.ndarray, adi_origin: str = "start", ddof: int = 1):
    """ADI, CV^2 and counts per series of a validated (N, T) panel.

    Returns a dict of (N,) arrays: ``adi`` [periods], ``cv2`` [-], ``n_nonzero``,
    ``mean_size`` [units], ``periods_since_last`` (T for an all-zero series).
    ADI and CV^2 are NaN for an all-zero series.
    """
    if adi_origin not in _ORIGINS:
        raise ValueError(f"adi_origin must be one of {_ORIGINS}, received {adi_origin!r}")
    n_rows, t = y.shape
    nz = y != 0
    n = nz.sum(axis=1)
    has = n > 0
    first = np.argmax(nz, axis=1)
    last = t - 1 - np.argmax(nz[:, ::-1], axis=1)
    safe_n = np.maximum(n, 1).astype(np.float64)
    if adi_origin == "start":
        adi = (last + 1) / safe_n
    elif adi_origin == "end":
        adi = (t - first) / safe_n
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            adi = np.where(n >= 2, (last - first) / np.maximum(n - 1, 1), np.nan)
    adi = np.where(has, adi, np.nan)
    total = np.where(nz, y, 0.0).sum(axis=1)
    mean = total / safe_n
    dev = np.where(nz, y - mean[:, None], 0.0)
    denom = np.maximum(n - ddof, 1).astype(np.float64)
    var = np.where(n > ddof, (dev * dev).sum(axis=1) / denom, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv2 = np.where(has, var / (mean * mean), np.nan)
    since = np.where(has, t - 1 - last, t)
    return {"adi": adi, "cv2": cv2, "n_nonzero": n, "mean_size": np.where(has, mean, np.nan),
            "periods_since_last": since}


def sbc_class(adi, cv2, adi_cut: float = 1.32, cv2_cut: float = 0.49) -> np.ndarray:
    """SBC quadrant from ADI and CV^2 arrays (boundaries belong to the lower class)."""
    adi = np.asarray(adi, dtype=np.float64)
    cv2 = np.asarray(cv2, dtype=np.float64)
    frequent = adi <= adi_cut
    stable = cv2 <= cv2_cut
    out = np.where(frequent, np.where(stable, "smooth", "erratic"),
                   np.where(stable, "intermittent", "lumpy"))
    return out.astype(object)


def classify(y, adi_cut: float = 1.32, cv2_cut: float = 0.49, min_nonzero: int = 2,
             dead_periods: int | None = None, adi_origin: str = "start", ddof: int = 1,
             index=None) -> pd.DataFrame:
    """Classify every series of ``y`` (series x periods, oldest first).

    Returns a DataFrame with one row per series (``index`` if given) and columns
    ``adi``, ``cv2``, ``n_nonzero``, ``periods_since_last``, ``demand_class``.
    """
    panel = as_panel(y)
    for name, v in (("adi_cut", adi_cut), ("cv2_cut", cv2_cut)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v < 0:
            raise ValueError(f"{name} must be a finite number >= 0, received {v!r}")
    min_nonzero = check_positive_int(min_nonzero, "min_nonzero", 0)
    if dead_periods is not None:
        dead_periods = check_positive_int(dead_periods, "dead_periods", 1)
    if ddof not in (0, 1):
        raise ValueError(f"ddof must be 0 (population) or 1 (sample variance), received {ddof!r}")
    st = demand_statistics(panel, adi_origin, ddof)
    cls = sbc_class(st["adi"], st["cv2"], adi_cut, cv2_cut)
    n = st["n_nonzero"]
    cls = np.where((n < min_nonzero) | (n == 0), "new", cls).astype(object)
    if dead_periods is not None:
        dead = st["periods_since_last"] >= min(dead_periods, panel.shape[1])
        cls = np.where(dead, "dead", cls).astype(object)
    if index is not None and len(index) != panel.shape[0]:
        raise ValueError(f"index must have one label per series ({panel.shape[0]}), "
                         f"received {len(index)}")
    return pd.DataFrame({"adi": st["adi"], "cv2": st["cv2"], "n_nonzero": n,
                         "periods_since_last": st["periods_since_last"],
                         "demand_class": pd.Categorical(cls, categories=list(CLASSES))},
                        index=index)
