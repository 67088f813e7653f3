"""`partsopt simulate` and `partsopt whatif` through main([...]): outputs, and bad input (exit 2, nothing written)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from partsopt.cli import main
from partsopt.simulate import MISS_COLUMNS
from report_data import write_network

START, END = "2025-01-06", "2025-12-28"
KPI_KEYS = {"hit_rate", "fill_rate", "otd_rate", "normal_order_rate", "turnover", "avg_inventory_value",
            "holding_cost", "emergency_cost", "lines", "misses", "misses_by_cause"}


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    return write_network(tmp_path_factory.mktemp("cli") / "net")


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    d = tmp_path_factory.mktemp("scenarios")
    (d / "base.toml").write_text('name = "base"\n', encoding="utf-8")
    (d / "lean.toml").write_text('name = "lean"\n[service]\nlevel = 0.80\n', encoding="utf-8")
    (d / "typo.toml").write_text('name = "typo"\n[service]\nlevle = 0.80\n', encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def simulated(net, scenarios, tmp_path_factory):
    out = tmp_path_factory.mktemp("sim") / "out"
    code = main(["simulate", str(net), "--start", START, "--end", END, "--out", str(out),
                 "--config", str(scenarios / "lean.toml")])
    return code, out


def test_simulate_writes_every_output(simulated, capsys):
    code, out = simulated
    assert code == 0
    for name in ("kpis.json", "kpis_by_location.csv", "misses.csv", "report.html", "run.json"):
        assert (out / name).is_file(), name
    assert not list(out.glob(".*partsopt-tmp"))
    kpis = json.loads((out / "kpis.json").read_text())
    assert KPI_KEYS <= set(kpis) and set(kpis["misses_by_cause"]) == {"data", "configuration", "execution"}
    misses = pd.read_csv(out / "misses.csv", keep_default_na=False)
    assert list(misses.columns) == MISS_COLUMNS and len(misses) == kpis["misses"] > 0
    assert misses["cause"].str.match(r"^(data|configuration|execution)\.").all()
    assert sum(kpis["misses_by_cause"].values()) == kpis["misses"]
    by_loc = pd.read_csv(out / "kpis_by_location.csv")
    assert set(by_loc["location"]) == {"CW", "RW", "D1", "D2", "D3"} and by_loc["lines"].sum() == kpis["lines"]
    run = json.loads((out / "run.json").read_text())
    assert run["kind"] == "simulate" and run["start"] == START and run["end"] == END
    assert run["config"]["service"]["level"] == 0.8
    html = (out / "report.html").read_text()
    assert 'data-kpi="hit_rate"' in html and "<script" not in html


def test_simulate_prints_the_kpi_summary(net, scenarios, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["simulate", str(net), "--start", START, "--end", END, "--out", str(out), "--curve", "0.8,0.95"]) == 0
    stdout = capsys.readouterr().out
    kpis = json.loads((out / "kpis.json").read_text())
    for text in ("Replay 2025-01-06 – 2025-12-28", "Hit rate", f"{kpis['hit_rate']:.1%}", "Normal-order rate",
                 "Misses by cause", f"report: {out / 'report.html'}"):
        assert text in stdout, text
    curve = pd.read_csv(out / "curve.csv")
    assert list(curve["level"]) == [0.8, 0.95]


@pytest.mark.parametrize("ext", ["parquet", "csv"])
def test_simulate_with_the_policies_of_plan_matches_planning_inside(net, scenarios, simulated, tmp_path, ext):
    """`plan --as-of START` then `simulate --policies` replays exactly what simulate plans by itself."""
    lean = str(scenarios / "lean.toml")
    assert main(["plan", str(net), "--as-of", START, "--out", str(tmp_path / "plan"), "--config", lean]) == 0
    out = tmp_path / "sim"
    assert main(["simulate", str(net), "--start", START, "--end", END, "--out", str(out), "--config", lean,
                 "--policies", str(tmp_path / "plan" / f"policies.{ext}")]) == 0
    mine = json.loads((out / "kpis.json").read_text())
    theirs = json.loads((simulated[1] / "kpis.json").read_text())
    assert mine == theirs
    assert json.loads((out / "run.json").read_text())["policies"] == "given"


def _unwritten(out):
    return not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("start,end,fragment", [
    ("2023-01-01", "2023-06-30", "outside the demand history"),
    ("2025-06-01", "2026-06-30", "outside the demand history"),
    ("2025-06-01", "2025-05-01", "outside the demand history"),
    ("2024-01-01", "2024-06-30", "outside the demand history"),
    ("someday", "2025-06-30", "must be dates"),
])
def test_simulate_dates_outside_the_history(net, tmp_path, capsys, start, end, fragment):
    out = tmp_path / "out"
    assert main(["simulate", str(net), "--start", start, "--end", end, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--start / --end" in err and fragment in err and "Traceback" not in err
    assert _unwritten(out)


def test_simulate_policies_of_another_dataset(net, tmp_path, capsys):
    pol = pd.DataFrame({"part": ["P000", "X-999", "X-998"], "location": ["D1", "D1", "D9"],
                        "reorder_point": [1, 1, 1], "order_up_to": [2, 2, 2]})
    path = tmp_path / "policies.csv"
    pol.to_csv(path, index=False)
    out = tmp_path / "out"
    assert main(["simulate", str(net), "--start", START, "--end", END, "--out", str(out), "--policies", str(path)]) == 2
    err = capsys.readouterr().err
    assert "not in this dataset" in err and "X-999" in err and "X-998" in err and "2 unknown part(s)" in err
    assert _unwritten(out)
    pol["part"] = "P000"
    pol.drop_duplicates(["part", "location"]).to_csv(path, index=False)
    assert main(["simulate", str(net), "--start", START, "--end", END, "--out", str(out), "--policies", str(path)]) == 2
    assert "D9" in capsys.readouterr().err and _unwritten(out)


@pytest.mark.parametrize("content,fragment", [
    ("part,location\nP000,D1\n", "lacks required columns"),
    ("part,location,reorder_point,order_up_to\nP000,D1,5,2\n", "invalid rows"),
    ("part,location,reorder_point,order_up_to\nP000,D1,1,2\nP000,D1,1,3\n", "more than one row"),
    ("part,location,reorder_point,order_up_to\nP000,D1,one,2\n", "invalid rows"),
])
def test_simulate_bad_policies_file(net, tmp_path, capsys, content, fragment):
    path = tmp_path / "policies.csv"
    path.write_text(content)
    out = tmp_path / "out"
    assert main(["simulate", str(net), "--start", START, "--end", END, "--out", str(out), "--policies", str(path)]) == 2
    assert fragment in capsys.readouterr().err and _unwritten(out)
    assert main(["simulate", str(net), "--start", START, "--end", END, "--out", str(out),
                 "--policies", str(tmp_path / "nope.parquet")]) == 2
    assert "does not exist" in capsys.readouterr().err and _unwritten(out)


@pytest.mark.parametrize("extra,fragment", [
    (["--curve", "0.8,1.5"], "--curve must list service levels"),
    (["--seed", "-3"], "--seed must be"),
    (["--config", "SCEN/typo.toml"], "Unknown configuration key 'service.levle'"),
])
def test_simulate_bad_options(net, scenarios, tmp_path, capsys, extra, fragment):
    extra = [e.replace("SCEN", str(scenarios)) for e in extra]
    out = tmp_path / "out"
    assert main(["simulate", str(net), "--start", START, "--end", END, "--out", str(out), *extra]) == 2
    assert fragment in capsys.readouterr().err and _unwritten(out)


def test_simulate_failure_keeps_the_previous_outputs(net, simulated, tmp_path, capsys):
    out = simulated[1]
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["simulate", str(net), "--start", "2020-01-01", "--end", END, "--out", str(out)]) == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# ------------------------------------------------------------------ whatif
def test_whatif_writes_kpis_side_by_side(net, scenarios, tmp_path, capsys):
    out = tmp_path / "wi"
    code = main(["whatif", str(net), "--scenario", str(scenarios / "base.toml"), "--scenario",
                 str(scenarios / "lean.toml"), "--out", str(out), "--levels", "0.8,0.95"])
    assert code == 0
    for name in ("kpis.csv", "curve.csv", "scenarios.csv", "kpis.json", "whatif.html", "run.json"):
        assert (out / name).is_file(), name
    k = pd.read_csv(out / "kpis.csv", keep_default_na=False, na_values=[""])
    assert list(k.columns) == ["kpi", "better", "base", "lean", "delta_lean"]
    k = k.set_index("kpi")
    assert k.loc["hit_rate", "delta_lean"] == pytest.approx(k.loc["hit_rate", "lean"] - k.loc["hit_rate", "base"])
    both = json.loads((out / "kpis.json").read_text())
    assert set(both) == {"base", "lean"} and both["lean"]["hit_rate"] == pytest.approx(k.loc["hit_rate", "lean"])
    assert list(pd.read_csv(out / "curve.csv")["level"]) == [0.8, 0.95]
    pts = pd.read_csv(out / "scenarios.csv")
    assert list(pts["scenario"]) == ["base", "lean"]
    run = json.loads((out / "run.json").read_text())
    assert run["kind"] == "whatif" and [s["name"] for s in run["scenarios"]] == ["base", "lean"]
    stdout = capsys.readouterr().out
    assert "2 scenarios, seed 0" in stdout and f"report: {out / 'whatif.html'}" in stdout


def test_whatif_same_results_as_simulate(net, scenarios, simulated, tmp_path):
    """A what-if scenario is the same replay as `partsopt simulate` with that scenario (same seed)."""
    out = tmp_path / "wi"
    assert main(["whatif", str(net), "--scenario", str(scenarios / "lean.toml"), "--out", str(out),
                 "--start", START, "--end", END, "--levels", "none"]) == 0
    both = json.loads((out / "kpis.json").read_text())
    assert both["lean"] == json.loads((simulated[1] / "kpis.json").read_text())
    assert pd.read_csv(out / "curve.csv").empty


@pytest.mark.parametrize("args,fragment", [
    (["--scenario", "SCEN/base.toml", "--scenario", "SCEN/typo.toml"], "Unknown configuration key 'service.levle'"),
    (["--scenario", "SCEN/base.toml", "--scenario", "SCEN/missing.toml"], "does not exist"),
    (["--scenario", "SCEN/base.toml", "--start", "2023-01-01", "--end", "2023-02-01"], "outside the demand history"),
    (["--scenario", "SCEN/base.toml", "--levels", "high"], "--levels must list"),
    (["--scenario", "SCEN/base.toml", "--out-dir", "x"], "unrecognized arguments"),
])
def test_whatif_bad_input(net, scenarios, tmp_path, capsys, args, fragment):
    out = tmp_path / "wi"
    args = [a.replace("SCEN", str(scenarios)) for a in args]
    assert main(["whatif", str(net), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err
    assert _unwritten(out)


def test_whatif_needs_a_scenario(net, tmp_path, capsys):
    assert main(["whatif", str(net), "--out", str(tmp_path / "wi")]) == 2
    assert "--scenario" in capsys.readouterr().err
