"""The simulation and what-if reports: one self-contained HTML file each (an edge module).

:func:`simulation_report` turns a replay (:class:`partsopt.simulate.SimulationResult`,
ideally with root causes attributed) into a page a parts manager can read:

1. **KPI tiles** against their targets — hit rate (target: the scenario's
   ``service.level``), on-time delivery (``service.otd_target``), normal-order
   rate (``service.normal_order_rate``, ≥ 85 % by default), turnover (no
   target), parts gross margin (≥ 30 %), with fill rate, average stock value,
   emergency cost and obsolete share beside them.  Colours: green meets the
   target, amber within 5 % (relative) of it, red beyond
   (:func:`partsopt.report.html.tile_status`), grey without a target.
2. **Hit rate over time** (per week) with the target line.
3. **Pareto of miss causes** (DESIGN.md §7) with the top parts of each cause.
4. **Inventory value over time** (end of day, at cost).
5. **Cost–availability**: network hit rate against inventory value — the
   planned service-level sweep when one is given
   (:func:`partsopt.whatif.cost_availability_curve`), the run's simulated
   point (and its plan's expected point); beside it the locations as a
   scatter (hit rate against their average stock value).
6. **Table by location**.

:func:`whatif_report` shows the same tiles per scenario, the KPI table side by
side with the deltas, and the curve with every scenario marked.
"""
from __future__ import annotations

import pandas as pd

from partsopt.report import figures
from partsopt.report.html import Tile, esc, fmt_value, img, page, section, table_html, tile_status, tiles_html
from partsopt.simulate import KPIS

#: (kpi, label, format) of the tiles, in order
TILE_KPIS = (("hit_rate", "Hit rate", "pct"), ("otd_rate", "On-time delivery", "pct"),
             ("normal_order_rate", "Normal-order rate", "pct"), ("turnover", "Inventory turnover", "ratio"),
             ("gross_margin", "Parts gross margin", "pct"), ("fill_rate", "Fill rate", "pct"),
             ("avg_inventory_value", "Average stock value", "money"), ("emergency_cost", "Emergency cost", "money"),
             ("obsolete_share", "Obsolete stock share", "pct"))
KPI_FORMAT = {k: f for k, _, f in TILE_KPIS} | {"holding_cost": "money", "lines": "int", "misses": "int",
                                                "misses_data": "int", "misses_configuration": "int",
                                                "misses_execution": "int", "planned_hit_rate": "pct",
                                                "planned_inventory_value": "money"}


def kpi_targets(config: dict | None) -> dict[str, float]:
    """Targets of the tiles: the scenario's service, on-time and normal-order levels, the registry's others."""
    out = {k: v.target for k, v in KPIS.items() if v.target is not None}
    if config:
        service = config.get("service", {})
        for kpi, key in (("hit_rate", "level"), ("otd_rate", "otd_target"), ("normal_order_rate", "normal_order_rate")):
            if service.get(key) is not None:
                out[kpi] = float(service[key])
    return out


def kpi_tiles(kpis: dict, targets: dict[str, float]) -> list[Tile]:
    """The tiles of one run's ``kpis.json`` dict."""
    tiles = []
    for kpi, label, kind in TILE_KPIS:
        value = kpis.get(kpi)
        target = targets.get(kpi)
        better = KPIS[kpi].higher_is_better
        if target is None:
            ttext = "no target"
        else:
            ttext = f"target {'≥' if better else '≤'} {fmt_value(kind, target)}"
        tiles.append(Tile(kpi, label, fmt_value(kind, value), ttext, tile_status(value, target, better)))
    return tiles


def cause_counts(misses: pd.DataFrame) -> pd.DataFrame:
    """Missed lines per cause (``cause``, ``family``, ``misses``, ``share``), most frequent first."""
    cause = misses["cause"].fillna("").astype(str).replace("", "unclassified")
    c = cause.value_counts(sort=False).rename_axis("cause").reset_index(name="misses")
    c = c.sort_values(["misses", "cause"], ascending=[False, True], kind="stable").reset_index(drop=True)
    c.insert(1, "family", c["cause"].str.split(".", n=1).str[0])
    c["share"] = c["misses"] / max(int(c["misses"].sum()), 1)
    return c


