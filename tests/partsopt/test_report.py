"""The HTML report builder: tile colours, cause tables, a self-contained page (no network, no scripts)."""
from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from partsopt.config import default_config
from partsopt.io import load
from partsopt.report import (cause_counts, kpi_targets, kpi_tiles, simulation_report, top_parts_by_cause,
                             whatif_report)
from partsopt.report.html import fmt_value, table_html, tile_status
from partsopt.whatif import replay_window, run_whatif
from report_data import write_network


@pytest.mark.parametrize("value,target,higher,status", [
    (0.96, 0.95, True, "good"), (0.95, 0.95, True, "good"), (0.91, 0.95, True, "warn"),
    (0.95 * 0.95, 0.95, True, "warn"), (0.90, 0.95, True, "bad"), (0.29, 0.30, True, "warn"),
    (100.0, 120.0, False, "good"), (125.0, 120.0, False, "warn"), (127.0, 120.0, False, "bad"),
    (3.0, None, None, "info"), (3.0, 1.0, None, "info"), (None, 0.95, True, "none"), (float("nan"), 0.9, True, "none"),
])
def test_tile_status(value, target, higher, status):
    assert tile_status(value, target, higher) == status


def test_tile_status_band_is_checked():
    assert tile_status(0.8, 0.95, True, band=0.2) == "warn"
    with pytest.raises(ValueError, match="band must be"):
        tile_status(0.9, 0.95, True, band=1.5)


def test_fmt_value():
    assert fmt_value("pct", 0.9634) == "96.3%"
    assert fmt_value("money", 2049611.03) == "2,049,611"
    assert fmt_value("ratio", 1.134) == "1.13"
    assert fmt_value("int", 38448.0) == "38,448"
    assert fmt_value("pct", None) == "–" and fmt_value("money", float("nan")) == "–"
    with pytest.raises(ValueError, match="kind must be"):
        fmt_value("euro", 1.0)


def test_targets_follow_the_scenario():
    cfg = default_config()
    cfg["service"].update(level=0.9, otd_target=0.97, normal_order_rate=0.8)
    t = kpi_targets(cfg)
    assert t["hit_rate"] == 0.9 and t["otd_rate"] == 0.97 and t["normal_order_rate"] == 0.8
    assert t["gross_margin"] == 0.30  # DESIGN.md §6, from the KPI registry
    assert kpi_targets(None)["normal_order_rate"] == 0.85


def test_tiles_by_hand():
    kpis = {"hit_rate": 0.93, "otd_rate": 0.99, "normal_order_rate": 0.70, "turnover": 2.5, "gross_margin": 0.31,
            "fill_rate": 0.9, "avg_inventory_value": 1000.0, "emergency_cost": 10.0, "obsolete_share": None}
    tiles = {t.kpi: t for t in kpi_tiles(kpis, kpi_targets(default_config()))}
    assert [tiles[k].status for k in ("hit_rate", "otd_rate", "normal_order_rate", "turnover", "gross_margin")] == \
        ["warn", "good", "bad", "info", "good"]
    assert tiles["hit_rate"].value == "93.0%" and tiles["hit_rate"].target == "target ≥ 95.0%"
    assert tiles["turnover"].target == "no target" and tiles["obsolete_share"].status == "none"


def _misses():
    return pd.DataFrame({
        "part": ["A", "A", "B", "C", "A", "B", "D", "E", "F", "G", "H"],
        "location": ["D1", "D2", "D1", "D1", "D1", "D2", "D1", "D1", "D1", "D1", "D1"],
        "qty": [1, 2, 1, 5, 1, 1, 1, 1, 1, 1, 1],
        "cause": ["execution.late_supply", "execution.late_supply", "configuration.not_stocked",
                  "execution.late_supply", "configuration.service_level", "execution.late_supply", "", "",
                  "configuration.service_level", "configuration.service_level", "configuration.service_level"]})


def test_cause_counts_against_a_plain_count():
    m = _misses()
    c = cause_counts(m)
    expected = {}
    for cause in m["cause"]:
        key = cause or "unclassified"
        expected[key] = expected.get(key, 0) + 1
    assert dict(zip(c["cause"], c["misses"])) == expected
    assert list(c["misses"]) == sorted(c["misses"], reverse=True)
    assert c["share"].sum() == pytest.approx(1.0)
    assert c.set_index("cause").loc["execution.late_supply", "family"] == "execution"


