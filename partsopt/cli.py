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

import pandas as pd

from partsopt import __version__
from partsopt.cli_tables import format_table, heading
from partsopt.errors import PartsoptError, UsageError

EPILOG_DEMO = """example:
  partsopt demo                          # small network into ./partsopt-demo
  partsopt demo --size medium --seed 7 --out /tmp/net

writes the dataset to OUT/data (ground truth of the planted defects in OUT/data/ground_truth)
and the weekly plan to OUT/plan (orders.xlsx for the parts manager).
"""
EPILOG_PLAN = """example:
  partsopt plan ./partsopt-demo --as-of 2026-11-16 --out ./plan
  partsopt plan ./mydata --as-of 2026-11-16 --out ./plan --config tight.toml

writes forecasts, policies and orders (.parquet and .csv), orders.xlsx and run.json to --out.
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
    p.set_defaults(func=cmd_plan)

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
    from partsopt.io import load, read_config

    config = read_config(args.config)
    data = load(args.data, strict=args.strict)
    result, run = run_plan(data, args.as_of, config, Path(args.out))
    _print_plan_summary(result, run, Path(args.out))
    return 0


def run_plan(data, as_of, config, out: Path):
    """Plan and write every output of ``partsopt plan`` to ``out`` (published together at the end)."""
    from partsopt.excel import write_orders_xlsx
    from partsopt.io import OutputSet
    from partsopt.pipeline import plan
    from partsopt.progress import stderr_progress
    from partsopt.runinfo import make_run_info, run_json

    result = plan(data, as_of, config, progress=stderr_progress())
    run = make_run_info("plan", config, data.tables, as_of=result.as_of.date().isoformat())
    run["dataset"] = str(data.path or "")
    run["rows"] = {"forecasts": len(result.forecasts), "policies": len(result.policies), "orders": len(result.orders)}
    with OutputSet(out) as outputs:
        for name, frame in (("forecasts", result.forecasts), ("policies", result.policies), ("orders", result.orders)):
            outputs.write_table(frame, f"{name}.parquet")
            outputs.write_table(frame, f"{name}.csv")
        outputs.write_table(result.issues, "issues.csv")
        write_orders_xlsx(result.orders, outputs.stage("orders.xlsx"),
                          title=f"partsopt order suggestions as of {result.as_of.date()} (run {run['run_id']})")
        outputs.write_text(run_json(run), "run.json")
    return result, run


def _print_plan_summary(result, run, out: Path) -> None:
    from partsopt.excel import orders_summary

    orders = result.orders
    pol = result.policies
    stocked = pol[pol["order_up_to"] > 0]
    print(heading(f"Weekly plan as of {result.as_of.date()} (run {run['run_id']})"))
    print(f"{len(pol):,} part-locations planned, {len(stocked):,} stocked; target value of stock "
          f"{stocked['inventory_value'].sum():,.0f}; expected hit rate (line-weighted) "
          f"{_weighted_hit(result):.1%}")
    n_em = int((orders["order_type"] == "emergency").sum()) if len(orders) else 0
    print(f"{len(orders):,} order lines to place ({len(orders) - n_em:,} normal, {n_em:,} emergency), "
          f"value {orders['value'].sum() if len(orders) else 0:,.0f}")
    if len(orders):
        print()
        print(format_table(orders_summary(orders), max_rows=25))
    print(f"\noutputs in {out}: forecasts, policies, orders (.parquet, .csv), orders.xlsx, run.json")


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
    return 0


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["main", "build_parser"]


def cmd_import_lines(args) -> int:
    from partsopt.errors import DataError
    from partsopt.importers import import_service_lines, read_mapping
    from partsopt.io import OutputSet

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
