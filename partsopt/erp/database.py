"""Database targets: staging tables in SQLite (embedded default) or PostgreSQL.

Tables (``PREFIX`` = ``table_prefix``, default ``partsopt_``; PostgreSQL may also
put them in a ``schema``):

``PREFIX + policies`` / ``PREFIX + policies_sap`` / ``PREFIX + policies_odoo``
    The current policies in the ``generic``, ``sap`` or ``odoo`` layout
    (:mod:`partsopt.erp.formats`): the layout's columns, primary key = the layout's
    two key columns (part, location), plus ``run_id`` (the run that last inserted or
    changed the row), ``created_at`` (first inserted) and ``updated_at`` (last
    changed), both UTC.
``PREFIX + runs``
    One row per (``table_name``, ``run_id``) exported: ``format``, ``as_of``,
    ``config_hash``, ``version``, ``created_at`` (from ``run.json``),
    ``run_id_derived``, ``exported_at`` and the row counts ``rows_total``,
    ``rows_new``, ``rows_changed``, ``rows_removed``, ``rows_unchanged``.

One export is one transaction (all rows or none):

1. connect (a failure is a :class:`~partsopt.errors.ConfigError` whose message shows
   the URL with the password masked as ``***``);
2. check existing tables: missing or mismatched columns, or a primary key that is
   not the layout's keys, raise :class:`~partsopt.errors.DataError` before anything
   is written;
3. ``BEGIN`` (SQLite: ``BEGIN IMMEDIATE``, plain ``BEGIN`` for a dry run;
   PostgreSQL: create the tables if needed, then ``LOCK TABLE ... IN SHARE ROW
   EXCLUSIVE MODE`` so exports serialise), read the current rows and compute the
   difference (:mod:`partsopt.erp.diff`);
4. nothing differs and the run is already recorded → commit nothing (idempotent: no
   new timestamps); otherwise bulk-load (PostgreSQL: ``COPY ... FROM STDIN``;
   SQLite: ``executemany``) the removed keys and the changed rows into temporary
   tables and apply them with one ``DELETE ... WHERE EXISTS`` and one
   ``UPDATE ... FROM`` (``created_at`` kept), bulk-load the new rows straight into
   the staging table, upsert the runs row (``INSERT ... ON CONFLICT DO UPDATE``),
   ``COMMIT``.  Unchanged rows are not touched.

A dry run does steps 1-3 and rolls back: it creates nothing.
"""
from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from partsopt.errors import ConfigError, DataError
from partsopt.erp.diff import PolicyDiff, diff_layout_frames
from partsopt.erp.errors import ExportOptionError
from partsopt.erp.formats import Layout, normalise_layout_frame
from partsopt.erp.policies_file import RunInfo

#: ``progress(rows_done, rows_total, label)`` - the project's progress convention
ProgressHook = Callable[[int, int, str], None]
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TABLE_SUFFIX = {"generic": "policies", "sap": "policies_sap", "odoo": "policies_odoo"}
_LOAD_TABLE = "partsopt_load_updates"
_REMOVE_TABLE = "partsopt_load_removed"
SUPPORTED_DIALECTS = ("sqlite", "postgresql")


def is_database_url(to: str) -> bool:
    """True when ``to`` looks like an SQLAlchemy URL (``dialect[+driver]://...``)."""
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", str(to)))


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (safe to print or log)."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        # unparsable: mask anything between "user:" and "@"
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", str(url))


def _scrub(message: str, url: str) -> str:
    """First line of a driver message with the URL's password removed."""
    try:
        password = sa.engine.make_url(url).password
    except Exception:
        password = None
    text = str(message).strip().splitlines()[0] if str(message).strip() else ""
    if password:
        text = text.replace(str(password), "***")
    return text.replace(str(url), mask_url(url))


@dataclass(frozen=True)
class Tables:
    """The staging and runs tables of one export."""

    staging: sa.Table
    runs: sa.Table
    layout: Layout

    @property
    def staging_name(self) -> str:
        s = self.staging
        return f"{s.schema}.{s.name}" if s.schema else s.name


def check_identifiers(table_prefix: str, schema: str | None) -> None:
    if not isinstance(table_prefix, str) or not _IDENT.match(table_prefix):
        raise ExportOptionError("table_prefix must be a plain SQL identifier (letters, digits, _)",
                                where="table_prefix", received=repr(table_prefix), fix="e.g. 'partsopt_'")
    if schema is not None and (not isinstance(schema, str) or not _IDENT.match(schema)):
        raise ExportOptionError("schema must be a plain SQL identifier (letters, digits, _)",
                                where="schema", received=repr(schema))


