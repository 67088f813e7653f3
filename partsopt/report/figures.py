"""The report's charts: matplotlib (Agg backend, no display) rendered to PNG bytes.

Every function takes plain DataFrames and returns PNG bytes; the page builder
embeds them as base64 ``data:`` URIs, so the report needs no network and no
files beside it.  PNG metadata (software, creation time) is left out so the
same data gives the same bytes.
"""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: E402

BLUE, GREY, RED, GREEN, AMBER = "#1f5f99", "#8a8f98", "#b3261e", "#2e7d32", "#b26a00"
SCENARIO_COLOURS = ("#1f5f99", "#b3261e", "#2e7d32", "#6a3d9a", "#b26a00", "#00838f", "#5d4037", "#ad1457")
CAUSE_COLOURS = {"execution": "#b26a00", "data": "#6a3d9a", "configuration": "#1f5f99", "unclassified": GREY}


def _figure(width: float = 6.4, height: float = 3.0):
    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e3e5e8", linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _money(x, _pos=None) -> str:
    a = abs(x)
    if a >= 1e6:
        return f"{x / 1e6:.1f}M"
    if a >= 1e3:
        return f"{x / 1e3:.0f}k"
    return f"{x:.0f}"


def hit_rate_over_time(weekly: pd.DataFrame, target: float | None = None) -> bytes:
    """Hit rate per week (``period``, ``hit_rate``, ``lines``) with the target as a dashed line."""
    fig, ax = _figure()
    w = weekly[weekly["lines"] > 0]
    x = np.arange(len(w))
    ax.plot(x, w["hit_rate"].to_numpy(np.float64), color=BLUE, marker="o", markersize=2.5, linewidth=1.4,
            label="hit rate (week)")
    if target is not None:
        ax.axhline(target, color=RED, linestyle="--", linewidth=1, label=f"target {target:.0%}")
    ticks = x[:: max(1, len(x) // 5)]
    ax.set_xticks(ticks, [str(w["period"].iloc[i]).split("/")[0] for i in ticks], rotation=0, fontsize=7)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("lines hit ÷ lines")
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    return _png(fig)


def inventory_over_time(daily: pd.DataFrame) -> bytes:
    """Inventory value at cost at the end of every day (``date``, ``inventory_value``)."""
    fig, ax = _figure()
    ax.fill_between(pd.to_datetime(daily["date"]), daily["inventory_value"].to_numpy(np.float64), color=BLUE,
                    alpha=0.18, linewidth=0)
    ax.plot(pd.to_datetime(daily["date"]), daily["inventory_value"].to_numpy(np.float64), color=BLUE, linewidth=1.4)
    ax.yaxis.set_major_formatter(FuncFormatter(_money))
    ax.set_ylabel("stock value at cost")
    ax.tick_params(axis="x", labelsize=7)
    fig.autofmt_xdate()
    return _png(fig)


def miss_pareto(counts: pd.DataFrame) -> bytes:
    """Pareto of miss causes: bars (``cause``, ``misses``, ``family``) in falling order and the cumulative share."""
    fig, ax = _figure(6.4, 3.2)
    c = counts.sort_values("misses", ascending=False, kind="stable")
    x = np.arange(len(c))
    colours = [CAUSE_COLOURS.get(f, GREY) for f in c["family"]]
    ax.bar(x, c["misses"].to_numpy(np.float64), color=colours)
    ax.set_xticks(x, [str(v).replace(".", ".\n", 1) for v in c["cause"]], fontsize=7)
    ax.set_ylabel("missed lines")
    if len(c) and c["misses"].sum() > 0:
        ax2 = ax.twinx()
        cum = c["misses"].cumsum().to_numpy(np.float64) / c["misses"].sum()
        ax2.plot(x, cum, color=GREY, marker="o", markersize=3, linewidth=1)
        ax2.set_ylim(0, 1.05)
        ax2.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax2.spines[["top"]].set_visible(False)
        ax2.set_ylabel("cumulative share", color=GREY)
    return _png(fig)


def cost_availability(curve: pd.DataFrame | None, points: pd.DataFrame, target: float | None = None) -> bytes:
    """Network hit rate against inventory value.

    curve      planned sweep (``level``, ``expected_hit_rate``, ``inventory_value``) — a line, each point
               labelled with its service level; may be None or empty
    points     one row per scenario: ``scenario``, ``simulated_hit_rate``, ``simulated_inventory_value``
               and optionally ``planned_hit_rate``, ``planned_inventory_value`` (hollow marker, joined
               to the simulated one)
    """
    fig, ax = _figure(6.4, 3.6)
    if curve is not None and len(curve):
        c = curve.sort_values("inventory_value")
        ax.plot(c["inventory_value"], c["expected_hit_rate"], color=GREY, linewidth=1.5, marker="s", markersize=3,
                label="planned curve (service-level sweep)", zorder=1)
        for _, r in c.iterrows():
            ax.annotate(f"{r['level']:.1%}".replace(".0%", "%"), (r["inventory_value"], r["expected_hit_rate"]),
                        textcoords="offset points", xytext=(4, -10), fontsize=7, color=GREY)
    for i, r in points.reset_index(drop=True).iterrows():
        colour = SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)]
        px, py = r.get("planned_inventory_value", np.nan), r.get("planned_hit_rate", np.nan)
        sx, sy = r["simulated_inventory_value"], r["simulated_hit_rate"]
        if pd.notna(px) and pd.notna(py):
            ax.scatter([px], [py], s=46, facecolors="white", edgecolors=colour, linewidths=1.5, zorder=3)
            if pd.notna(sx) and pd.notna(sy):
                ax.plot([px, sx], [py, sy], color=colour, linewidth=0.8, linestyle=":", zorder=2)
        if pd.notna(sx) and pd.notna(sy):
            ax.scatter([sx], [sy], s=56, color=colour, zorder=4, label=f"{r['scenario']} (simulated)")
    if target is not None:
        ax.axhline(target, color=RED, linestyle="--", linewidth=1, label=f"target {target:.0%}")
    ax.xaxis.set_major_formatter(FuncFormatter(_money))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("inventory value at cost")
    ax.set_ylabel("network hit rate")
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    return _png(fig)


