"""The ``partsopt`` command line (DESIGN.md §8) - an adapter.

It parses arguments, calls the library, writes files, prints a short summary
and maps errors to exit codes: 0 done; 2 bad input or usage (one readable
message, no traceback); 1 internal failure.  Nothing else in partsopt prints.
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

import numpy as np
import pandas as pd

from partsopt import __version__
from partsopt.cli_tables import format_table, heading
from partsopt.errors import ConfigError, PartsoptError, UsageError

EPILOG_DEMO = """example:
  partsopt demo                          # small network into ./partsopt-demo
  partsopt demo --size medium --seed 7 --out /tmp/net

writes the dataset to OUT/data (ground truth of the planted defects in OUT/data/ground_truth),
the weekly plan to OUT/plan (orders.xlsx for the parts manager) and a replay of the last year of
history (policies planned as of its start) with its report to OUT/replay/report.html.
"""
EPILOG_PLAN = """example:
  partsopt plan ./partsopt-demo --as-of 2026-11-16 --out ./plan
  partsopt plan ./mydata --as-of 2026-11-16 --out ./plan --config tight.toml
  partsopt plan ./mydata --as-of 2026-11-16 --out ./plan --dask local:2
  partsopt plan ./mydata --as-of 2026-11-16 --out ./plan --scheduler tcp://10.0.0.5:8786

writes forecasts, policies and orders (.parquet and .csv), orders.xlsx and run.json to --out.

DATA may also be a dataset partitioned by part ('partsopt partition'): then every partition is
planned and written by itself (one after the other, or on the Dask workers), nothing of the whole
network is held in one process, and --out gets the folders forecasts/, policies/ and orders/ (one
part-KKKKK.parquet per partition; pandas.read_parquet reads a folder whole), orders_summary.csv,
issues.csv and run.json.  For networks of millions of part-locations.
"""
EPILOG_PARTITION = """example:
  partsopt partition ./mydata --out ./mydata-by-part
  partsopt partition ./mydata --out ./mydata-by-part --partitions 64
  partsopt plan ./mydata-by-part --as-of 2026-11-16 --out ./plan --dask local:2

validates DATA and writes its tables as Parquet partitioned by a hash of the part (all locations and
the whole supersession chain of a part in one partition; docs/DESIGN.md §9): part tables to
OUT/TABLE/part_bucket=K/part-0.parquet, the others to OUT/TABLE.parquet.  Written to a temporary
folder and renamed at the end.
"""
EPILOG_SIMULATE = """example:
  partsopt simulate ./partsopt-demo/data --start 2025-11-17 --end 2026-11-14 --out ./replay
  partsopt simulate ./mydata --start 2025-01-06 --end 2025-12-28 --out ./replay --policies ./plan/policies.parquet
  partsopt simulate ./mydata --start 2025-01-06 --end 2025-12-28 --out ./replay --curve 0.8,0.9,0.95,0.98
  partsopt simulate ./mydata --start 2025-01-06 --end 2025-12-28 --out ./replay --dask local:2
  partsopt simulate ./mydata --start 2025-01-06 --end 2025-12-28 --out ./replay --scheduler tcp://10.0.0.5:8786

without --policies the policies are planned as of --start from the data before it (and re-planned every
simulation.replan_weeks weeks when the scenario sets it).  Writes kpis.json, kpis_by_location.csv,
misses.csv (with root causes), report.html and run.json to --out.  With --dask / --scheduler the plan,
the replay and the cause analysis run partition by part on a Dask cluster: the same outputs.
"""
EPILOG_WHATIF = """example:
  partsopt whatif ./partsopt-demo/data --scenario base.toml --scenario lean.toml --out ./whatif
  partsopt whatif ./mydata --scenario base.toml --scenario lean.toml --out ./whatif --dask local:2

