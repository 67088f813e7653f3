"""Scoring miss root causes against the demo network's planted defects (DESIGN.md §7).

The demo generator (:mod:`partsopt.demo`) plants defects of the three families
and records them in ``truth["planted_defects"]`` (defect, cause, part,
location, detail).  This module turns each planted defect into a *footprint*
(the part-locations whose misses it can cause) and scores an attribution — the
``misses`` table with a ``cause`` column ``family.detail`` from
:func:`partsopt.simulate.attribute_causes` or :func:`partsopt.diagnose.diagnose`
— against them.

Footprints
----------
=============================  ==========================================================
defect                          part-locations it covers
=============================  ==========================================================
master_lead_time_short (CW)     the part at every location (the short lead time sets the
                                whole echelon's policy)
supersession_not_linked         the old part and its true successor at every location
                                (the successor has no history: the missing link)
dealer_late_deliveries          every part at the dealer
not_stocked_but_sells,          the one part-location
max_override_below_need
=============================  ==========================================================

Definitions (miss-level precision, defect-level recall)
-------------------------------------------------------
* a miss *is explained by family F* when it falls in the footprint of at least
  one planted defect of family F;
* **precision(F)** = misses attributed to F that are explained by F ÷ misses
  attributed to F  (miss level; undefined — NaN — when nothing is attributed to F);
* a planted defect is *active* when it is effective (a data defect must change
  the plan, see :func:`score_attribution`) and at least one miss falls in its
  footprint;
  it is **found** when the share of its footprint's misses attributed to its
  own family is at least ``found_share`` (default 0.5: "mostly");
* **recall(F)** = found active defects of family F ÷ active defects of family F
  (defect level; NaN when no defect of F is active);
* **recall_by_lift(F)**: the same with "found" = the footprint's share of
  family F is at least half or at least ``lift`` times the share of F among
  misses outside every footprint of F (meaningful for the rare families, data
  and execution; configuration is the default family, its baseline is high).

Misses outside every footprint are the network's ordinary misses (random
demand against a finite target): they count against the precision of the
family they are attributed to, which is why :func:`score_attribution` also
reports precision without ``configuration.within_target`` (a miss the chosen
target allows is not a defect).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

FAMILIES = ("data", "configuration", "execution")

#: planted defect -> which key of a miss its footprint matches
_FOOTPRINT = {
    "master_lead_time_short": "part",
    "supersession_not_linked": "part",
    "dealer_late_deliveries": "location",
    "not_stocked_but_sells": "part_location",
    "max_override_below_need": "part_location",
}


def family_of(cause) -> np.ndarray:
    """The family (text before the first dot) of each ``family.detail`` cause code."""
    s = pd.Series(np.asarray(cause, dtype=object)).fillna("").astype(str)
    return s.str.split(".", n=1).str[0].to_numpy(object)


def defect_footprints(planted: pd.DataFrame, parts_true: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (planted defect, key it matches): defect_id, defect, family, match, part, location.

    ``match`` is ``part`` (the part anywhere), ``location`` (any part there) or
    ``part_location``.  An unlinked supersession also matches its true successor
    (from ``parts_true.superseded_by``; required when such defects exist).
    """
    need = {"defect", "cause", "part", "location"}
    if not isinstance(planted, pd.DataFrame) or not need <= set(planted.columns):
        raise ValueError(f"planted must be a DataFrame with columns {sorted(need)}; received "
                         f"{type(planted).__name__} with {list(getattr(planted, 'columns', []))}.")
    unknown = sorted(set(planted["defect"]) - set(_FOOTPRINT))
    if unknown:
        raise ValueError(f"planted.defect must be one of {sorted(_FOOTPRINT)}; received {unknown}.")
    fp = planted[["defect", "part", "location"]].astype(str).reset_index(drop=True)
    fp.insert(0, "defect_id", np.arange(len(fp)))
    fp["family"] = family_of(planted["cause"].to_numpy())
    fp["match"] = fp["defect"].map(_FOOTPRINT)
    ss = fp[fp["defect"] == "supersession_not_linked"]
    if len(ss):
        if parts_true is None or not {"part", "superseded_by"} <= set(parts_true.columns):
            raise ValueError("parts_true with columns part, superseded_by is needed to find the successors of "
                             f"{len(ss)} unlinked supersession defect(s); received "
                             f"{None if parts_true is None else list(parts_true.columns)}.")
        succ = parts_true.set_index(parts_true["part"].astype(str))["superseded_by"].astype(str)
        extra = ss.assign(part=ss["part"].map(succ).fillna("").to_numpy())
        fp = pd.concat([fp, extra[extra["part"] != ""]], ignore_index=True)
    return fp[["defect_id", "defect", "family", "match", "part", "location"]]