def build_tables(layout: Layout, table_prefix: str = "partsopt_", schema: str | None = None) -> Tables:
    """SQLAlchemy definitions of the staging table of ``layout`` and the runs table."""
    check_identifiers(table_prefix, schema)
    md = sa.MetaData(schema=schema)
    cols = []
    for name, kind in layout.columns.items():
        typ = sa.Text() if kind == "text" else sa.Double()
        cols.append(sa.Column(name, typ, primary_key=name in layout.keys,
                              nullable=name not in layout.keys))
    staging = sa.Table(
        table_prefix + _TABLE_SUFFIX[layout.name], md, *cols,
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    runs = sa.Table(
        table_prefix + "runs", md,
        sa.Column("table_name", sa.Text(), primary_key=True),
        sa.Column("run_id", sa.Text(), primary_key=True),
        sa.Column("format", sa.Text(), nullable=False),
        sa.Column("as_of", sa.Text()),
        sa.Column("config_hash", sa.Text()),
        sa.Column("version", sa.Text()),
        sa.Column("created_at", sa.Text()),
        sa.Column("run_id_derived", sa.Boolean(), nullable=False),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows_total", sa.BigInteger(), nullable=False),
        sa.Column("rows_new", sa.BigInteger(), nullable=False),
        sa.Column("rows_changed", sa.BigInteger(), nullable=False),
        sa.Column("rows_removed", sa.BigInteger(), nullable=False),
        sa.Column("rows_unchanged", sa.BigInteger(), nullable=False),
    )
    return Tables(staging=staging, runs=runs, layout=layout)


def make_engine(url: str) -> Engine:
    """An engine for a supported URL; :class:`ConfigError` (password masked) otherwise.

    SQLite connections run in the DBAPI's autocommit mode and the engine emits
    ``BEGIN IMMEDIATE`` itself (plain ``BEGIN`` for reads: ``conn.info["partsopt_read_only"]``),
    so DDL and DML share one real transaction (the
    SQLAlchemy "pysqlite serializable" recipe).
    """
    try:
        parsed = sa.engine.make_url(url)
    except Exception:
        raise ExportOptionError("not a valid database URL", where="--to", received=mask_url(url),
                                fix="e.g. sqlite:///policies.db or "
                                    "postgresql+psycopg://USER:PASSWORD@HOST:5432/DB") from None
    if parsed.get_backend_name() not in SUPPORTED_DIALECTS:
        raise ExportOptionError("unsupported database", where="--to", received=mask_url(url),
                                fix="use sqlite:///FILE.db or postgresql+psycopg://...")
    kwargs: dict = {}
    if parsed.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": 10}
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except ImportError as exc:
        raise ConfigError("the database driver is not installed", where=mask_url(url),
                          received=str(exc).splitlines()[0],
                          fix="pip install 'partsopt[postgres]' (psycopg 3)") from None
    except Exception as exc:
        raise ConfigError("cannot set up the database connection", where=mask_url(url),
                          received=_scrub(exc, url)) from None
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _autocommit(dbapi_connection, _record):  # pragma: no cover - trivial
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):  # pragma: no cover - trivial
            # a write takes the write lock at once; a read (dry run, schema check) does not
            conn.exec_driver_sql("BEGIN" if conn.info.get("partsopt_read_only") else "BEGIN IMMEDIATE")
    return engine


def connect(engine: Engine, url: str) -> Connection:
    """Open a connection; connection failures become :class:`ConfigError`."""
    try:
        return engine.connect()
    except sa.exc.DBAPIError as exc:
        raise ConfigError("cannot connect to the database; nothing was written",
                          where=mask_url(url), received=_scrub(exc.orig, url),
                          fix="check host, port, database name, user and password, "
                              "and that the server is running") from None


def _kind_ok(kind: str, typ) -> bool:
    if kind == "number":
        return isinstance(typ, (sa.Float, sa.Numeric, sa.Integer))
    if kind == "text":
        return isinstance(typ, sa.String)
    if kind == "datetime":
        return isinstance(typ, sa.DateTime)
    if kind == "bool":
        return isinstance(typ, (sa.Boolean, sa.Integer))
    if kind == "int":
        return isinstance(typ, (sa.Integer, sa.Numeric))
    raise AssertionError(kind)


