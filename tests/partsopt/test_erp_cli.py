"""``partsopt export`` on the command line: summary on stdout, exit codes, no secrets."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from partsopt.cli import main
from partsopt.erp import to_layout, validate_policies

ROOT = Path(__file__).resolve().parents[2]


def make_policies(n: int = 30, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 8, n).astype(float)
    return pd.DataFrame({
        "part": [f"P{i:05d}" for i in range(n)], "location": "D1", "policy": "sS",
        "reorder_point": s, "order_up_to": s + rng.integers(1, 5, n), "safety_stock": rng.normal(1, 1, n),
        "lead_time_days": 14.0, "review_days": 7.0, "target_name": "hit_rate", "target_level": 0.95,
        "expected_hit_rate": rng.random(n), "expected_fill_rate": rng.random(n),
        "expected_on_hand": rng.random(n), "inventory_value": rng.random(n) * 50,
        "annual_holding_cost": rng.random(n) * 10, "reason": "s because P(D <= s) >= 0.95",
    })


def plan_folder(tmp_path: Path, df: pd.DataFrame, run_id: str | None = "plan-abc123", name="plan") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    df.to_csv(folder / "policies.csv", index=False)
    if run_id:
        (folder / "run.json").write_text(json.dumps({
            "run_id": run_id, "kind": "plan", "as_of": "2026-11-20", "config_hash": "c0ffee",
            "version": "0.1.0", "created_at": "2026-11-20T06:00:00+00:00", "config": {"x": 1}}))
    return folder


def test_export_a_plan_folder_to_a_sap_file_and_again(tmp_path, capsys):
    df = make_policies()
    folder = plan_folder(tmp_path, df)
    out = tmp_path / "sap.csv"
    assert main(["export", str(folder), "--format", "sap", "--to", str(out)]) == 0
    text = capsys.readouterr().out
    assert "export sap" in text and "run plan-abc123" in text and "as of 2026-11-20" in text
    assert f"written: {len(df)} new, 0 changed, 0 removed" in text
    got = pd.read_csv(out, dtype={"MATNR": str, "WERKS": str})
    pd.testing.assert_frame_equal(got, to_layout(validate_policies(df), "sap"), check_dtype=False)
    assert main(["export", str(folder / "policies.csv"), "--format", "sap", "--to", str(out)]) == 0
    assert "nothing to change" in capsys.readouterr().out


def test_dry_run_to_sqlite_prints_old_and_new_and_flags(tmp_path, capsys):
    df = make_policies()
    url = f"sqlite:///{tmp_path / 'erp.db'}"
    assert main(["export", str(plan_folder(tmp_path, df, "r1", "w1")), "--format", "odoo",
                 "--to", url]) == 0
    capsys.readouterr()
    df2 = df.copy()
    df2.loc[3, ["reorder_point", "order_up_to"]] = [30.0, 40.0]
    df2 = df2.drop(index=7)
    diff_csv = tmp_path / "diff.csv"
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        before = conn.exec_driver_sql("SELECT * FROM partsopt_policies_odoo ORDER BY 1, 2").fetchall()
    assert main(["export", str(plan_folder(tmp_path, df2, "r2", "w2")), "--format", "odoo", "--to", url,
                 "--dry-run", "--diff-out", str(diff_csv)]) == 0
    text = capsys.readouterr().out
    assert "Dry run: export odoo" in text and "table partsopt_policies_odoo" in text
    assert "Flagged for review: 2 change(s) beyond 50%" in text
    assert "product_min_qty" in text and "P00003" in text and "removed" in text
    assert "dry run: nothing written." in text
    with engine.connect() as conn:
        after = conn.exec_driver_sql("SELECT * FROM partsopt_policies_odoo ORDER BY 1, 2").fetchall()
    engine.dispose()
    assert after == before
    diff = pd.read_csv(diff_csv)
    assert set(diff["status"]) == {"changed", "removed"}


def test_run_id_is_derived_and_said_so_without_run_json(tmp_path, capsys):
    folder = plan_folder(tmp_path, make_policies(), run_id=None)
    assert main(["export", str(folder), "--format", "generic", "--to", str(tmp_path / "g.parquet")]) == 0
    assert "derived from a content hash" in capsys.readouterr().out


def test_unreachable_database_exits_2_without_the_password(tmp_path, capsys):
    folder = plan_folder(tmp_path, make_policies())
    code = main(["export", str(folder), "--format", "generic",
                 "--to", "postgresql+psycopg://planner:Sup3r-Secret@127.0.0.1:1/erp"])
    captured = capsys.readouterr()
    assert code == 2
    assert "Sup3r-Secret" not in captured.err + captured.out
    assert "planner:***@127.0.0.1:1/erp" in captured.err and "Traceback" not in captured.err


def test_incompatible_staging_table_exits_2_and_names_it(tmp_path, capsys):
    db = tmp_path / "erp.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.exec_driver_sql('CREATE TABLE partsopt_policies_sap ("MATNR" TEXT PRIMARY KEY, x TEXT)')
    engine.dispose()
    code = main(["export", str(plan_folder(tmp_path, make_policies())), "--format", "sap",
                 "--to", f"sqlite:///{db}"])
    err = capsys.readouterr().err
    assert code == 2 and "partsopt_policies_sap" in err and "missing column WERKS" in err


def test_invalid_policies_file_exits_2_naming_file_and_column(tmp_path, capsys):
    folder = plan_folder(tmp_path, make_policies().drop(columns="order_up_to"))
    code = main(["export", str(folder), "--format", "sap", "--to", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "order_up_to" in err and "policies.csv" in err
    assert not (tmp_path / "x.csv").exists()


def test_bad_options_exit_2(tmp_path, capsys):
    folder = plan_folder(tmp_path, make_policies())
    assert main(["export", str(folder), "--format", "xml", "--to", str(tmp_path / "x.csv")]) == 2
    assert main(["export", str(folder), "--format", "sap", "--to", str(tmp_path / "x.json")]) == 2
    assert main(["export", str(folder), "--format", "sap", "--to", str(tmp_path / "x.csv"),
                 "--review-threshold", "-1"]) == 2
    err = capsys.readouterr().err
    assert "review_threshold" in err and "Traceback" not in err


def test_the_real_command_line(tmp_path):
    folder = plan_folder(tmp_path, make_policies())
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-m", "partsopt", "export", str(folder), "--format", "generic",
                           "--to", f"sqlite:///{tmp_path / 'erp.db'}"], capture_output=True, text=True,
                          env=env, cwd=str(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "written: 30 new" in proc.stdout


def test_the_url_can_come_from_an_environment_variable(tmp_path, capsys, monkeypatch):
    folder = plan_folder(tmp_path, make_policies())
    monkeypatch.setenv("PARTSOPT_TEST_ERP_URL", f"sqlite:///{tmp_path / 'erp.db'}")
    assert main(["export", str(folder), "--format", "sap", "--to", "env:PARTSOPT_TEST_ERP_URL"]) == 0
    assert "partsopt_policies_sap" in capsys.readouterr().out
    monkeypatch.delenv("PARTSOPT_TEST_ERP_URL")
    assert main(["export", str(folder), "--format", "sap", "--to", "env:PARTSOPT_TEST_ERP_URL"]) == 2
    assert "PARTSOPT_TEST_ERP_URL is not set" in capsys.readouterr().err
