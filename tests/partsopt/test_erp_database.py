"""Database targets of export_policies: SQLite and a real PostgreSQL server.

Every test runs on both backends.  The PostgreSQL ones are marked ``postgres`` and
use ``PARTSOPT_TEST_POSTGRES_URL`` (``.ci/postgres.sh`` starts a server and sets
it).  Without the variable they try the server ``.ci/postgres.sh`` sets up by
default (:data:`DEFAULT_LOCAL_URL`) and are skipped, with the reason, only when no
server answers there - except in CI (``CI`` set), where they fail.
Each test uses its own table prefix and drops its tables afterwards.
"""
from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from partsopt.errors import ConfigError, DataError
from partsopt.erp import export_policies, to_layout, validate_policies
from partsopt.erp.formats import LAYOUTS

ROOT = Path(__file__).resolve().parents[2]
NO_SERVER = "no PostgreSQL server: set PARTSOPT_TEST_POSTGRES_URL (.ci/postgres.sh starts one)"
#: the database, user and password ``.ci/postgres.sh`` creates by default
DEFAULT_LOCAL_URL = "postgresql+psycopg://partsopt:partsopt@127.0.0.1:5432/partsopt_test"


@functools.lru_cache(maxsize=1)
def _local_server() -> tuple[str | None, str]:
    """(DEFAULT_LOCAL_URL, "") when a server answers there, else (None, why not)."""
    engine = sa.create_engine(DEFAULT_LOCAL_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return DEFAULT_LOCAL_URL, ""
    except Exception as exc:  # no server, no such role or database: skip with the reason
        first = str(getattr(exc, "orig", exc)).strip().splitlines()
        return None, first[0] if first else type(exc).__name__
    finally:
        engine.dispose()


def postgres_url() -> str:
    url = os.environ.get("PARTSOPT_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI is set but PARTSOPT_TEST_POSTGRES_URL is not: .ci/run must source "
                        ".ci/postgres.sh before the tests")
        url, why = _local_server()
        if url is None:
            pytest.skip(f"{NO_SERVER}; none at {sa.engine.make_url(DEFAULT_LOCAL_URL).render_as_string()}: {why}")
    return url


def make_policies(n: int = 60, seed: int = 0, prefix: str = "P") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = rng.integers(-1, 12, n).astype(float)
    return pd.DataFrame({
        "part": [f"{prefix}{i:07d}" for i in range(n)], "location": rng.choice(["C1", "R1", "D1"], n),
        "policy": "sS", "reorder_point": s, "order_up_to": s + rng.integers(1, 6, n),
        "safety_stock": rng.normal(1, 1, n), "lead_time_days": 14.0, "review_days": 7.0,
        "target_name": "hit_rate", "target_level": 0.95, "expected_hit_rate": rng.random(n),
        "expected_fill_rate": np.where(rng.random(n) < 0.1, np.nan, rng.random(n)),  # NULLs too
        "expected_on_hand": rng.random(n) * 3,
        "inventory_value": rng.random(n) * 100, "annual_holding_cost": rng.random(n) * 25,
        "reason": np.where(rng.random(n) < 0.1, "", "s=3 because P(LTD <= 3) = 0.96, \"quoted\""),
        "pack_size": rng.choice([1.0, 4.0], n),
    })


def next_run(df: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """Run 2: drop 5 keys, change 10, add 3."""
    rng = np.random.default_rng(seed)
    out = df.iloc[5:].copy()
    idx = out.index[:10]
    out.loc[idx, "reorder_point"] += 2
    out.loc[idx, "order_up_to"] += 3
    out.loc[idx, "expected_hit_rate"] = rng.random(10)
    return pd.concat([out, make_policies(3, seed + 10, prefix="N")], ignore_index=True)


class Target:
    """A database URL plus a unique table prefix; knows how to read and drop its tables."""

    def __init__(self, url: str, prefix: str):
        self.url = url
        self.prefix = prefix
        self.engine = sa.create_engine(url)

    def table(self, fmt: str) -> str:
        return self.prefix + {"generic": "policies", "sap": "policies_sap", "odoo": "policies_odoo"}[fmt]

    def export(self, df, fmt="generic", **kw):
        kw.setdefault("run", {"run_id": "r1"})
        return export_policies(df, fmt, self.url, table_prefix=self.prefix, **kw)

    def rows(self, fmt="generic", with_meta=False) -> pd.DataFrame:
        cols = list(LAYOUTS[fmt].columns) + (["run_id", "created_at", "updated_at"] if with_meta else [])
        select = ", ".join(f'"{c}"' for c in cols)
        with self.engine.connect() as conn:
            result = conn.exec_driver_sql(f'SELECT {select} FROM "{self.table(fmt)}"')
            frame = pd.DataFrame(result.fetchall(), columns=cols)
        return frame.sort_values(list(LAYOUTS[fmt].keys)).reset_index(drop=True)

    def runs(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.read_sql_query(sa.text(f'SELECT * FROM "{self.prefix}runs" ORDER BY exported_at'),
                                     conn)

    def tables(self) -> set[str]:
        return {t for t in sa.inspect(self.engine).get_table_names() if t.startswith(self.prefix)}

    def execute(self, sql: str) -> None:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(sql)

    def drop_all(self) -> None:
        with self.engine.begin() as conn:
            for name in self.tables():
                conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
        self.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'staging.db'}"
    else:
        url = postgres_url()
    t = Target(url, f"t{uuid.uuid4().hex[:10]}_")
    yield t
    t.drop_all()


def expected(df: pd.DataFrame, fmt: str = "generic") -> pd.DataFrame:
    return to_layout(validate_policies(df), fmt)


def assert_holds(target: Target, df: pd.DataFrame, fmt: str = "generic") -> None:
    got = target.rows(fmt)
    want = expected(df, fmt)
    for col, kind in LAYOUTS[fmt].columns.items():
        if kind == "text":
            got[col] = got[col].fillna("").astype(str)
        else:
            got[col] = got[col].astype("float64")
    pd.testing.assert_frame_equal(got, want, check_exact=True)


@pytest.mark.parametrize("fmt", ["generic", "sap", "odoo"])
def test_export_then_same_run_again_changes_nothing(target, fmt):
    df = make_policies()
    first = target.export(df, fmt)
    assert first.written and (first.new, first.changed, first.removed) == (len(df), 0, 0)
    assert first.table == target.table(fmt)
    assert "***" in first.target or target.url.startswith("sqlite")
    assert_holds(target, df, fmt)
    meta, runs = target.rows(fmt, with_meta=True), target.runs()
    assert set(meta["run_id"]) == {"r1"}
    assert runs[["table_name", "run_id", "rows_total", "rows_new"]].values.tolist() == [
        [target.table(fmt), "r1", len(df), len(df)]]
    again = target.export(df.sample(frac=1.0, random_state=3), fmt)
    assert not again.written and again.unchanged == len(df) and again.diff.empty
    pd.testing.assert_frame_equal(target.rows(fmt, with_meta=True), meta)  # no new timestamps
    pd.testing.assert_frame_equal(target.runs(), runs)


def test_second_run_inserts_updates_deletes_and_keeps_history(target):
    run1, run2 = make_policies(), None
    target.export(run1, run={"run_id": "r1", "as_of": "2026-11-13", "config_hash": "abc"})
    before = target.rows(with_meta=True).set_index(["part", "location"])
    run2 = next_run(run1)
    res = target.export(run2, run={"run_id": "r2", "as_of": "2026-11-20", "config_hash": "abc"})
    assert (res.new, res.changed, res.removed, res.unchanged) == (3, 10, 5, len(run1) - 15)
    assert_holds(target, run2)
    after = target.rows(with_meta=True).set_index(["part", "location"])
    changed_keys = set(zip(res.diff.loc[res.diff.status == "changed", "part"],
                           res.diff.loc[res.diff.status == "changed", "location"]))
    for key, row in after.iterrows():
        if key in changed_keys:
            assert row["run_id"] == "r2" and row["created_at"] == before.loc[key, "created_at"]
            assert row["updated_at"] > before.loc[key, "updated_at"]
        elif key in before.index:
            assert row["run_id"] == "r1" and row["updated_at"] == before.loc[key, "updated_at"]
        else:
            assert row["run_id"] == "r2"
    runs = target.runs()
    assert list(runs["run_id"]) == ["r1", "r2"]
    assert runs.iloc[1][["as_of", "rows_new", "rows_changed", "rows_removed"]].tolist() == [
        "2026-11-20", 3, 10, 5]


def test_dry_run_shows_the_difference_and_writes_nothing(target):
    df = make_policies()
    res = target.export(df, dry_run=True)
    assert res.new == len(df) and not res.written
    assert target.tables() == set()  # a dry run creates nothing
    target.export(df)
    run2 = next_run(df)
    run2.loc[20, ["reorder_point", "order_up_to"]] = [50.0, 60.0]  # unchanged row, big jump
    snapshot, runs = target.rows(with_meta=True), target.runs()
    res = target.export(run2, run={"run_id": "r2"}, dry_run=True, review_threshold=0.5)
    assert (res.new, res.changed, res.removed) == (3, 11, 5) and not res.written
    pd.testing.assert_frame_equal(target.rows(with_meta=True), snapshot)
    pd.testing.assert_frame_equal(target.runs(), runs)
    flagged = res.flagged
    assert run2.loc[20, "part"] in set(flagged["part"])
    assert set(flagged["column"]) <= {"reorder_point", "order_up_to"}
    assert (flagged["relative_change"] > 0.5).all()
    row = res.diff[(res.diff.part == run2.loc[20, "part"]) & (res.diff.column == "order_up_to")].iloc[0]
    assert row["new"] == 60.0 and row["old"] == df.set_index("part").loc[row["part"], "order_up_to"]


def test_same_content_under_a_new_run_id_records_the_run_only(target):
    df = make_policies()
    target.export(df)
    meta = target.rows(with_meta=True)
    res = target.export(df, run={"run_id": "r1-rerun"})
    assert res.written and res.unchanged == len(df)
    pd.testing.assert_frame_equal(target.rows(with_meta=True), meta)
    assert list(target.runs()["run_id"]) == ["r1", "r1-rerun"]


def test_an_exception_after_n_rows_rolls_back_to_the_previous_run(target):
    run1 = make_policies(300)
    target.export(run1)
    snapshot, runs = target.rows(with_meta=True), target.runs()
    run2 = make_policies(300, seed=5)  # every row changes
    seen = []

    def hook(done, total, label):
        seen.append(done)
        if done >= 100:
            raise RuntimeError("injected failure after 100 rows")

    with pytest.raises(RuntimeError, match="injected"):
        target.export(run2, run={"run_id": "r2"}, progress=hook, batch_size=50)
    assert seen == [50, 100]
    pd.testing.assert_frame_equal(target.rows(with_meta=True), snapshot)
    pd.testing.assert_frame_equal(target.runs(), runs)
    assert target.tables() == {target.table("generic"), target.prefix + "runs"}


def test_a_row_the_database_rejects_rolls_back_to_the_previous_run(target):
    run1 = make_policies(200)
    target.export(run1)
    snapshot, runs = target.rows(with_meta=True), target.runs()
    table = target.table("generic")
    if target.url.startswith("sqlite"):
        target.execute(f'CREATE TRIGGER "{table}_cap" BEFORE INSERT ON "{table}" '
                       "WHEN NEW.order_up_to > 1000 BEGIN SELECT RAISE(ABORT, 'order_up_to over cap'); END")
    else:
        target.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT cap CHECK (order_up_to <= 1000)')
    run2 = next_run(run1)
    run2 = pd.concat([run2, make_policies(1, 3, prefix="Z").assign(reorder_point=2000.0,
                                                                  order_up_to=2500.0)])
    # the bad row sorts last: all other new and changed rows come before it
    with pytest.raises(DataError, match="rolled back, nothing was written") as err:
        target.export(run2, run={"run_id": "r2"})
    assert table in err.value.where
    pd.testing.assert_frame_equal(target.rows(with_meta=True), snapshot)
    pd.testing.assert_frame_equal(target.runs(), runs)


KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from partsopt.erp import export_policies, read_policies
    url, prefix, policies, marker = sys.argv[1:5]
    def hook(done, total, label):
        if done >= 20_000:          # midway: tell the parent, then wait to be killed
            Path(marker).write_text(str(done))
            time.sleep(120)
    export_policies(read_policies(policies), "generic", url, run={"run_id": "r2"},
                    table_prefix=prefix, progress=hook, batch_size=10_000)
""")


def test_a_killed_export_leaves_the_previous_run(target, tmp_path):
    run1 = make_policies(2_000)
    target.export(run1)
    snapshot, runs = target.rows(with_meta=True), target.runs()
    big = make_policies(60_000, seed=9, prefix="Q")
    big.to_parquet(tmp_path / "policies.parquet", index=False)
    marker = tmp_path / "midway"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, target.url, target.prefix,
                             str(tmp_path / "policies.parquet"), str(marker)],
                            env=env, cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            if proc.poll() is not None:
                pytest.fail("export process ended before midway: " + proc.stderr.read().decode()[-2000:])
            assert time.monotonic() < deadline, "export never reached midway"
            time.sleep(0.05)
        assert int(marker.read_text()) < len(big)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    # the server notices the dead client and aborts its transaction; wait for the lock to go
    deadline = time.monotonic() + 30
    while True:
        try:
            rows = target.rows(with_meta=True)
            break
        except sa.exc.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    pd.testing.assert_frame_equal(rows, snapshot)
    pd.testing.assert_frame_equal(target.runs(), runs)
    # and the next export goes through
    res = target.export(big, run={"run_id": "r2"})
    assert res.written and (res.new, res.removed) == (len(big), len(run1))
    assert_holds(target, big)


def test_an_incompatible_staging_table_is_a_data_error_and_nothing_is_written(target):
    table = target.table("generic")
    target.execute(f'CREATE TABLE "{table}" (part TEXT, location TEXT, reorder_point TEXT, '
                   "PRIMARY KEY (part, location))")
    target.execute(f"INSERT INTO \"{table}\" VALUES ('A', 'L', 'x')")
    with pytest.raises(DataError, match="incompatible schema") as err:
        target.export(make_policies())
    assert table in err.value.what and table in err.value.where
    assert "missing column order_up_to" in err.value.received
    assert "column reorder_point is TEXT" in err.value.received
    assert target.tables() == {table}  # the runs table was not created either
    with target.engine.connect() as conn:
        assert conn.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar_one() == 1


def test_a_staging_table_with_another_key_is_rejected(target):
    df = make_policies()
    target.export(df, "odoo")
    table = target.table("sap")
    cols = ", ".join(f'"{c}" {"TEXT" if k == "text" else "DOUBLE PRECISION"}'
                     for c, k in LAYOUTS["sap"].columns.items())
    target.execute(f'CREATE TABLE "{table}" ({cols}, run_id TEXT, created_at TIMESTAMP, '
                   'updated_at TIMESTAMP, PRIMARY KEY ("MATNR"))')
    with pytest.raises(DataError, match="incompatible") as err:
        target.export(df, "sap")
    assert "primary key is (MATNR), expected (MATNR, WERKS)" in err.value.received


def test_unreachable_sqlite_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot connect"):
        export_policies(make_policies(), "generic", f"sqlite:///{tmp_path}/no/such/dir/x.db")


def test_unreachable_postgres_never_shows_the_password():
    url = "postgresql+psycopg://planner:s3cr3t-Pw@127.0.0.1:1/erp"
    with pytest.raises(ConfigError) as err:
        export_policies(make_policies(), "sap", url)
    text = str(err.value)
    assert "s3cr3t-Pw" not in text and "planner:***@127.0.0.1:1/erp" in text
    assert "cannot connect" in text


@pytest.mark.postgres
def test_wrong_password_on_a_real_server_never_shows_it():
    url = sa.engine.make_url(postgres_url()).set(password="Wr0ng-Secret")
    with pytest.raises(ConfigError) as err:
        export_policies(make_policies(), "generic", url.render_as_string(hide_password=False))
    assert "Wr0ng-Secret" not in str(err.value) and "***" in str(err.value)
    assert "password authentication failed" in err.value.received


@pytest.mark.parametrize("url, message", [
    ("mysql://u:pw@host/db", "unsupported database"),
    ("postgresql+nosuchdriver://u:pw@host/db", "cannot set up|driver"),
])
def test_unsupported_urls(url, message):
    with pytest.raises(ConfigError, match=message) as err:
        export_policies(make_policies(), "generic", url)
    assert ":pw@" not in str(err.value)


@pytest.mark.postgres
def test_postgres_schema_option():
    url = postgres_url()
    schema = f"s{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        df = make_policies()
        res = export_policies(df, "odoo", url, schema=schema, run={"run_id": "r1"})
        assert res.table == f"{schema}.partsopt_policies_odoo" and res.written
        with engine.connect() as conn:
            n = conn.exec_driver_sql(f"SELECT count(*) FROM {schema}.partsopt_policies_odoo").scalar_one()
        assert n == len(df)
        assert not export_policies(df, "odoo", url, schema=schema, run={"run_id": "r1"}).written
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


def test_readers_see_the_previous_run_until_the_export_commits(target):
    """An ERP job reading the staging table mid-export sees run 1, never a mix."""
    import threading

    run1, run2 = make_policies(400), make_policies(400, seed=4, prefix="R")
    target.export(run1)
    paused, resume = threading.Event(), threading.Event()
    errors = []

    def hook(done, total, label):
        if done >= 100 and not paused.is_set():
            paused.set()
            resume.wait(60)

    def export():
        try:
            target.export(run2, run={"run_id": "r2"}, progress=hook, batch_size=100)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    worker = threading.Thread(target=export)
    worker.start()
    try:
        assert paused.wait(60), "export never reached its midway point"
        assert_holds(target, run1)  # midway: still exactly run 1
    finally:
        resume.set()
        worker.join(60)
    assert not errors, errors
    assert_holds(target, run2)


def test_a_sqlite_dry_run_does_not_need_the_write_lock(tmp_path):
    import sqlite3

    db = tmp_path / "erp.db"
    url = f"sqlite:///{db}"
    df = make_policies()
    export_policies(df, "sap", url, run={"run_id": "r1"})
    other = sqlite3.connect(db, timeout=0.1, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    try:
        res = export_policies(next_run(df), "sap", url, run={"run_id": "r2"}, dry_run=True)
        assert (res.new, res.changed, res.removed) == (3, 10, 5)
    finally:
        other.execute("ROLLBACK")
        other.close()
