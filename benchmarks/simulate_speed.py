"""Speed of the replay simulator against stockpyl's simulation, measured in the same run.

Goals (issue 6): replay a medium network (~200k part-locations) over 365 days
in ≤ 60 s on 2 cores, and a throughput ≥ 1000× stockpyl's simulation, in
part-location-days per second.

The network is built here, seeded (the demo generator is not on main yet):
1 central warehouse → 10 regional warehouses → 190 dealers (19 per region),
``--parts`` parts stocked at every location (1,000 parts: 201,000
part-locations), intermittent Poisson demand lines at the dealers (rate drawn
per part-dealer, mean ≈ 0.02 lines/day), lead times from the part master
(gamma, sd 25 % of the mean), base-stock style (s, S) policies.

stockpyl: ``stockpyl.sim.simulation`` on a single-node network with an (s, S)
policy and Poisson demand, for ``--stockpyl-skus`` SKUs × 365 periods, timed
in the same process.  Throughput = SKU-periods per second for stockpyl and
part-location-days per second for partsopt.

Run:  python benchmarks/simulate_speed.py [--parts 1000] [--repeats 3] [--out benchmarks/results/simulate_speed.md]
"""
from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from partsopt.simulate import simulate  # noqa: E402
from partsopt.validate import validate_tables  # noqa: E402

START = pd.Timestamp("2024-01-01")


