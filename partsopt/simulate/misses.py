"""The misses table (DESIGN.md §5 ``misses.csv``): one row per demand line that was not a hit.

A line is a *hit* when it was filled in full, at once, from the stock of the
requesting location (DESIGN.md §6); every other line is a miss, including
lines delivered on time by an emergency shipment.  ``delay_days`` is
``delivered_date − promised_date`` [days] (negative: early; NaN: not delivered
by the end of the replay).  ``cause`` / ``cause_detail`` hold the root cause
(DESIGN.md §7, ``family.detail``) once a cause analysis has run; empty here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

MISS_COLUMNS = ["line_id", "date", "part", "location", "qty", "fulfilled_from", "delay_days", "cause",
                "cause_detail"]
CAUSE_FAMILIES = ("data", "configuration", "execution")


def misses_table(lines: pd.DataFrame) -> pd.DataFrame:
    """Missed lines of a simulation's ``lines`` frame, in line order."""
    m = lines.loc[~lines["hit"].to_numpy(bool)]
    delay = (pd.to_datetime(m["delivered_date"]) - pd.to_datetime(m["promised_date"])).dt.days
    out = pd.DataFrame({
        "line_id": m["line_id"].to_numpy(object), "date": m["date"].to_numpy(), "part": m["part"].to_numpy(object),
        "location": m["location"].to_numpy(object), "qty": m["qty"].to_numpy(np.float64),
        "fulfilled_from": m["filled_from"].to_numpy(object), "delay_days": delay.to_numpy(np.float64),
        "cause": np.full(len(m), "", dtype=object), "cause_detail": np.full(len(m), "", dtype=object),
    })
    return out[MISS_COLUMNS].reset_index(drop=True)


def misses_by_cause(misses: pd.DataFrame) -> dict:
    """Count of misses per cause family (data, configuration, execution); unclassified are not counted."""
    cause = misses["cause"].fillna("").astype(str)
    cause = cause[cause != ""]
    fam = cause.str.split(".", n=1).str[0]
    return {f: int((fam == f).sum()) for f in CAUSE_FAMILIES}