def _column_kind(column: sa.Column) -> str:
    t = column.type
    if isinstance(t, sa.DateTime):
        return "datetime"
    if isinstance(t, sa.Boolean):
        return "bool"
    if isinstance(t, sa.BigInteger):
        return "int"
    if isinstance(t, sa.String):
        return "text"
    return "number"


def check_schema(conn: Connection, tables: Tables, url: str) -> dict[str, bool]:
    """Check tables that exist already; return ``{table name: exists}``.

    Raises :class:`DataError` naming the table and its missing or mismatched columns
    (or its primary key) when an existing table cannot take this export.
    """
    insp = sa.inspect(conn)
    exists = {}
    for table in (tables.staging, tables.runs):
        present = insp.has_table(table.name, schema=table.schema)
        exists[table.name] = present
        if not present:
            continue
        found = {c["name"]: c["type"] for c in insp.get_columns(table.name, schema=table.schema)}
        problems = []
        for col in table.columns:
            if col.name not in found:
                problems.append(f"missing column {col.name}")
            elif not _kind_ok(_column_kind(col), found[col.name]):
                expected = col.type.compile(conn.dialect)
                problems.append(f"column {col.name} is {found[col.name]}, expected {expected}")
        pk = set(insp.get_pk_constraint(table.name, schema=table.schema).get("constrained_columns") or [])
        want = {c.name for c in table.primary_key.columns}
        if not problems and pk != want:
            problems.append(f"primary key is ({', '.join(sorted(pk)) or 'none'}), "
                            f"expected ({', '.join(sorted(want))})")
        if problems:
            name = f"{table.schema}.{table.name}" if table.schema else table.name
            raise DataError(f"the existing table {name} has an incompatible schema; nothing was written",
                            where=f"{mask_url(url)} table {name}", received="; ".join(problems),
                            fix="drop or rename that table, or export with another table prefix/schema")
    return exists


def _quoted(conn: Connection, table: sa.Table) -> str:
    return conn.dialect.identifier_preparer.format_table(table)


def read_current(conn: Connection, tables: Tables, exists: bool) -> pd.DataFrame:
    """The staging table's current rows in the layout, normalised (empty if no table)."""
    layout = tables.layout
    cols = list(layout.columns)
    if not exists:
        return normalise_layout_frame(pd.DataFrame({c: [] for c in cols}), layout)
    if conn.dialect.name == "postgresql":
        prep = conn.dialect.identifier_preparer
        query = (f"COPY (SELECT {', '.join(prep.quote(c) for c in cols)} FROM "
                 f"{_quoted(conn, tables.staging)}) TO STDOUT (FORMAT csv, HEADER)")
        buf = io.BytesIO()
        with conn.connection.driver_connection.cursor() as cur:
            with cur.copy(query) as copy:
                for block in copy:
                    buf.write(block)
        buf.seek(0)
        # Arrow's CSV reader: exact float parsing, text never NULL ("" stays ""),
        # an empty unquoted number is NULL -> NaN
        types = {c: (pa.string() if k == "text" else pa.float64()) for c, k in layout.columns.items()}
        table = pa_csv.read_csv(buf, convert_options=pa_csv.ConvertOptions(
            column_types=types, strings_can_be_null=False, null_values=[""]))
        frame = table.to_pandas()
    else:
        result = conn.execute(sa.select(*[tables.staging.c[c] for c in cols]))
        frame = pd.DataFrame.from_records(result.fetchall(), columns=cols)
    return normalise_layout_frame(frame, layout)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV for ``COPY ... (FORMAT csv)``: no header, NaN as an empty unquoted field
    (NULL), text always quoted (so ``""`` is the empty string), floats in shortest
    round-trip form (Arrow's writer: exact, and ~10x faster than ``DataFrame.to_csv``)."""
    sink = io.BytesIO()
    pa_csv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), sink,
                     pa_csv.WriteOptions(include_header=False))
    return sink.getvalue()