replays every scenario over the same demand with the same random draws (default window: the last
365 days of history) and writes kpis.csv (side by side, deltas against the first scenario),
curve.csv and scenarios.csv (the cost-availability curve and each scenario's point on it),
whatif.html and run.json to --out.  With --dask / --scheduler every scenario and the curve run
partition by part on a Dask cluster: the same outputs.
"""
EPILOG_DIAGNOSE = """example:
  partsopt diagnose ./partsopt-demo/data --start 2026-05-18 --end 2026-11-14 --out ./diagnosis
  partsopt diagnose ./mydata --start 2026-01-05 --end 2026-06-28 --out ./diag --plans ./plan-w01 ./plan-w02

writes misses.csv (one row per line missed in the records, with its cause) and causes.csv to --out.
"""
EPILOG_VALIDATE = """example:
  partsopt validate ./partsopt-demo
  partsopt validate ./mydata --strict --issues-out issues.csv
"""
EPILOG_IMPORT_LINES = """examples:
  partsopt import-lines service_lines.csv --out ./workshop
  partsopt import-lines service_lines.csv --out ./workshop --mapping my_parts.csv \\
      --unit-cost 1 --lead-time-days 7 --location WORKSHOP
  partsopt validate ./workshop && partsopt plan ./workshop --as-of 2018-12-03 --out ./plan
Each free-text line is normalised (upper case, no punctuation or X-masks, spelling synonyms),
labour, service and fee lines (GENERAL SERVICE, CHAIN LUBRICATION, ...) are left out, and every
other text becomes a part; one line = one unit unless the file has a qty/quantity column.
MAP.csv (columns text, part) overrides: a text maps to the given part id, or is left out when
part is empty.  OUT gets parts, locations, demand, install_base (distinct vehicles per model),
bom (failure rates per vehicle-year from the history) and import_texts.csv (how every distinct
text was mapped).
"""
EPILOG_EXPORT = """examples:
  partsopt export out/policies.parquet --format sap --to sap_minmax.csv
  partsopt export out/ --format odoo --to orderpoints.xlsx --dry-run
  partsopt export out/policies.csv --format generic --to sqlite:///erp_staging.db
  partsopt export out/policies.csv --format generic --dry-run \\
      --to postgresql+psycopg://planner:PASSWORD@erp-db:5432/erp
  PARTSOPT_ERP_URL=postgresql+psycopg://... partsopt export out/ --format sap --to env:PARTSOPT_ERP_URL
A file or a staging table holds the current policies of its layout: the export
inserts new (part, location) rows, updates changed ones and deletes the others;
the same run exported twice changes nothing.  --dry-run prints the difference.
--to env:NAME reads the URL from environment variable NAME (keeps the password out
of the command line and the process list); printed URLs always mask the password.
"""


#: service levels of the cost-availability curve in the demo's replay report
DEMO_CURVE_LEVELS = (0.98, 0.995)  # with the plan's own 95 % point: three points, two extra policy runs


class _Parser(argparse.ArgumentParser):
    """argparse that raises a UsageError (exit 2, one message) instead of exiting."""

    def error(self, message):  # noqa: D401 - argparse API
        raise UsageError(f"{self.prog}: {message}", fix=f"see '{self.prog} --help'.")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="partsopt", description="Spare-parts inventory optimisation for dealer networks.",
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     epilog="run 'partsopt COMMAND --help' for the options and an example of each command.")
    parser.add_argument("--version", action="version", version=f"partsopt {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal failure")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("demo", help="generate the demo dealer network and run the weekly cycle on it",
                       description="Generate the seeded demo dealer network (central → regional → dealers), "
                                   "validate it and print a summary.",
                       epilog=EPILOG_DEMO, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="partsopt-demo", help="output folder (default: ./partsopt-demo)")
    p.add_argument("--size", default="small", choices=("small", "medium", "large"), help="network size")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same bytes)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("validate", help="check a dataset folder and list every problem",
                       description="Check a dataset folder against the data contract (docs/DESIGN.md §4). "
                                   "Exit 0 when it can be planned (row-level issues are listed with their "
                                   "fallback), 2 on a structural error.",
                       epilog=EPILOG_VALIDATE, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="dataset folder (CSV and/or Parquet files)")
    p.add_argument("--strict", action="store_true", help="fail (exit 2) on any error-level issue")
    p.add_argument("--issues-out", help="also write the issues table to this CSV file")
    p.add_argument("--max-issues", type=int, default=30, help="issues shown in the terminal (default 30)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("plan", help="forecasts, policies and the weekly order suggestions",
                       description="Run the weekly planning cycle on a dataset as of a date: demand forecasts, "
                                   "stock policies (reorder point s, order-up-to S) per part and location, and the "
                                   "order suggestions from the inventory snapshot.",
                       epilog=EPILOG_PLAN, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="dataset folder")
    p.add_argument("--as-of", required=True, help="planning date YYYY-MM-DD (the inventory snapshot's date)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--config", help="scenario file (TOML); default: the default scenario")
    p.add_argument("--strict", action="store_true", help="fail on any error-level data issue")
    add_cluster_options(p)
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("partition", help="write a dataset as Parquet partitioned by part (for big networks)",
                       description="Validate a dataset folder and write it partitioned by a hash of the part, "
                                   "so that 'partsopt plan' can plan and write it partition by partition "
                                   "(one process or a Dask cluster) without holding the whole network.",
                       epilog=EPILOG_PARTITION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="dataset folder (CSV and/or Parquet files)")
    p.add_argument("--out", required=True, help="folder to write (replaced if it is a partitioned dataset)")
    p.add_argument("--partitions", type=int, default=None,
                   help="number of partitions, 1..64 (default: 64, the most that carry work)")
    p.add_argument("--strict", action="store_true", help="fail on any error-level data issue")
    p.set_defaults(func=cmd_partition)

    p = sub.add_parser("diagnose", help="miss root causes in the actual history (no replay)",
                       description="Find the demand lines the locations could not fill from stock in the "
                                   "records (stock reconstructed back from the inventory snapshot over receipts "
                                   "and demand) and give each one root cause - execution (late supply, "
                                   "suggested orders not placed / short / late), data (master lead time far "
                                   "below the real one, new part, supersession not linked) or configuration "
                                   "(not stocked, override below need, within target, service level) - by "
                                   "rules on the records (docs/DESIGN.md §7).",
                       epilog=EPILOG_DIAGNOSE, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="dataset folder (with inventory and receipts)")
    p.add_argument("--start", required=True, help="first day of the period examined YYYY-MM-DD")
    p.add_argument("--end", required=True, help="last day of the period examined YYYY-MM-DD (before the snapshot)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--plans", nargs="*", default=None,
                   help="output folders of past 'partsopt plan' runs (their orders) for plan adherence")
    p.set_defaults(func=cmd_diagnose)

    p = sub.add_parser("import-lines", help="turn free-text workshop invoice lines into a dataset folder",
                       description="Import repair history as it arrives: workshop invoice lines with the part as "
                                   "free text and the vehicle model (partsopt.importers.service_lines).",
                       epilog=EPILOG_IMPORT_LINES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="CSV of invoice lines (date, free text, vehicle model; optional vehicle id, qty)")
    p.add_argument("--out", required=True, help="dataset folder to write")
    p.add_argument("--mapping", help="CSV with columns text, part (empty part = leave the text out)")
    p.add_argument("--location", default="WORKSHOP", help="site id (default WORKSHOP)")
    p.add_argument("--unit-cost", type=float, default=1.0,
                   help="unit cost for every part, no price list (default 1.0: value counted in units)")
    p.add_argument("--lead-time-days", type=float, default=7.0, help="supplier lead time for every part (default 7)")
    p.set_defaults(func=cmd_import_lines)

    p = sub.add_parser("export", help="write policies to a file or an ERP staging table (generic, SAP, Odoo)",
                       description="Write the policies of a plan run to a CSV/Parquet/Excel file or to a "
                                   "staging table in SQLite or PostgreSQL, in the generic, SAP (MATNR, WERKS, "
                                   "DISMM=VB, MINBE, EISBE, MABST, BSTRF) or Odoo (stock.warehouse.orderpoint) "
                                   "layout.  One transaction: all rows or none.",
                       epilog=EPILOG_EXPORT, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("policies", help="policies.csv / policies.parquet written by 'partsopt plan' "
                                    "(or its output folder; run.json beside it gives the run id)")
    p.add_argument("--format", dest="fmt", required=True, choices=("generic", "sap", "odoo"),
                   help="export layout")
    p.add_argument("--to", required=True, metavar="PATH_OR_URL",
                   help="a .csv/.parquet/.xlsx file, or sqlite:///FILE.db, or "
                        "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB, or env:NAME (the URL "
                        "in environment variable NAME)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the difference from what the target holds now; write nothing")
    p.add_argument("--review-threshold", type=float, default=0.5, metavar="FRACTION",
                   help="flag reorder-point / order-up-to changes beyond this relative change "
                        "(default 0.5 = 50 %%)")
    p.add_argument("--table-prefix", default="partsopt_", help="database tables' name prefix (default partsopt_)")
    p.add_argument("--schema", default=None, help="database schema (PostgreSQL; default: the search path)")
    p.add_argument("--diff-out", help="also write the full difference table to this CSV file")
    p.add_argument("--max-rows", type=int, default=30, help="difference rows shown in the terminal (default 30)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("simulate", help="replay history against a policy: KPIs, misses with causes, report.html",
                       description="Replay the repair-order lines of a date range day by day against the stock "
                                   "policies, measure the KPIs and name the root cause of every miss.",
                       epilog=EPILOG_SIMULATE, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="dataset folder")
    p.add_argument("--start", required=True, help="first day of the replay YYYY-MM-DD")
    p.add_argument("--end", required=True, help="last day of the replay YYYY-MM-DD (inclusive)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--config", help="scenario file (TOML); default: the default scenario")
    p.add_argument("--policies", help="policies.parquet or policies.csv from 'partsopt plan' (default: plan as of --start)")
    p.add_argument("--seed", type=int, help="seed of the lead-time draws (default: simulation.seed of the scenario)")
    p.add_argument("--curve", help="service levels for the planned cost-availability curve in the report, "
                                   "comma-separated (e.g. 0.8,0.9,0.95,0.98); default: none")
    add_cluster_options(p)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("whatif", help="several scenarios side by side over the same demand",
                       description="Plan and replay every scenario over the same demand and the same random draws; "
                                   "KPIs side by side with deltas and the cost-availability curve.",
                       epilog=EPILOG_WHATIF, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="dataset folder")
    p.add_argument("--scenario", action="append", required=True, metavar="FILE.toml",
                   help="scenario file (TOML); give it once per scenario, the first is the reference")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--start", help="first day of the replay (default: 365 days before the last demand date)")
    p.add_argument("--end", help="last day of the replay (default: the last demand date)")
    p.add_argument("--seed", type=int, help="seed of the lead-time draws for every scenario (default: the first "
                                            "scenario's simulation.seed)")
    p.add_argument("--levels", default=",".join(str(x) for x in (0.80, 0.90, 0.95, 0.98, 0.995)),
                   help="service levels of the cost-availability curve, comma-separated, or 'none' "
                        "(default: 0.8,0.9,0.95,0.98,0.995)")
    add_cluster_options(p)
    p.set_defaults(func=cmd_whatif)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("PARTSOPT_DEBUG") == "1"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    except PartsoptError as exc:
        print(f"partsopt: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("partsopt: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal failure: a bug, not bad input
        if debug:
            traceback.print_exc()
        print(f"partsopt: internal error: {type(exc).__name__}: {exc}\n"
              "  this is a bug in partsopt; rerun with --debug for the traceback and report it.",
              file=sys.stderr)
        return 1


# ----------------------------------------------------------------- commands
def cmd_validate(args) -> int:
    from partsopt.io import load

    data = load(args.data, strict=args.strict)
    print(heading(f"Dataset {args.data}"))
    print(format_table(data.summary()))
    _print_issues(data.issues, args.max_issues)
    if args.issues_out:
        from partsopt.io import write_table
        write_table(data.issues, args.issues_out)
        print(f"issues written to {args.issues_out}")
    n_err = int((data.issues["severity"] == "error").sum()) if len(data.issues) else 0
    print(f"\nvalid: {len(data.parts)} parts, {len(data.locations)} locations, {len(data.demand)} demand lines; "
          f"{len(data.issues)} issue(s), {n_err} error-level (planned around with the fallbacks shown).")
    return 0


def _print_issues(issues: pd.DataFrame, max_rows: int) -> None:
    print()
    if not len(issues):
        print(heading("Issues: none"))
        return
    print(heading(f"Issues: {len(issues)}"))
    counts = (issues.groupby(["severity", "table", "check", "fallback"], sort=False).size()
              .rename("rows").reset_index())
    print(format_table(counts[["severity", "table", "check", "rows", "fallback"]]))
    print()
    print(format_table(issues[["severity", "table", "row", "part", "location", "check", "detail"]], max_rows=max_rows))


def cmd_plan(args) -> int:
    from partsopt.io import check_output_folder, read_config, read_folder
    from partsopt.progress import stderr_progress
    from partsopt.validate import validate_tables

    check_output_folder(args.out)  # before any work: a bad --out is exit 2, not a failure at the end
    config = read_config(args.config)
    progress = stderr_progress()  # one clock for the whole command: load, plan steps, writing
    from partsopt.dask_backend import is_partitioned

    if is_partitioned(args.data):
        if args.strict:
            raise UsageError("--strict applies when a dataset is read; a partitioned dataset was validated "
                             "when it was written", where="--strict", received=str(args.data),
                             fix="use 'partsopt partition --strict' to refuse a dataset with error-level issues.")
        res, run = run_partitioned_plan(args.data, args.as_of, config, Path(args.out), cluster=cluster_spec(args),
                                        progress=progress)
        _print_partitioned_summary(res, run, Path(args.out))
        return 0
    progress(0, 2, "load: read files")
    raw = read_folder(args.data)
    progress(1, 2, "load: validate")
    data = validate_tables(raw, strict=args.strict, path=str(args.data))
    del raw
    progress(2, 2, "load: validate")
    result, run = run_plan(data, args.as_of, config, Path(args.out), cluster=cluster_spec(args), progress=progress)
    _print_plan_summary(result, run, Path(args.out))
    return 0


def cmd_partition(args) -> int:
    import shutil
    import tempfile

    from partsopt.dask_backend import is_partitioned, write_partitioned
    from partsopt.io import read_folder
    from partsopt.partition import N_BUCKETS
    from partsopt.progress import stderr_progress
    from partsopt.validate import validate_tables

    n = N_BUCKETS if args.partitions is None else args.partitions
    if not 1 <= n <= N_BUCKETS:
        raise UsageError(f"--partitions must be between 1 and {N_BUCKETS}, received {args.partitions!r}",
                         where="--partitions",
                         fix=f"e.g. --partitions {N_BUCKETS} (parts fall into {N_BUCKETS} hash buckets, so more "
                             "partitions would be empty).")
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not is_partitioned(out))):
        raise UsageError("--out exists and is not a partitioned dataset; partsopt does not overwrite it",
                         where="--out", received=str(out),
                         fix="choose a new folder (or remove it first).")
    progress = stderr_progress()
    progress(0, 3, "load: read files")
    raw = read_folder(args.data)
    progress(1, 3, "load: validate")
    data = validate_tables(raw, strict=args.strict, path=str(args.data))
    del raw
    progress(2, 3, "write: partitions")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partsopt-tmp-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the folder is for the cluster's workers too
    try:
        write_partitioned(data, tmp, n)
        if out.exists():
            aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.partsopt-old-", dir=out.parent))
            os.replace(out, aside / "old")
            os.replace(tmp, out)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    progress(3, 3, "write: partitions")
    print(heading(f"Partitioned dataset {out}"))
    print(f"{n} partitions by part hash; {len(data.parts):,} parts, {len(data.locations):,} locations, "
          f"{len(data.demand):,} demand lines; {len(data.issues)} issue(s) recorded")
    print(f"next: partsopt plan {out} --as-of YYYY-MM-DD --out PLAN [--dask local:2]")
    return 0


def run_partitioned_plan(root, as_of, config, out: Path, cluster: dict | None = None, progress=None, *,
                         client=None):
    """The plan of a partitioned dataset, written partition by partition to ``out``
    (:mod:`partsopt.partitioned_plan`); published only when every partition is written.
    ``client``: a connected Dask client to use (instead of connecting to ``cluster``)."""
    from partsopt.dask_backend import partitioned_fingerprint
    from partsopt.io import write_table
    from partsopt.partitioned_plan import discard, plan_partitioned, publish, staging_folder
    from partsopt.progress import stderr_progress
    from partsopt.runinfo import make_run_info, run_json

    progress = progress or stderr_progress()
    created = not out.exists()
    staging = staging_folder(out)
    try:
        if cluster is None:
            res = plan_partitioned(root, as_of, config, staging, client=client, progress=progress)
        else:
            from partsopt.dask_backend import connect

            with connect(**cluster) as client:
                res = plan_partitioned(root, as_of, config, staging, client=client, progress=progress)
        run = make_run_info("plan", config, {}, fingerprint=partitioned_fingerprint(root) or None,
                            as_of=res.as_of.date().isoformat())
        run["dataset"] = str(root)
        run["layout"] = "partitioned"
        run["partitions"] = res.partitions
        run["rows"] = res.rows
        if res.network is not None:
            run["network"] = res.network
        write_table(res.orders_summary(), staging / "orders_summary.csv")
        write_table(res.issues, staging / "issues.csv")
        (staging / "run.json").write_text(run_json(run), encoding="utf-8")
        publish(staging, out)
    except BaseException:
        discard(staging)
        if created and not any(out.iterdir()):
            out.rmdir()
        raise
    return res, run


def _print_partitioned_summary(res, run, out: Path) -> None:
    summary = res.orders_summary()
    lines = int(summary["lines"].sum()) if len(summary) else 0
    n_em = int(summary.loc[summary["order_type"] == "emergency", "lines"].sum()) if len(summary) else 0
    value = float(summary["value"].sum()) if len(summary) else 0.0
    _print_plan_head(res.as_of, run, res.rows["policies"], res.stocked, res.stock_value, res.expected_hit_rate,
                     res.network, lines, n_em, value, summary)
    print(f"\noutputs in {out}: forecasts/, policies/, orders/ ({res.partitions} partitions, one Parquet file "
          "each), orders_summary.csv, issues.csv, run.json")


# ------------------------------------------------- Dask hooks (plan; simulate/whatif take the same)
def add_cluster_options(p) -> None:
    """``--scheduler ADDRESS`` / ``--dask local[:N]`` / ``--connect-timeout S`` (DESIGN.md §8-9)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786 (results identical to one process)")
    g.add_argument("--dask", metavar="local[:N]",
                   help="run on a local Dask cluster of N worker processes (default N: the cores)")
    p.add_argument("--connect-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="wait at most this long for --scheduler (default 10), then exit 2")


def cluster_spec(args) -> dict | None:
    """The cluster options of ``args`` for :func:`partsopt.dask_backend.connect`, or None (one process)."""
    if getattr(args, "scheduler", None) is None and getattr(args, "dask", None) is None:
        return None
    if not args.connect_timeout > 0:
        raise UsageError(f"--connect-timeout must be > 0 seconds, received {args.connect_timeout!r}",
                         fix="e.g. --connect-timeout 10")
    return {"scheduler": args.scheduler, "local": args.dask, "timeout": args.connect_timeout}


def _plan_maybe_on_cluster(data, as_of, config, cluster: dict | None, progress=None):
    from partsopt.pipeline import plan
    from partsopt.progress import stderr_progress

    if cluster is None:
        return plan(data, as_of, config, progress=progress or stderr_progress())
    from partsopt.dask_backend import connect, plan_on_cluster

    with connect(**cluster) as client:
        return plan_on_cluster(client, data, as_of, config)


def run_plan(data, as_of, config, out: Path, cluster: dict | None = None, progress=None):
    """Plan and write every output of ``partsopt plan`` to ``out`` (published together at the end).

    ``progress`` (default: a bar on stderr) reports the plan steps and then one
    stage per output written.  ``orders.xlsx`` is written in a second thread
    while the CSV and Parquet files are written (both mostly in Arrow and zlib
    code that releases the GIL); every file is staged under a temporary name and
    the set is published only when all of them are complete.
    """
    from concurrent.futures import ThreadPoolExecutor

    from partsopt.excel import write_orders_xlsx
    from partsopt.io import OutputSet
    from partsopt.progress import stderr_progress
    from partsopt.runinfo import make_run_info, run_json

    progress = progress or stderr_progress()
    result = _plan_maybe_on_cluster(data, as_of, config, cluster, progress)
    run = make_run_info("plan", config, data.tables, as_of=result.as_of.date().isoformat())
    run["dataset"] = str(data.path or "")
    run["rows"] = {"forecasts": len(result.forecasts), "policies": len(result.policies), "orders": len(result.orders)}
    if getattr(result, "network", None) is not None:
        run["network"] = result.network
    tables = (("forecasts", result.forecasts), ("policies", result.policies), ("orders", result.orders))
    steps = len(tables) + 2
    with OutputSet(out) as outputs, ThreadPoolExecutor(max_workers=1) as pool:
        xlsx = pool.submit(write_orders_xlsx, result.orders, outputs.stage("orders.xlsx"),
                           title=f"partsopt order suggestions as of {result.as_of.date()} (run {run['run_id']})")
        for step, (name, frame) in enumerate(tables):
            progress(step, steps, f"write: {name}")
            outputs.write_table(frame, f"{name}.parquet")
            outputs.write_table(frame, f"{name}.csv")
        progress(len(tables), steps, "write: issues, run.json")
        outputs.write_table(result.issues, "issues.csv")
        outputs.write_text(run_json(run), "run.json")
        progress(len(tables) + 1, steps, "write: orders.xlsx")
        xlsx.result()  # re-raises a failure of the workbook: nothing is published
        progress(steps, steps, "write: orders.xlsx")
    from partsopt.partitioned_plan import remove_partitioned_outputs

    remove_partitioned_outputs(out)  # the folders of an earlier partitioned plan: out holds one run
    return result, run


def _print_plan_summary(result, run, out: Path) -> None:
    from partsopt.excel import orders_summary

    orders = result.orders
    pol = result.policies
    stocked = pol[pol["order_up_to"] > 0]
    n_em = int((orders["order_type"] == "emergency").sum()) if len(orders) else 0
    _print_plan_head(result.as_of, run, len(pol), len(stocked), stocked["inventory_value"].sum(),
                     _weighted_hit(result), getattr(result, "network", None), len(orders), n_em,
                     orders["value"].sum() if len(orders) else 0, orders_summary(orders))
    print(f"\noutputs in {out}: forecasts, policies, orders (.parquet, .csv), orders.xlsx, run.json")


def _print_plan_head(as_of, run, n_rows, n_stocked, stock_value, hit, net, n_orders, n_em, value, summary) -> None:
    print(heading(f"Weekly plan as of {as_of.date()} (run {run['run_id']})"))
    print(f"{n_rows:,} part-locations planned, {n_stocked:,} stocked; target value of stock "
          f"{stock_value:,.0f}; expected hit rate (line-weighted) {hit:.1%}")
    if net is not None:
        what = {"target": "network target", "budget": "budget", "row": "budget (row plan kept)"}[net["mode"]]
        prices = ", ".join(f"{p}: {x:.3g}" if len(net["pools"]) > 1 else f"{x:.3g}"
                           for p, x in zip(net["pools"], net["price_per_1000"]))
        print(f"{what}: expected network hit rate {net['expected_network_hit_rate']:.1%}, investment "
              f"{net['investment']:,.0f}" + (f" (budget {net['budget']:,.0f})" if net["budget"] > 0 else "")
              + (f"; shadow price {prices} hit lines/yr per 1,000 of stock" if net["mode"] != "row" else ""))
        if net["note"]:
            print(f"  {net['note']}")
    print(f"{n_orders:,} order lines to place ({n_orders - n_em:,} normal, {n_em:,} emergency), value {value:,.0f}")
    if n_orders:
        print()
        print(format_table(summary, max_rows=25))


def _weighted_hit(result) -> float:
    pol = result.policies.merge(result.forecasts[["part", "location", "mean_per_day"]], on=["part", "location"])
    w = pol["mean_per_day"].to_numpy()
    return float((pol["expected_hit_rate"] * w).sum() / w.sum()) if w.sum() > 0 else float("nan")


def cmd_demo(args) -> int:
    from partsopt.demo import generate
    from partsopt.demo.writer import save
    from partsopt.io import load

    from partsopt.config import default_config
    from partsopt.progress import stderr_progress

    out = Path(args.out)
    progress = stderr_progress()
    progress(0, 2, "demo: generate")
    network = generate(args.size, args.seed)
    data_dir = save(network, out / "data", None)
    progress(1, 2, "demo: validate")
    data = load(data_dir)
    progress(2, 2, "demo: validate")
    print(heading(f"partsopt demo: {args.size} network, seed {args.seed} → {data_dir}"))
    _print_network_summary(data)
    as_of = network.as_of
    print()
    result, run = run_plan(data, as_of, default_config(), out / "plan")
    _print_plan_summary(result, run, out / "plan")
    print(f"order suggestions for the parts manager: {out / 'plan' / 'orders.xlsx'}")
    from partsopt.whatif import replay_window

    start, end = replay_window(data)
    config = default_config()
    config["simulation"]["seed"] = int(args.seed)
    print()
    scenario, sim_run = run_simulate(data, start, end, config, out / "replay", levels=DEMO_CURVE_LEVELS,
                                     true_data=_demo_true_data(data_dir))
    _print_simulation_summary(scenario, sim_run, out / "replay")
    return 0


def _dates_or_exit(data, start, end, what: str):
    from partsopt.whatif import replay_window

    try:
        return replay_window(data, start, end)
    except ValueError as exc:
        msg = str(exc)
        if "must be dates" in msg:
            raise ConfigError("--start / --end must be dates.", where="--start / --end",
                              received=f"--start {start} --end {end}", fix="write them as YYYY-MM-DD.") from None
        raise ConfigError(f"The {what} window is outside the demand history.", where="--start / --end",
                          received=f"--start {start} --end {end}",
                          fix=msg.replace("the replay window", "the window")) from None


def _levels(text: str | None, option: str) -> list[float]:
    if text is None or text.strip().lower() in ("", "none"):
        return []
    try:
        levels = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        levels = [float("nan")]
    if not levels or not all(0 < x < 1 for x in levels):
        raise ConfigError(f"{option} must list service levels in (0, 1).", where=option, received=repr(text),
                          fix=f"write e.g. {option} 0.8,0.9,0.95,0.98 (or 'none').")
    return levels


def read_policies(path: str | os.PathLike, data) -> pd.DataFrame:
    """A policies file from 'partsopt plan' (.parquet or .csv), checked against the dataset (exit 2 if foreign)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError("The policies file does not exist.", where=str(p), received="no such file",
                          fix="give the policies.parquet or policies.csv written by 'partsopt plan'.")
    try:
        pol = (pd.read_parquet(p) if p.suffix.lower() in (".parquet", ".pq")
               else pd.read_csv(p, dtype={"part": str, "location": str}, keep_default_na=False,
                                na_values={"reorder_point": [""], "order_up_to": [""]}))
    except Exception as exc:  # pyarrow / the CSV parser raise many types
        raise ConfigError("The policies file cannot be read.", where=str(p), received=f"{type(exc).__name__}: {exc}",
                          fix="give the policies.parquet or policies.csv written by 'partsopt plan'.") from None
    missing = [c for c in ("part", "location", "reorder_point", "order_up_to") if c not in pol]
    if missing:
        raise ConfigError("The policies file lacks required columns.", where=str(p),
                          received=f"missing {missing}; columns {list(pol.columns)[:12]}",
                          fix="give the policies file written by 'partsopt plan' (part, location, reorder_point, "
                              "order_up_to).")
    pol = pol.assign(part=pol["part"].astype(str), location=pol["location"].astype(str))
    for col, table in (("part", data.parts), ("location", data.locations)):
        unknown = pol.loc[~pol[col].isin(table[col].astype(str)), col].unique()
        if len(unknown):
            raise ConfigError(f"The policies file names {col}s that are not in this dataset "
                              "(is it from another dataset?).", where=str(p),
                              received=f"{len(unknown)} unknown {col}(s): {', '.join(map(str, unknown[:8]))}"
                                       f"{' ...' if len(unknown) > 8 else ''}",
                              fix=f"plan this dataset ('partsopt plan {data.path or 'DATA'} ...') and pass its "
                                  "policies, or pass the matching dataset.")
    s = pd.to_numeric(pol["reorder_point"], errors="coerce").to_numpy(float)
    S = pd.to_numeric(pol["order_up_to"], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(s) | ~np.isfinite(S) | (S < 0) | (s > S)
    dup = pol.duplicated(["part", "location"]).to_numpy()
    if bad.any() or dup.any():
        i = int(np.flatnonzero(bad | dup)[0])
        why = ("more than one row for the part-location" if dup[i] else
               f"reorder_point={pol['reorder_point'].iloc[i]!r}, order_up_to={pol['order_up_to'].iloc[i]!r}")
        raise ConfigError("The policies file has invalid rows.", where=f"{p}, row {i + 2}",
                          received=f"part {pol['part'].iloc[i]!r} at {pol['location'].iloc[i]!r}: {why} "
                                   f"({int((bad | dup).sum())} bad row(s))",
                          fix="give one row per part-location with numbers 0 <= reorder_point <= order_up_to, "
                              "as 'partsopt plan' writes them.")
    return pol.assign(reorder_point=s, order_up_to=S)


def cmd_simulate(args) -> int:
    from partsopt.io import check_output_folder, load, read_config

    check_output_folder(args.out)  # before any work (as plan)
    config = read_config(args.config)
    levels = _levels(args.curve, "--curve")
    if args.seed is not None and args.seed < 0:
        raise ConfigError("--seed must be an integer >= 0.", where="--seed", received=str(args.seed),
                          fix="give a seed such as 0 or 42.")
    data = load(args.data)
    start, end = _dates_or_exit(data, args.start, args.end, "replay")
    policies = read_policies(args.policies, data) if args.policies else None
    if args.seed is not None:
        config["simulation"]["seed"] = int(args.seed)
    scenario, run = run_simulate(data, start, end, config, Path(args.out), policies=policies, levels=levels,
                                 cluster=cluster_spec(args))
    _print_simulation_summary(scenario, run, Path(args.out))
    return 0


def _partition_runner(cluster: dict | None, progress):
    """A context giving None (one process) or a :class:`partsopt.dask_replay.PartitionRunner` on the cluster."""
    from contextlib import contextmanager, nullcontext

    if cluster is None:
        return nullcontext(None)

    @contextmanager
    def on_cluster():
        from partsopt.dask_backend import connect
        from partsopt.dask_replay import PartitionRunner

        with connect(**cluster) as client:
            yield PartitionRunner(client, progress=progress)

    return on_cluster()


def run_simulate(data, start, end, config, out: Path, *, policies=None, levels=(), true_data=None,
                 cluster: dict | None = None):
    """Replay (plan as of start unless policies are given), attribute causes, write every output to ``out``.

    ``true_data``: the dataset with the true master data (the demo's ground truth), for ``data.*`` causes.
    ``cluster``: :func:`cluster_spec` options - run partition by part on a Dask cluster (the same outputs).
    """
    import json

    from partsopt.io import OutputSet
    from partsopt.progress import stderr_progress
    from partsopt.report import simulation_report
    from partsopt.runinfo import make_run_info, run_json
    from partsopt.whatif import cost_availability_curve, run_scenario, with_planned_point

    progress = stderr_progress()
    progress(0, 3, "simulate: plan and replay")
    name = config.get("name", "base")
    with _partition_runner(cluster, progress) as runner:
        scenario_fn = run_scenario if runner is None else runner.run_scenario
        curve_fn = cost_availability_curve if runner is None else runner.cost_availability_curve
        scenario = scenario_fn(data, name, config, start, end, seed=int(config["simulation"]["seed"]),
                               policies=policies, true_dataset=true_data)
        curve = None
        if levels:
            progress(1, 3, "simulate: cost-availability curve")
            curve = curve_fn(data, start, config, levels)
            if scenario.plan is not None:  # the replayed plan is the curve's point at its own level
                curve = with_planned_point(curve, config, scenario.plan)
    progress(2, 3, "simulate: report")
    res = scenario.result
    run = make_run_info("simulate", config, data.tables, start=start.date().isoformat(), end=end.date().isoformat(),
                        policies="given" if policies is not None else "planned as of start")
    run["dataset"] = str(data.path or "")
    run["rows"] = {"lines": int(res.kpis["lines"]), "misses": len(res.misses), "order_lines": len(res.orders)}
    planned = (scenario.planned_hit_rate, scenario.planned_inventory_value) if scenario.plan is not None else None
    html = simulation_report(res, config, curve=curve, planned=planned, run_id=run["run_id"])
    with OutputSet(out) as outputs:
        outputs.write_text(json.dumps(res.kpis, indent=2) + "\n", "kpis.json")
        outputs.write_table(res.kpis_by_location, "kpis_by_location.csv")
        outputs.write_table(res.misses, "misses.csv")
        if curve is not None:
            outputs.write_table(curve, "curve.csv")
        outputs.write_text(html, "report.html")
        outputs.write_text(run_json(run), "run.json")
    progress(3, 3, "simulate: done")
    return scenario, run


def _kpi_summary(kpis: dict, config: dict | None = None) -> pd.DataFrame:
    from partsopt.report import kpi_tiles, kpi_targets

    tiles = kpi_tiles(kpis, kpi_targets(config))
    rows = [(t.label, t.value, t.target.replace("no target", "").replace("target ", ""),
             {"good": "ok", "warn": "watch", "bad": "below target"}.get(t.status, "")) for t in tiles]
    rows.append(("Missed lines", f"{kpis.get('misses', 0):,} of {kpis.get('lines', 0):,}", "", ""))
    by = kpis.get("misses_by_cause", {})
    rows.append(("Misses by cause", ", ".join(f"{k} {v:,}" for k, v in by.items()), "", ""))
    return pd.DataFrame(rows, columns=["KPI", "value", "target", ""])


def _print_simulation_summary(scenario, run, out: Path) -> None:
    info = scenario.result.info
    print(heading(f"Replay {pd.Timestamp(info['start']).date()} – {pd.Timestamp(info['end']).date()} "
                  f"(run {run['run_id']})"))
    print(format_table(_kpi_summary(scenario.result.kpis, scenario.config)))
    print(f"\noutputs in {out}: kpis.json, kpis_by_location.csv, misses.csv, run.json")
    print(f"report: {out / 'report.html'}")


def cmd_whatif(args) -> int:
    import json

    from partsopt.io import OutputSet, check_output_folder, load, read_config
    from partsopt.progress import stderr_progress
    from partsopt.report import whatif_report
    from partsopt.runinfo import make_run_info, run_json
    from partsopt.whatif import run_whatif, scenario_names

    check_output_folder(args.out)  # before any work (as plan)
    configs = [read_config(path) for path in args.scenario]  # every file checked before any work
    levels = _levels(args.levels, "--levels")
    if args.seed is not None and args.seed < 0:
        raise ConfigError("--seed must be an integer >= 0.", where="--seed", received=str(args.seed),
                          fix="give a seed such as 0 or 42.")
    data = load(args.data)
    start, end = _dates_or_exit(data, args.start, args.end, "what-if")
    names = scenario_names(configs, [Path(p).stem for p in args.scenario])
    progress = stderr_progress()
    with _partition_runner(cluster_spec(args), progress) as runner:
        result = run_whatif(data, list(zip(names, configs)), start, end, seed=args.seed, levels=levels,
                            progress=progress, runner=runner)
    run = make_run_info("whatif", configs[0], data.tables, start=start.date().isoformat(),
                        end=end.date().isoformat(), seed=result.seed)
    run["dataset"] = str(data.path or "")
    run["scenarios"] = [{"name": n, "file": str(f), "config": c} for n, f, c in zip(names, args.scenario, configs)]
    out = Path(args.out)
    html = whatif_report(result, run_id=run["run_id"])
    with OutputSet(out) as outputs:
        outputs.write_table(result.kpis, "kpis.csv")
        outputs.write_table(result.curve, "curve.csv")
        outputs.write_table(result.points(), "scenarios.csv")
        outputs.write_text(json.dumps({r.name: r.result.kpis for r in result.runs}, indent=2) + "\n", "kpis.json")
        outputs.write_text(html, "whatif.html")
        outputs.write_text(run_json(run), "run.json")
    print(heading(f"What-if {start.date()} – {end.date()}: {len(names)} scenarios, seed {result.seed} "
                  f"(run {run['run_id']})"))
    show = result.kpis[result.kpis["kpi"].isin(["hit_rate", "otd_rate", "normal_order_rate", "turnover",
                                                 "avg_inventory_value", "emergency_cost", "gross_margin", "misses",
                                                 "planned_hit_rate", "planned_inventory_value"])]
    print(format_table(show.drop(columns=["better"]).round(4)))
    print(f"\noutputs in {out}: kpis.csv, curve.csv, scenarios.csv, kpis.json, run.json")
    print(f"report: {out / 'whatif.html'}")
    return 0


def _demo_true_data(data_dir: Path):
    """The demo dataset with the part master of its ground truth (true lead times, all supersession links)."""
    import tempfile

    from partsopt.io import load

    truth = Path(data_dir) / "ground_truth" / "parts_true.csv"
    if not truth.is_file():
        return None
    parts = pd.read_csv(truth, dtype=str, keep_default_na=False)
    master = pd.read_csv(Path(data_dir) / "parts.csv", dtype=str, keep_default_na=False, nrows=0).columns
    with tempfile.TemporaryDirectory(prefix="partsopt-truth-") as tmp:
        for f in Path(data_dir).iterdir():
            if f.is_file() and f.name != "parts.csv":
                (Path(tmp) / f.name).symlink_to(f.resolve())
        parts[[c for c in master if c in parts]].to_csv(Path(tmp) / "parts.csv", index=False)
        return load(tmp)


def _print_network_summary(data) -> None:
    from partsopt.summary import network_summary

    s = network_summary(data)
    print(format_table(s["locations"]))
    print()
    print(format_table(s["totals"]))
    print()
    print(format_table(s["classes"]))
    if len(data.issues):
        print(f"\n{len(data.issues)} data issue(s); see 'partsopt validate'.")




def cmd_diagnose(args) -> int:
    from partsopt.diagnose import diagnose
    from partsopt.errors import ConfigError
    from partsopt.io import OutputSet, check_output_folder, load

    check_output_folder(args.out)  # before any work (as plan)
    data = load(args.data)
    plans = None
    if args.plans:
        plans = []
        for folder in args.plans:
            path = Path(folder) / "orders.parquet"
            if not path.is_file():
                raise ConfigError("A --plans folder holds no orders.parquet.", where=str(folder),
                                  received="no orders.parquet", fix="give output folders of 'partsopt plan'.")
            plans.append(pd.read_parquet(path))
    try:
        misses = diagnose(data, start=args.start, end=args.end, plans=plans)
    except ValueError as exc:
        raise ConfigError("The period cannot be diagnosed.", where="--start/--end", received=str(exc),
                          fix="choose dates inside the demand history, before the inventory snapshot.") from None
    causes = (misses.groupby("cause").agg(lines=("line_id", "size"), units=("qty", "sum")).reset_index()
              .sort_values("lines", ascending=False).reset_index(drop=True)) if len(misses) else \
        pd.DataFrame({"cause": [], "lines": [], "units": []})
    if len(causes):
        causes["share"] = (causes["lines"] / causes["lines"].sum()).round(3)
    out = Path(args.out)
    with OutputSet(out) as outputs:
        outputs.write_table(misses, "misses.csv")
        outputs.write_table(causes, "causes.csv")
    window = data.demand[(data.demand["date"] >= pd.Timestamp(args.start)) & (data.demand["date"] <= pd.Timestamp(args.end))]
    print(heading(f"Diagnosis {args.start} – {args.end}: {len(misses):,} of {len(window):,} lines missed"))
    if len(causes):
        print(format_table(causes))
    print(f"\noutputs in {out}: misses.csv, causes.csv")
    return 0


def cmd_import_lines(args) -> int:
    from partsopt.errors import DataError
    from partsopt.importers import import_service_lines, read_mapping
    from partsopt.io import OutputSet, check_output_folder

    check_output_folder(args.out)  # before any work (as plan)
    src = Path(args.file)
    if not src.is_file():
        raise UsageError(f"import-lines: file not found: {src}", fix="give the path of the invoice-lines CSV.")
    try:
        lines = pd.read_csv(src, dtype=str, keep_default_na=False, na_values=[""])
        mapping = read_mapping(args.mapping) if args.mapping else None
        res = import_service_lines(lines, mapping=mapping, location=args.location,
                                   default_unit_cost=args.unit_cost, default_lead_time_days=args.lead_time_days)
    except (ValueError, OSError) as exc:
        raise DataError("import-lines: the lines cannot be imported.", where=str(src), received=str(exc),
                        fix="see 'partsopt import-lines --help' for the expected columns.") from None
    with OutputSet(Path(args.out)) as outputs:
        for name, frame in res.tables.items():
            outputs.write_table(frame, f"{name}.csv")
        outputs.write_table(res.texts, "import_texts.csv")
    sm = res.summary()
    print(heading(f"partsopt import-lines: {src} → {args.out}"))
    print(f"{sm['lines']} lines: {sm['part_lines']} part lines, {sm['excluded_lines']} left out "
          f"(labour, services, fees, mapping), {sm['no_quantity_lines']} without a quantity; "
          f"{sm['distinct_texts']} distinct texts → {sm['parts']} parts; {sm['models']} vehicle models.")
    return 0


def cmd_export(args) -> int:
    from partsopt.erp import export_policies, read_policies, read_run
    from partsopt.erp.policies_file import find_policies_file
    from partsopt.progress import stderr_progress

    to = args.to
    if to.startswith("env:"):
        name = to[len("env:"):]
        to = os.environ.get(name, "")
        if not to:
            raise UsageError(f"environment variable {name or '(no name)'} is not set or empty",
                             where="--to", received=args.to,
                             fix=f"export {name or 'NAME'}=postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB")
    path = find_policies_file(args.policies)
    policies = read_policies(path)
    run = read_run(path, policies)
    result = export_policies(policies, args.fmt, to, run=run, dry_run=args.dry_run,
                             review_threshold=args.review_threshold, table_prefix=args.table_prefix,
                             schema=args.schema, progress=stderr_progress(), source=str(path))
    _print_export(result, args.max_rows)
    if args.diff_out:
        result.diff.to_csv(args.diff_out, index=False)
        print(f"difference written to {args.diff_out}")
    return 0


def _print_export(result, max_rows: int) -> None:
    where = result.target + (f", table {result.table}" if result.table else "")
    print(heading(f"{'Dry run: ' if result.dry_run else ''}export {result.fmt} → {where}"))
    run = result.run
    facts = [f"run {run.run_id}"] + [f"{k} {v}" for k, v in (("as of", run.as_of),
                                                           ("config", run.config_hash)) if v]
    print(", ".join(facts))
    for note in result.notes:
        print(note)
    print()
    print(format_table(pd.DataFrame([{"rows": result.rows, "new": result.new, "changed": result.changed,
                                      "removed": result.removed, "unchanged": result.unchanged,
                                      "flagged": len(result.flagged)}])))
    shown = ["part", "location", "status", "column", "old", "new", "relative_change"]
    if len(result.flagged):
        print()
        print(heading(f"Flagged for review: {len(result.flagged)} change(s) beyond "
                      f"{result.review_threshold:.0%} (|new - old| / max(|old|, 1))"))
        print(format_table(result.flagged[shown], max_rows=max_rows))
    if result.dry_run and len(result.diff):
        print()
        print(heading("Differences (old → new)"))
        print(format_table(result.diff[shown + ["flagged"]], max_rows=max_rows))
    print()
    if result.dry_run:
        print("dry run: nothing written.")
    elif result.written:
        print(f"written: {result.new} new, {result.changed} changed, {result.removed} removed "
              f"({result.unchanged} unchanged).")
    else:
        print("nothing to change: the target already holds these policies.")


__all__ = ["main", "build_parser"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
