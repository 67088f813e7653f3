"""The three demo network sizes and the constants of the generating model.

Every tunable number of the demo generator lives here, so that the model the
module docstring of :mod:`partsopt.demo` describes can be read in one place.
"""
from __future__ import annotations

from dataclasses import dataclass

#: Length of the generated repair history [weeks]; 110 weeks = 770 days (2.1 years).
HISTORY_WEEKS = 110

#: Syntetos-Boylan-Croston classes of the part families, in code order 0..3.
CLASS_NAMES = ("smooth", "erratic", "intermittent", "lumpy")
#: Target share of each class among part families (exact up to rounding).
CLASS_SHARES = (0.15, 0.15, 0.40, 0.30)
#: Network-level demand-event rate of a family [events/week], log-uniform in
#: [low, high], per class.  Fast classes (smooth, erratic) are multiplied by
#: ``(n_dealers / 20) ** FAST_RATE_EXPONENT`` so that bigger networks sell more
#: of their fast movers; slow classes stay below ~1 event/week so that their
#: weekly network series stay intermittent (ADI > 1.32).
CLASS_RATE_RANGE = ((4.0, 25.0), (2.5, 8.0), (0.12, 0.8), (0.12, 0.8))
FAST_RATE_EXPONENT = 0.0

#: Lifecycle of regular (non-chain) families: share of new and of dying ones.
NEW_SHARE = 0.05
DYING_SHARE = 0.07
#: Share of families that are supersession chains (2 or 3 part numbers).
CHAIN_SHARE = 0.035
#: New parts are introduced in this window of weeks before the end.
NEW_INTRO_WEEKS_BEFORE_END = (4, 26)

#: Dealer size classes: share of dealers and vehicles in the field [vehicles].
DEALER_SIZES = ("small", "medium", "large")
DEALER_SIZE_SHARES = (0.4, 0.4, 0.2)
DEALER_VEHICLES = (500, 1500, 4000)

#: Planted defects (the ground truth of the miss taxonomy).
SHORT_LEAD_TIME_SHARE = 0.04      # parts whose master lead time is far too short
SHORT_LEAD_TIME_FACTOR = (2.5, 4.0)  # real mean / master lead time
UNLINKED_CHAIN_SHARE = 0.35       # supersession links missing in the part master
LATE_DEALER_SHARE = 0.10          # dealers whose deliveries run late
LATE_DEALER_EXTRA_DAYS = (2.0, 5.0)  # mean extra days per delivery at those dealers

#: Legacy min/max policy the network used (it produces the receipts history).
DEALER_STOCK_MIN_EVENTS = 1.0     # a dealer stocks a part from this many demand events a year
REGIONAL_STOCK_MIN_EVENTS = 1.0
CENTRAL_STOCK_MIN_EVENTS = 0.25
PLANNER_LAG_WEEKS = 13            # the planners' rate estimate lags declines by a quarter
LEVEL_REVISION_WEEKS = 4          # the planners revise min/max every 4 weeks

#: Target parts gross margin (mean of the per-part margin).
MARGIN_MEAN = 0.30
MARGIN_SD = 0.05


@dataclass(frozen=True)
class DemoSize:
    """One demo network size.

    name : str
        ``"small"``, ``"medium"`` or ``"large"``.
    n_dealers, n_parts, n_regionals, n_models : int
        Network shape: dealers, part numbers in the catalogue, regional
        warehouses (under the one central warehouse ``CW``) and vehicle models.
    default_format : str
        ``"csv"`` or ``"parquet"``: the file format :func:`write_demo` uses.
    """

    name: str
    n_dealers: int
    n_parts: int
    n_regionals: int
    n_models: int
    default_format: str


SIZES = {
    "small": DemoSize("small", 20, 300, 2, 6, "csv"),
    "medium": DemoSize("medium", 100, 2_000, 3, 12, "csv"),
    "large": DemoSize("large", 500, 20_000, 3, 30, "parquet"),
}


def get_size(size: str) -> DemoSize:
    """Return the :class:`DemoSize` called ``size``; ValueError names the valid ones."""
    if not isinstance(size, str) or size not in SIZES:
        raise ValueError(
            f"size must be one of {', '.join(repr(s) for s in SIZES)}; received {size!r}"
        )
    return SIZES[size]