class _Loader:
    """Bulk-loads frames inside the open transaction and reports progress."""

    def __init__(self, conn: Connection, total: int, progress: ProgressHook | None, batch_size: int):
        self.conn = conn
        self.total = total
        self.done = 0
        self.progress = progress
        self.batch_size = batch_size

    def temp_table(self, name: str, layout: Layout, columns: list[str]) -> sa.Table:
        temp = sa.Table(name, sa.MetaData(),
                        *[sa.Column(c, sa.Text() if layout.columns[c] == "text" else sa.Double())
                          for c in columns],
                        prefixes=["TEMPORARY"])
        temp.create(self.conn)
        return temp

    def load(self, table: sa.Table, frame: pd.DataFrame, text_columns: set[str]) -> None:
        """Append ``frame``'s rows (its columns = table columns) to ``table``.

        PostgreSQL: ``COPY ... FROM STDIN (FORMAT csv, FORCE_NOT_NULL (text))`` in
        batches of CSV made by Arrow.  SQLite: ``executemany`` of batches.
        """
        conn = self.conn
        columns = list(frame.columns)
        prep = conn.dialect.identifier_preparer
        n = len(frame)
        if conn.dialect.name == "postgresql":
            text = [prep.quote(c) for c in columns if c in text_columns]
            force = f", FORCE_NOT_NULL ({', '.join(text)})" if text else ""
            query = (f"COPY {_quoted(conn, table)} ({', '.join(prep.quote(c) for c in columns)}) "
                     f"FROM STDIN (FORMAT csv{force})")
            with conn.connection.driver_connection.cursor() as cur:
                with cur.copy(query) as copy:
                    for start in range(0, n, self.batch_size):
                        chunk = frame.iloc[start:start + self.batch_size]
                        copy.write(_csv_bytes(chunk))
                        self._advance(len(chunk))
        else:
            sql = (f"INSERT INTO {_quoted(conn, table)} ({', '.join(prep.quote(c) for c in columns)}) "
                   f"VALUES ({', '.join('?' * len(columns))})")
            for start in range(0, n, self.batch_size):
                chunk = frame.iloc[start:start + self.batch_size]
                conn.exec_driver_sql(sql, list(chunk.itertuples(index=False, name=None)))
                self._advance(len(chunk))

    def _advance(self, rows: int) -> None:
        self.done += rows
        if self.progress is not None:
            self.progress(self.done, self.total, "export: loading rows")


def _stamp(conn: Connection, now: datetime):
    """``now`` as the driver wants it in a bulk load (SQLite: SQLAlchemy's string form)."""
    if conn.dialect.name == "postgresql":
        return now.isoformat()
    return sa.DateTime(timezone=True).dialect_impl(conn.dialect).bind_processor(conn.dialect)(now)


def _apply(conn: Connection, tables: Tables, diff: PolicyDiff, run: RunInfo, now: datetime,
           progress: ProgressHook | None, batch_size: int) -> None:
    """Write the difference: delete removed keys, update changed rows, insert new rows.

    Removed keys and changed rows go through temporary tables (bulk-loaded), then
    one set-based ``DELETE ... WHERE EXISTS`` and one ``UPDATE ... FROM``; new rows
    are bulk-loaded straight into the staging table (the lock taken at the start
    of the transaction guarantees their keys are still free).
    """
    layout = tables.layout
    staging = tables.staging
    keys = list(layout.keys)
    cols = list(layout.columns)
    text_cols = {c for c, k in layout.columns.items() if k == "text"} | {"run_id"}
    loader = _Loader(conn, len(diff.removed_keys) + len(diff.updates) + len(diff.inserts),
                     progress, batch_size)
    if len(diff.removed_keys):
        rm = loader.temp_table(_REMOVE_TABLE, layout, keys)
        loader.load(rm, diff.removed_keys[keys], text_cols)
        conn.execute(sa.delete(staging).where(sa.exists(
            sa.select(sa.literal(1)).select_from(rm).where(
                rm.c[keys[0]] == staging.c[keys[0]], rm.c[keys[1]] == staging.c[keys[1]]))))
        rm.drop(conn)
    if len(diff.updates):
        up = loader.temp_table(_LOAD_TABLE, layout, cols)
        loader.load(up, diff.updates[cols], text_cols)
        values = {c: up.c[c] for c in cols if c not in keys}
        values.update(run_id=sa.literal(run.run_id, sa.Text()),
                      updated_at=sa.literal(now, sa.DateTime(timezone=True)))
        conn.execute(sa.update(staging).values(values).where(
            staging.c[keys[0]] == up.c[keys[0]], staging.c[keys[1]] == up.c[keys[1]]))
        up.drop(conn)
    if len(diff.inserts):
        stamp = _stamp(conn, now)
        frame = diff.inserts[cols].assign(run_id=run.run_id, created_at=stamp, updated_at=stamp)
        loader.load(staging, frame, text_cols)