def build_network(n_parts: int, days: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    regions, per_region = 10, 19
    locs = ["CW"] + [f"R{r:02d}" for r in range(regions)] + \
        [f"D{r:02d}{d:02d}" for r in range(regions) for d in range(per_region)]
    parent = [""] + ["CW"] * regions + [f"R{r:02d}" for r in range(regions) for _ in range(per_region)]
    kind = ["central"] + ["regional"] * regions + ["dealer"] * (regions * per_region)
    locations = pd.DataFrame({"location": locs, "parent": parent, "kind": kind,
                              "transit_days": [0] + [3] * regions + [1] * (regions * per_region),
                              "review_days": 7, "emergency_days": [3] + [1] * (len(locs) - 1),
                              "emergency_cost": 20.0, "order_cost": 2.0})
    cost = np.round(rng.lognormal(3, 1, n_parts), 2) + 0.5
    lead = rng.integers(7, 60, n_parts).astype(float)
    parts = pd.DataFrame({"part": [f"P{i:06d}" for i in range(n_parts)], "unit_cost": cost,
                          "unit_price": np.round(cost * 1.4, 2), "lead_time_days": lead,
                          "lead_time_sd_days": np.round(lead * 0.25, 1),
                          "criticality": rng.choice(list("ABC"), n_parts, p=[0.2, 0.5, 0.3])})
    dealers = np.array(locs[1 + regions:])
    rate = rng.gamma(0.5, 0.04, size=(n_parts, len(dealers)))  # lines per day, mean 0.02
    counts = rng.poisson(rate[:, :, None] * np.ones(days))      # parts × dealers × days
    p, d, t = np.nonzero(counts)
    qty = 1 + rng.poisson(0.3, size=len(p))
    demand = pd.DataFrame({"date": START + pd.to_timedelta(t, unit="D"), "part": parts["part"].to_numpy()[p],
                           "location": dealers[d], "qty": qty})
    # policies: dealers S = ceil(rate*(7+1)*qty) + 1, regions / CW cover their children's flow
    pl = []
    mean_q = 1.3
    dl_rate = rate * mean_q
    s_d = np.ceil(dl_rate * 8 + 2 * np.sqrt(dl_rate * 8))
    pl.append(pd.DataFrame({"part": np.repeat(parts["part"].to_numpy(), len(dealers)),
                            "location": np.tile(dealers, n_parts), "reorder_point": s_d.ravel(),
                            "order_up_to": s_d.ravel() + 1}))
    reg_rate = dl_rate.reshape(n_parts, regions, per_region).sum(2)
    s_r = np.ceil(reg_rate * 10 + 2 * np.sqrt(reg_rate * 10))
    pl.append(pd.DataFrame({"part": np.repeat(parts["part"].to_numpy(), regions),
                            "location": np.tile(np.array(locs[1:1 + regions]), n_parts),
                            "reorder_point": s_r.ravel(), "order_up_to": s_r.ravel() + 2}))
    cw_rate = reg_rate.sum(1)
    s_c = np.ceil(cw_rate * (lead + 7) + 2 * np.sqrt(cw_rate * (lead + 7)))
    pl.append(pd.DataFrame({"part": parts["part"], "location": "CW", "reorder_point": s_c,
                            "order_up_to": s_c + np.ceil(cw_rate * 14)}))
    policies = pd.concat(pl, ignore_index=True)
    ds = validate_tables({"parts": parts, "locations": locations, "demand": demand})
    return ds, policies


REAL = Path("/work/shared/data/real/m5_tiny_28items_10stores.parquet")


def real_network(path: Path = REAL):
    """M5 slice as a 3-level network: CW -> state warehouses (CA, TX, WI) -> 10 stores.

    Demand lines = the stores' daily sales of 28 items (one line per item-store-day
    with sales).  Part master: unit_price = median sell price, unit_cost = 70 % of
    it, supplier lead time 14 days (sd 3).  The data are read from the shared folder,
    never copied into the repository.
    """
    d = pd.read_parquet(path, columns=["item_id", "store_id", "state_id", "value", "date", "sell_price"])
    d = d.astype({"item_id": str, "store_id": str, "state_id": str})
    price = d.groupby("item_id")["sell_price"].median().fillna(1.0)
    parts = pd.DataFrame({"part": price.index, "unit_price": price.to_numpy(), "unit_cost": 0.7 * price.to_numpy(),
                          "lead_time_days": 14.0, "lead_time_sd_days": 3.0})
    stores = d[["store_id", "state_id"]].drop_duplicates().sort_values("store_id")
    states = sorted(stores["state_id"].unique())
    locations = pd.DataFrame({
        "location": ["CW"] + states + stores["store_id"].tolist(),
        "parent": [""] + ["CW"] * len(states) + stores["state_id"].tolist(),
        "transit_days": [0] + [2] * len(states) + [1] * len(stores), "review_days": 7,
        "emergency_days": [2] + [1] * (len(states) + len(stores)), "emergency_cost": 10.0, "order_cost": 1.0})
    sales = d[d["value"] > 0]
    demand = pd.DataFrame({"date": pd.to_datetime(sales["date"]).dt.normalize(), "part": sales["item_id"].to_numpy(),
                           "location": sales["store_id"].to_numpy(), "qty": sales["value"].to_numpy(np.int64)})
    return validate_tables({"parts": parts, "locations": locations, "demand": demand})


def grid_policies(ds, as_of, *, z: float = 1.65, window: int = 56) -> pd.DataFrame:
    """Stand-in policies for EVERY part at EVERY location (the medium demo's ~200k
    part-locations): S = ceil(mu + z sqrt(mu)), mu = the rate of the last ``window``
    days at the location and below it x (lead time + review); s = S - ceil(rate x review).
    The lead time is the part master's at the top, the transit days below."""
    as_of = pd.Timestamp(as_of)
    dem = ds.demand[(ds.demand["date"] < as_of) & (ds.demand["date"] >= as_of - pd.Timedelta(days=window))]
    locs = ds.locations.set_index("location")
    rate = (dem.groupby(["part", "location"])["qty"].sum() / window).rename("rate").reset_index()
    frames = [rate]
    cur = rate
    for _ in range(4):  # roll the rates up the tree (depth <= 4)
        cur = cur.assign(location=locs["parent"].reindex(cur["location"]).fillna("").to_numpy())
        cur = cur[cur["location"] != ""]
        if cur.empty:
            break
        cur = cur.groupby(["part", "location"], as_index=False)["rate"].sum()
        frames.append(cur)
    rate = pd.concat(frames).groupby(["part", "location"])["rate"].sum()
    grid = pd.MultiIndex.from_product([ds.parts["part"], locs.index], names=["part", "location"])
    r = rate.reindex(grid, fill_value=0.0).to_numpy()
    loc = grid.get_level_values("location")
    top = (locs["parent"].reindex(loc).fillna("") == "").to_numpy()
    lead = np.where(top, ds.parts.set_index("part")["lead_time_days"].reindex(grid.get_level_values("part")).to_numpy(),
                    locs["transit_days"].reindex(loc).to_numpy())
    review = locs["review_days"].reindex(loc).to_numpy()
    mu = r * (lead + review)
    S = np.ceil(mu + z * np.sqrt(mu))
    s = np.maximum(S - np.ceil(r * review), 0)
    return pd.DataFrame({"part": grid.get_level_values("part"), "location": loc, "reorder_point": s,
                         "order_up_to": S})


def time_demo(size: str, days: int, repeats: int):
    """The demo network of partsopt.demo (on main): every part at every location, the last
    ``days`` days of its history replayed against stand-in grid policies."""
    from partsopt.demo import generate
    net = generate(size, seed=1)
    ds = validate_tables(net.tables())
    end = pd.Timestamp(net.as_of) - pd.Timedelta(days=1)
    start = end - pd.Timedelta(days=days - 1)
    pol = grid_policies(ds, start, window=365)
    times, res = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = simulate(ds, pol, start, end, seed=1)
        times.append(time.perf_counter() - t0)
    return ds, times, res


def stand_in_planner(z: float = 1.65, window: int = 56):
    """A stand-in for the planning pipeline (not partsopt's planner): order-up-to
    S = ceil(mu + z sqrt(mu)), mu = daily rate over the last ``window`` days x (lead time + review),
    s = S - ceil(rate x review); warehouses plan on the demand of the stores below them."""
    def planner(cut, as_of):
        dem = cut.demand[cut.demand["date"] >= as_of - pd.Timedelta(days=window)]
        locs = cut.locations.set_index("location")
        store = dem.groupby(["part", "location"])["qty"].sum() / window
        up = store.reset_index()
        up["location"] = locs["parent"].reindex(up["location"]).to_numpy()
        state = up.groupby(["part", "location"])["qty"].sum()
        cw = state.reset_index().assign(location="CW").groupby(["part", "location"])["qty"].sum()
        rate = pd.concat([store, state, cw]).rename("rate").reset_index()
        lead = np.where(rate["location"] == "CW", 14.0, locs["transit_days"].reindex(rate["location"]).to_numpy())
        mu = rate["rate"].to_numpy() * (lead + 7.0)
        S = np.ceil(mu + z * np.sqrt(mu))
        s = np.maximum(S - np.ceil(rate["rate"].to_numpy() * 7.0), 0)
        return pd.DataFrame({"part": rate["part"], "location": rate["location"], "reorder_point": s, "order_up_to": S})
    return planner


def time_real(repeats: int):
    ds = real_network()
    start, end = pd.Timestamp("2015-01-01"), pd.Timestamp("2016-04-24")
    times, res = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = simulate(ds, None, start, end, planner=stand_in_planner(), replan_weeks=4, seed=1)
        times.append(time.perf_counter() - t0)
    return ds, times, res


def time_partsopt(ds, policies, days, repeats):
    times, res = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = simulate(ds, policies, START, START + pd.Timedelta(days=days - 1), seed=1)
        times.append(time.perf_counter() - t0)
    return times, res


def time_stockpyl(n_skus, periods, repeats, seed=0):
    from stockpyl.supply_chain_network import single_stage_system
    from stockpyl.sim import simulation
    rng = np.random.default_rng(seed)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for i in range(n_skus):
            mu = float(rng.uniform(0.5, 5.0))
            s = int(np.ceil(mu * 3))
            net = single_stage_system(holding_cost=1, stockout_cost=10, demand_type="P", mean=mu,
                                      policy_type="sS", reorder_point=s, order_up_to_level=s + int(np.ceil(mu * 2)),
                                      shipment_lead_time=2)
            simulation(net, periods, rand_seed=int(seed + i), progress_bar=False)
        times.append(time.perf_counter() - t0)
    return times


def _demo_text(demo, size, theirs) -> str:
    if demo is None:
        return ""
    ds, times, res = demo
    k = res.kpis
    med = statistics.median(times)
    rate = res.info["rows"] * res.info["days"] / med
    return f"""
## The {size} demo network (`partsopt.demo.generate("{size}", seed=1)`)

{ds.locations.shape[0]} locations, {ds.parts.shape[0]:,} parts, every part at every location =
**{res.info['rows']:,} part-locations**; the last {res.info['days']} days of its history
({k['lines']:,} demand lines) replayed against stand-in policies for the whole grid (S = ⌈μ + 1.65√μ⌉
over lead time + review from the year before the start; not partsopt's planning pipeline, whose
policies give other KPIs).

| run | median | min | max | throughput | vs stockpyl |
|---|---|---|---|---|---|
| partsopt `simulate` | {med:.2f} s | {min(times):.2f} s | {max(times):.2f} s | {rate:,.0f} part-location-days/s | {rate / theirs:,.0f}× |

- goal 1 on the demo network, ≤ 60 s: **{'met' if med <= 60 else 'NOT met'}** ({med:.1f} s median of {len(times)})
- KPIs: hit rate {k['hit_rate']:.3f}, fill rate {k['fill_rate']:.3f}, OTD {k['otd_rate']:.3f}, normal-order rate
  {k['normal_order_rate']:.3f}, {k['misses']:,} misses.
"""


def _real_text(real) -> str:
    if real is None:
        return ""
    ds, times, res = real
    k = res.kpis
    med = statistics.median(times)
    pl_days = res.info["rows"] * res.info["days"]
    return f"""
## Real data: the M5 slice as a 3-level network, re-planned every 4 weeks

`/work/shared/data/real/m5_tiny_28items_10stores.parquet` (read in place): CW → 3 state
warehouses → 10 stores, 28 items, {len(ds.demand):,} demand lines in the data (item-store-days with sales);
replay 2015-01-01 .. 2016-04-24 ({res.info['days']} days, {res.info['rows']} part-locations) with a
stand-in planner called every 4 weeks on the data before each cut-off (S = ⌈μ + 1.65√μ⌉ over lead
time + review, from the last 56 days; this is not partsopt's planning pipeline).

| run | median | min | max | throughput |
|---|---|---|---|---|
| partsopt `simulate` with {res.info['days'] // 28} re-plans | {med:.2f} s | {min(times):.2f} s | {max(times):.2f} s | {pl_days / med:,.0f} part-location-days/s |

KPIs: hit rate {k['hit_rate']:.3f}, fill rate {k['fill_rate']:.3f}, OTD {k['otd_rate']:.3f}, normal-order rate
{k['normal_order_rate']:.3f}, turnover {k['turnover']:.1f}/year, average inventory value {k['avg_inventory_value']:,.0f}
at cost, {k['misses']:,} misses of {k['lines']:,} lines.
"""


def machine():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")), "?")
    except OSError:
        model = platform.processor() or "?"
    import os
    return f"{model}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}, numpy {np.__version__}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", type=int, default=1000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--stockpyl-skus", type=int, default=20)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--no-real", action="store_true", help="skip the replay of the real M5 slice")
    ap.add_argument("--demo", default="medium", help="demo network size to replay too ('' = skip)")
    a = ap.parse_args(argv)
    import os
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    ds, policies = build_network(a.parts, a.days)
    t_build = time.perf_counter() - t0
    times, res = time_partsopt(ds, policies, a.days, a.repeats)
    rows = res.info["rows"]
    sp_times = time_stockpyl(a.stockpyl_skus, a.days, a.repeats)
    real = time_real(a.repeats) if REAL.exists() and not a.no_real else None
    demo = None
    if a.demo:
        try:
            demo = time_demo(a.demo, a.days, a.repeats)
        except ImportError:  # the demo generator is not on this branch
            demo = None
    load_after = os.getloadavg()
    med, sp_med = statistics.median(times), statistics.median(sp_times)
    ours = rows * a.days / med
    theirs = a.stockpyl_skus * a.days / sp_med
    k = res.kpis
    text = f"""# Replay simulator speed (benchmarks/simulate_speed.py)

- date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}
- machine: {machine()}
- load average (1, 5, 15 min) before / after: {', '.join(f'{x:.1f}' for x in load_before)} /
  {', '.join(f'{x:.1f}' for x in load_after)} (other work shared the 2 cores; both tools ran under the same load)
- command: `python benchmarks/simulate_speed.py --parts {a.parts} --days {a.days} --repeats {a.repeats} --stockpyl-skus {a.stockpyl_skus}`
- network: 201 locations (1 central, 10 regional, 190 dealers), {a.parts} parts at every location =
  **{rows:,} part-locations**, {len(ds.demand):,} demand lines over {a.days} days (built in {t_build:.1f} s)

| run | median | min | max | throughput |
|---|---|---|---|---|
| partsopt `simulate` ({rows:,} part-locations × {a.days} days) | {med:.2f} s | {min(times):.2f} s | {max(times):.2f} s | {ours:,.0f} part-location-days/s |
| stockpyl 1.0.2 `simulation` ({a.stockpyl_skus} single-node (s,S) SKUs × {a.days} periods) | {sp_med:.2f} s | {min(sp_times):.2f} s | {max(sp_times):.2f} s | {theirs:,.0f} SKU-periods/s |

- goal 1, ≤ 60 s for ~200k part-locations × 365 days: **{'met' if med <= 60 else 'NOT met'}** ({med:.1f} s median of {a.repeats})
- goal 2, throughput ≥ 1000× stockpyl: **{'met' if ours / theirs >= 1000 else 'NOT met'}** (ratio {ours / theirs:,.0f}×)
- the replay's network KPIs (a sanity check that it did real work): hit rate {k['hit_rate']:.3f}, fill rate
  {k['fill_rate']:.3f}, OTD {k['otd_rate']:.3f}, normal-order rate {k['normal_order_rate']:.3f},
  {len(res.orders):,} order lines, {k['misses']:,} misses.

{_demo_text(demo, a.demo, theirs)}{_real_text(real)}
Note: stockpyl simulates a richer object model per node and period (every state variable of
every node is stored); the comparison is the one the issue asks for, not a like-for-like
feature comparison. The partsopt time includes building the rows, the lead-time model and
all output frames and KPIs.
"""
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