def test_top_parts_by_cause_against_a_plain_loop():
    m = _misses()
    top = top_parts_by_cause(m, n=2)
    for cause in set(m["cause"].replace("", "unclassified")):
        sub = m[m["cause"].replace("", "unclassified") == cause]
        counts = {}
        for p in sub["part"]:
            counts[p] = counts.get(p, 0) + 1
        want = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:2]
        got = top[top["cause"] == cause]
        assert list(zip(got["part"], got["misses"])) == want
    a = top[(top["cause"] == "execution.late_supply") & (top["part"] == "A")].iloc[0]
    assert a["units"] == 3 and a["locations"] == 2
    with pytest.raises(ValueError, match="n must be"):
        top_parts_by_cause(m, n=0)


def test_table_html_escapes_and_formats():
    t = table_html(pd.DataFrame({"location": ["<D1>"], "hit_rate": [0.5]}), {"hit_rate": "pct"})
    assert "&lt;D1&gt;" in t and "<D1>" not in t and "50.0%" in t


# ------------------------------------------------------------------ whole pages
@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    data = load(write_network(tmp_path_factory.mktemp("report") / "net"))
    start, end = replay_window(data)
    lean = default_config()
    lean["name"], lean["service"]["level"] = "lean <80%>", 0.80
    wi = run_whatif(data, [("base", default_config()), ("lean <80%>", lean)], start, end, levels=[0.8, 0.95])
    run = wi.runs[1]
    sim = simulation_report(run.result, run.config, curve=wi.curve,
                            planned=(run.planned_hit_rate, run.planned_inventory_value), run_id="simulate-x")
    return {"simulate": sim, "whatif": whatif_report(wi), "run": run, "whatif_result": wi}


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.srcs, self.classes = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = dict(attrs)
        for key in ("src", "href"):
            if key in a:
                self.srcs.append(a[key])
        if "class" in a:
            self.classes.append(a["class"])


def _parse(html: str) -> _Collector:
    c = _Collector()
    c.feed(html)
    return c


@pytest.mark.parametrize("which", ["simulate", "whatif"])
def test_pages_are_self_contained(pages, which):
    html = pages[which]
    c = _parse(html)
    assert "script" not in c.tags
    assert all(s.startswith("data:") for s in c.srcs), c.srcs  # no file or network references
    assert not re.search(r"https?://", html)
    for s in c.srcs:
        if s.startswith("data:image/png;base64,"):
            png = base64.b64decode(s.split(",", 1)[1])
            assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_simulation_page_content(pages):
    html, run = pages["simulate"], pages["run"]
    c = _parse(html)
    assert sum(1 for cl in c.classes if cl.startswith("tile ")) == 9
    assert sum(1 for s in c.srcs if s.startswith("data:image/png")) == 5
    k = run.result.kpis
    assert f"{k['hit_rate']:.1%}" in html and f"{k['lines']:,} demand lines" in html
    assert "lean &lt;80%&gt;" in html and "lean <80%>" not in html  # the scenario name is escaped
    for cause in set(run.result.misses["cause"]):
        assert cause in html
    for loc in ("CW", "RW", "D1", "D2", "D3"):
        assert f">{loc}<" in html
    assert "run simulate-x" in html


def test_whatif_page_content(pages):
    html, wi = pages["whatif"], pages["whatif_result"]
    c = _parse(html)
    assert sum(1 for cl in c.classes if cl.startswith("tile ")) == 18
    delta = wi.kpis.set_index("kpi").loc["hit_rate", "delta_lean <80%>"]
    assert f"{delta * 100:+.1f} pts" in html
    assert "seed 0" in html


def test_report_is_deterministic(pages):
    run = pages["run"]
    again = simulation_report(run.result, run.config, curve=pages["whatif_result"].curve,
                              planned=(run.planned_hit_rate, run.planned_inventory_value), run_id="simulate-x")
    assert again == pages["simulate"]


def test_report_without_misses_or_curve(pages):
    run = pages["run"]
    res = run.result
    empty = res.misses.iloc[0:0]
    import dataclasses
    html = simulation_report(dataclasses.replace(res, misses=empty), None)
    assert "No missed lines" in html
    assert np.isfinite(res.kpis["hit_rate"])