def _insert(conn: Connection):
    """The dialect's INSERT construct (it has ``on_conflict_do_update``)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _record_run(conn: Connection, tables: Tables, run: RunInfo, diff: PolicyDiff, total: int,
                now: datetime) -> None:
    insert = _insert(conn)
    row = {
        "table_name": tables.staging.name, "run_id": run.run_id, "format": tables.layout.name,
        "as_of": run.as_of, "config_hash": run.config_hash, "version": run.version,
        "created_at": run.created_at, "run_id_derived": bool(run.derived), "exported_at": now,
        "rows_total": total, "rows_new": diff.new, "rows_changed": diff.changed,
        "rows_removed": diff.removed, "rows_unchanged": diff.unchanged,
    }
    stmt = insert(tables.runs).values(**row)
    stmt = stmt.on_conflict_do_update(
        index_elements=["table_name", "run_id"],
        set_={k: stmt.excluded[k] for k in row if k not in ("table_name", "run_id")})
    conn.execute(stmt)


@dataclass
class DatabaseOutcome:
    diff: PolicyDiff
    written: bool
    run_recorded: bool
    table: str


def export_to_database(url: str, frame: pd.DataFrame, tables: Tables, run: RunInfo, *,
                       dry_run: bool, review_threshold: float, progress: ProgressHook | None = None,
                       batch_size: int = 50_000) -> DatabaseOutcome:
    """Export ``frame`` (a normalised layout frame) to the staging tables at ``url``.

    See the module docstring for the transaction.  ``progress(rows_done, rows_total, label)``
    is called after each loaded batch (inside the transaction; an exception raised
    by it rolls the whole export back).
    """
    engine = make_engine(url)
    try:
        with connect(engine, url) as conn:
            conn.info["partsopt_read_only"] = True
            exists = check_schema(conn, tables, url)
            conn.rollback()  # end the inspector's implicit transaction
            conn.info["partsopt_read_only"] = bool(dry_run)
            try:
                with conn.begin() as txn:
                    if not dry_run and conn.dialect.name == "postgresql":
                        tables.staging.metadata.create_all(conn, tables=[tables.staging, tables.runs])
                        conn.exec_driver_sql(
                            f"LOCK TABLE {_quoted(conn, tables.staging)}, {_quoted(conn, tables.runs)} "
                            "IN SHARE ROW EXCLUSIVE MODE")
                        exists = {t: True for t in exists}
                    elif not dry_run:
                        # SQLite: BEGIN IMMEDIATE already holds the write lock
                        tables.staging.metadata.create_all(conn, tables=[tables.staging, tables.runs])
                    current = read_current(conn, tables, exists[tables.staging.name] or not dry_run)
                    diff = diff_layout_frames(current, frame, tables.layout, review_threshold)
                    recorded = False
                    if exists[tables.runs.name] or not dry_run:
                        recorded = conn.execute(
                            sa.select(sa.func.count()).select_from(tables.runs).where(
                                tables.runs.c.table_name == tables.staging.name,
                                tables.runs.c.run_id == run.run_id)).scalar_one() > 0
                    if dry_run:
                        txn.rollback()
                        return DatabaseOutcome(diff, written=False, run_recorded=recorded,
                                               table=tables.staging_name)
                    if diff.is_empty and recorded:
                        txn.rollback()  # idempotent: the same run again changes nothing
                        return DatabaseOutcome(diff, written=False, run_recorded=True,
                                               table=tables.staging_name)
                    now = datetime.now(timezone.utc)
                    _apply(conn, tables, diff, run, now, progress, batch_size)
                    _record_run(conn, tables, run, diff, len(frame), now)
            except (sa.exc.DBAPIError, engine.dialect.loaded_dbapi.Error) as exc:
                # SQLAlchemy wraps driver errors; COPY through the driver raises them raw
                orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
                raise DataError("the database rejected the export; it was rolled back, nothing was written",
                                where=f"{mask_url(url)} table {tables.staging_name}",
                                received=_scrub(orig, url),
                                fix="check the table's constraints and permissions") from None
    finally:
        engine.dispose()
    return DatabaseOutcome(diff, written=True, run_recorded=True, table=tables.staging_name)