def top_parts_by_cause(misses: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The ``n`` parts with most missed lines under each cause (cause, part, misses, units, locations)."""
    if n < 1:
        raise ValueError(f"n must be >= 1; received {n!r}.")
    m = misses.assign(cause=misses["cause"].fillna("").astype(str).replace("", "unclassified"),
                      part=misses["part"].astype(str), location=misses["location"].astype(str))
    g = m.groupby(["cause", "part"], sort=True).agg(misses=("qty", "size"), units=("qty", "sum"),
                                                    locations=("location", "nunique")).reset_index()
    g = g.sort_values(["cause", "misses", "part"], ascending=[True, False, True], kind="stable")
    return g.groupby("cause", sort=False).head(n).reset_index(drop=True)


def _location_table(by_loc: pd.DataFrame) -> str:
    cols = ["location", "lines", "misses", "hit_rate", "fill_rate", "otd_rate", "normal_order_rate", "turnover",
            "avg_inventory_value", "emergency_cost", "gross_margin"]
    t = by_loc[[c for c in cols if c in by_loc]].copy()
    t["location"] = t["location"].astype(str)
    fmts = {c: KPI_FORMAT.get(c, "ratio") for c in t.columns if c != "location"}
    return table_html(t, fmts, table_id="by-location")


def simulation_report(result, config: dict | None = None, *, title: str = "partsopt replay report",
                      curve: pd.DataFrame | None = None, planned: tuple[float, float] | None = None,
                      run_id: str = "") -> str:
    """The replay report (module docstring) as one HTML string.

    result   a :class:`~partsopt.simulate.SimulationResult` (root causes attributed or not)
    config   the resolved scenario (targets, name)
    curve    optional planned cost–availability sweep (level, expected_hit_rate, inventory_value)
    planned  optional (expected hit rate, expected inventory value) of the replayed plan
    """
    targets = kpi_targets(config)
    k = result.kpis
    start, end = result.info.get("start"), result.info.get("end")
    name = (config or {}).get("name", "")
    subtitle = (f"Replay {pd.Timestamp(start).date()} – {pd.Timestamp(end).date()}"
                f"{f' · scenario {name}' if name else ''} · {k.get('lines', 0):,} demand lines, "
                f"{k.get('misses', 0):,} missed{f' · run {run_id}' if run_id else ''}")
    sections = [section("KPIs against their targets", tiles_html(kpi_tiles(k, targets)),
                        "Green meets the target, amber is within 5 % of it, red is further away, grey has no target. "
                        "Hit rate counts only lines filled in full at once from the requesting location's stock; "
                        "an emergency delivery is a miss even when on time.", ident="kpis")]
    weekly = result.hit_rate_by_period("W")
    charts = [section("Hit rate over time", img(figures.hit_rate_over_time(weekly, targets.get("hit_rate")),
                                                "hit rate per week"), "Per calendar week.", ident="hit-rate"),
              section("Inventory value over time", img(figures.inventory_over_time(result.daily),
                                                       "inventory value per day"),
                      "Stock on hand at cost at the end of each day, all locations.", ident="inventory")]
    sections.append('<div class="grid">' + "".join(charts) + "</div>")
    sections.append(_causes_section(result.misses))
    points = pd.DataFrame({"scenario": [name or "this run"], "simulated_hit_rate": [k.get("hit_rate")],
                           "simulated_inventory_value": [k.get("avg_inventory_value")],
                           "planned_hit_rate": [planned[0] if planned else float("nan")],
                           "planned_inventory_value": [planned[1] if planned else float("nan")]})
    points = points.astype({c: float for c in points.columns if c != "scenario"})
    note = "Network hit rate against the average value of stock at cost: the filled dot is this replay"
    note += "; the hollow dot is what its plan expected." if planned else "."
    if curve is not None and len(curve):
        note += " The grey line is the planned trade-off for other service levels (labels)."
    else:
        note += " (Run 'partsopt simulate --curve 0.9,0.95,0.98' for the planned curve.)"
    cost = [section("Cost and availability", img(figures.cost_availability(curve, points, targets.get("hit_rate")),
                                                 "cost-availability curve"), note, ident="cost-availability"),
            section("Cost and availability by location",
                    img(figures.locations_scatter(result.kpis_by_location, targets.get("hit_rate")),
                        "hit rate against stock value by location"),
                    "Each dot is a location with customers (area: demand lines). High and left is good; low and "
                    "right holds much stock that does not serve the demand.", ident="locations-chart")]
    sections.append('<div class="grid">' + "".join(cost) + "</div>")
    sections.append(section("By location", _location_table(result.kpis_by_location),
                            "Locations without customer lines (warehouses) show only their orders and stock.",
                            ident="locations"))
    return page(title, subtitle, sections, footer="partsopt · KPI definitions: docs/DESIGN.md §6 · "
                                                  "root causes: §7 · this page needs no network access.")


def _causes_section(misses: pd.DataFrame) -> str:
    if not len(misses):
        return section("Misses by root cause", "<p>No missed lines in this replay.</p>", ident="causes")
    counts = cause_counts(misses)
    top = top_parts_by_cause(misses)
    body = img(figures.miss_pareto(counts), "Pareto of miss causes")
    body += table_html(counts, {"misses": "int", "share": "pct"}, table_id="causes-table")
    body += "<h3>Parts with the most misses, per cause</h3>"
    body += table_html(top, {"misses": "int", "units": "int", "locations": "int"}, table_id="top-parts")
    note = ("execution: late supply (a hit had orders arrived on their planned lead time); data: a hit with "
            "the true master data; configuration: not stocked, within the chosen target, or a target / "
            "review cycle too low for the demand. Fix the biggest bars first.")
    return section("Misses by root cause", body, note, ident="causes")


def whatif_report(whatif, *, title: str = "partsopt what-if report", run_id: str = "") -> str:
    """The what-if page: tiles per scenario, KPIs side by side with deltas, the curve with the scenarios."""
    runs = whatif.runs
    targets = kpi_targets(runs[0].config)
    subtitle = (f"{len(runs)} scenarios replayed {whatif.start.date()} – {whatif.end.date()} over the same demand "
                f"and the same lead-time draws (seed {whatif.seed}){f' · run {run_id}' if run_id else ''}")
    blocks = []
    for r in runs:
        blocks.append(f'<div class="scenario-tiles" data-scenario="{_e(r.name)}"><h3>{_e(r.name)}</h3>'
                      + tiles_html(kpi_tiles(r.result.kpis, kpi_targets(r.config))) + "</div>")
    sections = [section("KPIs per scenario", "".join(blocks),
                        "Each scenario's tiles are coloured against its own targets.", ident="kpis")]
    table = whatif.kpis
    kinds = table["kpi"].map(lambda x: KPI_FORMAT.get(x, "ratio")).to_numpy()
    shown = pd.DataFrame({"kpi": table["kpi"], "better": table["better"]})
    css = {}
    for c in table.columns[2:]:
        vals = table[c].to_numpy(float)
        if c.startswith("delta_"):
            shown[c] = [_delta_text(v, kind) for v, kind in zip(vals, kinds)]
            css[c] = pd.Series([_delta_class(v, b) for v, b in zip(vals, table["better"])])
        else:
            shown[c] = [fmt_value(kind, v) for v, kind in zip(vals, kinds)]
    sections.append(section("Side by side", table_html(shown, css=css, table_id="whatif-kpis",
                                                       right=tuple(shown.columns[2:])),
                            "delta = scenario − first scenario; rates in percentage points. Green: better, red: worse.",
                            ident="side-by-side"))
    sections.append(section("Cost–availability curve", img(figures.cost_availability(
        whatif.curve, whatif.points(), targets.get("hit_rate")), "cost-availability curve with scenarios"),
        f"The grey line is the planned trade-off of scenario '{runs[0].name}' for a sweep of service levels: "
        "expected network hit rate (demand-weighted) against expected stock value at cost. Hollow dots: what "
        "each scenario's plan expects; filled dots: what its replay achieved.", ident="cost-availability"))
    if len(whatif.curve):
        sections.append(section("The curve's points", table_html(
            whatif.curve, {"level": "pct", "expected_hit_rate": "pct", "inventory_value": "money", "stocked": "int"},
            table_id="curve-table")))
    return page(title, subtitle, sections, footer="partsopt · KPI definitions: docs/DESIGN.md §6 · "
                                                  "this page needs no network access.")


def _delta_text(v: float, kind: str) -> str:
    """A delta against the first scenario: rates in percentage points, others in their unit, signed."""
    if pd.isna(v):
        return "–"
    if kind == "pct":
        return f"{v * 100:+.1f} pts"
    text = fmt_value(kind, abs(v))
    return ("+" if v > 0 else "−" if v < 0 else "±") + text


def _delta_class(v: float, better: str) -> str:
    if pd.isna(v) or v == 0 or better not in ("higher", "lower"):
        return ""
    return "good" if (v > 0) == (better == "higher") else "bad"


def _e(text) -> str:
    return esc(text)


__all__ = ["simulation_report", "whatif_report", "kpi_tiles", "kpi_targets", "cause_counts", "top_parts_by_cause",
           "TILE_KPIS"]