def _explained(misses: pd.DataFrame, fp: pd.DataFrame) -> pd.DataFrame:
    """Pairs (miss row number, defect_id, family) of every miss inside a footprint (three merges)."""
    m = pd.DataFrame({"row": np.arange(len(misses)), "part": misses["part"].astype(str).to_numpy(),
                      "location": misses["location"].astype(str).to_numpy()})
    out = []
    for match, on in (("part", ["part"]), ("location", ["location"]), ("part_location", ["part", "location"])):
        f = fp.loc[fp["match"] == match, ["defect_id", "family"] + on]
        if len(f):
            out.append(m.merge(f, on=on)[["row", "defect_id", "family"]])
    if not out:
        return pd.DataFrame({"row": pd.Series([], dtype=np.int64), "defect_id": pd.Series([], dtype=np.int64),
                             "family": pd.Series([], dtype=object)})
    return pd.concat(out, ignore_index=True).drop_duplicates()


def score_attribution(misses: pd.DataFrame, planted: pd.DataFrame, parts_true: pd.DataFrame | None = None, *,
                      found_share: float = 0.5, lift: float = 3.0, policies: pd.DataFrame | None = None,
                      true_policies: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Precision and recall per family of an attribution (see the module docstring).

    Returns ``(by_family, by_defect)``:

    by_family  index family (data, configuration, execution); columns
               attributed (misses), attributed_explained, precision,
               precision_excl_within_target, defects (planted), active, found, recall
    by_defect  one row per planted defect: defect_id, defect, family, part,
               location, effective, misses (in its footprint), own_family (of
               them attributed to its family), share, baseline_share, lift,
               found, found_by_lift

    ``policies`` and ``true_policies`` (part, location, reorder_point,
    order_up_to), when both given, decide whether a *data* defect is
    ``effective``: the policies differ on at least one part-location of its
    footprint.  A data defect the planner already corrects (e.g. a short master
    lead time replaced by the receipts' lead time) changes nothing, causes no
    miss, and is left out of ``active`` (recall counts defects "that cause
    misses at all").  Without them every defect is effective.

    ``baseline_share`` is the share of family-F misses among the misses outside
    every footprint of F; ``lift`` = share ÷ baseline_share.  ``recall_by_lift``
    counts a defect found when it is found or its lift is at least ``lift`` (an
    own-family share above a zero baseline counts) — the fair test for
    a location-wide defect (a late dealer), whose footprint also holds the
    dealer's ordinary misses, so "mostly" is out of reach.
    """
    if not isinstance(misses, pd.DataFrame) or not {"part", "location", "cause"} <= set(misses.columns):
        raise ValueError("misses must be a DataFrame with columns part, location, cause (an attribution); "
                         f"received {type(misses).__name__} with {list(getattr(misses, 'columns', []))}.")
    if not (0.0 < float(found_share) <= 1.0):
        raise ValueError(f"found_share must be in (0, 1]; received {found_share!r}.")
    if not float(lift) > 0:
        raise ValueError(f"lift must be > 0; received {lift!r}.")
    fp = defect_footprints(planted, parts_true)
    fam = family_of(misses["cause"].to_numpy())
    within = misses["cause"].astype(str).to_numpy() == "configuration.within_target"
    pairs = _explained(misses, fp)
    pairs["attributed"] = fam[pairs["row"].to_numpy()]

    rows = {}
    for f in FAMILIES:
        attributed = fam == f
        expl = np.zeros(len(misses), bool)
        expl[pairs.loc[pairs["family"] == f, "row"].to_numpy()] = True
        n_att, n_ok = int(attributed.sum()), int((attributed & expl).sum())
        keep = attributed & ~within
        n_att2, n_ok2 = int(keep.sum()), int((keep & expl).sum())
        rows[f] = {"attributed": n_att, "attributed_explained": n_ok,
                   "precision": n_ok / n_att if n_att else np.nan,
                   "precision_excl_within_target": n_ok2 / n_att2 if n_att2 else np.nan}

    per = pairs.drop_duplicates(["row", "defect_id"])
    per = per.assign(own=per["attributed"].to_numpy() == per["family"].to_numpy())
    cnt = per.groupby("defect_id").agg(misses=("row", "size"), own_family=("own", "sum"))
    base = fp.drop_duplicates("defect_id").set_index("defect_id")
    by_defect = planted.reset_index(drop=True)[["defect", "part", "location"]].astype(str).copy()
    by_defect.insert(0, "defect_id", np.arange(len(by_defect)))
    by_defect["family"] = base["family"].reindex(by_defect["defect_id"]).to_numpy()
    by_defect["misses"] = cnt["misses"].reindex(by_defect["defect_id"]).fillna(0).astype(np.int64).to_numpy()
    by_defect["own_family"] = cnt["own_family"].reindex(by_defect["defect_id"]).fillna(0).astype(np.int64).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        by_defect["share"] = np.where(by_defect["misses"] > 0, by_defect["own_family"] / by_defect["misses"], np.nan)
    by_defect.insert(6, "effective", _effective(fp, policies, true_policies).reindex(by_defect["defect_id"]).to_numpy())
    active = by_defect["effective"].to_numpy(bool) & (by_defect["misses"] > 0)
    base_share = {}
    for f in FAMILIES:
        inside = np.zeros(len(misses), bool)
        inside[pairs.loc[pairs["family"] == f, "row"].to_numpy()] = True
        out = ~inside
        base_share[f] = float((fam[out] == f).mean()) if out.any() else np.nan
    by_defect["baseline_share"] = by_defect["family"].map(base_share).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        by_defect["lift"] = by_defect["share"] / by_defect["baseline_share"]
    by_defect["found"] = active & (by_defect["share"].fillna(0) >= found_share)
    by_defect["found_by_lift"] = by_defect["found"] | (active & (by_defect["share"].fillna(0) > 0) & (
        by_defect["lift"].replace(np.nan, np.inf) >= lift))

    for f in FAMILIES:
        is_f = (by_defect["family"] == f).to_numpy()
        n_active = int((active & is_f).sum())
        found = int(by_defect.loc[is_f, "found"].sum())
        found_l = int(by_defect.loc[is_f, "found_by_lift"].sum())
        rows[f].update({"defects": int(is_f.sum()), "active": n_active, "found": found,
                        "recall": found / n_active if n_active else np.nan,
                        "recall_by_lift": found_l / n_active if n_active else np.nan})
    by_family = pd.DataFrame.from_dict(rows, orient="index")
    by_family.index.name = "family"
    return by_family, by_defect


def _effective(fp: pd.DataFrame, policies, true_policies) -> pd.Series:
    """Per defect_id: False for a data defect whose footprint has the same policy in both plans."""
    ids = np.unique(fp["defect_id"].to_numpy())
    eff = pd.Series(True, index=ids)
    if policies is None or true_policies is None:
        return eff
    cols = ["part", "location", "reorder_point", "order_up_to"]
    for name, p in (("policies", policies), ("true_policies", true_policies)):
        if not isinstance(p, pd.DataFrame) or not set(cols) <= set(p.columns):
            raise ValueError(f"{name} must be a DataFrame with columns {cols}; received "
                             f"{type(p).__name__} with {list(getattr(p, 'columns', []))}.")
    a = policies[cols].astype({"part": str, "location": str})
    b = true_policies[cols].astype({"part": str, "location": str})
    d = a.merge(b, on=["part", "location"], how="outer", suffixes=("_a", "_b"))
    diff = ~(np.isclose(d["reorder_point_a"], d["reorder_point_b"]) & np.isclose(d["order_up_to_a"], d["order_up_to_b"]))
    changed = d.loc[diff, ["part", "location"]]
    data = fp[fp["family"] == "data"]
    hit = []
    for match, on in (("part", ["part"]), ("location", ["location"]), ("part_location", ["part", "location"])):
        f = data.loc[data["match"] == match, ["defect_id"] + on]
        if len(f):
            hit.append(f.merge(changed.drop_duplicates(on), on=on)["defect_id"])
    changed_ids = set(pd.concat(hit).tolist()) if hit else set()
    eff.loc[np.unique(data["defect_id"].to_numpy())] = False
    eff.loc[sorted(changed_ids)] = True
    return eff


def true_tables(demo) -> dict:
    """The demo's input tables with the part master replaced by the true one (real lead times,
    linked supersessions); the other tables — configuration (items) included — unchanged."""
    tables = dict(demo.tables())
    cols = list(tables["parts"].columns)
    tables["parts"] = demo.truth["parts_true"][cols].copy()
    return tables


def attribute_demo(demo, *, weeks: int = 26, seed: int = 0, config: dict | None = None):
    """Plan on the demo history ``weeks`` weeks before its as-of, replay those weeks, attribute the misses.

    The actual policies are planned on the demo's tables, the true-data policies
    on :func:`true_tables` with the same config and as-of
    (:func:`partsopt.pipeline.plan`); both replays use the same ``seed`` so they
    share the lead-time draws.  Returns ``(dataset, result, policies, true_policies)``, ``result`` the
    :class:`~partsopt.simulate.SimulationResult` with causes, ``policies`` and
    ``true_policies`` the two plans (for :func:`score_attribution`).
    """
    from partsopt.pipeline import plan
    from partsopt.simulate import attribute_causes, simulate
    from partsopt.validate import validate_tables

    if isinstance(weeks, (bool, np.bool_)) or not isinstance(weeks, (int, np.integer)) or not 1 <= weeks <= 104:
        raise ValueError(f"weeks must be an integer in 1..104; received {weeks!r}.")
    ds = validate_tables(demo.tables())
    ds_true = validate_tables(true_tables(demo))
    start = pd.Timestamp(demo.as_of) - pd.Timedelta(weeks=int(weeks))
    end = pd.Timestamp(demo.as_of) - pd.Timedelta(days=1)
    pol = plan(ds, start, config).policies
    tpol = plan(ds_true, start, config).policies
    res = simulate(ds, pol, start, end, seed=seed, config=config)
    out = attribute_causes(ds, pol, start, end, res, true_policies=tpol, seed=seed, config=config)
    return ds, out, pol, tpol
