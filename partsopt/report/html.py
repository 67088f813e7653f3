"""HTML building blocks of the report: KPI tiles, tables, sections, the page (inline CSS, no JS).

Everything text goes through :func:`html.escape`; images are ``data:`` URIs,
so the page is one self-contained file that needs no network.
"""
from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass

import pandas as pd

#: a value within this relative distance of its target gets the amber (watch) colour
WARN_BAND = 0.05

CSS = """
*{box-sizing:border-box}
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;margin:0;background:#f4f5f7;color:#1d2329}
header{background:#1f5f99;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;font-size:13px;opacity:.9}
main{padding:18px 28px;max-width:1280px}
section{background:#fff;border-radius:6px;padding:14px 18px;margin:0 0 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h2{font-size:17px;margin:0 0 8px}
h3{font-size:14px;margin:10px 0 6px}
p.note{font-size:12px;color:#59616b;margin:4px 0 8px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(165px,1fr));gap:10px}
.tile{border-radius:6px;padding:10px 12px;border-left:6px solid #8a8f98;background:#f7f8fa}
.tile .label{font-size:12px;color:#59616b}
.tile .value{font-size:26px;font-weight:bold;margin:2px 0}
.tile .target{font-size:11px;color:#59616b}
.tile.good{border-left-color:#2e7d32;background:#edf7ee}
.tile.warn{border-left-color:#b26a00;background:#fff6e5}
.tile.bad{border-left-color:#b3261e;background:#fdeceb}
.scenario-tiles{margin-bottom:12px}
.scenario-tiles h3{margin:6px 0}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px}
img.chart{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;font-size:12px;width:100%}
th,td{padding:4px 8px;border-bottom:1px solid #e3e5e8;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f0f2f5;font-weight:600}
td.good{color:#2e7d32;font-weight:600}td.bad{color:#b3261e;font-weight:600}
footer{font-size:11px;color:#59616b;padding:0 28px 18px}
"""


@dataclass(frozen=True)
class Tile:
    """One KPI tile: label, formatted value, target text and status (good/warn/bad/info)."""

    kpi: str
    label: str
    value: str
    target: str
    status: str


def tile_status(value, target, higher_is_better: bool | None, band: float = WARN_BAND) -> str:
    """``good`` when the value meets its target, ``warn`` within ``band`` (relative) of it, ``bad`` beyond;
    ``info`` without a target or a direction; ``none`` when the value is missing.

    For a higher-is-better KPI: good ⇔ v ≥ t; warn ⇔ t(1 − band) ≤ v < t; bad otherwise.
    For a lower-is-better KPI: good ⇔ v ≤ t; warn ⇔ t < v ≤ t(1 + band); bad otherwise.
    """
    if not 0 <= band < 1:
        raise ValueError(f"band must be in [0, 1); received {band!r}.")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    if target is None or higher_is_better is None:
        return "info"
    v, t = float(value), float(target)
    if higher_is_better:
        return "good" if v >= t else "warn" if v >= t * (1 - band) else "bad"
    return "good" if v <= t else "warn" if v <= t * (1 + band) else "bad"


def fmt_value(kind: str, value) -> str:
    """Format a KPI value: ``pct`` (1 decimal), ``money`` (thousands separators), ``ratio`` (2 dec.), ``int``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = float(value)
    if kind == "pct":
        return f"{v:.1%}"
    if kind == "money":
        return f"{v:,.0f}"
    if kind == "int":
        return f"{v:,.0f}"
    if kind == "ratio":
        return f"{v:.2f}"
    raise ValueError(f"kind must be one of pct, money, int, ratio; received {kind!r}.")


def esc(text) -> str:
    return html.escape(str(text), quote=True)


def img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="chart" alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def tiles_html(tiles: list[Tile]) -> str:
    parts = ['<div class="tiles">']
    for t in tiles:
        parts.append(f'<div class="tile {esc(t.status)}" data-kpi="{esc(t.kpi)}" data-status="{esc(t.status)}">'
                     f'<div class="label">{esc(t.label)}</div><div class="value">{esc(t.value)}</div>'
                     f'<div class="target">{esc(t.target)}</div></div>')
    parts.append("</div>")
    return "".join(parts)


def table_html(frame: pd.DataFrame, formats: dict[str, str] | None = None, max_rows: int | None = None,
               css: dict[str, pd.Series] | None = None, table_id: str | None = None,
               right: tuple[str, ...] = ()) -> str:
    """A plain HTML table; ``formats`` maps a column to a :func:`fmt_value` kind, ``css`` to per-row classes;
    numeric and formatted columns (and those named in ``right``) are right-aligned."""
    formats = formats or {}
    css = css or {}
    shown = frame if max_rows is None else frame.head(max_rows)
    num = {c: (c in formats) or (c in right) or
           (pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]))
           for c in frame.columns}
    head = "".join(f'<th class="{"num" if num[c] else ""}">{esc(c)}</th>' for c in frame.columns)
    rows = []
    for i in range(len(shown)):
        cells = []
        for c in frame.columns:
            v = shown[c].iloc[i]
            text = fmt_value(formats[c], v) if c in formats else ("" if pd.isna(v) else
                                                                   f"{v:,.2f}" if isinstance(v, float) else str(v))
            cls = ["num"] if num[c] else []
            if c in css:
                cls.append(str(css[c].iloc[i]))
            cells.append(f'<td class="{" ".join(cls)}">{esc(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (f'<p class="note">{len(frame) - len(shown):,} more rows in the CSV file.</p>'
            if len(shown) < len(frame) else "")
    ident = f' id="{esc(table_id)}"' if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def section(title: str, body: str, note: str = "", ident: str | None = None) -> str:
    ident_attr = f' id="{esc(ident)}"' if ident else ""
    note_html = f'<p class="note">{esc(note)}</p>' if note else ""
    return f"<section{ident_attr}><h2>{esc(title)}</h2>{note_html}{body}</section>"


def page(title: str, subtitle: str, sections: list[str], footer: str = "") -> str:
    """The whole document: one HTML5 page with inline CSS and no scripts."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{esc(title)}</title><link rel=\"icon\" href=\"data:,\"><style>{CSS}</style></head><body>"
            f"<header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header><main>{''.join(sections)}</main>"
            f"<footer>{esc(footer)}</footer></body></html>\n")


__all__ = ["Tile", "tile_status", "fmt_value", "tiles_html", "table_html", "section", "page", "img", "esc"]