def locations_scatter(by_location: pd.DataFrame, target: float | None = None, max_labels: int = 40) -> bytes:
    """Hit rate against average stock value per location (``location``, ``hit_rate``, ``avg_inventory_value``,
    ``lines``); locations without customer lines (no hit rate) are left out; marker area ∝ lines."""
    fig, ax = _figure(6.4, 3.6)
    d = by_location[by_location["hit_rate"].notna()]
    lines = d["lines"].to_numpy(np.float64) if "lines" in d else np.ones(len(d))
    size = 12 + 140 * lines / max(lines.max(), 1.0) if len(d) else []
    ax.scatter(d["avg_inventory_value"], d["hit_rate"], s=size, color=BLUE, alpha=0.55, edgecolors="white")
    if len(d) <= max_labels:
        for _, r in d.iterrows():
            ax.annotate(str(r["location"]), (r["avg_inventory_value"], r["hit_rate"]), textcoords="offset points",
                        xytext=(4, 3), fontsize=6.5, color="#3b4148")
    if target is not None:
        ax.axhline(target, color=RED, linestyle="--", linewidth=1, label=f"target {target:.0%}")
        ax.legend(loc="lower right", fontsize=7, frameon=False)
    ax.xaxis.set_major_formatter(FuncFormatter(_money))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("average stock value at cost")
    ax.set_ylabel("hit rate")
    return _png(fig)


__all__ = ["locations_scatter", "cost_availability", "hit_rate_over_time", "inventory_over_time", "miss_pareto"]
