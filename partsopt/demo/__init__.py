"""The seeded demo dealer network: realistic after-sales data, generated locally.

``generate(size, seed)`` returns a :class:`DemoNetwork` (one DataFrame per input
table of DESIGN.md §4 plus the ground truth); ``write_demo(out_dir, size, seed)``
writes it as a dataset folder (CSV for small/medium, Parquet for large) with the
ground truth in ``<out>/ground_truth/``.  Same seed, same bytes.  Nothing is
downloaded.

Sizes (:data:`SIZES`, defined in :mod:`partsopt.demo.sizes`)::

    small    20 dealers x    300 parts, 2 regionals,  6 models  (tests, README)
    medium  100 dealers x  2,000 parts, 3 regionals, 12 models
    large   500 dealers x 20,000 parts, 3 regionals, 30 models  (benchmarks)

Generating model
----------------
1. **Network** (:mod:`.network`): ``CW`` -> ``RW-N``/``RW-S``(/``RW-E``) ->
   dealers ``D001``..., each dealer under one regional.  Dealer size
   small/medium/large (40/40/20 %) sets its vehicles in the field (500/1500/4000,
   log-normal noise); the installed base is ``Poisson(vehicles x regional model
   mix)`` per dealer and model; a per-dealer *capture* factor (log-normal) is the
   noise between installed base and workshop demand.
2. **Catalogue** (:mod:`.catalogue`): part *families* (one demand process each),
   3.5 % of them supersession chains of 2-3 part numbers.  Each family draws a
   Syntetos-Boylan-Croston class with shares smooth/erratic/intermittent/lumpy =
   15/15/40/30 %, a network event rate by class, a lifecycle (5 % new parts
   introduced 4-26 weeks before the end, 7 % dying parts fading out
   exponentially, the rest stable, all with mild seasonality) and the vehicle
   models it fits with a failure rate per model scaled so that installed base x
   failure rate x capture adds up to the family's rate (``bom`` table).  Part
   master: unit cost (log-normal), price from a ~30 % gross margin, true
   supplier lead times (domestic ~8 d / import ~40 d with a per-order spread),
   pack sizes, criticality.
3. **Demand** (:mod:`.demand`): weekly Poisson event counts per family with a
   class-specific size distribution (erratic adds a weekly size shock), each
   event placed at a dealer in proportion to its installed-base-driven rate, on a
   weekday, as the part number of the chain active that week; promised date
   same day (walk-in, 60 %) or 1-3 days later (scheduled job).  2.1 years
   (:data:`sizes.HISTORY_WEEKS` = 110 weeks) before ``as_of``.
4. **History** (:mod:`.replenishment`): the legacy min/max policy the network
   used, replayed week by week over all part-locations at once: normal orders
   on Monday (review cycle 7 days), emergency orders for demand that stock
   cannot cover and for parts a dealer does not stock; real lead times =
   planned x the planted lateness; the receipts history and the inventory
   snapshot at ``as_of`` follow from it.
5. **Planted defects** (recorded in ``truth["planted_defects"]``): parts whose
   master lead time is 2.5-4x shorter than the real one (data), supersessions
   not linked in the part master (data), dealers whose deliveries run late
   (execution), and part-dealers set not stocked or capped far below need in
   ``items`` (configuration).  ``truth["parts_true"]`` has the true part master.

Everything is vectorised with numpy: loops run over weeks (or chain ranks,
three steps), never over parts or part-locations.
"""
from .generator import TABLES, TRUTH_TABLES, DemoNetwork, generate
from .sizes import SIZES, DemoSize
from .writer import GROUND_TRUTH_DIR, write_demo

__all__ = ["DemoNetwork", "DemoSize", "GROUND_TRUTH_DIR", "SIZES", "TABLES", "TRUTH_TABLES",
           "generate", "write_demo"]
